"""The Apicbase side of ``bash tools/demo/run``: the simulator with its seed plus the demo's orders.

    python tools/demo/apicbase_side.py --port 8090 --client-id ID --client-secret SECRET \
        --webhook-url http://127.0.0.1:8069/apicbase/webhook/TOKEN --webhook-secret SECRET

Serves the simulated API (``tools/apicbase_simulator``) until SIGTERM or Ctrl-C. On SIGUSR1 it
posts its ORDERED purchase orders to ``--webhook-url``, signed as Apicbase signs them, prints one
``webhook <id> -> <status> <body>`` line per order and then ``ORDERS SENT <n> <failed>``. The
orders are those of the seed and a few more (see ``demo_orders``): restaurants CUST-1..3 of the
addon's demo data ordering its catalogue, one of them naming an article Odoo does not know.

Standard library, werkzeug and requests (Odoo's own dependencies): run it with Odoo's Python.
"""
import argparse
import datetime as dt
import signal
import threading

from apicbase_simulator import Simulator, isoformat  # tools/ is on PYTHONPATH (tools/odoo-env)
from apicbase_simulator.seed import order_line, purchase_order

# The order of tools/demo/run's check: these ids become sale orders, UNKNOWN_ARTICLE_ORDER waits in the inbox.
UNKNOWN_ARTICLE = "OLIVE-OIL-5L"
UNKNOWN_ARTICLE_ORDER = "po-2004"
PRICE_DIFFERS_ORDER = "po-2003"  # its Apicbase price is not the customer's pricelist price
# Delivered, and marked paid by the restaurant once its orders are sent, while its invoice is open in Odoo.
PAID_ORDER = "po-2001"
# Asks for beef (two working days of lead time in the demo catalogue) tomorrow: accepted, flagged
# Delivery Asked Too Early, the salesperson asked to call the restaurant.
TOO_EARLY_ORDER = "po-1002"


def demo_orders(now=None):
    """The demo's purchase orders, ordered minutes ago (so the hourly follow-up finds them held, not
    missing) for delivery tomorrow morning; the other one with beef in a week, which its lead time
    allows."""
    now = now or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    tomorrow = (now + dt.timedelta(days=1)).replace(hour=5, minute=0, second=0)

    def order(order_id, number, customer, minutes_ago, owner, lines, remarks=None, delivery=tomorrow):
        return purchase_order(order_id, "ORDERED", isoformat(now - dt.timedelta(minutes=minutes_ago)),
                              isoformat(delivery), lines, order_number=number, supplier_customer_number=customer,
                              owned_by={"username": owner}, order_remarks=remarks)

    return [
        # The seed's ORDERED order (Bistro Anna), dated today: beef tomorrow is too early.
        order(TOO_EARLY_ORDER, "PO-1002", "CUST-1", 9, "chef.anna",
              [order_line("POT-3X1KG", "Potatoes", "5.400", 2),
               order_line("COLA-4X6X33", "Cola 33 cl", "19.990", 2),
               order_line("BEEF-KG", "Beef", "24.500", 3)],
              remarks="Back door, please"),
        # Brasserie du Parc orders at its own prices (its pricelist in Odoo).
        order("po-2001", "BDP-0412", "CUST-2", 8, "marc.brasserie",
              [order_line("POT-1KG", "Potatoes", "1.850", 10),
               order_line("COLA-4X6X33", "Cola 33 cl", "18.500", 2),
               order_line("BUTTER-10X250G", "Butter", "22.230", 1)]),
        # Trattoria Verde.
        order("po-2002", "TV-0077", "CUST-3", 7, "giulia",
              [order_line("FLOUR-10X100G", "Flour 00", "7.250", 4),
               order_line("TOM-6KG", "Tomatoes", "14.800", 2),
               order_line("EGG-30", "Eggs", "8.700", 3)]),
        # An Apicbase price the pricelist disagrees with: the sale order flags the line.
        order(PRICE_DIFFERS_ORDER, "BDP-0413", "CUST-2", 6, "marc.brasserie",
              [order_line("BEEF-KG", "Beef", "24.500", 5),
               order_line("POT-1KG", "Potatoes", "1.850", 20)],
              remarks="Steak night next week", delivery=tomorrow + dt.timedelta(days=6)),
        # An article Odoo does not know: the order waits in the inbox for a person.
        order(UNKNOWN_ARTICLE_ORDER, "PO-1004", "CUST-1", 5, "chef.anna",
              [order_line("POT-1KG", "Potatoes", "1.950", 5),
               order_line(UNKNOWN_ARTICLE, "Olive oil", "42.000", 2)]),
    ]


def send_orders(sim, webhook_url, webhook_secret=None):
    """Posts the ORDERED orders to the webhook, then the restaurant of PAID_ORDER receives it and
    marks it paid (without typing our invoice number): (sent, failed)."""
    sent, failed = sim.send_ordered(webhook_url, webhook_secret)
    sim.receive_order(PAID_ORDER, invoice_status=3)
    return sent, failed


def _arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--client-id", default="demo-client")
    parser.add_argument("--client-secret", default="demo-client-secret")
    parser.add_argument("--webhook-url", required=True)
    parser.add_argument("--webhook-secret", help="signing key (default: the client secret)")
    return parser.parse_args(argv)


def make_simulator(client_id, client_secret, host="127.0.0.1", port=0):
    """The simulator (not started) with its seed and the demo's orders."""
    sim = Simulator(client_id=client_id, client_secret=client_secret, host=host, port=port, rate_limit=100)
    for order in demo_orders():
        sim.add_purchase_order(order)
    return sim


def main(argv=None):
    args = _arguments(argv)
    sim = make_simulator(args.client_id, args.client_secret, args.host, args.port)
    send, stop = threading.Event(), threading.Event()
    signal.signal(signal.SIGUSR1, lambda *_: send.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sim.start()
    print(f"SIMULATOR READY {sim.base_url}", flush=True)
    try:
        while not stop.is_set():
            if send.wait(0.2):
                send.clear()
                sent, failed = send_orders(sim, args.webhook_url, args.webhook_secret)
                print(f"ORDERS SENT {sent} {failed}", flush=True)
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
