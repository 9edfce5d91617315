# Benchmark: the hourly follow-up at scale; run inside `odoo-bin shell` by
# tools/benchmarks/run. For 1,000 and then 5,000 purchase orders in the simulator (pages of 200),
# 80 % of them held here with a sale order, it prints the time, the queries per page and the peak
# memory of a first run (most orders changed in Apicbase: delivered, closed, invoiced) and of a
# second run (nothing changed). The orders not held here are DELIVERED: nothing to recover, so the
# figures are the follow-up's own (recovery is the webhook path, measured by webhook_* benchmarks).
# The held sale orders are still quotations, so each one Apicbase has delivered is a contradiction:
# the first run also gives a to-do for each (3,600 at 5,000 orders).
# Time and queries come from runs without tracemalloc, which slows Python down about twice; the
# peak memory from the same scenario run again, on orders of its own, with tracemalloc on.
# A second scenario compares invoices: the held orders are confirmed and half of them invoiced here
# (a third of those paid), Apicbase holding paid, open and wrongly numbered invoices; it prints the
# queries per page of a first and an unchanged run, and the peak memory of another unchanged run.
import datetime as dt
import math
import time
import tracemalloc

import requests

import apicbase_simulator  # tools/ is on PYTHONPATH (tools/odoo-env)

PAGE = 200
# The simulator answers from this process: the time spent waiting for its answers is Apicbase's
# share, reported apart from the connector's own.
api_wait = [0.0]
_request = requests.Session.request


def timed_request(session, *args, **kwargs):
    started = time.perf_counter()
    try:
        return _request(session, *args, **kwargs)
    finally:
        api_wait[0] += time.perf_counter() - started


requests.Session.request = timed_request
company = env.company  # noqa: F821 - odoo-bin shell defines env
partner = env["res.partner"].create({"name": "Follow-up Bistro", "apicbase_customer_number": "REC-1"})
product = env["product.product"].create({"name": "Follow-up tomatoes", "default_code": "REC-TOM", "list_price": 2})
sim = apicbase_simulator.Simulator(seed=False, rate_limit=None).start()
company.write({"apicbase_api_url": sim.api_url, "apicbase_token_url": sim.token_url,
               "apicbase_client_id": sim.client_id, "apicbase_client_secret": sim.client_secret,
               "apicbase_reconcile_days": 30})


def purchase_order(index, prefix, held):
    ordered_on = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=20, minutes=index)).isoformat()
    return {"id": f"{prefix}-{index}", "order_number": f"{prefix.upper()}-{index}",
            "status": "ORDERED" if held else "DELIVERED", "ordered_on": ordered_on,
            "owned_by": {"username": "chef"}, "order_remarks": None, "expected_delivery_date": None,
            "packages": [{"stock_item": {"name": "Tomatoes"}, "quantity_ordered": 1, "total_theoretical_price": "2",
                          "supplier_package": {"supplier_article_number": "REC-TOM",
                                               "theoretical_price_per_package": "2"}}],
            "theoretical_price": "2", "supplier_customer_number": "REC-1"}


