"""Hardware tuning of the engine, in one place: how many runs advance together
(vectorisation width), runs per compiled chunk, epochs whose minibatch orders are drawn
together, and epochs per loop iteration. Chosen per backend (``jax.default_backend()``);
none of them changes a run's result beyond rounding (equal widths give bitwise-equal runs).
"""

from __future__ import annotations

from typing import Any

import jax

#: epochs whose minibatch orders are drawn together (vectorised): one 250-element
#: permutation costs 60-90 us inside a run's loop on the CPU, about as much as 5-7 steps
ORDER_BLOCK = 8


#: full-batch linear epochs two per loop iteration: 1.2x faster on the CPU (full-batch
#: tanh/ReLU gained nothing measurable and run one per iteration)
PAIR_LINEAR_EPOCHS = True

#: runs per compiled call of the continuous flow (the adaptive solver's loops)
FLOW_CHUNK = 32


def vmap_width(st: Any, chunk: int) -> int:
    """How many runs of a chunk advance together (vectorised) inside the compiled program.

    Measured on the CPU (``simulate_batch`` and the training program alone, run-epochs/s,
    ``benchmarks/README.md``; 2026-12-07, Intel Xeon with AVX-512): linear runs are fastest
    one at a time, full batch (Fig. 4's grid: 4.3 core-hours at width 1, 11.5 at width 8;
    110×110: 65k vs 24k run-epochs/s at width 32) and minibatch (110×110: 2.6k vs 1.0k):
    XLA:CPU's batched small products are slower per run than single ones, and one run's
    weights stay in L2. Only the tiniest shapes (W1 217×2) gain from vectorising, and they are
    the cheapest runs of a grid. (On an AMD EPYC, an older engine measured full-batch linear
    ~2× faster 32 wide.) Minibatch tanh with small weights is fastest 8 wide (100->10: 800
    vs 600 at width 1, 700 at 16; 100->20: 1.1×; 60->40: even), larger ones one at a time
    (Fig. 6's 20->200 and 200->20: 1.1-1.2×, 110->110: 1.5×); full-batch tanh's
    2000-example products are slower vectorised. Accelerators vectorise the whole chunk.
    Results agree across widths to rounding (~1e-15); equal widths give bitwise-equal runs.
    """
    if jax.default_backend() != "cpu":
        return chunk
    if st.network.is_linear or st.full_batch or st.network.N * st.network.M > 3000:
        return 1
    return min(chunk, 8)


def default_chunk_size() -> int:
    """Runs per compiled batch: 32 on the CPU (small batches stay in cache), 512 on accelerators."""
    return 32 if jax.default_backend() == "cpu" else 512
