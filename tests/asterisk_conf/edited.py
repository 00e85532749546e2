"""The samples as a sysadmin leaves them after following asterisk-conf/README.md.

Copied into a folder, the carrier's part of pjsip.conf filled in and uncommented (its
contact, qualify and registration), and the files callrouter renders written by the real
``callrouter asterisk-conf render`` with real secrets.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.asterisk_conf.conftest import SAMPLES

CARRIER_DOMAIN = "sip.carrier-one.de"
CARRIER_ADDRESS = "81.200.16.10"
SECRETS = {
    **{f"CALLROUTER_SIP_PASSWORD_{n}": f"pw-{n}-Xq7" for n in (101, 102, 103, 104)},
    "CALLROUTER_ARI_PASSWORD": "ari-secret-Lm3",
    "CALLROUTER_HTTP_TOKEN": "http-token-0123456789abcdef0123",
}
TRUNK_PART = "3. trunk to the carrier"
# Commented-out options of the trunk that stay optional (the carrier may not need them).
OPTIONAL = ("send_pai", "trust_id_outbound")


def copy_samples(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for sample in SAMPLES.glob("*.conf"):
        shutil.copy(sample, folder)
    return folder


def fill_in_trunk(text: str) -> str:
    """pjsip.conf with the carrier's data in place and its carrier lines uncommented."""
    head, marker, trunk = text.partition(TRUNK_PART)
    assert marker, f"pjsip.conf has no '{TRUNK_PART}' part"
    lines = []
    for line in trunk.splitlines():
        commented_option = re.match(r"^;(\[|[a-z_]+ = )", line)
        if commented_option and not line[1:].startswith(OPTIONAL):
            line = line[1:]
        lines.append(line)
    trunk = "\n".join(lines) + "\n"
    trunk = trunk.replace("sip.example.net", CARRIER_DOMAIN)
    trunk = trunk.replace("username = CHANGE-ME", "username = acct4711")
    trunk = trunk.replace("password = CHANGE-ME", "password = carrier-Pw9")
    trunk = trunk.replace("CHANGE-ME@", "acct4711@").replace("203.0.113.10", CARRIER_ADDRESS)
    return head + marker + trunk
