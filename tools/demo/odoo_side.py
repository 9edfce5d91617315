"""The Odoo side of the demo, as the demo's admin through the web client's own routes (standard library only, but for
``serve``, which runs the simulator: werkzeug and requests, as in Odoo's own Python).

    python tools/demo/odoo_side.py configure --url URL --db DB --sim-url SIM --client-id ID \
        --client-secret SECRET --webhook-secret SECRET
    python tools/demo/odoo_side.py check --url URL --db DB
    python tools/demo/odoo_side.py invoice --url URL --db DB
    python tools/demo/odoo_side.py price-rise --url URL --db DB
    python tools/demo/odoo_side.py serve --url URL --db DB --sim-host 0.0.0.0 --sim-port 8090 \
        --sim-url http://127.0.0.1:8090 [--base-url http://localhost:8069]

``configure`` points the company at the simulator (the credentials and URLs depend on the run's
ports, so they are not demo data), publishes every assortment with the addon's Publish action,
reads the sync events once Apicbase processed the files and reads Apicbase's customers.
``check`` says whether the demo's orders arrived: each as a sale order of the right restaurant,
the one naming an unknown article waiting in the inbox as *Needs attention*; exit status 0 when
all is as expected, else 1 with what is wrong. ``invoice`` confirms and invoices the order the
restaurant has since marked paid in Apicbase, leaves the invoice open, runs the follow-up once and
checks that the disagreement shows (on the order and on the overview). ``price-rise`` raises
Brasserie du Parc's cola price by 30 %, runs the hourly republish once and checks that the assortment
waits for a sales manager (with a to-do) instead of being published. ``bash tools/demo/run`` runs these
four; ``check`` also makes sure the order asking for beef tomorrow is flagged Delivery Asked Too
Early, with a to-do for its salesperson, and no other order is.

``serve`` is the whole demo in one process, for docker-compose.yml: it waits until Odoo answers
with the addon installed, starts the simulator, configures, publishes, lets the simulator send its
orders to the webhook, checks, then serves the simulator until stopped.
"""
import argparse
import json
import secrets
import signal
import sys
import threading
import time
import urllib.request
from http.cookiejar import CookieJar

from apicbase_side import (PAID_ORDER, PRICE_DIFFERS_ORDER, TOO_EARLY_ORDER, UNKNOWN_ARTICLE,
                            UNKNOWN_ARTICLE_ORDER, demo_orders)

# The price the restaurant Brasserie du Parc pays for a cola tray rises 30 % (18.50 -> 24.05), above
# the default threshold: the hourly republish leaves its assortment to a sales manager.
PRICE_RISE_CUSTOMER, PRICE_RISE_ARTICLE, PRICE_RISE_TO = "CUST-2", "COLA-4X6X33", 24.05
TOO_EARLY_TODO = "Call the restaurant: delivery asked too early"

LOGIN = PASSWORD = "admin"  # a fresh Odoo database's administrator


class OdooRefused(Exception):
    """Odoo answered a call with an error (its message is the exception's)."""


class Odoo:
    """The demo's admin in Odoo, through the routes Odoo's web client uses: a session from
    /web/session/authenticate, then /web/dataset/call_kw. Those read the same on 18.0 and 19.0,
    where XML-RPC and /jsonrpc are deprecated (a warning logged per call)."""

    def __init__(self, url, db):
        self.url, self.db = url.rstrip("/"), db
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        try:
            session = self._call("/web/session/authenticate", {"db": db, "login": LOGIN, "password": PASSWORD})
        except OdooRefused as exc:
            raise SystemExit(f"cannot log in to {db} as {LOGIN}/{PASSWORD}: {exc}") from None
        self.uid = session.get("uid")
        if not self.uid:
            raise SystemExit(f"cannot log in to {db} as {LOGIN}/{PASSWORD}")

    def __call__(self, model, method, *args, **kwargs):
        return self._call(f"/web/dataset/call_kw/{model}/{method}",
                          {"model": model, "method": method, "args": list(args), "kwargs": kwargs})

    def _call(self, path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}).encode()
        request = urllib.request.Request(self.url + path, body, {"Content-Type": "application/json"})
        with self._opener.open(request, timeout=120) as answer:  # noqa: S310 - the demo's own Odoo
            reply = json.load(answer)
        if "error" in reply:
            error = reply["error"]
            raise OdooRefused((error.get("data") or {}).get("message") or error.get("message"))
        return reply["result"]

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
    # Customers at once; their packages may be left to the scheduled action (tools/demo/run runs the
    # scheduled actions interactively, not in --check).
    odoo("apicbase.customer", "action_pull", [])
    customers = odoo("apicbase.customer", "search_read", [], ["customer_number", "partner_id"])
    print("Apicbase customers: " + ", ".join(
        f"{c['customer_number']} = {c['partner_id'][1] if c['partner_id'] else '(not linked)'}" for c in customers))


