"""The sample Asterisk files in asterisk-conf/: they parse, they use only options Asterisk 20
and 22 both know, they agree with `render` on the sample callrouter.yml, and they fit
dialplan/extensions_callrouter.conf once installed the way asterisk-conf/README.md says."""

from __future__ import annotations

import ipaddress
import re
import shutil
from pathlib import Path

import pytest

from callrouter.asterisk_conf import (
    AOR_TEMPLATE,
    AUTH_TEMPLATE,
    ENDPOINT_TEMPLATE,
    AriPasswordFormat,
    ConfFile,
    Part,
    parse,
    parse_file,
    render,
)
from callrouter.config import Settings
from tests.asterisk_conf.conftest import DIALPLAN, SAMPLES
from tests.asterisk_conf.edited import CARRIER_DOMAIN, fill_in_trunk

SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.conf"))


# Option names checked against the sources of Asterisk 20.0.0 and 22.10.1 (res/ari/config.c,
# main/http.c, res/res_pjsip/*, res/res_musiconhold.c, apps/app_amd.c, pbx/pbx_config.c).
# res_ari and res_pjsip refuse a whole file or object over one unknown option, so a name
# added to a sample must be added here only after checking it exists in both releases.
def words(text: str) -> set[str]:
    return set(text.split())


def pairs(text: str) -> dict[str, str]:
    return {key: value for key, _, value in (pair.partition(":") for pair in text.split())}


KNOWN_OPTIONS: dict[tuple[str, str], set[str]] = {
    ("ari.conf", "general"): words(
        "enabled pretty allowed_origins auth_realm websocket_write_timeout channelvars"
    ),
    ("ari.conf", "user"): words("type read_only password password_format"),
    ("http.conf", "general"): words(
        "enabled bindaddr bindport prefix servername sessionlimit session_inactivity "
        "session_keep_alive enable_static enable_status redirect tlsenable tlsbindaddr "
        "tlscertfile tlsprivatekey tlscipher"
    ),
    ("http.conf", "restriction"): words("type permit deny acl"),
    ("pjsip.conf", "transport"): words(
        "type protocol bind local_net external_media_address external_signaling_address"
    ),
    ("pjsip.conf", "endpoint"): words(
        "type transport context disallow allow direct_media rtp_symmetric force_rport "
        "rewrite_contact dtmf_mode device_state_busy_at language auth aors callerid "
        "outbound_auth from_domain from_user send_pai trust_id_outbound"
    ),
    ("pjsip.conf", "auth"): words("type auth_type username password realm"),
    ("pjsip.conf", "aor"): words("type max_contacts remove_existing qualify_frequency contact"),
    ("pjsip.conf", "identify"): words("type endpoint match"),
    ("pjsip.conf", "registration"): words(
        "type transport outbound_auth server_uri client_uri contact_user retry_interval "
        "forbidden_retry_interval expiration line endpoint"
    ),
    ("musiconhold.conf", "general"): words("cachertclasses preferchannelclass"),
    ("musiconhold.conf", "class"): words("mode directory sort digit announcement"),
    ("amd.conf", "general"): words(
        "total_analysis_time silence_threshold initial_silence after_greeting_silence greeting "
        "min_word_length maximum_word_length between_words_silence maximum_number_of_words"
    ),
    ("extensions.conf", "general"): words(
        "static writeprotect clearglobalvars autofallthrough extenpatternmatchnew"
    ),
}


def load(name: str) -> ConfFile:
    return parse_file(SAMPLES / name, config_dir=SAMPLES)


def kind(file: str, section_name: str, section_type: str | None) -> tuple[str, str] | None:
    if file == "pjsip.conf" or (file == "ari.conf" and section_name != "general"):
        return (file, section_type or "?")
    if file == "http.conf" and section_name != "general":
        return (file, section_type or "?")
    if file == "musiconhold.conf" and section_name != "general":
        return (file, "class")
    if file in ("extensions.conf", "modules.conf") and section_name != "general":
        return None  # dialplan contexts and the module list are checked below
    return (file, section_name)


