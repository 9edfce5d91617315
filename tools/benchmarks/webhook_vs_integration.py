"""Benchmark: the webhook against the integration a supplier would otherwise write by hand.

One odoo-bin with 2 workers (prefork, as a small production server) on a copy of an installed
database. The same 10-line orders of one restaurant (the evening rush of one customer) arrive:

- through the webhook: one signed POST per order (inbox first, then the sale order priced by the
  pricelist, the price check, the chatter note, the salesperson as follower, the inbox's state);
- through a hand-made JSON-RPC integration, the baseline: three calls per order (search the
  partner, search_read the products, create the sale order), without any of the above;
- through that integration's create call alone, the customer and products known: the ceiling of
  any design that creates the same sale order in one request at the cost of Odoo's own create.

Each is run with 1 sender and with 16 concurrent senders, the three taking turns. Printed per run:
orders/s, p50 and p95 latency, and for the webhook how many orders were deferred to the scheduled
action and how many serialization failures the server logged; then the throughput ratio
webhook/integration and the ceiling ratio create-call-alone/integration.
Run by tools/benchmarks/run; args: DB ADDONS_PATH.
"""
import os
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests

import odoo_live  # tools/ is on PYTHONPATH (tools/odoo-env)

LINES = 10
ORDERS = {1: 60, 16: 192}  # per run: sequential, then 12 per sender
TURNS = 4  # the three ways take turns, first one then another, so that a slower minute of a shared
# machine (a checkpoint, autovacuum after an earlier benchmark) falls on all of them alike
CUSTOMER = "LIVE-1"
ARTICLES = [f"BENCH-{index:02d}" for index in range(LINES)]


def ten_line_order(apicbase_id):
    data = odoo_live.order(apicbase_id, CUSTOMER)
    data["packages"] = [
        {"stock_item": {"name": f"Article {number}"}, "quantity_ordered": 1 + index % 4,
         "supplier_package": {"supplier_article_number": number, "theoretical_price_per_package": "3.250"},
         "total_theoretical_price": str(3.25 * (1 + index % 4))}
        for index, number in enumerate(ARTICLES)]
    return data


def run_concurrently(senders, count, send_one):
    """Calls ``send_one(index)`` ``count`` times from ``senders`` threads; returns (seconds, latencies)."""
    def timed(index):
        started = time.perf_counter()
        send_one(index)
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        latencies = list(pool.map(timed, range(count)))
    return time.perf_counter() - started, latencies


class Integration:
    """What a supplier's developer writes against Odoo's external API: three calls per order."""

    def __init__(self, server, db):
        self.url, self.db = f"{server.url}/jsonrpc", db
        self.uid = self.call("common", "login", db, "admin", "admin")

    def call(self, service, method, *args):
        return odoo_live.jsonrpc(self.url, service, method, *args)

    def execute(self, model, method, *args, **kwargs):
        return self.call("object", "execute_kw", self.db, self.uid, "admin", model, method, list(args), kwargs)

    def send(self, data):
        [partner] = self.execute("res.partner", "search", [["apicbase_customer_number", "=",
                                                             data["supplier_customer_number"]]], limit=1)
        numbers = [line["supplier_package"]["supplier_article_number"] for line in data["packages"]]
        products = {p["default_code"]: p["id"] for p in self.execute(
            "product.product", "search_read", [["default_code", "in", numbers]], fields=["default_code"])}
        self.create(data, partner, products)

    def create(self, data, partner, products):
        self.execute("sale.order", "create", {
            "partner_id": partner, "client_order_ref": data["order_number"],
            "order_line": [[0, 0, {"product_id": products[line["supplier_package"]["supplier_article_number"]],
                                   "product_uom_qty": line["quantity_ordered"],
                                   "price_unit": float(line["supplier_package"]["theoretical_price_per_package"])}]
                           for line in data["packages"]]})


class CreateCallAlone(Integration):
    """The ceiling of any one-request design: the integration's create call alone, the customer and
    products already known. A webhook creating the same sale order in one request at Odoo's own
    cost cannot beat the integration by more than this ratio."""

    def __init__(self, server, db):
        super().__init__(server, db)
        [self.partner] = self.execute("res.partner", "search", [["apicbase_customer_number", "=", CUSTOMER]])
        self.products = {p["default_code"]: p["id"] for p in self.execute(
            "product.product", "search_read", [["default_code", "in", ARTICLES]], fields=["default_code"])}

    def send(self, data):
        self.create(data, self.partner, self.products)


