"""Order intake against real odoo-bin servers: real commits, real concurrency."""
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from odoo_live import SERIES, OdooServer, addon_version, database_copy, odoo_cmd, odoo_shell, order, psql, sign, signed


def fire_at_once(url, bodies):
    """POSTs every (raw, headers) at the same instant from its own thread."""
    barrier = threading.Barrier(len(bodies))

    def post(item):
        raw, headers = item
        barrier.wait()
        return requests.post(url, data=raw, headers=headers, timeout=120)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


@pytest.mark.parametrize("workers", [0, 2], ids=["threaded", "prefork"])
def test_same_order_from_many_threads_gives_one_sale_order(live_db, workers):
    db, token = live_db
    apicbase_id = f"live-dup-{workers}"
    with OdooServer(db, workers) as server:
        url = f"{server.url}/apicbase/webhook/{token}"
        responses = fire_at_once(url, [signed(order(apicbase_id))] * 8)
        log = server.log()
    codes = [response.status_code for response in responses]
    assert codes == [200] * 8, (codes, [r.text for r in responses])
    outcomes = sorted(response.json()["status"] for response in responses)
    assert outcomes == ["accepted"] + ["duplicate"] * 7
    assert psql(db, f"select count(*) from apicbase_order where apicbase_id = '{apicbase_id}'") == "1"
    assert psql(db, "select count(*) from sale_order so join apicbase_order ao on so.apicbase_order_id = ao.id "
                    f"where ao.apicbase_id = '{apicbase_id}'") == "1"
    assert psql(db, "select count(*) from sale_order_line sol join sale_order so on sol.order_id = so.id "
                    "join apicbase_order ao on so.apicbase_order_id = ao.id "
                    f"where ao.apicbase_id = '{apicbase_id}'") == "2"
    assert " 500 " not in log and "Traceback" not in log


def test_different_orders_at_once_each_get_their_sale_order(live_db):
    db, token = live_db
    ids = [f"live-many-{index}" for index in range(6)]
    with OdooServer(db, 2) as server:
        responses = fire_at_once(f"{server.url}/apicbase/webhook/{token}", [signed(order(i)) for i in ids])
    assert [r.status_code for r in responses] == [200] * 6
    assert {r.json()["status"] for r in responses} == {"accepted"}
    # An order whose processing kept conflicting was stored and left to the scheduled action.
    assert {r.json()["state"] for r in responses} <= {"done", "received"}
    odoo_shell(db, "env['apicbase.order']._cron_process_received()\nenv.cr.commit()\n")
    id_list = ", ".join(f"'{i}'" for i in ids)
    assert psql(db, f"select count(distinct so.id) from sale_order so join apicbase_order ao "
                    f"on so.apicbase_order_id = ao.id where ao.apicbase_id in ({id_list})") == "6"


def test_stored_order_survives_and_bad_requests_store_nothing(live_db):
    db, token = live_db
    with OdooServer(db, 0) as server:
        url = f"{server.url}/apicbase/webhook/{token}"
        raw, headers = signed(order("live-unmapped", customer="NOBODY"))
        unmapped = requests.post(url, data=raw, headers=headers, timeout=60)
        bad_sig = requests.post(url, data=raw, headers={**headers, "X-APIC-WEBHOOK-SIGNATURE": "0" * 64},
                                timeout=60)
        garbage_body = b"\x00\xff{"
        garbage = requests.post(url, data=garbage_body, headers={
            "X-APIC-WEBHOOK-SIGNATURE": sign(garbage_body)},
            timeout=60)
        chunked = requests.post(url, data=(b"x" * 65536 for _ in range(20)), headers=headers, timeout=60)
        nul, nul_headers = signed(order("live-nul") | {"order_number": "PO\x00"})
        with_nul = requests.post(url, data=nul, headers=nul_headers, timeout=60)
    assert unmapped.status_code == 200 and unmapped.json()["state"] == "failed"
    assert bad_sig.status_code == 403
    assert garbage.status_code == 400 and "not UTF-8" in garbage.json()["problems"][0]["error"]
    assert with_nul.status_code == 400, with_nul.text
    assert chunked.status_code == 413, "a body without Content-Length is bounded too"
    # Committed by the server process: visible from another connection.
    assert psql(db, "select state from apicbase_order where apicbase_id = 'live-unmapped'") == "failed"
    assert psql(db, "select count(*) from apicbase_order where apicbase_id = 'live-nul'") == "0"


