"""Live tests: real ``odoo-bin`` processes against a copy of the database the suite installed.

Skipped, loudly, when the runner (tools/run-tests) did not provide an installed database.
"""
import os
import uuid

import pytest
from odoo_live import ADDONS_PATH, database_copy, seed  # tools/, on pytest.ini's pythonpath

DB_TEMPLATE = os.environ.get("APICBASE_TEST_DB")


def pytest_collection_modifyitems(config, items):
    if not (DB_TEMPLATE and ADDONS_PATH):
        skip = pytest.mark.skip(reason="run through tools/run-tests: it provides APICBASE_TEST_DB")
        for item in items:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def live_db():
    with database_copy(DB_TEMPLATE, f"live_{uuid.uuid4().hex[:8]}") as name:
        yield name, seed(name)