def unknown_article_problems(label, record):
    """What is wrong with the inbox record of the order naming an unknown article (nothing: printed)."""
    if record["state"] != "failed" or record["failure_reason"] != "mapping":
        return [f"{label}: expected to need attention (unknown article), but its state is "
                f"{record['state']} / {record['failure_reason']}"]
    if UNKNOWN_ARTICLE not in (record["error_message"] or ""):
        return [f"{label}: needs attention, but its problem does not name {UNKNOWN_ARTICLE}: "
                f"{record['error_message']!r}"]
    if not record["activity_ids"]:
        return [f"{label}: needs attention, but nobody was given an activity"]
    print(f"ok  {label}: needs attention, as it should: {record['error_message']}")
    return []


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
            problems.extend(unknown_article_problems(label, record))
            continue
        if record["state"] != "done" or not record["sale_order_id"]:
            problems.append(f"{label}: expected a sale order, got state {record['state']}: "
                            f"{record['error_message'] or ''}")
            continue
        sale = odoo("sale.order", "read", [record["sale_order_id"][0]],
                    ["name", "state", "partner_id", "client_order_ref", "order_line", "amount_untaxed",
                     "apicbase_price_mismatch", "apicbase_delivery_too_early", "apicbase_delivery_warning",
                     "activity_ids"])[0]
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
        elif sale["apicbase_delivery_too_early"] != (order["id"] == TOO_EARLY_ORDER):
            problems.append(f"{label}: sale order {sale['name']} is "
                            f"{'' if sale['apicbase_delivery_too_early'] else 'not '}flagged Delivery Asked Too Early")
        elif sale["apicbase_delivery_too_early"] and not odoo("mail.activity", "search_count", [
                ("id", "in", sale["activity_ids"]), ("summary", "=", TOO_EARLY_TODO)]):
            problems.append(f"{label}: sale order {sale['name']} asks too early, but nobody was asked to call")
        elif sale["apicbase_delivery_too_early"]:
            print(f"ok  {label}: sale order {sale['name']} asks for delivery too early, the salesperson is to "
                  f"call: {sale['apicbase_delivery_warning']}")
        else:
            print(f"ok  {label}: sale order {sale['name']} for {sale['partner_id'][1]}, "
                  f"{len(sale['order_line'])} line(s), {sale['amount_untaxed']:.2f} untaxed")
    for problem in problems:
        print(f"BAD {problem}")
    return 1 if problems else 0


