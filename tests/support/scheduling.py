"""The collection order that gives every xdist worker its share of the slow tests at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def worksteal_blocks(total: int, workers: int) -> list[int]:
    """The sizes of the consecutive blocks `--dist worksteal` first hands its workers, in hand-out order.

    pytest-xdist 3.x (WorkStealingScheduling.check_schedule, all workers idle): the i-th worker takes
    `pending // (workers - i)` of the tests still pending, so the later blocks are the longer by one.
    """
    sizes = []
    pending = total
    for i in range(workers):
        size = pending // (workers - i)
        sizes.append(size)
        pending -= size
    return sizes


def deal_slow_first(items: Sequence[T], is_slow: Callable[[T], bool], workers: int) -> list[T]:
    """`items` reordered so that every worksteal block opens with its worker's share of the slow tests.

    The slow tests are dealt round-robin, in collection order, to the blocks that still have room; the
    fast tests then fill each block's rest in collection order (a block's fast tests stay neighbours,
    sharing their module's fixtures). Work is stolen from the end of a block, so a worker starts its
    slow tests at once and the others take its fast tail. A pure function of its arguments: every
    worker computes the same order, which xdist requires.
    """
    slow = [item for item in items if is_slow(item)]
    fast = [item for item in items if not is_slow(item)]
    sizes = worksteal_blocks(len(items), workers)
    blocks: list[list[T]] = [[] for _ in sizes]
    turn = 0
    for item in slow:
        while len(blocks[turn % len(blocks)]) == sizes[turn % len(blocks)]:
            turn += 1
        blocks[turn % len(blocks)].append(item)
        turn += 1
    rest = iter(fast)
    for block, size in zip(blocks, sizes, strict=True):
        block.extend(next(rest) for _ in range(size - len(block)))
    return [item for block in blocks for item in block]
