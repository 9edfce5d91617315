"""The prices of an order's lines: Apicbase's price kept or the pricelist's, a difference beyond the
tolerance flagged, three decimals kept exactly, and Update Prices repricing lines like any other."""
from odoo.tests import tagged

from ..compat import LINE_PRICE_ROUNDED, USER_GROUPS
from .common import ApicbaseCase, order_payload, single_line_order


@tagged("post_install", "-at_install")
class TestOrderPricing(ApicbaseCase):

    def discount_pricelist(self):
        """10 % off every product, shown as a discount on the line; tomatoes listed at 10.00."""
        self.env.user[USER_GROUPS] |= self.env.ref("sale.group_discount_per_so_line")
        pricelist = self.env["product.pricelist"].create({
            "name": "10 % off", "currency_id": self.company.currency_id.id,
            "item_ids": [(0, 0, {"applied_on": "3_global", "compute_price": "percentage", "percent_price": 10})]})
        self.customer.property_product_pricelist = pricelist
        self.tomatoes.list_price = 10.0
        return pricelist

    def test_apicbase_price_is_kept_and_difference_flagged(self):
        self.tomatoes.list_price = 2.00  # pricelist says 2.00, Apicbase 2.40: 20 % off
        outcome, record = self.receive()
        line = record.sale_order_id.order_line.filtered(lambda line: line.product_id == self.tomatoes)
        self.assertEqual(line.price_unit, 2.40)
        self.assertEqual(line.apicbase_price, 2.40)
        self.assertEqual(line.apicbase_pricelist_price, 2.00)
        self.assertTrue(line.apicbase_price_mismatch)
        self.assertTrue(record.sale_order_id.apicbase_price_mismatch)
        self.assertIn(self.tomatoes, record.sale_order_id.order_line.filtered("apicbase_price_mismatch").product_id)
        self.assertTrue(record.sale_order_id.message_ids.filtered(lambda m: "disagree" in (m.body or "")))

    def test_difference_within_tolerance_is_not_flagged(self):
        self.tomatoes.list_price = 2.38  # 0.8 % under Apicbase's 2.40, tolerance 1 %
        _outcome, record = self.receive()
        self.assertFalse(record.sale_order_id.apicbase_price_mismatch)
        self.company.apicbase_price_tolerance = 0.5
        _outcome, record = self.receive(order_payload(id="apic-po-0002"))
        self.assertTrue(record.sale_order_id.apicbase_price_mismatch)

    def test_the_tolerance_boundary_is_exact(self):
        """1 % of 2.400 is 0.024: 2.424 is within it, 2.425 is not (no hidden rounding slack)."""
        self.raise_price_precision()
        self.tomatoes.list_price = 2.40
        for apicbase_price, flagged in (("2.424", False), ("2.376", False), ("2.425", True), ("2.375", True)):
            with self.subTest(apicbase_price=apicbase_price):
                _outcome, record = self.receive(single_line_order("TOM-1KG", apicbase_price, 1,
                                                                  id=f"apic-po-boundary-{apicbase_price}"))
                self.assertEqual(record.sale_order_id.order_line.apicbase_price_mismatch, flagged)

    def test_pricelist_discount_is_not_applied_twice(self):
        self.discount_pricelist()
        data = order_payload()
        data["packages"][0]["supplier_package"]["theoretical_price_per_package"] = "9.00"
        _outcome, record = self.receive(data)
        line = record.sale_order_id.order_line.filtered(lambda line: line.product_id == self.tomatoes)
        self.assertEqual((line.price_unit, line.discount), (9.0, 0.0))
        self.assertAlmostEqual(line.price_subtotal, 27.0)
        self.assertAlmostEqual(line.apicbase_pricelist_price, 9.0)
        self.assertFalse(line.apicbase_price_mismatch, "9.00 net is the pricelist's 10 less 10 %")
        # Editing the quantity keeps Apicbase's net price: no discount comes back on top.
        line.product_uom_qty = 4
        self.assertEqual((line.price_unit, line.discount), (9.0, 0.0))
        self.assertAlmostEqual(line.price_subtotal, 36.0)

    def test_pricelist_price_source(self):
        self.company.apicbase_price_source = "pricelist"
        self.tomatoes.list_price = 2.00
        _outcome, record = self.receive()
        lines = record.sale_order_id.order_line.sorted("sequence")
        self.assertEqual(lines.mapped("price_unit"), [2.00, 18.50])
        self.assertTrue(lines[0].apicbase_price_mismatch)
        self.assertEqual(lines[0].apicbase_price, 2.40)

    def test_pricelist_price_of_the_ordered_quantity_is_the_reference(self):
        """The pricelist is asked for the line as ordered (a quantity break applies), and a line it
        priced stays priced by it: a new quantity reprices it like any other line."""
        self.company.apicbase_price_source = "pricelist"
        self.customer.property_product_pricelist = self.env["product.pricelist"].create({
            "name": "From 10 kg", "currency_id": self.company.currency_id.id,
            "item_ids": [(0, 0, {"applied_on": "0_product_variant", "product_id": self.tomatoes.id,
                                 "min_quantity": 10, "compute_price": "fixed", "fixed_price": 2.00})]})
        _outcome, record = self.receive(single_line_order("TOM-1KG", "2.00", 12))
        line = record.sale_order_id.order_line
        self.assertEqual((line.price_unit, line.apicbase_pricelist_price), (2.00, 2.00))
        self.assertFalse(line.apicbase_price_mismatch)
        self.assertFalse(line.apicbase_price_locked)
        line.product_uom_qty = 3
        self.assertEqual(line.price_unit, 2.40)

    def test_missing_apicbase_price_falls_back_to_pricelist(self):
        data = order_payload()
        data["packages"][0]["supplier_package"]["theoretical_price_per_package"] = None
        self.tomatoes.list_price = 2.10
        _outcome, record = self.receive(data)
        line = record.sale_order_id.order_line.filtered(lambda line: line.product_id == self.tomatoes)
        self.assertEqual(line.price_unit, 2.10)
        self.assertFalse(line.apicbase_price_mismatch)

    # -- prices with three decimals ----------------------------------------------------------------

    def test_three_decimal_apicbase_price_is_kept_exactly_once_the_precision_is_raised(self):
        self.raise_price_precision()
        self.tomatoes.list_price = 0.125
        _outcome, record = self.receive(single_line_order("TOM-1KG", "0.125", 100))
        sale = record.sale_order_id
        line = sale.order_line
        self.assertEqual(line.price_unit, 0.125)
        self.assertEqual(line.price_subtotal, 12.50)
        self.assertEqual(line.apicbase_price, 0.125)
        self.assertFalse(line.apicbase_price_mismatch)
        self.assertFalse(line.apicbase_price_rounded)
        self.assertFalse(sale.apicbase_price_rounded)
        self.assertEqual(sale.apicbase_amount, 12.5)

    def test_price_rounded_at_odoo_default_precision_is_flagged_and_the_exact_total_kept(self):
        self.assertEqual(self.env.ref("product.decimal_price").digits, 2, "installing changed no precision")
        self.company.apicbase_price_tolerance = 5.0  # the pricelist's 0.13 is within 5 %: only rounding is news
        self.tomatoes.list_price = 0.125
        _outcome, record = self.receive(single_line_order("TOM-1KG", "0.125", 100))
        sale = record.sale_order_id
        line = sale.order_line
        self.assertEqual(line.apicbase_price, 0.125, "Apicbase's own price is kept exactly")
        overview = self.env["apicbase.overview"].search([("company_id", "=", self.company.id)])
        if not LINE_PRICE_ROUNDED:
            # 19.0 charges the price as given, whatever the precision: nothing rounded, nothing to flag.
            self.assertEqual((line.price_unit, sale.amount_untaxed, sale.apicbase_amount), (0.125, 12.5, 12.5))
            self.assertFalse(line.apicbase_price_mismatch or line.apicbase_price_rounded or sale.apicbase_price_rounded)
            self.assertFalse(sale.message_ids.filtered(lambda m: "rounded" in (m.body or "")))
            self.assertEqual(overview.rounded_line_count, 0)
            return
        self.assertEqual(line.price_unit, 0.13, "as close as the precision allows")
        self.assertTrue(line.apicbase_price_mismatch)
        self.assertTrue(line.apicbase_price_rounded)
        self.assertTrue(sale.apicbase_price_mismatch)
        self.assertTrue(sale.apicbase_price_rounded)
        self.assertEqual(sale.amount_untaxed, 13.0)
        self.assertEqual(sale.apicbase_amount, 12.5, "the restaurant's exact total stays on the order")
        self.assertTrue(sale.message_ids.filtered(lambda m: "rounded" in (m.body or "")))
        self.assertFalse(sale.message_ids.filtered(lambda m: "disagree" in (m.body or "")))
        self.assertEqual(overview.rounded_line_count, 1)
        opened = self.env["sale.order"].search(overview.action_open_rounded_lines()["domain"])
        self.assertEqual(opened, sale)

    def test_the_exact_total_comes_from_apicbase_figures(self):
        _outcome, record = self.receive()
        self.assertEqual(record.sale_order_id.apicbase_amount, 44.20, "the order's theoretical_price")
        data = order_payload()
        del data["theoretical_price"]
        data["packages"][0]["total_theoretical_price"] = "7.205"
        _outcome, record = self.receive(dict(data, id="apic-po-total-lines"))
        self.assertAlmostEqual(record.sale_order_id.apicbase_amount, 44.205, places=3, msg="the lines' totals")

    def test_sub_cent_difference_from_the_pricelist_is_flagged(self):
        self.company.apicbase_price_source = "pricelist"
        self.tomatoes.list_price = 0.13
        _outcome, record = self.receive(single_line_order("TOM-1KG", "0.125", 100))
        line = record.sale_order_id.order_line
        self.assertEqual((line.price_unit, line.apicbase_price), (0.13, 0.125))
        self.assertTrue(line.apicbase_price_mismatch, "0.125 against 0.13 is 4 %, over the 1 % tolerance")

    # -- Update Prices: Apicbase lines repriced like any other -------------------------------------

    def test_update_prices_reprices_apicbase_lines_with_the_pricelist_discount(self):
        pricelist = self.discount_pricelist()
        _outcome, record = self.receive(single_line_order("TOM-1KG", "9.00", 3))
        sale = record.sale_order_id
        line = sale.order_line
        self.assertEqual((line.price_unit, line.discount), (9.0, 0.0))
        pricelist.item_ids.percent_price = 20
        sale.action_update_prices()
        self.assertEqual((line.price_unit, line.discount), (10.0, 20.0))
        self.assertAlmostEqual(line.price_subtotal, 24.0)
        self.assertFalse(line.apicbase_price_locked)
        # From now on the line is priced like any other: a new quantity keeps the pricelist discount.
        line.product_uom_qty = 4
        self.assertEqual((line.price_unit, line.discount), (10.0, 20.0))