def invoice(odoo):
    """PAID_ORDER's sale order confirmed and invoiced, its invoice posted and left open; the
    follow-up run once (as Run Manually does): Apicbase's "paid" must then disagree with it."""
    [record] = odoo("apicbase.order", "search_read", [("apicbase_id", "=", PAID_ORDER)], ["sale_order_id"])
    sale_id = record["sale_order_id"][0]
    odoo("sale.order", "action_confirm", [sale_id])
    wizard = odoo("sale.advance.payment.inv", "create", {"advance_payment_method": "delivered",
                                                         "sale_order_ids": [(6, 0, [sale_id])]})
    odoo("sale.advance.payment.inv", "create_invoices", [wizard])
    invoices = odoo("sale.order", "read", [sale_id], ["invoice_ids"])[0]["invoice_ids"]
    odoo("account.move", "action_post", invoices)
    [cron] = odoo("ir.model.data", "search_read", [("module", "=", "apicbase_connector"),
                                                   ("name", "=", "ir_cron_apicbase_reconcile")], ["res_id"])
    odoo("ir.cron", "method_direct_trigger", [cron["res_id"]])
    [record] = odoo("apicbase.order", "search_read", [("apicbase_id", "=", PAID_ORDER)],
                    ["name", "invoice_status", "invoice_disagreement"])
    [overview] = odoo("apicbase.overview", "search_read", [("company_id", "=", odoo.company_id)],
                      ["invoice_disagreement_count"])
    names = [move["name"] for move in odoo("account.move", "read", invoices, ["name"])]
    label = f"{PAID_ORDER} ({record['name']})"
    if record["invoice_status"] != "3" or record["invoice_disagreement"] != "paid_not_paid" \
            or not overview["invoice_disagreement_count"]:
        print(f"BAD {label}: invoiced here ({', '.join(names)}), expected paid in Apicbase and disagreeing; got "
              f"invoice status {record['invoice_status']}, disagreement {record['invoice_disagreement']}, "
              f"{overview['invoice_disagreement_count']} on the overview")
        return 1
    print(f"ok  {label}: paid in Apicbase while invoice {', '.join(names)} is open here: shown on the order "
          f"and on the overview ({overview['invoice_disagreement_count']} disagreeing)")
    return 0


def price_rise(odoo):
    """Brasserie du Parc's cola price raised 30 % in its pricelist, the hourly republish run once (as
    Run Manually does): the assortment must wait for a sales manager, unpublished."""
    [assortment] = odoo("apicbase.assortment", "search_read", [("customer_number", "=", PRICE_RISE_CUSTOMER)],
                        ["name", "pricelist_id", "last_published_at"])
    [product] = odoo("product.product", "search", [("default_code", "=", PRICE_RISE_ARTICLE)])
    items = odoo("product.pricelist.item", "search", [("pricelist_id", "=", assortment["pricelist_id"][0]),
                                                      ("product_id", "=", product)])
    odoo("product.pricelist.item", "write", items, {"fixed_price": PRICE_RISE_TO})
    [cron] = odoo("ir.model.data", "search_read", [("module", "=", "apicbase_connector"),
                                                   ("name", "=", "ir_cron_apicbase_publish_changed")], ["res_id"])
    odoo("ir.cron", "method_direct_trigger", [cron["res_id"]])
    [after] = odoo("apicbase.assortment", "read", [assortment["id"]],
                   ["publish_held", "publish_held_reason", "publish_review_activity_id", "last_published_at"])
    label = f"{assortment['name']} ({PRICE_RISE_CUSTOMER})"
    if not after["publish_held"] or not after["publish_review_activity_id"] \
            or after["last_published_at"] != assortment["last_published_at"]:
        print(f"BAD {label}: its cola price rose 30 %, expected to wait for a sales manager unpublished; got "
              f"waiting {after['publish_held']}, to-do {after['publish_review_activity_id']}, last published "
              f"{after['last_published_at']} (before: {assortment['last_published_at']})")
        return 1
    print(f"ok  {label}: not republished on its own, waits for a sales manager: {after['publish_held_reason']}")
    return 0


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
        except (OSError, ValueError, OdooRefused, SystemExit):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"Odoo at {url} did not have apicbase_connector installed in {db} within {timeout} s")
        if not said:
            print(f"waiting for Odoo at {url} (database {db}) and the addon...", flush=True)
            said = True
        time.sleep(5)


def serve(args):
    from apicbase_side import make_simulator, send_orders  # werkzeug and requests: only here

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
        result = check(odoo) or invoice(odoo) or price_rise(odoo)
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
    parser.add_argument("command", choices=("configure", "check", "invoice", "price-rise", "serve"))
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
        if args.command == "invoice":
            return invoice(odoo)
        if args.command == "price-rise":
            return price_rise(odoo)
        configure(odoo, args.sim_url, args.client_id, args.client_secret, args.webhook_secret, args.base_url)
        return 0
    except OdooRefused as exc:
        print(f"Odoo refused: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
