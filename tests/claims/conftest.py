"""The CRM suite's receiver and notifier fixtures, for the webhook claims here (a
conftest's fixtures reach only its own folder)."""

from tests.crm.conftest import make_notifier, receiver

__all__ = ["make_notifier", "receiver"]
