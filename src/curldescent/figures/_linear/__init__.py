"""Shared machinery of the linear phase-diagram figures (Figs. 3 and 4) and the tanh grids
(Figs. 6 and 8)."""
