"""Sets of integers as sorted, disjoint, non-adjacent half-open ranges: O(ranges) set algebra.

Time-window subsets store partition indexes this way, so a 10-year hourly asset with a few
gaps is a handful of pairs rather than 87,600 keys.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

Range = tuple[int, int]
RangeSet = tuple[Range, ...]

EMPTY: RangeSet = ()


def normalize(ranges: Iterable[Range]) -> RangeSet:
    """Sort, drop empty ranges and merge overlapping or touching ones."""
    merged: list[list[int]] = []
    for start, end in sorted(r for r in ranges if r[0] < r[1]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def from_sorted_indexes(indexes: Iterable[int]) -> RangeSet:
    """Ranges covering ascending integers (duplicates allowed), in one pass."""
    result: list[Range] = []
    start = end = None
    for index in indexes:
        if end is not None and index <= end:
            if index == end:
                end += 1
            continue
        if start is not None and end is not None:
            result.append((start, end))
        start, end = index, index + 1
    if start is not None and end is not None:
        result.append((start, end))
    return tuple(result)


def count(ranges: RangeSet) -> int:
    return sum(end - start for start, end in ranges)


def contains(ranges: RangeSet, index: int) -> bool:
    position = bisect_right(ranges, (index, float("inf"))) - 1
    return position >= 0 and ranges[position][0] <= index < ranges[position][1]


def union(left: RangeSet, right: RangeSet) -> RangeSet:
    if not left:
        return right
    if not right:
        return left
    return normalize(left + right)


def intersection(left: RangeSet, right: RangeSet) -> RangeSet:
    result: list[Range] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if start < end:
            result.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return tuple(result)


def difference(left: RangeSet, right: RangeSet) -> RangeSet:
    result: list[Range] = []
    j = 0
    for start, end in left:
        while j < len(right) and right[j][1] <= start:
            j += 1
        cursor = start
        k = j
        while k < len(right) and right[k][0] < end:
            if right[k][0] > cursor:
                result.append((cursor, right[k][0]))
            cursor = max(cursor, right[k][1])
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return tuple(result)


def clamp(ranges: RangeSet, low: int, high: int) -> RangeSet:
    """The part of `ranges` inside [low, high)."""
    if not ranges or (ranges[0][0] >= low and ranges[-1][1] <= high):
        return ranges
    return intersection(ranges, ((low, high),) if low < high else EMPTY)
