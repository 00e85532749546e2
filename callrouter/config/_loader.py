"""Read ``callrouter.yml`` plus ``conf.d/*.yml`` into one validated :class:`Settings`.

Why not plain ``yaml.safe_load``: every error must name the file, line and dotted field,
so we compose the YAML node tree ourselves and remember where each value came from.
Files merge in name order: mappings merge key by key (a later file can add a queue or
override one field), anything else is replaced by the later file.

Secrets stay out of the files: a string value ``${NAME}`` (or ``${NAME:-default}``) is
replaced by the environment variable NAME; a missing variable with no default is an
error located at the line that asked for it.

Some settings are legal but unwise (an ARI password equal to the application name):
those are warnings, reported with file and line through ``warn`` (stderr by default,
so ``callrouter check-config`` and ``callrouter serve`` both show them) and never fatal.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from callrouter.config._schema import Settings
from callrouter.config._tenants import tenant_problems
from callrouter.errors import ConfigError, ConfigProblem
from callrouter.log import register_public, register_secret

__all__ = ["DEFAULT_CONFIG_PATH", "config_files", "load_settings", "print_warning"]

DEFAULT_CONFIG_PATH = Path("callrouter.yml")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

FieldPath = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Origin:
    file: str
    line: int


# A configuration is a few hundred values a few levels deep. Past these limits the file
# is a mistake (or an alias that refers to itself or expands exponentially), and must be
# reported as such rather than exhaust the stack or the memory.
_MAX_DEPTH = 32
# libyaml when PyYAML was built with it: ten times faster, and it bounds nesting itself.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAX_VALUES = 100_000


class _Unreadable(Exception):
    """The file cannot be turned into data at all; ``node`` locates why."""

    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


class _Reader:
    """Turns one file's node tree into plain data, recording each value's origin."""

    def __init__(self, file: str, environ: Mapping[str, str]) -> None:
        self.file = file
        self.environ = environ
        self.origins: dict[FieldPath, _Origin] = {}
        self.problems: list[ConfigProblem] = []
        self._values = 0
        self._open: set[int] = set()  # nodes being read: an alias to one is a cycle
        self._scalars: dict[int, Any] = {}
        # safe_load's constructor, applied to one scalar node at a time.
        self._constructor = yaml.constructor.SafeConstructor()

    def read(self, node: yaml.Node, path: FieldPath) -> Any:
        self._values += 1
        if self._values > _MAX_VALUES:
            raise _Unreadable(node, f"more than {_MAX_VALUES} values (an alias used too often?)")
        if len(path) > _MAX_DEPTH:
            raise _Unreadable(node, f"nested deeper than {_MAX_DEPTH} levels")
        if id(node) in self._open:
            raise _Unreadable(node, "a YAML alias refers to a value that contains it")
        self.origins[path] = _Origin(self.file, node.start_mark.line + 1)
        self._open.add(id(node))
        try:
            return self._read(node, path)
        finally:
            self._open.discard(id(node))

    def _read(self, node: yaml.Node, path: FieldPath) -> Any:
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self._problem(path, key_node, "a key must be a plain name, not a collection")
                    continue
                key = str(self._scalar(key_node))
                if key in result:
                    self._problem((*path, key), key_node, "duplicate key")
                result[key] = self.read(value_node, (*path, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.read(item, (*path, str(i))) for i, item in enumerate(node.value)]
        value = self._scalar(node)
        if isinstance(value, str):
            return self._substitute(value, path, node)
        return value

    def _scalar(self, node: yaml.Node) -> Any:
        # An alias reuses its anchor's node: construct each scalar once.
        if id(node) in self._scalars:
            return self._scalars[id(node)]
        try:
            value = self._scalars[id(node)] = self._constructor.construct_object(node, deep=True)
            return value
        except (yaml.YAMLError, ValueError, OverflowError, AttributeError) as exc:
            # A tag we do not construct (!foo, !!python/...), an impossible date, or
            # "!!timestamp" on text that is no date at all (PyYAML fails on the regex).
            reason = getattr(exc, "problem", None) or str(exc)
            raise _Unreadable(node, f"not a plain value: {reason}") from None

    def _substitute(self, value: str, path: FieldPath, node: yaml.Node) -> str:
        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in self.environ:
                return self.environ[name]
            if default is not None:
                return default
            self._problem(path, node, f"environment variable {name} is not set")
            return ""

        return _ENV_REF.sub(replace, value)

    def _problem(self, path: FieldPath, node: yaml.Node, message: str) -> None:
        self.problems.append(
            ConfigProblem(self.file, node.start_mark.line + 1, ".".join(path), message)
        )


def config_files(path: Path) -> list[Path]:
    """The main file, then ``conf.d/*.yml`` beside it in name order."""
    conf_d = path.parent / "conf.d"
    extra = sorted([*conf_d.glob("*.yml"), *conf_d.glob("*.yaml")]) if conf_d.is_dir() else []
    return [path, *extra]


def print_warning(problem: ConfigProblem) -> None:
    """The default ``warn``: one line on stderr, in the same shape as the errors."""
    print(f"warning (config): {problem}", file=sys.stderr)


def load_settings(
    path: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    warn: Callable[[ConfigProblem], None] = print_warning,
) -> Settings:
    """Load, merge and validate; raise :class:`ConfigError` listing every problem."""
    env = os.environ if environ is None else environ
    main = path or Path(env.get("CALLROUTER_CONFIG", DEFAULT_CONFIG_PATH))
    problems: list[ConfigProblem] = []
    origins: dict[FieldPath, _Origin] = {}
    merged: dict[str, Any] = {}
    if not main.exists():
        if path is not None:
            raise ConfigError([ConfigProblem(str(main), None, "", "file not found")])
        files: list[Path] = []
    else:
        files = config_files(main)
    for file in files:
        data = _read_file(file, env, problems, origins)
        if data is not None:
            _merge(merged, data)
    # Validate even after read problems, so one run reports every error at once.
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(problems + _locate(exc, origins, str(main))) from None
    except RecursionError:
        # zoneinfo imports one package per "/" of a zone name: a long made-up name
        # exhausts the stack inside a validator, which cannot say where it was.
        message = "a value is too deeply nested to check (a time zone name with many '/'?)"
        raise ConfigError([*problems, ConfigProblem(str(main), None, "", message)]) from None
    problems += _cross_reference_problems(settings, origins, str(main))
    token_problem = settings.http.token_problem()
    if token_problem is not None:
        problems.append(_at(("http", "token"), token_problem, origins, str(main)))
    if problems:
        raise ConfigError(problems)
    # Names that appear in log lines must stay readable even if a secret equals one.
    register_public(settings.ari.app, settings.ari.username)
    for tenant in settings.tenants.values():
        for token in tenant.tokens:
            register_secret(token.get_secret_value())
    for warning in _warnings(settings, origins, str(main)):
        warn(warning)
    return settings


def _warnings(
    settings: Settings, origins: Mapping[FieldPath, _Origin], default_file: str
) -> list[ConfigProblem]:
    ari = settings.ari
    password = ari.password.get_secret_value()
    names = [name for name, value in (("app", ari.app), ("username", ari.username))
             if password == value]  # fmt: skip
    if not names:
        return []
    message = (
        f"equals {' and '.join(f'ari.{n}' for n in names)}: anybody who knows the name can"
        " use ARI, and logs can mask it only where it stands as a credential (api_key=, a"
        " URL's password), not wherever the name appears; choose a secret of its own"
    )
    return [_at(("ari", "password"), message, origins, default_file)]


def _read_file(
    file: Path,
    environ: Mapping[str, str],
    problems: list[ConfigProblem],
    origins: dict[FieldPath, _Origin],
) -> dict[str, Any] | None:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(ConfigProblem(str(file), None, "", f"cannot read: {exc}"))
        return None
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(ConfigProblem(str(file), line, "", f"invalid YAML: {reason}"))
        return None
    except RecursionError:  # PyYAML's composer recurses once per nesting level
        problems.append(ConfigProblem(str(file), None, "", "invalid YAML: nested too deeply"))
        return None
    if node is None:
        return {}
    reader = _Reader(str(file), environ)
    try:
        data = reader.read(node, ())
    except _Unreadable as exc:
        line = exc.node.start_mark.line + 1
        problems.append(ConfigProblem(str(file), line, "", f"invalid YAML: {exc.message}"))
        return None
    problems.extend(reader.problems)
    if not isinstance(data, dict):
        problems.append(ConfigProblem(str(file), 1, "", "the top level must be a mapping"))
        return None
    origins.update(reader.origins)
    return data


def _merge(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _origin_of(path: FieldPath, origins: Mapping[FieldPath, _Origin]) -> _Origin | None:
    # A missing field has no line of its own: point at the closest enclosing mapping.
    for end in range(len(path), -1, -1):
        origin = origins.get(path[:end])
        if origin is not None:
            return origin
    return None


def _locate(
    exc: ValidationError, origins: Mapping[FieldPath, _Origin], default_file: str
) -> list[ConfigProblem]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        path = tuple(str(part) for part in error["loc"])
        origin = _origin_of(path, origins)
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append(
            ConfigProblem(
                origin.file if origin else default_file,
                origin.line if origin else None,
                ".".join(path),
                message,
            )
        )
    return problems


def _cross_reference_problems(
    settings: Settings, origins: Mapping[FieldPath, _Origin], default_file: str
) -> list[ConfigProblem]:
    """Names that point at nothing: a dangling queue must fail at load, not mid-call."""
    found: list[tuple[FieldPath, str]] = []
    path: FieldPath
    queues = settings.queues
    for did, queue in settings.routes.items():
        if queue not in queues:
            found.append((("routes", did), f"unknown queue {queue!r}"))
    for name, q in queues.items():
        if q.hours and q.hours not in settings.calendars:
            found.append((("queues", name, "hours"), f"unknown calendar {q.hours!r}"))
        if q.overflow and q.overflow.kind == "queue" and q.overflow.target not in queues:
            path = ("queues", name, "overflow", "target")
            found.append((path, f"unknown queue {q.overflow.target!r}"))
        for index, step in enumerate(q.escalation):
            for extra in step.add_queues:
                if extra not in queues:
                    path = ("queues", name, "escalation", str(index), "add_queues")
                    found.append((path, f"unknown queue {extra!r}"))
    for op_id, operator in settings.operators.items():
        for queue_name in operator.queues:
            if queue_name not in queues:
                path = ("operators", op_id, "queues", queue_name)
                found.append((path, f"unknown queue {queue_name!r}"))
    for name, campaign in settings.campaigns.items():
        if campaign.queue not in queues:
            found.append((("campaigns", name, "queue"), f"unknown queue {campaign.queue!r}"))
    http = settings.http
    found += tenant_problems(
        tenants=settings.tenants,
        queue_tenants={name: q.tenant for name, q in queues.items()},
        campaign_queues={n: (c.tenant, c.queue) for n, c in settings.campaigns.items()},
        calendar_tenants={name: c.tenant for name, c in settings.calendars.items()},
        queue_calendars={name: q.hours for name, q in queues.items()},
        admin_tokens=[t.get_secret_value() for t in (http.token, http.viewer_token) if t],
        supervisor_tenants={name: s.tenant for name, s in settings.supervisors.items()},
    )
    return [_at(path, message, origins, default_file) for path, message in found]


def _at(
    path: FieldPath, message: str, origins: Mapping[FieldPath, _Origin], default_file: str
) -> ConfigProblem:
    """A problem found after validation, at the line of ``path`` (or its closest parent)."""
    origin = _origin_of(path, origins)
    return ConfigProblem(
        origin.file if origin else default_file,
        origin.line if origin else None,
        ".".join(path),
        message,
    )
