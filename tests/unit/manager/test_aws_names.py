"""The names a connector's resources take on AWS (aws_names): kept when AWS takes them, derived otherwise."""

from __future__ import annotations

import re

import pytest

from connectless.aws_names import alias_name, connector_for_alias, consumer_group_id, schedule_name
from connectless.manager.aws_sinks import sink_group, sink_groups

# The patterns of AWS's API reference (Lambda ConsumerGroupId, Lambda alias Name, Scheduler schedule Name).
GROUP_ID = re.compile(r"[a-zA-Z0-9\-/*:_+=.@]{1,200}")
ALIAS = re.compile(r"(?!^[0-9]+$)[a-zA-Z0-9\-_]{1,128}")
SCHEDULE = re.compile(r"[0-9a-zA-Z\-_.]{1,64}")
UNUSUAL = ["spaces in name", "ünï-☃-名前", "50%-off", "a/b", "tab\there", "123", "x" * 300, "名" * 300, "a b" * 100]


@pytest.mark.parametrize("name", ["orders", "my.sink@team:v2", "a-b_c+d=e*f/g", "x" * 190])
def test_a_group_aws_takes_is_kept_exactly(name: str) -> None:
    assert consumer_group_id(name) == f"connect-{name}"
    assert sink_group(name, "t", ["t"]) == f"connect-{name}"
    assert sink_groups(name, ["t", "u"]) == {"t": f"connect-{name}-t", "u": f"connect-{name}-u"}


@pytest.mark.parametrize("name", UNUSUAL)
def test_a_group_aws_refuses_is_derived_valid_and_stable(name: str) -> None:
    for topic in (None, "orders", "ünï-topic"):
        group = consumer_group_id(name, topic)
        assert GROUP_ID.fullmatch(group), group
        assert group == consumer_group_id(name, topic)  # deterministic: the same group every time
    if not GROUP_ID.fullmatch(f"connect-{name}"):
        assert consumer_group_id(name) != f"connect-{name}"
        assert consumer_group_id(name).startswith(re.sub(r"[^a-zA-Z0-9\-/*:_+=.@]", "_", f"connect-{name}")[:20])


def test_the_limit_is_200_and_long_names_stay_apart() -> None:
    assert consumer_group_id("x" * 192) == "connect-" + "x" * 192  # exactly 200: kept
    longer = consumer_group_id("x" * 193)
    assert len(longer) == 200 and GROUP_ID.fullmatch(longer)
    assert consumer_group_id("x" * 300 + "a") != consumer_group_id("x" * 300 + "b")  # the cut part differs


def test_derived_groups_are_unique_per_connector_and_topic() -> None:
    # both spell "connect-a b-c-d": the hash is of the exact (connector, topic), not of the joined text
    assert consumer_group_id("a b-c", "d") != consumer_group_id("a b", "c-d")
    # the same cleaned text from different names
    assert consumer_group_id("a b") != consumer_group_id("a%b") != consumer_group_id("a_b")
    groups = {consumer_group_id(name, topic) for name in UNUSUAL for topic in (None, "t1", "t2")}
    assert len(groups) == len(UNUSUAL) * 3


@pytest.mark.parametrize("name", UNUSUAL + ["orders", "c-123", "123-x"])
def test_aliases_are_valid_and_lead_back_to_their_connector(name: str) -> None:
    alias = alias_name(name)
    assert ALIAS.fullmatch(alias), alias
    assert connector_for_alias(alias, [*UNUSUAL, "orders", "c-123", "123-x"]) == name
    assert SCHEDULE.fullmatch(schedule_name(name, 7))


def test_valid_aliases_and_schedules_are_kept() -> None:
    assert alias_name("orders-sink_2") == "orders-sink_2"
    assert schedule_name("orders", 3) == "connectless-orders-3"
    assert alias_name("123") != "123" and alias_name("123") != alias_name("c-123")


def test_an_unknown_alias_names_no_connector() -> None:
    assert connector_for_alias("nobody", ["orders"]) is None
