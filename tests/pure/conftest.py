"""Makes the pure core importable as ``apicbase`` without importing Odoo.

The repository root is the Odoo addon; its ``__init__`` imports Odoo, so the
pure tests put the root itself on ``sys.path`` and import ``apicbase`` from it.
"""
import os
import sys
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# The Apicbase simulator (the package tools/apicbase_simulator/) is importable as ``apicbase_simulator``.
TOOLS = os.path.join(ROOT, "tools")
if TOOLS not in sys.path:
    sys.path.append(TOOLS)


@pytest.fixture
def server_in_kiribati(monkeypatch):
    """The machine's own time zone is UTC+14: nothing may depend on it."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
