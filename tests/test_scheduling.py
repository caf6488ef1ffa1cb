"""The slow tests' order against the installed pytest-xdist's own worksteal scheduler.

The blocks are the ones WorkStealingScheduling itself first sends, so a change in xdist's split fails
here rather than silently putting the slow tests back on one worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st
from xdist.scheduler.worksteal import WorkStealingScheduling

from tests.support.scheduling import deal_slow_first, worksteal_blocks


@dataclass(eq=False)
class _Worker:
    """Stands in for xdist's WorkerController: records what the scheduler sends."""

    name: str
    sent: list[list[int]] = field(default_factory=list)
    shutting_down: bool = False

    @property
    def gateway(self) -> SimpleNamespace:
        return SimpleNamespace(id=self.name)

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent.append(list(indices))

    def shutdown(self) -> None:
        self.shutting_down = True


def _opening_blocks(collection: list[str], workers: int) -> list[list[str]]:
    """What xdist's worksteal scheduler first gives each worker, as test names."""
    config = SimpleNamespace(getvalue=lambda name: [f"{workers}*popen"] if name == "tx" else None)
    scheduler = WorkStealingScheduling(config)  # type: ignore[arg-type]
    nodes = [_Worker(f"gw{i}") for i in range(workers)]
    for node in nodes:
        scheduler.add_node(node)  # type: ignore[arg-type]
    for node in nodes:
        scheduler.add_node_collection(node, collection)  # type: ignore[arg-type]
    scheduler.schedule()
    return [[collection[i] for i in node.sent[0]] if node.sent else [] for node in nodes]


def _named(flags: list[bool]) -> list[str]:
    return [f"{'slow' if slow else 'fast'}{i}" for i, slow in enumerate(flags)]


def _is_slow(name: str) -> bool:
    return name.startswith("slow")


@given(workers=st.integers(1, 6), flags=st.lists(st.booleans(), max_size=60))
def test_every_opening_block_starts_with_its_share_of_the_slow_tests(workers: int, flags: list[bool]) -> None:
    names = _named(flags)
    ordered = deal_slow_first(names, _is_slow, workers)
    assert sorted(ordered) == sorted(names)

    blocks = _opening_blocks(ordered, workers)
    assert [len(block) for block in blocks] == worksteal_blocks(len(names), workers)
    shares = [sum(map(_is_slow, block)) for block in blocks]
    for block, share in zip(blocks, shares, strict=True):
        assert all(map(_is_slow, block[:share])), block  # the slow tests open the block
    # Balanced: a block holds fewer slow tests than another only when it has no room for more.
    for block, share in zip(blocks, shares, strict=True):
        assert share >= max(shares) - 1 or share == len(block), (blocks, shares)


@given(workers=st.integers(1, 6), flags=st.lists(st.booleans(), max_size=60))
def test_each_kind_keeps_its_collection_order(workers: int, flags: list[bool]) -> None:
    names = _named(flags)
    blocks = _opening_blocks(deal_slow_first(names, _is_slow, workers), workers)
    # The fast tests run in collection order across the blocks (module neighbours share fixtures) ...
    fast = [name for block in blocks for name in block if not _is_slow(name)]
    assert fast == [name for name in names if not _is_slow(name)]
    # ... and each worker's slow tests in collection order too.
    for block in blocks:
        slow_positions = [names.index(name) for name in block if _is_slow(name)]
        assert slow_positions == sorted(slow_positions)


def test_the_slow_tests_collected_last_go_one_to_each_worker() -> None:
    names = _named([False] * 9 + [True] * 3)
    assert _opening_blocks(deal_slow_first(names, _is_slow, 3), 3) == [
        ["slow9", "fast0", "fast1", "fast2"],
        ["slow10", "fast3", "fast4", "fast5"],
        ["slow11", "fast6", "fast7", "fast8"],
    ]
