"""Columns of repeated values: a table of distinct values and positions, decoded to shared objects."""

from ciem import columns


def test_encode_keeps_first_seen_order_and_decode_shares_equal_values():
    big = 1 << 20_000
    table, column = columns.encode(["a", big, "a", (1, 2), big + 0, (1, 2)])
    assert table == ["a", big, (1, 2)] and list(column) == [0, 1, 0, 2, 1, 2]
    decoded = columns.decode(table, column)
    assert decoded == ["a", big, "a", (1, 2), big, (1, 2)]
    assert decoded[1] is decoded[4]