def test_uninstall_leaves_no_broken_views(live_db):
    db, _token = live_db
    with database_copy(db, "uninstall") as copy:
        odoo_shell(copy, """
module = env["ir.module.module"].search([("name", "=", "apicbase_connector")])
module.button_immediate_uninstall()
env.cr.commit()
""")
        out = odoo_shell(copy, """
checked = 0
for model, types in [("sale.order", ["form", "list", "search"]), ("res.partner", ["form", "search"]),
                     ("product.template", ["form"]), ("product.product", ["form"]),
                     ("res.config.settings", ["form"])]:
    env[model].get_views([(False, view_type) for view_type in types])
    checked += 1
views = env["ir.ui.view"].search([("arch_db", "ilike", "apicbase")])
left = env["ir.model.data"].search_count([("module", "=", "apicbase_connector")])
print("CHECKED=%s VIEWS=%s DATA=%s STATE=%s" % (checked, len(views), left,
      env["ir.module.module"].search([("name", "=", "apicbase_connector")]).state))
""")
        assert "CHECKED=5 VIEWS=0 DATA=0 STATE=uninstalled" in out, out


def test_upgrading_leaves_the_price_precision_alone(live_db):
    """An upgrade from 1.0 or 1.1 (which raised the Product Price precision on install) changes no
    precision: neither one still at Odoo's 2 decimals nor one already raised. The post-install
    to-do, done already, is not opened again (its data is noupdate), and the follow-up's scheduled
    action, noupdate too, calls the method's new name (1.3.1)."""
    db, _token = live_db
    todo = ("select state from ir_actions_todo where id = (select res_id from ir_model_data"
            " where module = 'apicbase_connector' and name = 'apicbase_config_todo')")
    follow_up_code = ("select s.code from ir_cron c join ir_act_server s on s.id = c.ir_actions_server_id"
                      " where c.id = (select res_id from ir_model_data where module = 'apicbase_connector'"
                      " and name = 'ir_cron_apicbase_reconcile')")
    for earlier, digits in ((f"{SERIES}.1.0.0", 2), (f"{SERIES}.1.1.0", 2), (f"{SERIES}.1.1.0", 3)):
        with database_copy(db, f"upgrade_{earlier.replace('.', '_')}_{digits}") as copy:
            odoo_shell(copy, f"""
env.ref("product.decimal_price").digits = {digits}
env["ir.module.module"].search([("name", "=", "apicbase_connector")]).latest_version = {earlier!r}
env.ref("apicbase_connector.apicbase_config_todo").state = "done"
env.ref("apicbase_connector.ir_cron_apicbase_reconcile").code = "model._cron_reconcile()"
env.cr.commit()
""")
            upgrade = subprocess.run(odoo_cmd(copy, "-u", "apicbase_connector", "--stop-after-init", "--no-http",
                                              "--log-level=warn"), capture_output=True, text=True, timeout=600)
            assert upgrade.returncode == 0 and "ERROR" not in upgrade.stderr, upgrade.stderr
            assert psql(copy, "select digits from decimal_precision where name = 'Product Price'") == str(digits)
            assert psql(copy, "select latest_version from ir_module_module where name = 'apicbase_connector'") \
                == addon_version()
            assert psql(copy, todo) == "done", "an upgrade sends nobody to the settings again"
            assert psql(copy, follow_up_code) == "model._cron_follow_up()", "the follow-up runs after an upgrade"