# extensions.conf needs the dialplan beside it and pjsip_operators.conf its templates:
# both are parsed below, installed or included as Asterisk would read them.
@pytest.mark.parametrize(
    "name", [n for n in SAMPLE_FILES if n not in ("extensions.conf", "pjsip_operators.conf")]
)
def test_every_sample_parses_and_uses_only_known_options(name: str) -> None:
    conf = load(name)
    assert conf.sections, f"{name} has no section"
    for section in conf.sections:
        key = kind(name, section.name, section.get("type"))
        if key is None:
            continue
        unknown = set(section.options()) - KNOWN_OPTIONS[key]
        assert not unknown, f"{name} [{section.name}]: options not checked for 20/22: {unknown}"


def test_the_expected_files_are_there() -> None:
    assert set(SAMPLE_FILES) == words(
        "amd.conf ari.conf extensions.conf http.conf modules.conf musiconhold.conf pjsip.conf "
        "pjsip_operators.conf"
    )


# ---- samples == render(sample callrouter.yml), to the byte ---------------------------
# The files callrouter renders ship as exactly what it renders for the sample
# callrouter.yml with no secrets in the environment (ari.conf with --ari-password plain:
# a crypt hash is salted afresh on each render), comments included.


def rendered_text(settings: Settings, part: Part, **options: object) -> str:
    [file] = render(settings, parts=[part], environ={}, **options).files  # type: ignore[arg-type]
    return file.text


def test_pjsip_operators_sample_is_what_render_produces(sample_settings: Settings) -> None:
    rendered = rendered_text(sample_settings, Part.PJSIP)
    assert (SAMPLES / "pjsip_operators.conf").read_text() == rendered, (
        "asterisk-conf/pjsip_operators.conf is stale: run (with no CALLROUTER_SIP_PASSWORD_*) "
        "callrouter asterisk-conf render --only pjsip > asterisk-conf/pjsip_operators.conf"
    )


def test_ari_sample_is_what_render_produces(sample_settings: Settings) -> None:
    rendered = rendered_text(sample_settings, Part.ARI, ari_password_format=AriPasswordFormat.PLAIN)
    assert (SAMPLES / "ari.conf").read_text() == rendered, (
        "asterisk-conf/ari.conf is stale: run (with no CALLROUTER_ARI_PASSWORD) callrouter "
        "asterisk-conf render --only ari --ari-password plain > asterisk-conf/ari.conf"
    )
    assert load("ari.conf").one(sample_settings.ari.username, type="user")


def test_http_sample_is_what_render_produces(sample_settings: Settings) -> None:
    rendered = rendered_text(sample_settings, Part.HTTP)
    assert (SAMPLES / "http.conf").read_text() == rendered, (
        "asterisk-conf/http.conf is stale: run "
        "callrouter asterisk-conf render --only http > asterisk-conf/http.conf"
    )


def test_rendered_files_explain_themselves(sample_settings: Settings) -> None:
    """What the samples' comments said before render wrote them must still be said."""
    ari = rendered_text(sample_settings, Part.ARI, ari_password_format=AriPasswordFormat.PLAIN)
    for said in ("websocket_write_timeout", "read_only must stay no", "ari show apps",
                 "PLACEHOLDER", "CALLROUTER_ARI_PASSWORD", ";permit = 127.0.0.1"):  # fmt: skip
        assert said in ari, said
    crypt = rendered_text(sample_settings, Part.ARI)
    assert "PLACEHOLDER" not in crypt and "SHA-512 crypt hash" in crypt
    http = rendered_text(sample_settings, Part.HTTP)
    for said in ("http show status", ";prefix = asterisk", ";tlsenable = yes",
                 "last match wins", "ari.url: http://127.0.0.1:8088"):  # fmt: skip
        assert said in http, said


