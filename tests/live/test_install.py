"""Installing the addon on a database of Odoo's changes no setting outside the addon's own records."""
import os
import subprocess

import pytest

from odoo_live import NO_DEMO, database_copy, odoo_cmd, psql

TEMPLATE = os.environ.get("ODOO_TEMPLATE_DB")

# What an install could change for everyone else, each as a query whose rows are compared before and
# after. The company's own columns are compared as they were before the install (the addon's new
# columns are its own); the views are those of other modules, whose records must stay as they are.
GLOBAL_SETTINGS = {
    "decimal accuracies": "select name, digits from decimal_precision order by name",
    # The addon's own parameters (apicbase_connector.*) are its records; every other one must stay.
    "system parameters": "select key, value from ir_config_parameter where key not like 'database.%' "
                         "and key not like 'apicbase_connector.%' order by key",
    "defaults": "select f.model, f.name, d.json_value, d.company_id, d.user_id from ir_default d "
                "join ir_model_fields f on f.id = d.field_id order by 1, 2, 4, 5",
    "other modules' views": "select d.module, d.name, md5(v.arch_db::text), v.active, v.inherit_id from ir_ui_view v "
                            "join ir_model_data d on d.model = 'ir.ui.view' and d.res_id = v.id "
                            "where d.module != 'apicbase_connector' order by 1, 2",
    "currencies and rounding": "select name, rounding, decimal_places, active from res_currency order by name",
}


def company_columns(db):
    return psql(db, "select string_agg(column_name, ',' order by column_name) from information_schema.columns "
                    "where table_name = 'res_company' and column_name not like 'apicbase%' "
                    "and column_name not in ('write_date', 'write_uid')")


def snapshot(db, columns):
    found = {name: psql(db, query) for name, query in GLOBAL_SETTINGS.items()}
    found["companies"] = psql(db, f"select {columns} from res_company order by id")
    return found


@pytest.mark.skipif(not TEMPLATE, reason="run through tools/run-tests: it provides ODOO_TEMPLATE_DB")
def test_installing_changes_no_setting_outside_the_addon():
    with database_copy(TEMPLATE, "install_check") as db:
        columns = company_columns(db)
        before = snapshot(db, columns)
        install = subprocess.run(odoo_cmd(db, "-i", "apicbase_connector", *NO_DEMO, "--stop-after-init",
                                          "--no-http", "--log-level=warn"), capture_output=True, text=True, timeout=900)
        assert install.returncode == 0, install.stderr
        assert psql(db, "select state from ir_module_module where name = 'apicbase_connector'") == "installed"
        after = snapshot(db, columns)
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, f"the install changed {', '.join(changed)}: {changed}"
