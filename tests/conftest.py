"""Shared fixtures: each domain's fixtures live in a plugin module of its own."""

pytest_plugins = [
    "tests.fixtures_db",
    "tests.fixtures_sim",
]
