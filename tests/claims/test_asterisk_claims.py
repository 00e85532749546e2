"""README, Connecting a real Asterisk: operators use feature codes from
``[callrouter-operators]`` (``*91`` login, ``*92`` logout, ``*93<reason>`` pause,
``*94`` unpause). The AGI side of each action is tested in tests/agi; this checks the
shipped dialplan sends each code to the action the README names."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.agi.test_dialplan import CONF, parse

# exten -> (action, what the first script argument carries)
FEATURE_CODES = {
    "*91": ("login", None),
    "*92": ("logout", None),
    "*93": ("pause", None),
    "_*93X.": ("pause", "${EXTEN:3}"),  # the digits after *93 are the reason
    "*94": ("unpause", None),
}


def test_feature_codes_call_the_operator_script_with_their_action() -> None:
    plan = parse(CONF.read_text(encoding="utf-8"))
    assert not plan.problems
    extens = plan.contexts["callrouter-operators"]
    found = {}
    for exten in FEATURE_CODES:
        [agi] = [step for step in extens[exten] if step.app == "AGI"]
        url, _, argument = agi.args.partition(",")
        parts = urlsplit(url)
        assert parts.path == "/operator", agi
        found[exten] = (parse_qs(parts.query)["action"][0], argument or None)
    assert found == FEATURE_CODES
