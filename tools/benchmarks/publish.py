# Benchmark, run by tools/benchmarks/run inside `odoo-bin shell` (``env`` is given).
# What a publish changes (the preview on the assortment's form, the hourly republish's check): the
# file built now compared with the one kept from the last publish, for assortments of 100 and 500
# products whose prices all rose and one of whose articles, ordered lately by the restaurant, is
# removed. The queries of one preview must not grow with the number of products.
import time

from odoo.addons.apicbase_connector.apicbase import assortment as assortment_lib

SIZES = (100, 500)
company = env.company
restaurant = env["res.partner"].create({"name": "Bench restaurant", "apicbase_customer_number": "BENCH-PUB"})
products = env["product.product"].create([{
    "name": f"Publish bench {index}", "default_code": f"PUB-{index:04d}", "list_price": 1 + index % 37 * 0.35,
    "apicbase_content": "1 kg"} for index in range(max(SIZES))])
pricelist = env["product.pricelist"].create({"name": "Publish bench", "currency_id": company.currency_id.id})
assortments = {}
for size in SIZES:
    assortments[size] = env["apicbase.assortment"].create({
        "name": f"Publish bench {size}", "customer_number": f"BENCH-PUB-{size}", "pricelist_id": pricelist.id,
        "selection_mode": "products", "product_ids": [(6, 0, products[:size].ids)],
        "partner_ids": [(6, 0, restaurant.ids)]})
    assortments[size]._keep_file(assortments[size]._build()[0])  # as the last publish left it
env["sale.order"].create({"partner_id": restaurant.id,
                          "order_line": [(0, 0, {"product_id": products[0].id, "product_uom_qty": 1})]})
for product in products:
    product.list_price *= 1.2  # every price rises 20 %, above the default threshold
for assortment in assortments.values():
    assortment.product_ids -= products[0]  # the article the restaurant ordered is removed
env.flush_all()


def preview(assortment):
    env.invalidate_all()
    queries = env.cr.sql_log_count
    started = time.perf_counter()
    html = str(assortment.publish_preview)
    return time.perf_counter() - started, env.cr.sql_log_count - queries, html


counts = {}
for size, assortment in assortments.items():
    best = None
    for _round in range(3):
        seconds, queries, html = preview(assortment)
        best = min(best or seconds, seconds)
    assert "ordered it in the last 90 days" in html and "price(s) changed" in html, html[:500]
    packages = assortment._build()[0]
    started = time.perf_counter()
    diff = assortment_lib.diff_files(assortment._last_packages(), packages)
    diff_seconds = time.perf_counter() - started
    counts[size] = queries
    print(f"preview of {size} products: {best:.3f} s, {queries} queries; the diff alone {diff_seconds * 1000:.1f} ms "
          f"({diff.summary})")
print(f"queries for one preview: {counts[SIZES[0]]} with {SIZES[0]} products, {counts[SIZES[1]]} with "
      f"{SIZES[1]} products: {'constant' if len(set(counts.values())) == 1 else 'NOT CONSTANT'}")
env.cr.rollback()
