"""The Odoo side of the demo, over XML-RPC as the demo's admin (standard library only, but for
``serve``, which runs the simulator: werkzeug and requests, as in Odoo's own Python).

    python tools/demo_odoo.py configure --url URL --db DB --sim-url SIM --client-id ID \
        --client-secret SECRET --webhook-secret SECRET
    python tools/demo_odoo.py check --url URL --db DB
    python tools/demo_odoo.py serve --url URL --db DB --sim-host 0.0.0.0 --sim-port 8090 \
        --sim-url http://127.0.0.1:8090 [--base-url http://localhost:8069]

``configure`` points the company at the simulator (the credentials and URLs depend on the run's
ports, so they are not demo data), publishes every assortment with the addon's Publish action,
reads the sync events once Apicbase processed the files and reads Apicbase's customers.
``check`` says whether the demo's orders arrived: each as a sale order of the right restaurant,
the one naming an unknown article waiting in the inbox as *Needs attention*; exit status 0 when
all is as expected, else 1 with what is wrong. ``bash tools/demo`` runs these two.

``serve`` is the whole demo in one process, for docker-compose.yml: it waits until Odoo answers
with the addon installed, starts the simulator, configures, publishes, lets the simulator send its
orders to the webhook, checks, then serves the simulator until stopped.
"""
import argparse
import secrets
import signal
import sys
import threading
import time
import xmlrpc.client

from demo_simulator import PRICE_DIFFERS_ORDER, UNKNOWN_ARTICLE, UNKNOWN_ARTICLE_ORDER, demo_orders

LOGIN = PASSWORD = "admin"  # a fresh Odoo database's administrator


class Odoo:
    def __init__(self, url, db):
        self.url, self.db = url.rstrip("/"), db
        common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common", allow_none=True)
        self.uid = common.authenticate(db, LOGIN, PASSWORD, {})
        if not self.uid:
            raise SystemExit(f"cannot log in to {db} as {LOGIN}/{PASSWORD}")
        self.models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)

    def __call__(self, model, method, *args, **kwargs):
        return self.models.execute_kw(self.db, self.uid, PASSWORD, model, method, list(args), kwargs)

    @property
    def company_id(self):
        return self("res.users", "read", [self.uid], ["company_id"])[0]["company_id"][0]


def configure(odoo, sim_url, client_id, client_secret, webhook_secret, base_url=None):
    sim = sim_url.rstrip("/")
    odoo("res.company", "write", [odoo.company_id], {
        "apicbase_api_url": f"{sim}/api/v2/integrations/suppliers/",
        "apicbase_token_url": f"{sim}/oauth/token/",
        "apicbase_client_id": client_id,
        "apicbase_client_secret": client_secret,
        "apicbase_webhook_secret": webhook_secret,
    })
    odoo("ir.config_parameter", "set_param", "web.base.url", (base_url or odoo.url).rstrip("/"))
    assortments = odoo("apicbase.assortment", "search", [])
    if not assortments:
        raise SystemExit("no assortment in the database: was the addon installed with its demo data?")
    for assortment in assortments:  # one at a time, as the button on an assortment does: at once
        odoo("apicbase.assortment", "action_publish", [assortment])
    # Apicbase processes files in the background; the simulator within a fraction of a second.
    for _attempt in range(20):
        time.sleep(0.25)
        odoo("apicbase.assortment", "action_poll_events", assortments)
        rows = odoo("apicbase.assortment", "read", assortments,
                    ["name", "sync_state", "last_package_count", "last_rejected_count", "event_count"])
        if all(row["sync_state"] not in ("never", "pending") for row in rows):
            break
    else:
        raise SystemExit("the simulator never reported on the published files: "
                         + ", ".join(f"{row['name']}: {row['sync_state']}" for row in rows))
    for row in rows:
        print(f"published {row['name']}: {row['last_package_count']} package(s), "
              f"{row['last_rejected_count']} left out, {row['event_count']} event(s), sync {row['sync_state']}")
    # Customers at once; their packages may be left to the scheduled action (tools/demo runs the
    # scheduled actions interactively, not in --check).
    odoo("apicbase.customer", "action_pull", [])
    customers = odoo("apicbase.customer", "search_read", [], ["customer_number", "partner_id"])
    print("Apicbase customers: " + ", ".join(
        f"{c['customer_number']} = {c['partner_id'][1] if c['partner_id'] else '(not linked)'}" for c in customers))


