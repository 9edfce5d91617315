"""Fixtures of the pure suite.

The repository root is the Odoo addon; its ``__init__`` imports Odoo, so the pure tests import
the pure core as ``apicbase`` from the root itself, and the simulator as ``apicbase_simulator``
from tools/: both are on pytest.ini's ``pythonpath``.
"""
import time

import pytest


@pytest.fixture
def server_in_kiribati(monkeypatch):
    """The machine's own time zone is UTC+14: nothing may depend on it."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