def hold(orders):
    """Inbox rows and their sale orders for ``orders``, as the webhook would have left them."""
    inbox = env["apicbase.order"].create([{
        "apicbase_id": order["id"], "name": order["order_number"], "company_id": company.id, "state": "done",
        "raw_payload": "{}", "customer_number": "REC-1", "partner_id": partner.id,
        "ordered_on": dt.datetime.fromisoformat(order["ordered_on"]).replace(tzinfo=None)} for order in orders])
    env["sale.order"].with_context(tracking_disable=True).create([{
        "partner_id": partner.id, "apicbase_order_id": record.id,
        "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})]} for record in inbox])


def follow_up(trace_memory):
    """One follow-up run: (seconds of our own, seconds, queries, peak memory or None, result)."""
    env.flush_all()
    env.invalidate_all()
    queries = env.cr.sql_log_count
    api_wait[0] = 0.0
    if trace_memory:
        tracemalloc.start()
    started = time.perf_counter()
    result = env["apicbase.order"]._follow_up(company)
    env.flush_all()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace_memory else None
    tracemalloc.stop()
    used = env.cr.sql_log_count - queries
    env.cr.commit()
    return seconds - api_wait[0], seconds, used, peak, result


def scenario(total, prefix):
    """``total`` orders in the simulator, 80 % held here, most of those since moved on in Apicbase."""
    orders = [purchase_order(index, prefix, held=index < total * 0.8) for index in range(total)]
    with sim.lock:
        sim.purchase_orders = [dict(order, **apicbase_simulator.ORDER_EXTRA_DEFAULTS) for order in orders]
    hold([order for order in orders if order["status"] == "ORDERED"])
    env.cr.commit()
    with sim.lock:  # most held orders moved on in Apicbase since
        for index, order in enumerate(sim.purchase_orders[:int(total * 0.8)]):
            if index % 10:
                order.update(status="DELIVERED", delivery_closed=True, invoice_status=2)


def invoiced_scenario(total, prefix):
    """``total`` orders, 80 % held and confirmed here, half of those invoiced (a third of them paid);
    in Apicbase the paid ones are paid, a third of the open ones marked paid too, a third carry a
    number that is none of ours; the orders not invoiced here are "not received" there."""
    orders = [purchase_order(index, prefix, held=index < total * 0.8) for index in range(total)]
    with sim.lock:
        sim.purchase_orders = [dict(order, **apicbase_simulator.ORDER_EXTRA_DEFAULTS) for order in orders]
    held = [order for order in orders if order["status"] == "ORDERED"]
    hold(held)
    inbox = env["apicbase.order"].search([("apicbase_id", "in", [order["id"] for order in held])], order="id")
    sales = inbox.sale_order_id
    sales.with_context(tracking_disable=True).action_confirm()
    invoiced = sales[: len(sales) // 2]
    invoices = invoiced.with_context(tracking_disable=True)._create_invoices(grouped=True)
    invoices.action_post()
    paid = invoices[: len(invoices) // 3]
    env["account.payment.register"].with_context(active_model="account.move", active_ids=paid.ids).create(
        {"group_payment": False})._create_payments()
    by_id = {record.apicbase_id: record for record in inbox}
    number_of = {sale.apicbase_order_id.apicbase_id: sale.invoice_ids[:1].name for sale in invoiced}
    paid_ids = {sale.apicbase_order_id.apicbase_id for sale in invoiced if sale.invoice_ids[:1] in paid}
    env.cr.commit()
    with sim.lock:
        for index, order in enumerate(sim.purchase_orders):
            if order["id"] not in by_id:
                continue
            order.update(status="DELIVERED", delivery_closed=True)
            if order["id"] in paid_ids:
                order.update(invoice_status=3, invoice_number=number_of[order["id"]])
            elif order["id"] in number_of:
                wrong = index % 3 == 1
                order.update(invoice_status=3 if index % 3 == 0 else 1,
                             invoice_number=f"X-{index}" if wrong else number_of[order["id"]].lower())
    return len(invoices), len(paid)


for total in (1000, 5000):
    pages = math.ceil(total / PAGE)
    scenario(total, f"rec{total}")
    timed = [follow_up(False), follow_up(False)]
    scenario(total, f"mem{total}")
    traced = [follow_up(True), follow_up(True)]
    print(f"{total} purchase orders, {int(total * 0.8)} held here, pages of {PAGE}:")
    for label, (own, seconds, used, _peak, result), memory in zip(
            ("first run (most changed)", "second run (nothing changed)"), timed, traced, strict=True):
        print(f"  {label}: {own:.1f} s of our own ({seconds:.1f} s with {seconds - own:.1f} s waiting for the "
              f"API), {used / pages:.0f} queries per page ({used} for {pages} pages), peak memory "
              f"{memory[3] / 2**20:.1f} MB; {result}")
for total in (1000, 5000):
    pages = math.ceil(total / PAGE)
    made, paid = invoiced_scenario(total, f"inv{total}")
    first, second, third = follow_up(False), follow_up(False), follow_up(True)
    disagreeing = env["apicbase.order"].search_count([("invoice_disagreement", "!=", False),
                                                      ("apicbase_id", "like", f"inv{total}-")])
    print(f"{total} purchase orders, {int(total * 0.8)} held and confirmed here, {made} invoiced ({paid} paid), "
          f"pages of {PAGE}: {disagreeing} orders whose invoices disagree")
    for label, (own, seconds, used, _peak, result) in (("first run", first), ("second run (nothing changed)", second)):
        print(f"  {label}: {own:.1f} s of our own ({seconds:.1f} s with {seconds - own:.1f} s waiting for the "
              f"API), {used / pages:.0f} queries per page ({used} for {pages} pages); {result}")
    print(f"  peak memory of an unchanged run: {third[3] / 2**20:.1f} MB")
sim.stop()
