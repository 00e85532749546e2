"""DTMF feature codes in the bridge: the pure parser, by example and with hypothesis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from callrouter.legs import FeatureParser, FeatureRequest, target_of
from callrouter.legs._feature_codes import MAX_DIGITS

KEYS = "0123456789*#"


def press(keys: str, *, consulting: bool = False) -> list[FeatureRequest]:
    parser, requests = FeatureParser(), []
    for key in keys:
        parser, request = parser.feed(key, consulting=consulting)
        if request is not None:
            requests.append(request)
    return requests


def test_asterisks_default_codes() -> None:
    assert press("#1200#") == [FeatureRequest("blind", "200")]
    assert press("*2102#") == [FeatureRequest("consult", "102")]
    assert press("*1", consulting=True) == [FeatureRequest("cancel")]
    assert press("*2", consulting=True) == [FeatureRequest("complete")]
    assert press("*3", consulting=True) == [FeatureRequest("conference")]


def test_stray_keys_trigger_nothing_and_the_next_code_still_works() -> None:
    assert press("5*9#3#1#") == []
    assert press("12*#1200#") == [FeatureRequest("blind", "200")]
    assert press("*2#") == []  # no digits: nothing to consult
    assert press("*3") == [] and press("*1") == []  # only while consulting
    assert press("#1", consulting=True) == []  # no new transfer during a consultation


def test_digits_are_bounded() -> None:
    assert press("#1" + "9" * (MAX_DIGITS + 1) + "#") == []
    assert press("#1" + "9" * MAX_DIGITS + "#") == [FeatureRequest("blind", "9" * MAX_DIGITS)]


def test_digits_name_a_routed_queue_then_an_operator_then_a_number() -> None:
    routes, extensions = {"200": "specialists"}, {"102": "boris"}
    assert target_of("200", routes=routes, operator_extensions=extensions) == (
        "queue", "specialists",
    )  # fmt: skip
    assert target_of("102", routes=routes, operator_extensions=extensions) == ("operator", "boris")
    assert target_of("0301234", routes=routes, operator_extensions=extensions) == (
        "number", "0301234",
    )  # fmt: skip


@given(st.text(alphabet=KEYS + "AB", max_size=40), st.booleans())
def test_any_keys_give_only_well_formed_requests(keys: str, consulting: bool) -> None:
    for request in press(keys, consulting=consulting):
        if request.action in ("blind", "consult"):
            assert not consulting and request.digits.isdigit()
            assert len(request.digits) <= MAX_DIGITS
        else:
            assert consulting and request.digits == ""


@given(st.text(alphabet=KEYS, max_size=30), st.sampled_from(["#1555#", "*2555#"]))
def test_after_any_noise_two_hashes_and_a_digit_reset_the_parser(noise: str, code: str) -> None:
    parser = FeatureParser()
    for key in noise + "##0":
        parser, _ = parser.feed(key, consulting=False)
    assert parser == FeatureParser()
    found = []
    for key in code:
        parser, request = parser.feed(key, consulting=False)
        found += [request] if request else []
    assert found == [FeatureRequest("blind" if code[0] == "#" else "consult", "555")]