def test_pjsip_conf_includes_the_operators_after_their_templates(
    sample_settings: Settings,
) -> None:
    conf = load("pjsip.conf")
    [include] = [d for d in conf.directives if d.name == "include"]
    assert include.argument == Part.PJSIP.filename
    for template in (ENDPOINT_TEMPLATE, AUTH_TEMPLATE, AOR_TEMPLATE):
        assert conf.template(template) is not None, template
    for operator in sample_settings.operators.values():
        name = operator.endpoint.removeprefix("PJSIP/")
        endpoint = conf.one(name, type="endpoint")
        assert endpoint.get("context") == "callrouter-operators"
        assert endpoint.get("direct_media") == "no"
        assert endpoint.get("allow") == "ulaw,alaw" and endpoint.get("disallow") == "all"
        assert endpoint.get("auth") == name and endpoint.get("aors") == name
        assert conf.one(name, type="auth").get("username") == name
        assert conf.one(name, type="aor").get("max_contacts") == "1"


def test_trunk_sample_is_complete_once_filled_in() -> None:
    conf = parse(fill_in_trunk((SAMPLES / "pjsip.conf").read_text()),
                 config_dir=SAMPLES, source="pjsip.conf")  # fmt: skip
    trunk = conf.one("pstn", type="endpoint")
    assert trunk.templates == ("trunk",)
    assert trunk.get("context") == "callrouter-inbound"
    assert trunk.get("from_domain") == CARRIER_DOMAIN
    assert conf.one(trunk.get("outbound_auth") or "", type="auth").get("username") == "acct4711"
    aor = conf.one("pstn", type="aor")
    assert aor.get("contact") == f"sip:{CARRIER_DOMAIN}"
    assert aor.get("qualify_frequency") == "60"
    assert conf.one("pstn", type="identify").get("endpoint") == "pstn"
    registration = conf.one("pstn", type="registration")
    assert registration.get("outbound_auth") == trunk.get("outbound_auth")
    assert registration.get("transport") == conf.one("transport-udp").name
    assert registration.get("server_uri") == f"sip:{CARRIER_DOMAIN}"
    assert registration.get("client_uri") == f"sip:acct4711@{CARRIER_DOMAIN}"
    for section in conf.sections:  # the filled-in trunk uses only checked options too
        unknown = set(section.options()) - KNOWN_OPTIONS[("pjsip.conf", section.get("type") or "?")]
        assert not unknown, f"[{section.name}]: {unknown}"


def test_carrier_is_identified_by_address_and_port() -> None:
    """A phone on the carrier's host (another port) must not be taken for the carrier."""
    for match in load("pjsip.conf").one("pstn", type="identify").get_all("match"):
        _host, sep, port = match.partition(":")
        assert sep and port.partition("/")[0].isdigit(), f"match {match!r} has no port"


def _host(uri: str) -> str:
    """The host of a SIP URI or address: sip:user@host:port;params -> host."""
    rest = uri.removeprefix("sip:").removeprefix("sips:").rpartition("@")[2]
    return rest.split(";")[0].rsplit(":", 1)[0].strip("[]")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def test_shipped_samples_contact_no_outside_host(installed: Path) -> None:
    """Asterisk started on the samples as shipped resolves and reaches nobody: no
    registration, no static contact (so nothing to qualify or dial) beyond loopback."""
    conf = parse_file(installed / "pjsip.conf")
    assert conf.objects(type="registration") == []
    for aor in conf.objects(type="aor"):
        outside = [c for c in aor.get_all("contact") if not _loopback(_host(c))]
        assert not outside, f"aor [{aor.name}] contacts {outside}"
    for endpoint in conf.objects(type="endpoint"):
        assert not endpoint.get("outbound_proxy"), endpoint.name
    # Every line the trunk needs to reach the carrier is there, commented out, to enable.
    text = (installed / "pjsip.conf").read_text()
    for commented in (";contact = sip:", ";qualify_frequency = 60", ";type = registration"):
        assert f"\n{commented}" in text, commented


def test_music_classes_of_every_queue_exist(sample_settings: Settings) -> None:
    classes = {s.name for s in load("musiconhold.conf").objects() if s.name != "general"}
    for name, queue in sample_settings.queues.items():
        assert queue.music_class in classes, f"queue {name}: music_class {queue.music_class}"


# ---- modules.conf ---------------------------------------------------------------

