# Benchmark, run by tools/benchmarks/run inside `odoo-bin shell` (``env`` is given).
# Builds and validates 20 customer assortments of 500 products (10,000 packages) and compares
# with Odoo's own export_data of the same fields on the same records (the baseline), in one run.
# Also shows that the queries per assortment do not grow with the number of products.
import time

from odoo.addons.apicbase_connector.apicbase.assortment import _description_for

N_PRODUCTS, N_PRICELISTS = 500, 20
CONTENTS = ["1 kg", "3 x 1 kg", "4 x 6 x 33 cl", "10 x 100 g", "12 x 1.5 l", "6 x 75 cl", "2.5 kg", "24 piece"]
company = env.company
Product = env["product.product"]
products = Product.create([{
    "name": f"Bench product {index}", "default_code": f"BENCH-{index:04d}", "list_price": 1 + index % 37 * 0.35,
    "apicbase_content": CONTENTS[index % len(CONTENTS)], "apicbase_brand": f"Brand {index % 11}",
    "apicbase_package_type": "case" if index % 2 else "bag", "description_sale": f"Bench product number {index}",
} for index in range(N_PRODUCTS)])
pricelists = env["product.pricelist"].create([{
    "name": f"Customer {index}", "currency_id": company.currency_id.id,
    "item_ids": [(0, 0, {"applied_on": "3_global", "compute_price": "percentage", "percent_price": index}),
                 (0, 0, {"applied_on": "0_product_variant", "product_id": products[index].id,
                         "compute_price": "fixed", "fixed_price": 9.99})],
} for index in range(N_PRICELISTS)])
assortments = env["apicbase.assortment"].create([{
    "name": f"Bench {index}", "customer_number": f"BENCH-CUST-{index}", "pricelist_id": pricelist.id,
    "selection_mode": "domain", "product_domain": "[('default_code', '=like', 'BENCH-%')]",
} for index, pricelist in enumerate(pricelists)])
env.flush_all()
EXPORT_FIELDS = ["default_code", "name", "barcode", "description_sale", "apicbase_content", "apicbase_brand",
                 "apicbase_package_type", "apicbase_price_type", "apicbase_price_unit", "apicbase_weighted",
                 "apicbase_orderable", "apicbase_order_multiplier", "apicbase_lead_time", "lst_price"]


def timed(function):
    env.invalidate_all()
    queries = env.cr.sql_log_count
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, env.cr.sql_log_count - queries, result


def build_all():
    _description_for.cache_clear()  # cold: no label parsed before this run
    counts = []
    for assortment in assortments:
        packages, rejected, _articles = assortment._build()
        counts.append((len(packages), len(rejected)))
    return counts


def export_all():
    return [len(products.export_data(EXPORT_FIELDS)["datas"]) for _assortment in assortments]


def export_and_price_all():
    """The fair baseline: the same rows exported, and each customer's prices from Odoo's own engine."""
    rows = []
    for assortment in assortments:
        rows.append(len(products.export_data(EXPORT_FIELDS)["datas"]))
        assortment.pricelist_id._get_products_price(products, 1.0)
    return rows


best_build, best_export, best_fair = None, None, None
for _round in range(3):
    build_seconds, build_queries, counts = timed(build_all)
    export_seconds, export_queries, rows = timed(export_all)
    fair_seconds, _fair_queries, _rows = timed(export_and_price_all)
    best_build = min(best_build or build_seconds, build_seconds)
    best_export = min(best_export or export_seconds, export_seconds)
    best_fair = min(best_fair or fair_seconds, fair_seconds)
packages = sum(count for count, _rejected in counts)
rejected = sum(bad for _count, bad in counts)
print(f"assortments: {len(assortments)}, packages built and validated: {packages}, rejected: {rejected}")
print(f"baseline export_data rows: {sum(rows)}")
print(f"build+validate: {best_build:.3f} s ({best_build / packages * 1e6:.0f} us/package), "
      f"{build_queries} queries ({build_queries / len(assortments):.1f} per assortment)")
print(f"export_data:    {best_export:.3f} s, {export_queries} queries")
print(f"export_data + pricelist._get_products_price: {best_fair:.3f} s")
print(f"ratio build/export_data: {best_build / best_export:.2f} (goal <= 1.5)")
print(f"ratio build/(export_data+pricelist): {best_build / best_fair:.2f} (goal <= 1.1)")

small = assortments[0].copy({"customer_number": "BENCH-SMALL",
                             "product_domain": "[('default_code', '=like', 'BENCH-00%')]"})
_seconds, small_queries, _result = timed(lambda: small._build())
_seconds, large_queries, _result = timed(lambda: assortments[1]._build())
print(f"queries for one assortment: {small_queries} with {len(small._products())} products, "
      f"{large_queries} with {len(assortments[1]._products())} products")
env.cr.rollback()
