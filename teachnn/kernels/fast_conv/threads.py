"""One thread pool for every kernel that splits its work: convolution, depthwise, pooling.

The reference loop's outermost index, the sample n (or a (sample, channel) plane), is
independent: ``run_parallel`` hands contiguous pieces of it to Python threads that run
Numba kernels compiled with ``nogil=True``, so the pieces run on all cores at once, and no
two pieces ever write the same memory. (Numba's ``parallel=True`` would do the same but
compiled several times slower, and compile time is what a learner waits for.)
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba

# Below this much work (array elements touched, or multiply-adds / 16 for the products)
# one thread is faster than handing out pieces: learners' examples are small.
PARALLEL_MIN_ELEMENTS = 1 << 18
_POOL = None


def thread_count():
    """How many threads the kernels may use: Numba's setting (NUMBA_NUM_THREADS)."""
    return max(1, numba.get_num_threads())


def run_parallel(fn, bounds):
    """Call ``fn(t, bounds[t], bounds[t + 1])`` for every piece t at the same time (piece
    0 on the calling thread). The work must release the GIL (Numba nogil kernels, NumPy's
    BLAS) for the pieces to overlap, and the pieces must write disjoint memory."""
    global _POOL
    threads = len(bounds) - 1
    if threads <= 1:
        fn(0, bounds[0], bounds[-1])
        return
    if _POOL is None or _POOL._max_workers < threads - 1:
        _POOL = ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="teachnn")
    futures = [_POOL.submit(fn, t, bounds[t], bounds[t + 1]) for t in range(1, threads)]
    fn(0, bounds[0], bounds[1])
    for f in futures:
        f.result()


def run_split(kernel, args, n_items, work, min_work=None):
    """Call ``kernel(*args, start, stop)`` over [0, n_items), split into one contiguous
    piece per thread when ``work`` reaches ``min_work`` (PARALLEL_MIN_ELEMENTS)."""
    min_work = PARALLEL_MIN_ELEMENTS if min_work is None else min_work
    threads = 1 if work < min_work else min(thread_count(), n_items)
    bounds = [n_items * t // threads for t in range(threads + 1)]
    run_parallel(lambda t, start, stop: kernel(*args, start, stop), bounds)
