"""Columns of repeated values as a table of the distinct values and an array of positions in it.

How the index keeps its edges and saves its grants: a million rows that repeat a few thousand
values (identity ids, action bitsets, provenance tuples) become one small table and a byte array,
which pickle quickly and share every repeated object again when loaded (pickle does not share equal
integers on its own, and an action bitset over a large catalog is kilobytes).
"""

from __future__ import annotations

from array import array
from typing import Iterable, Sequence


def encode(values: Iterable) -> tuple[list, array]:
    """(distinct values in first-seen order, each value's position among them)."""
    values = values if isinstance(values, list) else list(values)
    positions = {value: number for number, value in enumerate(dict.fromkeys(values))}
    return list(positions), array("I", map(positions.__getitem__, values))


def decode(table: Sequence, column: array) -> list:
    return list(map(table.__getitem__, column))
