r"""Shared machinery of the linear phase diagrams (Figs. 3 and 4), also used by the tanh
phase diagrams (Figs. 6 and 8).

The figures sweep the compression ratio :math:`c = M/N` at fixed ``M + N`` against a
flipped fraction (:math:`\alpha_h` of the hidden layer's inputs, or :math:`\alpha_r` of the
readout's) and read the runs through the same instruments, one module per step:

* :mod:`~curldescent.figures._linear.grids`: the (c, α, seed) grids as sweeps, run (or
  resumed) into their stores and read back as seed-resolved arrays;
* :mod:`~curldescent.figures._linear.continuation`: the learning map continued from the
  stored final weights (q, exact cycles, the largest Lyapunov exponent);
* :mod:`~curldescent.figures._linear.examples`: the example run traced every epoch
  (weights, autocorrelations, principal components);
* :mod:`~curldescent.figures._linear.flow`: the continuous-time flow on a slice of the grid,
  next to the discrete maps;
* :mod:`~curldescent.figures._linear.tasks`: running the continuation and flow tasks on a
  sweeps executor;
* :mod:`~curldescent.figures._linear.boundary`: the analytic boundaries;
* :mod:`~curldescent.figures._linear.settings`: the parts of a profile both figures share
  (grid, example run, map continuation);
* :mod:`~curldescent.figures._linear.assembly`: one figure Dataset from these parts;
* :mod:`~curldescent.figures._linear.drawing`: heat maps and the shared panels;
* :mod:`~curldescent.figures._linear.claims`: the claims both figures check, and their
  thresholds.

The crossings that locate a simulated boundary live in
:mod:`curldescent.analysis.statistics`.
"""
