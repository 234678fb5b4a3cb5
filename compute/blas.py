"""Single-threaded BLAS for small linear algebra (SVDs of digit batches, small matrices).

On a 2-core machine shared with a GUI thread, a worker and other processes, OpenBLAS's
threads spin-wait for each other: measured here, twenty SVDs of 1000 × 64 matrices took
3.6 s with the default threads and 0.06 s with one. :func:`single_threaded` limits BLAS to
one thread for a block of work (through threadpoolctl, which scikit-learn installs; without
it the block runs unchanged). The worker thread calls :func:`use_one_thread` once, as it
sets torch's threads (DESIGN §4): per frame, a 3 x 3 ``expm`` took 10.8 ms with the default
threads on a loaded machine and 0.08 ms with one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Run the block with BLAS limited to one thread (a no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def use_one_thread() -> None:
    """Limit BLAS to one thread for the rest of the process (a no-op without threadpoolctl):
    the compute worker leaves the second core to the GUI thread."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1, user_api="blas")
