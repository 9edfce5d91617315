# Benchmark, run by tools/benchmarks/run inside `odoo-bin shell` (``env`` is given).
# Pulls 10,000 packages (20 customers x 500) from the local Apicbase simulator into bindings
# (linking products and computing drift) and compares with Odoo's own product.product.load()
# of the same 10,000 rows (the baseline), in one run.
import time

import apicbase_simulator  # tools/ is on PYTHONPATH (tools/odoo-env)
from odoo.addons.apicbase_connector.models.apicbase_api_budget import DatabasePacer

# Apicbase allows 100 requests a minute and the connector keeps to it (apicbase.api.budget): the
# second pull, within the minute of the first, waits for room. That wait is Apicbase's share,
# reported apart from the connector's own time.
budget_wait = [0.0]
_acquire = DatabasePacer.acquire


def timed_acquire(pacer, requests_per_minute):
    started = time.perf_counter()
    try:
        return _acquire(pacer, requests_per_minute)
    finally:
        budget_wait[0] += time.perf_counter() - started


DatabasePacer.acquire = timed_acquire

N_PRODUCTS, N_CUSTOMERS = 500, 20
company = env.company
products = env["product.product"].create([{
    "name": f"Pull product {index}", "default_code": f"PULL-{index:04d}", "list_price": 2 + index % 13,
    "apicbase_content": ["1 kg", "4 x 6 x 33 cl", "10 x 100 g"][index % 3],
} for index in range(N_PRODUCTS)])
pricelist = env["product.pricelist"].create({"name": "Pull prices", "currency_id": company.currency_id.id})
sim = apicbase_simulator.Simulator(seed=False, rate_limit=None).start()
company.sudo().write({"apicbase_api_url": sim.api_url, "apicbase_token_url": sim.token_url,
                      "apicbase_client_id": sim.client_id, "apicbase_client_secret": sim.client_secret})
template = env["apicbase.assortment"].create({
    "name": "Pull template", "customer_number": "PULL-TEMPLATE", "pricelist_id": pricelist.id,
    "selection_mode": "domain", "product_domain": "[('default_code', '=like', 'PULL-%')]"})
packages, _rejected, _articles = template._build()
for index in range(N_CUSTOMERS):
    number = f"PULL-CUST-{index:02d}"
    sim.add_customer(number, 1)  # an integer, as Apicbase documents it
    template.copy({"name": number, "customer_number": number})
    for position, package in enumerate(packages):
        # Every fifth package has another price in Apicbase: drift to report.
        changed = dict(package, price=package["price"] + 1) if position % 5 == 0 else package
        sim.add_package(number, changed)
env.flush_all()
total = sum(len(sim.packages[f"PULL-CUST-{index:02d}"]) for index in range(N_CUSTOMERS))

env.invalidate_all()
queries = env.cr.sql_log_count
started = time.perf_counter()
customers = env["apicbase.customer"]._pull(company)
bound = env["apicbase.package"]._pull(company, customers)
env.flush_all()
pull_seconds = time.perf_counter() - started
pull_wait = budget_wait[0]  # none expected: the first pull's requests fit in the minute
pull_queries = env.cr.sql_log_count - queries
drifting = env["apicbase.package"].search_count([("has_drift", "=", True)])
pull_requests = len([entry for entry in sim.requests_log if "/packages" in entry["path"]])
linked = env["apicbase.package"].search_count([("product_id", "!=", False)])

rows = [[f"LOAD-{package_index:05d}", f"Load product {package_index}", "consu", "4.5", "1 kg"]
        for package_index in range(total)]
env.invalidate_all()
queries = env.cr.sql_log_count
started = time.perf_counter()
result = env["product.product"].load(["default_code", "name", "type", "list_price", "apicbase_content"], rows)
env.flush_all()
load_seconds = time.perf_counter() - started
load_queries = env.cr.sql_log_count - queries
assert not result["messages"], result["messages"][:3]

env.invalidate_all()
budget_wait[0] = 0.0
started = time.perf_counter()
again = env["apicbase.package"]._pull(company, customers)
env.flush_all()
repull_seconds = time.perf_counter() - started
repull_wait = budget_wait[0]
sim.stop()
print(f"packages pulled: {len(bound)} (linked {linked}, with drift {drifting}) in {pull_requests} page requests")
print(f"pull into bindings: {pull_seconds:.2f} s ({pull_seconds / total * 1e3:.2f} ms/package), "
      f"{pull_queries} queries, {pull_wait:.2f} s of it waiting for the API's minute")
print(f"product.product.load(): {load_seconds:.2f} s ({load_seconds / total * 1e3:.2f} ms/row), {load_queries} queries")
print(f"ratio pull/load: {pull_seconds / load_seconds:.2f} (goal <= 1.0)")
print(f"second pull (nothing changed): {repull_seconds - repull_wait:.2f} s our own; {repull_seconds:.2f} s in all, "
      f"{repull_wait:.2f} s of it waiting for room in Apicbase's 100 requests a minute (the first pull's "
      f"{pull_requests} requests were sent within the minute)")
env.cr.rollback()