def check(odoo):
    problems = []
    for order in demo_orders():
        found = odoo("apicbase.order", "search_read", [("apicbase_id", "=", order["id"])],
                     ["name", "state", "failure_reason", "error_message", "sale_order_id", "partner_id",
                      "activity_ids"])
        label = f"{order['id']} ({order['supplier_customer_number']})"
        if not found:
            problems.append(f"{label}: not in the Apicbase inbox (the webhook did not store it)")
            continue
        record = found[0]
        if order["id"] == UNKNOWN_ARTICLE_ORDER:
            if record["state"] != "failed" or record["failure_reason"] != "mapping":
                problems.append(f"{label}: expected to need attention (unknown article), but its state is "
                                f"{record['state']} / {record['failure_reason']}")
            elif UNKNOWN_ARTICLE not in (record["error_message"] or ""):
                problems.append(f"{label}: needs attention, but its problem does not name {UNKNOWN_ARTICLE}: "
                                f"{record['error_message']!r}")
            elif not record["activity_ids"]:
                problems.append(f"{label}: needs attention, but nobody was given an activity")
            else:
                print(f"ok  {label}: needs attention, as it should: {record['error_message']}")
            continue
        if record["state"] != "done" or not record["sale_order_id"]:
            problems.append(f"{label}: expected a sale order, got state {record['state']}: "
                            f"{record['error_message'] or ''}")
            continue
        sale = odoo("sale.order", "read", [record["sale_order_id"][0]],
                    ["name", "state", "partner_id", "client_order_ref", "order_line", "amount_untaxed",
                     "apicbase_price_mismatch"])[0]
        partner = odoo("res.partner", "read", [sale["partner_id"][0]], ["apicbase_customer_number"])[0]
        if partner["apicbase_customer_number"] != order["supplier_customer_number"]:
            problems.append(f"{label}: sale order {sale['name']} is for {sale['partner_id'][1]}")
        elif len(sale["order_line"]) != len(order["packages"]):
            problems.append(f"{label}: sale order {sale['name']} has {len(sale['order_line'])} line(s), "
                            f"the order {len(order['packages'])}")
        elif sale["client_order_ref"] != order["order_number"]:
            problems.append(f"{label}: sale order {sale['name']} has reference {sale['client_order_ref']!r}")
        elif sale["state"] != "draft":
            problems.append(f"{label}: sale order {sale['name']} is {sale['state']}, not a quotation")
        elif sale["apicbase_price_mismatch"] != (order["id"] == PRICE_DIFFERS_ORDER):
            problems.append(f"{label}: sale order {sale['name']} is "
                            f"{'' if sale['apicbase_price_mismatch'] else 'not '}flagged Apicbase Price Differs")
        else:
            print(f"ok  {label}: sale order {sale['name']} for {sale['partner_id'][1]}, "
                  f"{len(sale['order_line'])} line(s), {sale['amount_untaxed']:.2f} untaxed")
    for problem in problems:
        print(f"BAD {problem}")
    return 1 if problems else 0


def _wait_for_addon(url, db, timeout):
    """The Odoo of ``url`` once it answers and ``db`` has the addon (the first start of the Docker
    demo initialises the database and installs it: minutes)."""
    deadline = time.monotonic() + timeout
    said = False
    while True:
        try:
            odoo = Odoo(url, db)
            if odoo("ir.model", "search_count", [("model", "=", "apicbase.assortment")]):
                return odoo
        except (OSError, xmlrpc.client.Error, SystemExit):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"Odoo at {url} did not have apicbase_connector installed in {db} within {timeout} s")
        if not said:
            print(f"waiting for Odoo at {url} (database {db}) and the addon...", flush=True)
            said = True
        time.sleep(5)


def serve(args):
    from demo_simulator import make_simulator, send_orders  # werkzeug and requests: only here

    odoo = _wait_for_addon(args.url, args.db, args.timeout)
    client_id, client_secret = "demo-client", secrets.token_urlsafe(18)
    webhook_secret = secrets.token_urlsafe(18)
    sim = make_simulator(client_id, client_secret, args.sim_host, args.sim_port)
    sim.start()
    print(f"Apicbase simulator listening on {args.sim_host}:{sim.port}, reached by Odoo as {args.sim_url}", flush=True)
    try:
        configure(odoo, args.sim_url, client_id, client_secret, webhook_secret, args.base_url)
        token = odoo("res.company", "read", [odoo.company_id], ["apicbase_webhook_token"])[0]["apicbase_webhook_token"]
        send_orders(sim, f"{odoo.url}/apicbase/webhook/{token}", webhook_secret)
        result = check(odoo)
        print(("The demo works" if result == 0 else "The demo does NOT work (BAD lines above)")
              + f": log in at {args.base_url or odoo.url} as admin / admin (database {args.db}).", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        return result
    finally:
        sim.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("configure", "check", "serve"))
    parser.add_argument("--url", required=True, help="Odoo, as this program reaches it")
    parser.add_argument("--db", required=True)
    parser.add_argument("--sim-url", help="the simulator, as Odoo reaches it")
    parser.add_argument("--client-id")
    parser.add_argument("--client-secret")
    parser.add_argument("--webhook-secret")
    parser.add_argument("--base-url", help="Odoo, as a browser reaches it (web.base.url)")
    parser.add_argument("--sim-host", default="127.0.0.1", help="serve: where the simulator listens")
    parser.add_argument("--sim-port", type=int, default=8090)
    parser.add_argument("--timeout", type=int, default=1800, help="serve: how long to wait for Odoo")
    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args)
        odoo = Odoo(args.url, args.db)
        if args.command == "check":
            return check(odoo)
        configure(odoo, args.sim_url, args.client_id, args.client_secret, args.webhook_secret, args.base_url)
        return 0
    except xmlrpc.client.Fault as exc:
        print(f"Odoo refused: {exc.faultString.strip().splitlines()[-1]}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
