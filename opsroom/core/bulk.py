"""Settings for long bulk jobs (imports, the demo world) that allocate millions of objects."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def few_collections() -> Iterator[None]:
    """Collect reference cycles rarely during a bulk job, and never scan what existed before it.

    A bulk job allocates millions of short-lived objects (parsed rows, validated items) that
    reference counting frees; the cyclic collector, run every 700 allocations by default,
    spent over half of an import's reading time walking Django's and pydantic's long-lived
    objects. Frozen before a fork, those are also not copied into the child by the scans.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
