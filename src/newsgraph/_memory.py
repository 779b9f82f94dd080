"""Giving the memory a batch freed back to the operating system.

A long run frees almost everything each batch allocated (its articles, spaCy docs, graphs, the
store's write buffers), but glibc's malloc keeps what is freed inside its heaps for reuse: it only
shrinks a heap from its top, and a run has 9-17 threads, each with an arena of its own. Freed
memory scattered between live blocks stays resident, and a 10k-article run's malloc held ~350 MB
free by its end (benchmarks/README.md, the malloc trace). ``trim()`` is glibc's ``malloc_trim(0)``:
every arena's free pages go back to the kernel (``madvise(MADV_DONTNEED)``), whatever lies around
them. Called once a batch, it costs a few milliseconds and the page faults of reusing that memory.

``limit_arenas(n)`` caps the number of those arenas (glibc's ``M_ARENA_MAX``; the environment
variable ``MALLOC_ARENA_MAX`` does the same for a whole process from its start): threads that come
later share the existing ones, so memory one thread frees is there for the others.

Elsewhere (musl, macOS, Windows) both do nothing.

``batch_collections()`` moves Python's full garbage collections to the ends of batches. A loaded
batch's articles are held in a reference cycle (the extract task's result record, its state, its
future and the future's bound method): only a full (generation 2) collection frees them. CPython
starts one every ten generation-1 collections, ~every 100 articles of a run, and each walks every
object alive at that moment, most of them the batches in flight: a 10k-article flow made 97 full
collections, 8.3 s of its 564 CPU seconds. Inside ``batch_collections()`` the automatic ones become
rare, and ``collect()``, called once a batch is loaded, frees that batch at once, before ``trim()``
gives its memory back: 43 full collections, 4.3 s (benchmarks/README.md). What was alive when the
block began (imports, Prefect's client) is frozen for it, out of those collections' walk.
"""
from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

__all__ = ["batch_collections", "collect", "limit_arenas", "trim"]


@cache
def _glibc(name: str, *argtypes: type) -> Callable[..., int] | None:
    """glibc's function ``name`` from the C library this process runs on; None without glibc
    (``malloc_trim`` is glibc's own, so its absence says which C library this is)."""
    try:
        libc = ctypes.CDLL(None)
        libc.malloc_trim  # noqa: B018 - the glibc check
        fn = getattr(libc, name)
    except (OSError, AttributeError):
        return None
    fn.argtypes = list(argtypes)
    fn.restype = ctypes.c_int
    return fn  # type: ignore[no-any-return]


def trim() -> bool:
    """Return the free memory malloc holds, in every arena, to the operating system.

    Returns True if anything was released, False if nothing was or there is no glibc."""
    fn = _glibc("malloc_trim", ctypes.c_size_t)
    return bool(fn(0)) if fn is not None else False


M_ARENA_MAX = -8  # glibc's malloc.h


def limit_arenas(n: int) -> bool:
    """Let malloc create no more than ``n`` arenas from now on (those that exist stay). True if set."""
    fn = _glibc("mallopt", ctypes.c_int, ctypes.c_int)
    return bool(fn(M_ARENA_MAX, n)) if fn is not None else False


#: Generation-1 collections between automatic full collections inside ``batch_collections()``
#: (CPython's default: 10).
FULL_COLLECTION_EVERY = 100


@contextmanager
def batch_collections(every: int = FULL_COLLECTION_EVERY) -> Iterator[None]:
    """Make automatic full garbage collections rare (one every ``every`` generation-1 collections)
    for the block; the caller runs ``collect()`` once a batch. The thresholds are restored after.

    What is alive when the block starts (the modules, Prefect's client and engine: ~340k objects in
    a flow) is frozen (``gc.freeze()``) for the block, so that each full collection walks only what
    the run made since: a 1k-article flow's 9 full collections walked up to 520k objects and took
    2.2-2.4 CPU-s, 1.2-1.3 with the freeze (benchmarks/README.md). Frozen objects are still freed
    when their last reference goes; only a reference cycle among them waits for the block's end,
    where they are unfrozen (not when an outer block froze them)."""
    before = gc.get_threshold()
    gc.set_threshold(before[0], before[1], max(before[2], every))
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        yield
    finally:
        if freeze:
            gc.unfreeze()
        gc.set_threshold(*before)


def collect() -> int:
    """A full garbage collection; the number of unreachable objects it found."""
    return gc.collect()
