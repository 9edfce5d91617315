"""Benchmark: how long Apicbase waits for our answer.

Starts a real odoo-bin (threaded, like a small production server) on a copy of an installed
database and sends 100 signed orders (2 lines each) one after the other to the webhook, then
creates the same 100 sale orders through Odoo's standard external API (JSON-RPC
``sale.order.create`` with 2 lines, the baseline) against the same server. Prints latency
percentiles and the ratio webhook / baseline. Run by tools/benchmarks/run; args: DB ADDONS_PATH.
"""
import os
import statistics
import sys
import time

import requests

import odoo_live  # tools/ is on PYTHONPATH (tools/odoo-env)

ROUNDS = 100


def webhook_latencies(server, token, prefix, rounds=ROUNDS):
    url = f"{server.url}/apicbase/webhook/{token}"
    session, latencies = requests.Session(), []
    for index in range(rounds):
        raw, headers = odoo_live.signed(odoo_live.order(f"{prefix}-{index}"))
        started = time.perf_counter()
        response = session.post(url, data=raw, headers=headers, timeout=60)
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200 and response.json()["state"] == "done", response.text
    return latencies


def jsonrpc_latencies(server, db):
    session = requests.Session()

    def call(service, method, *args):
        return odoo_live.jsonrpc(f"{server.url}/jsonrpc", service, method, *args, http=session)

    uid = call("common", "login", db, "admin", "admin")
    partner = call("object", "execute_kw", db, uid, "admin", "res.partner", "search",
                   [[["apicbase_customer_number", "=", "LIVE-1"]]])[0]
    products = call("object", "execute_kw", db, uid, "admin", "product.product", "search",
                    [[["default_code", "in", ["LIVE-TOM", "LIVE-COLA"]]]])
    latencies = []
    for index in range(ROUNDS):
        values = {"partner_id": partner, "client_order_ref": f"rpc-{index}", "order_line": [
            [0, 0, {"product_id": products[0], "product_uom_qty": 2, "price_unit": 2.5}],
            [0, 0, {"product_id": products[1], "product_uom_qty": 1, "price_unit": 18}]]}
        started = time.perf_counter()
        call("object", "execute_kw", db, uid, "admin", "sale.order", "create", [values])
        latencies.append(time.perf_counter() - started)
    return latencies


def main(template, addons_path):
    os.environ["APICBASE_ADDONS_PATH"] = odoo_live.ADDONS_PATH = addons_path
    with odoo_live.database_copy(template, "webhook") as db:
        token = odoo_live.seed(db)
        odoo_live.odoo_shell(db, "env.ref('base.user_admin').password = 'admin'\nenv.cr.commit()\n")
        with odoo_live.OdooServer(db, 0) as server:
            webhook_latencies(server, token, "warm-up", rounds=5)  # registry, caches, first compiles
            webhook = webhook_latencies(server, token, "measured")
            baseline = jsonrpc_latencies(server, db)
    for name, values in (("webhook (signed order -> inbox -> sale order)", webhook),
                         ("baseline JSON-RPC sale.order.create", baseline)):
        print(f"{name}: median {statistics.median(values) * 1e3:.1f} ms, "
              f"p95 {odoo_live.percentile(values, 0.95) * 1e3:.1f} ms, "
              f"max {max(values) * 1e3:.1f} ms over {len(values)} orders")
    print(f"ratio webhook/baseline (median): {statistics.median(webhook) / statistics.median(baseline):.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
