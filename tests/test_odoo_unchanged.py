"""Installing the connector leaves the rest of Odoo as it was.

Odoo's own suites judge that as a whole (tools/odoo_own_suites.py); these tests hold each of the
addon's overrides of Odoo's methods to it: an ordinary sale order, one that did not come from
Apicbase, behaves exactly as Odoo makes it behave, figure for figure.
"""
from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..compat import LINE_PRICE_ROUNDED, USER_GROUPS
from .common import ApicbaseCase, single_line_order


@tagged("post_install", "-at_install")
class TestOdooUnchanged(ApicbaseCase):

    def ordinary_order(self, pricelist=None, **line):
        """A quotation typed by a salesman, as any other customer's."""
        other = self.env["res.partner"].create({"name": "Ordinary Customer"})
        values = {"partner_id": other.id,
                  "order_line": [(0, 0, {"product_id": self.tomatoes.id, "product_uom_qty": 3, **line})]}
        if pricelist:
            values["pricelist_id"] = pricelist.id
        return self.env["sale.order"].create(values)

    def discount_pricelist(self, percent):
        self.env.user[USER_GROUPS] |= self.env.ref("sale.group_discount_per_so_line")
        return self.env["product.pricelist"].create({
            "name": f"{percent} % off", "currency_id": self.company.currency_id.id,
            "item_ids": [(0, 0, {"applied_on": "3_global", "compute_price": "percentage",
                                 "percent_price": percent})]})

    # -- what the install changes: nothing outside the addon ----------------------------------

    def test_install_leaves_the_product_price_precision_as_odoo_ships_it(self):
        # Odoo ships 2 decimals (product/data/product_data.xml); Apicbase's 3 are the admin's choice.
        self.assertEqual(self.env.ref("product.decimal_price").digits, 2)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.apicbase_price_digits, 2, "the settings say what the precision is")

    def test_only_an_administrator_raises_the_precision(self):
        manager = self.sales_manager("Mia Manager", "apicbase_unchanged_manager")
        settings = self.env["res.config.settings"].create({})
        for user in (self.salesman, manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                settings.with_user(user).action_apicbase_raise_price_precision()
        self.assertEqual(self.env.ref("product.decimal_price").digits, 2)
        settings.action_apicbase_raise_price_precision()  # the administrator
        self.assertEqual(self.env.ref("product.decimal_price").digits, 3)
        self.env.ref("product.decimal_price").digits = 4
        settings.action_apicbase_raise_price_precision()
        self.assertEqual(self.env.ref("product.decimal_price").digits, 4, "never lowered")

    # -- each override, on an ordinary order --------------------------------------------------

    def test_pricelist_discount_on_an_ordinary_line_is_odoos(self):
        """sale.order.line._compute_discount: Apicbase's locked net prices only."""
        sale = self.ordinary_order(self.discount_pricelist(20))
        line = sale.order_line
        self.assertEqual((line.price_unit, line.discount), (2.40, 20.0))
        self.assertAlmostEqual(line.price_subtotal, 5.76)
        line.product_uom_qty = 5  # recomputed as Odoo does
        self.assertEqual((line.price_unit, line.discount), (2.40, 20.0))
        self.assertFalse(line.apicbase_price_locked or line.apicbase_price_mismatch or line.apicbase_price_rounded)

    def test_update_prices_on_an_ordinary_order_is_odoos(self):
        """sale.order._recompute_prices: unlocks Apicbase lines only, then Odoo's own repricing."""
        pricelist = self.discount_pricelist(20)
        sale = self.ordinary_order(pricelist, price_unit=9.99)  # a price typed by hand
        line = sale.order_line
        self.assertEqual(line.price_unit, 9.99)
        pricelist.item_ids.percent_price = 50
        sale.action_update_prices()
        self.assertEqual((line.price_unit, line.discount), (2.40, 50.0))
        self.assertAlmostEqual(sale.amount_untaxed, 3.60)

    def test_cancelling_an_ordinary_order_gives_nobody_a_to_do(self):
        """sale.order._action_cancel: contradictions concern Apicbase orders only."""
        sale = self.ordinary_order()
        sale.action_confirm()
        activities = self.env["mail.activity"].search_count([])
        sale._action_cancel()
        self.assertEqual(sale.state, "cancel")
        self.assertEqual(self.env["mail.activity"].search_count([]), activities)

    def test_analytic_distribution_of_an_ordinary_line_is_odoos(self):
        """Apicbase lines skip the per-line model search when no model could apply; ordinary lines
        are always left to Odoo's computation, model or not."""
        analytic_plan = self.env["account.analytic.plan"].create({"name": "Regions"})
        account = self.env["account.analytic.account"].create({"name": "North", "plan_id": analytic_plan.id})
        self.env["account.analytic.distribution.model"].create({
            "partner_id": False, "product_id": self.tomatoes.id, "company_id": self.company.id,
            "analytic_distribution": {str(account.id): 100}})
        line = self.ordinary_order().order_line
        self.assertEqual(line.analytic_distribution, {str(account.id): 100})

    def test_an_ordinary_order_in_a_foreign_currency_is_rounded_as_odoo_rounds_it(self):
        """The precision Odoo ships rounds a converted price to the cent, as Odoo's own report test
        (sale's TestSaleReportCurrencyRate) expects; the install once raised it and moved such totals."""
        currency = self.env["res.currency"].create({"name": "ZZA", "symbol": "Z", "rounding": 0.01})
        self.env["res.currency.rate"].create({"currency_id": currency.id, "rate": 1.2345,
                                              "company_id": self.company.id, "name": "2020-01-01"})
        pricelist = self.env["product.pricelist"].create({"name": "ZZA", "currency_id": currency.id})
        self.tomatoes.list_price = 10.0  # 12.345 ZZA
        sale = self.ordinary_order(pricelist)
        if LINE_PRICE_ROUNDED:  # 18.0: charged 12.35 at Odoo's two decimals, not 12.345
            self.assertEqual(sale.order_line.price_unit, 12.35)
            self.assertEqual(sale.amount_untaxed, 37.05)
        else:  # 19.0 keeps the converted price as it is; the total is rounded to the currency's cent
            self.assertAlmostEqual(sale.order_line.price_unit, 12.345, places=6)
            self.assertEqual(sale.amount_untaxed, currency.round(3 * sale.order_line.price_unit))

    def test_an_apicbase_order_beside_them_still_gets_apicbase_treatment(self):
        """The counterpart of the tests above: the overrides still do their job on Apicbase's lines."""
        pricelist = self.discount_pricelist(20)
        self.customer.property_product_pricelist = pricelist
        _outcome, record = self.receive(single_line_order("TOM-1KG", "2.40", 3))
        line = record.sale_order_id.order_line
        self.assertEqual((line.price_unit, line.discount), (2.40, 0.0), "Apicbase's net price, no discount on top")
        self.assertTrue(line.apicbase_price_locked)