# What each module needs loaded first (MODULE_INFO .requires in Asterisk 22.10.1, a
# superset of 20's). With autoload = no Asterisk loads none of these by itself.
REQUIRES: dict[str, set[str]] = {
    "app_stasis": words("res_stasis res_ari"),
    "chan_pjsip": words("res_pjsip res_pjsip_session res_pjsip_pubsub"),
    "res_agi": words("res_speech"),
    "res_ari": words("res_stasis res_http_websocket res_websocket_client"),
    "res_ari_applications": words("res_ari res_ari_model res_stasis"),
    "res_ari_asterisk": words("res_ari res_ari_model res_stasis"),
    "res_ari_bridges": words(
        "res_ari res_ari_model res_stasis res_stasis_recording res_stasis_playback"
    ),
    "res_ari_channels": words(
        "res_ari res_ari_model res_stasis res_stasis_answer res_stasis_playback "
        "res_stasis_recording res_stasis_snoop"
    ),
    "res_ari_device_states": words("res_ari res_ari_model res_stasis res_stasis_device_state"),
    "res_ari_endpoints": words("res_ari res_ari_model res_stasis"),
    "res_ari_events": words("res_ari res_ari_model res_stasis res_http_websocket"),
    "res_ari_playbacks": words("res_ari res_ari_model res_stasis res_stasis_playback"),
    "res_ari_recordings": words("res_ari res_ari_model res_stasis res_stasis_recording"),
    "res_ari_sounds": words("res_ari res_ari_model res_stasis"),
    "res_pjsip": words("res_pjproject res_sorcery_config res_sorcery_memory res_sorcery_astdb"),
    "res_pjsip_session": words("res_pjsip"),
    "res_pjsip_pubsub": words("res_pjsip"),
    "res_pjsip_sdp_rtp": words("res_pjsip res_pjsip_session"),
    "res_pjsip_registrar": words("res_pjproject res_pjsip"),
    "res_pjsip_outbound_registration": words("res_pjsip"),
    "res_pjsip_refer": words("res_pjsip res_pjsip_session res_pjsip_pubsub"),
    "res_rtp_asterisk": words("res_pjproject"),
    "res_stasis_playback": words("res_stasis res_stasis_recording"),
    "res_stasis_recording": words("res_stasis"),
    "res_stasis_snoop": words("res_stasis"),
    "res_stasis_answer": words("res_stasis"),
    "res_stasis_device_state": words("res_stasis"),
    "res_websocket_client": words("res_http_websocket"),
}

# What callrouter itself needs beyond the dialplan: ARI's REST resources it calls, the
# bridges it builds, hold music, SIP.
CALLROUTER_NEEDS = words(
    "res_ari_applications res_ari_bridges res_ari_channels res_ari_endpoints res_ari_events "
    "res_ari_playbacks res_ari_recordings app_stasis res_agi chan_pjsip res_pjsip_sdp_rtp "
    "res_pjsip_authenticator_digest res_pjsip_endpoint_identifier_user "
    "res_pjsip_endpoint_identifier_ip res_pjsip_registrar res_pjsip_outbound_registration "
    "bridge_simple bridge_softmix bridge_holding chan_bridge_media res_musiconhold "
    "res_timing_timerfd codec_ulaw codec_alaw codec_resample format_wav pbx_config"
)


def loaded_modules() -> set[str]:
    section = load("modules.conf").one("modules")
    assert section.get("autoload") == "no"
    return {m.removesuffix(".so") for m in section.get_all("load")}


def test_modules_cover_callrouter_and_every_dependency() -> None:
    loaded = loaded_modules()
    assert loaded >= CALLROUTER_NEEDS, CALLROUTER_NEEDS - loaded
    for module in loaded & set(REQUIRES):
        missing = REQUIRES[module] - loaded
        assert not missing, f"{module} needs {missing} in modules.conf"
    assert "res_pjsip_endpoint_identifier_anonymous" not in loaded


def test_amd_conf_ships_because_app_amd_declines_without_it() -> None:
    assert "app_amd" in loaded_modules()
    assert (SAMPLES / "amd.conf").is_file()


# ---- installed next to the dialplan --------------------------------------------

