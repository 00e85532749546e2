"""Profile and roster CSVs: what a spreadsheet gives, and clear errors when it is wrong."""

from __future__ import annotations

import pytest

from callrouter.acd import QueuePolicy
from callrouter.errors import InvalidInput
from callrouter.planning import Routing, SkillGroup, read_profile, read_roster


def test_profile_without_queue_or_patience_columns() -> None:
    profile = read_profile("\ufeffstart,calls,aht_s\n09:00,100,180\n09:30,80,200\n", queue="q")
    assert [i.start_s for i in profile.intervals] == [32400, 34200]
    load = profile.intervals[0].load("q")
    assert load is not None and (load.calls, load.aht_s, load.patience_s) == (100, 180, None)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("start,calls\n09:00,1\n", "aht_s"),
        ("start,calls,aht_s\n9h,1,180\n", "line 2: start '9h' is not HH:MM"),
        ("start,calls,aht_s\n09:00,many,180\n", "line 2: calls 'many' is not a number"),
        ("start,calls,aht_s\n09:00,-3,180\n", "calls must be >= 0"),
        ("start,calls,aht_s\n09:10,3,180\n", "boundary"),
        ("start,calls,aht_s\n", "no row"),
    ],
)
def test_bad_profiles_name_the_line_and_column(text: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        read_profile(text)


def test_roster_by_group_and_by_the_single_operators_column() -> None:
    two = Routing(
        queues=(QueuePolicy("a"), QueuePolicy("b")),
        groups=(SkillGroup("a", {"a": 0}), SkillGroup("a+b:1", {"a": 0, "b": 1})),
    )
    roster = read_roster("start,a,a+b:1\n09:00,3,2\n", two)
    assert roster.at(32400) == {"a": 3, "a+b:1": 2}
    one = Routing.single_skill(["q"])
    assert read_roster("start,operators\n09:00,7\n", one).at(32400) == {"q": 7}
    with pytest.raises(InvalidInput, match="no skill group 'c'"):
        read_roster("start,c\n09:00,1\n", two)
    with pytest.raises(InvalidInput, match="whole number"):
        read_roster("start,a\n09:00,1.5\n", two)
