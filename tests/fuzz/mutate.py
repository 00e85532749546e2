"""Input generators for fuzzing: byte mutations of real seeds, and typed mutations of
JSON-like trees. Deterministic for a given ``random.Random``, so a failure replays.

Byte mutations find what breaks a tokenizer (a NUL, a lone quote, an unclosed bracket,
a BOM, deep nesting); tree mutations keep the document well formed and put wrong types
and edge values in real fields, which is what reaches the validators behind the parser.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["Generator", "mixed", "mutate_bytes", "mutate_tree", "random_bytes"]

Generator = Callable[[random.Random], bytes]

# Bytes that mean something to one of the parsers under test.
TOKENS: tuple[bytes, ...] = (
    b"\x00", b"\n", b"\r\n", b"\r", b'"', b"'", b",", b";", b"\t", b":", b": ", b" ", b"=",
    b"{", b"}", b"[", b"]", b"&a ", b"*a", b"? ", b"- ", b"|", b">", b"#", b"%YAML 1.1\n",
    b"!!binary ", b"!foo ", b"!!timestamp 2026-13-45", b"${X}", b"${X:-d}", b"${", b"\\",
    b"\\u0000", b"\\ud800", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\xff\xfe",
    b"-1", b"0", b"1e999", b"-0.0", b"NaN", b"99999999999999999999", b"null", b"true", b"~",
    b"+49", b"0049", b"030 1234567", b"+1 212 555 0100", b"agi_", b"agi_request: agi://[",
    b"agi_arg_1: ", b"?a=b&c", b"%zz", b"type", b"StasisStart", b"channel", b"caller",
    b"Europe/Berlin", b"Mars/Olympus", b"vip", b"phone", b"region", b"timezone",
)  # fmt: skip
# Values a typed field should refuse (or survive) rather than crash on.
EDGE_VALUES: tuple[Any, ...] = (
    None, True, 0, -1, 2**70, 1.5, float("inf"), "", " ", "\x00", "a\x00b", "\ud800",
    "x" * 5000, "2026-13-45T99:99:99", "1795430557.33", [], {}, [None], {"": None},
    {"nested": {"deeper": [1, "two", None]}}, ["a", 1, None],
)  # fmt: skip


def random_bytes(rng: random.Random, max_size: int = 512) -> bytes:
    return rng.randbytes(rng.randint(0, max_size))


def mutate_bytes(
    data: bytes, rng: random.Random, *, others: Sequence[bytes] = (), rounds: int = 0
) -> bytes:
    """``data`` after 1-8 (or ``rounds``) random edits: flips, tokens, cuts, copies, splices."""
    buf = bytearray(data)
    for _ in range(rounds or rng.randint(1, 8)):
        pos = rng.randint(0, len(buf))
        end = min(len(buf), pos + rng.randint(0, 64))
        op = rng.randrange(8)
        if op == 0 and buf:
            buf[pos % len(buf)] ^= 1 << rng.randrange(8)
        elif op in (1, 2):
            buf[pos:pos] = rng.choice(TOKENS)
        elif op == 3:
            del buf[pos:end]
        elif op == 4:
            buf[pos:pos] = buf[pos:end] * rng.randint(1, 4)
        elif op == 5:
            buf[pos:pos] = rng.randbytes(rng.randint(1, 16))
        elif op == 6 and others:
            other = rng.choice(others)
            start = rng.randint(0, len(other))
            buf[pos:end] = other[start : start + rng.randint(1, 200)]
        else:  # nesting or repetition deep enough to find recursion limits
            buf[pos:pos] = rng.choice(TOKENS) * rng.choice((2, 50, 1200))
    return bytes(buf)


def mutate_tree(tree: Any, rng: random.Random, *, keys: Sequence[str] = (), rounds: int = 0) -> Any:
    """A copy of a JSON-like ``tree`` with 1-4 values replaced, keys dropped or added."""
    tree = _copy(tree)
    for _ in range(rounds or rng.randint(1, 4)):
        containers = list(_containers(tree))
        if not containers:
            return _copy(rng.choice(EDGE_VALUES))
        node = rng.choice(containers)
        # Always a copy: a shared list mutated later could come to contain itself.
        value = _copy(rng.choice(EDGE_VALUES) if rng.random() < 0.7 else rng.choice(containers))
        if isinstance(node, dict):
            if node and rng.random() < 0.2:
                del node[rng.choice(list(node))]
            else:
                key = rng.choice(list(node)) if node and rng.random() < 0.7 else (
                    rng.choice(keys) if keys else "extra"
                )
                node[key] = value
        elif node:
            node[rng.randrange(len(node))] = value
        else:
            node.append(value)
    return tree


def mixed(seeds: Sequence[bytes], *tree_generators: Generator) -> Generator:
    """Mostly seed mutations, some tree mutations, some pure noise."""

    def generate(rng: random.Random) -> bytes:
        roll = rng.random()
        if roll < 0.05:
            return random_bytes(rng)
        if tree_generators and roll < 0.45:
            return rng.choice(tree_generators)(rng)
        return mutate_bytes(rng.choice(seeds), rng, others=seeds)

    return generate


def _copy(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _copy(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_copy(v) for v in tree]
    return tree


def _containers(tree: Any) -> list[dict[str, Any] | list[Any]]:
    found: list[dict[str, Any] | list[Any]] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found.append(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            found.append(node)
            stack.extend(node)
    return found
