"""What a batch frees goes back to the operating system (``newsgraph._memory.trim``), not only to
malloc's free lists: a long run's resident memory follows what it holds, not what it once held."""
from __future__ import annotations

import ctypes
import gc
import subprocess
import sys

import pytest

from newsgraph import _memory

# In a fresh process: 96 MB of 64 KiB blocks (malloc's heap, below its mmap threshold), one small
# block after them so the heap cannot simply shrink from its top, then everything but that block freed.
PROBE = """
import sys
from newsgraph import _memory

def rss_mb():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmRSS:")) / 1024

blocks = [bytearray(64 * 1024) for _ in range(1536)]
pin = bytearray(64 * 1024)
held = rss_mb()
del blocks
freed = rss_mb()
released = _memory.trim()
print(held, freed, rss_mb(), released)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or _memory._glibc("malloc_trim", ctypes.c_size_t) is None,
                    reason="malloc_trim is glibc's")
def test_memory_freed_by_a_batch_leaves_the_process() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60)
    held, freed, trimmed, released = out.stdout.split()
    held_mb, freed_mb, trimmed_mb = float(held), float(freed), float(trimmed)
    assert freed_mb > held_mb - 20, "malloc kept the freed blocks (the premise of trimming)"
    assert released == "True"
    assert trimmed_mb < freed_mb - 80, f"RSS {freed_mb:.0f} MB -> {trimmed_mb:.0f} MB after trim"


def test_full_collections_wait_for_the_batch_inside_batch_collections() -> None:
    """Inside ``batch_collections`` CPython's automatic full collections are rare (the flow runs one a
    batch); outside, the thresholds are what they were, also after an error."""
    before = gc.get_threshold()
    with _memory.batch_collections(every=123):
        assert gc.get_threshold() == (before[0], before[1], max(before[2], 123))
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), _memory.batch_collections(every=123):
        raise RuntimeError("a failed batch")
    assert gc.get_threshold() == before


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_full_collections_inside_batch_collections_skip_what_was_alive_before() -> None:
    """What is alive when the block starts is frozen for the block: a full collection there does not
    walk it (the run's imports, ~340k objects in a flow). What the run makes is collected as usual;
    after the block (also after an error) nothing stays frozen, so a cycle frozen during it is
    collected then; an inner block leaves the outer one's freeze alone."""
    import weakref

    assert gc.get_freeze_count() == 0
    before = _Node()
    with _memory.batch_collections():
        assert gc.get_freeze_count() > 0
        assert not any(o is before for o in gc.get_objects()), "frozen objects are out of the collector's lists"
        made = _Node()
        gone = weakref.ref(made)
        del made
        _memory.collect()
        assert gone() is None, "a cycle the run made is freed by the per-batch collection"
        with _memory.batch_collections():
            pass
        # (not the freeze count, which falls as frozen objects elsewhere are freed)
        assert gc.get_freeze_count() > 0 and not any(o is before for o in gc.get_objects()), \
            "the inner block unfroze the outer block's objects"
    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), _memory.batch_collections():
        raise RuntimeError("a failed batch")
    assert gc.get_freeze_count() == 0
    was = weakref.ref(before)
    del before
    _memory.collect()
    assert was() is None, "a cycle frozen during the block is collected after it"
