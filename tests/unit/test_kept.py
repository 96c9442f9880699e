"""What a process keeps: the least recently used let go first, by count or by weight."""

from __future__ import annotations

from licensing.services.kept import Kept


def test_by_count_the_least_recently_used_goes_first() -> None:
    kept: Kept[str, int] = Kept(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # "a" used: "b" is now the oldest
    kept.put("c", 3)
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (1, None, 3)


def test_by_weight_as_many_go_as_the_newcomer_needs() -> None:
    kept: Kept[str, bytes] = Kept(10, weigh=len)
    for key in "abcde":
        kept.put(key, b"xx")  # 10 bytes in all: every one fits
    assert all(kept.get(key) for key in "abcde")
    kept.put("f", b"xxxxx")  # 5 more: the three least recently used make room
    assert [key for key in "abcdef" if kept.get(key)] == ["d", "e", "f"]


def test_a_value_put_again_counts_its_new_weight_only() -> None:
    kept: Kept[str, bytes] = Kept(10, weigh=len)
    kept.put("a", b"x" * 6)
    kept.put("a", b"x" * 8)
    kept.put("b", b"xx")
    assert kept.get("a") == b"x" * 8 and kept.get("b") == b"xx"


def test_a_value_heavier_than_the_whole_store_is_not_kept_and_pushes_nothing_out() -> None:
    kept: Kept[str, bytes] = Kept(10, weigh=len)
    for key in "abcd":
        kept.put(key, b"xx")
    kept.put("huge", b"x" * 11)
    assert kept.get("huge") is None
    assert all(kept.get(key) == b"xx" for key in "abcd")
    kept.put("a", b"x" * 11)  # a key put again too heavy: its old value is not served either
    assert kept.get("a") is None and kept.get("b") == b"xx"
    kept.put("e", b"x" * 4)  # the weight given back by "a" leaves room: nothing else goes
    assert all(kept.get(key) for key in "bcde")