# Applications and functions in Asterisk's core (main/pbx_builtins.c, main/pbx_variables.c).
CORE_APPS = words(
    "Answer BackGround Busy Congestion ExecIfTime Goto GotoIf GotoIfTime Hangup Incomplete "
    "NoOp Proceeding Progress RaiseException Ringing SayAlpha SayDigits SayNumber Wait "
    "WaitDigit WaitExten Set MSet"
)
APP_MODULES = pairs(
    "AGI:res_agi AMD:app_amd Dial:app_dial Echo:app_echo ExecIf:app_exec Exec:app_exec "
    "TryExec:app_exec Gosub:app_stack GosubIf:app_stack Return:app_stack Log:app_verbose "
    "Verbose:app_verbose Playback:app_playback Stasis:app_stasis Queue:app_queue "
    "MixMonitor:app_mixmonitor"
)
FUNCTION_MODULES = pairs(
    "CALLERID:func_callerid CONNECTEDLINE:func_callerid REDIRECTING:func_callerid "
    "CHANNEL:func_channel LEN:func_strings FILTER:func_strings REPLACE:func_strings "
    "STRFTIME:func_strings IF:func_logic ISNULL:func_logic EXISTS:func_logic "
    "PJSIP_HEADER:res_pjsip_header_funcs"
)


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """/etc/asterisk after the README's copy step: samples plus the dialplan file."""
    if not DIALPLAN.is_file():
        pytest.skip(f"{DIALPLAN} is not there yet")
    etc = tmp_path / "etc-asterisk"
    etc.mkdir()
    for sample in SAMPLES.glob("*.conf"):
        shutil.copy(sample, etc)
    shutil.copy(DIALPLAN, etc)
    return etc


def test_extensions_conf_loads_the_dialplan_once_installed(installed: Path) -> None:
    conf = parse_file(installed / "extensions.conf")
    contexts = {s.name for s in conf.objects()}
    assert contexts >= words(
        "callrouter-inbound callrouter-operators callrouter-outbound callrouter-trunk"
    )
    options = conf.one("general").options()
    assert set(options) <= KNOWN_OPTIONS[("extensions.conf", "general")]


def test_pjsip_contexts_and_trunk_match_the_dialplan(installed: Path) -> None:
    contexts = {s.name for s in parse_file(installed / "extensions.conf").objects()}
    pjsip = parse_file(installed / "pjsip.conf")
    for endpoint in pjsip.objects(type="endpoint"):
        assert endpoint.get("context") in contexts, endpoint.name
    endpoints = {s.name for s in pjsip.objects(type="endpoint")}
    dialled = set(re.findall(r"PJSIP/[^,)]*@([A-Za-z0-9_.-]+)", DIALPLAN.read_text()))
    assert dialled <= endpoints, f"the dialplan dials through {dialled - endpoints}"


def test_modules_cover_every_application_and_function_the_dialplan_uses(
    installed: Path,
) -> None:
    loaded = loaded_modules()
    apps, functions = set(), set()
    for context in parse_file(installed / "extensions.conf").objects():
        for item in context.items:
            if item.key not in ("exten", "same"):
                continue
            step = item.value.split(",", 2 if item.key == "exten" else 1)[-1]
            apps |= set(re.findall(r"^\s*([A-Za-z]\w*)\(", step))
            apps |= set(re.findall(r"[?:]([A-Z][A-Za-z]+)\(", step))  # ExecIf(c?App(...))
            functions |= set(re.findall(r"\b([A-Z][A-Z_]+)\(", step))
    functions -= apps
    for app in sorted(apps - CORE_APPS):
        assert app in APP_MODULES, f"dialplan uses {app}(): map it to its module here"
        assert APP_MODULES[app] in loaded, f"{app}() needs {APP_MODULES[app]} in modules.conf"
    for function in sorted(functions):
        assert function in FUNCTION_MODULES, f"dialplan uses {function}(): map its module here"
        module = FUNCTION_MODULES[function]
        assert module in loaded, f"{function}() needs {module} in modules.conf"


def test_readme_copies_every_sample_file() -> None:
    readme = (SAMPLES / "README.md").read_text()
    for name in SAMPLE_FILES:
        assert name in readme, f"asterisk-conf/README.md never mentions {name}"