def send_webhook(url, data):
    raw, headers = odoo_live.signed(data)
    response = requests.post(url, data=raw, headers=headers, timeout=120)
    assert response.status_code == 200, (response.status_code, response.text)


def prepare(db):
    token = odoo_live.seed(db)
    odoo_live.odoo_shell(db, f"""
env.ref('base.user_admin').password = 'admin'
env["product.product"].create([{{"name": "Bench " + number, "default_code": number, "list_price": 3.25}}
                               for number in {ARTICLES!r}])
env.cr.commit()
""")
    return token


def take_turns(senders, count, ways):
    """{name: (seconds, latencies)} of ``count`` orders a way, sent in TURNS turns in a rotating order."""
    totals = {name: (0.0, []) for name in ways}
    per_turn = count // TURNS
    names = list(ways)
    for turn in range(TURNS):
        for name in names[turn % len(names):] + names[:turn % len(names)]:
            seconds, latencies = run_concurrently(
                senders, per_turn, lambda index, turn=turn, send=ways[name]: send(turn * per_turn + index))
            totals[name] = (totals[name][0] + seconds, totals[name][1] + latencies)
    return totals


def report(name, seconds, latencies):
    throughput = len(latencies) / seconds
    print(f"  {name}: {throughput:.1f} orders/s, p50 {statistics.median(latencies) * 1e3:.0f} ms, "
          f"p95 {odoo_live.percentile(latencies, 0.95) * 1e3:.0f} ms ({len(latencies)} orders)")
    return throughput


def main(template, addons_path):
    os.environ["APICBASE_ADDONS_PATH"] = odoo_live.ADDONS_PATH = addons_path
    with odoo_live.database_copy(template, "vs") as db:
        token = prepare(db)
        with odoo_live.OdooServer(db, 2) as server:
            url = f"{server.url}/apicbase/webhook/{token}"
            integration, create_alone = Integration(server, db), CreateCallAlone(server, db)
            for index in range(4):  # both workers warm: registry, caches, first compiles
                send_webhook(url, ten_line_order(f"warm-{index}"))
                integration.send(ten_line_order(f"warm-rpc-{index}"))
                create_alone.send(ten_line_order(f"warm-create-{index}"))
            for senders, count in ORDERS.items():
                print(f"{senders} sender(s), {LINES}-line orders of one restaurant:")
                conflicts_before = server.log().count("could not serialize access")
                prefix = f"s{senders}"
                measured = take_turns(senders, count, {
                    "webhook": lambda i, prefix=prefix: send_webhook(url, ten_line_order(f"{prefix}-{i}")),
                    "JSON-RPC integration (3 calls)":
                        lambda i, prefix=prefix: integration.send(ten_line_order(f"{prefix}-rpc-{i}")),
                    "its create call alone (customer and products known)":
                        lambda i, prefix=prefix: create_alone.send(ten_line_order(f"{prefix}-c-{i}")),
                })
                webhook, baseline, ceiling = (report(name, *figures) for name, figures in measured.items())
                conflicts = server.log().count("could not serialize access") - conflicts_before
                deferred = odoo_live.psql(db, "select count(*) from apicbase_order where apicbase_id like "
                                              f"'{prefix}-%' and (state != 'done' or attempt_count > 1)")
                print(f"  deferred to the scheduled action: {deferred}; serialization failures logged: {conflicts}")
                print(f"  ratio webhook/integration (throughput): {webhook / baseline:.2f}")
                print(f"  ceiling of one request at Odoo's create cost, create call alone/integration: "
                      f"{ceiling / baseline:.2f}")
            done = odoo_live.psql(db, "select count(*) from sale_order so join apicbase_order ao "
                                      "on so.apicbase_order_id = ao.id")
            print(f"sale orders from the webhook: {done} of {4 + sum(ORDERS.values())}")
            failures = sorted(set(re.findall(r"could not serialize access[^\n]*", server.log())))
            if failures:
                print("  logged:", failures[:3])


if __name__ == "__main__":
    main(*sys.argv[1:3])
