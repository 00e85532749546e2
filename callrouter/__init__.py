"""callrouter: the routing brain beside an Asterisk PBX.

The package is split by telephony domain (see README "Design"):

- ``ari``     typed asyncio ARI client (REST + events WebSocket)
- ``sim``     simulated Asterisk speaking ARI on the wire, for tests and demos
- ``acd``     pure inbound routing core (queues, operators, policy)
- ``dialer``  pure outbound pacing core and campaign helpers
- ``agi``     FastAGI server for questions from the dialplan
- ``calls``   the imperative shell: ARI events <-> core decisions
- ``store``   PostgreSQL pool, migrations, repositories
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
