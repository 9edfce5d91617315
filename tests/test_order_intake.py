"""An Apicbase purchase order becomes a normal sale order: its lines, dates and references, once
per order and company, at a bounded cost, leaving the customer and Odoo's own line defaults alone."""
from datetime import datetime


from odoo.tests import tagged

from ..apicbase.payload import parse_order_json
from ..compat import LINE_TAXES, LINE_UOM
from ..const import DEFAULT_API_URL, DEFAULT_TOKEN_URL
from .common import ApicbaseCase, order_payload


@tagged("post_install", "-at_install")
class TestOrderIntake(ApicbaseCase):

    def test_order_becomes_sale_order_with_lines_prices_and_dates(self):
        outcome, record = self.receive()
        self.assertEqual(outcome, "accepted")
        self.assertEqual(record.state, "done")
        self.assertEqual(record.attempt_count, 1)
        sale = record.sale_order_id
        self.assertTrue(sale)
        self.assertEqual(sale.apicbase_order_id, record)
        self.assertEqual(sale.apicbase_id, "apic-po-0001")
        self.assertEqual(sale.partner_id, self.customer)
        self.assertEqual(sale.company_id, self.company)
        self.assertEqual(sale.state, "draft")
        self.assertEqual(sale.client_order_ref, "PO-2026-0042")
        self.assertEqual(sale.date_order, datetime(2026, 11, 20, 8, 30))
        self.assertEqual(sale.commitment_date, datetime(2026, 11, 22, 5, 0))
        self.assertEqual(sale.apicbase_remarks, "Deliver at the back door before 7am")
        self.assertEqual(sale.apicbase_owner, "chef.anna")
        self.assertEqual(sale.user_id, self.salesman)
        lines = sale.order_line.sorted("sequence")
        self.assertEqual(lines.mapped("product_id"), self.tomatoes + self.cola)
        self.assertEqual(lines.mapped("product_uom_qty"), [3.0, 2.0])
        self.assertEqual(lines.mapped("price_unit"), [2.40, 18.50])
        self.assertEqual(lines.mapped("apicbase_article_number"), ["TOM-1KG", "COLA-24"])
        self.assertFalse(sale.apicbase_price_mismatch)
        origin = sale.message_ids.filtered(lambda m: "Created from Apicbase purchase order" in (m.body or ""))
        self.assertEqual(len(origin), 1)
        self.assertIn("chef.anna", origin.body)
        self.assertIn(f'data-oe-model="apicbase.order" data-oe-id="{record.id}"', origin.body)
        self.assertEqual(record.partner_id, self.customer)
        self.assertEqual(record.ordered_on, datetime(2026, 11, 20, 8, 30))

    def test_same_order_twice_gives_one_sale_order(self):
        first_outcome, first = self.receive()
        second_outcome, second = self.receive()
        self.assertEqual((first_outcome, second_outcome), ("accepted", "duplicate"))
        self.assertEqual(first, second)
        self.assertEqual(self.env["sale.order"].search_count([("apicbase_id", "=", "apic-po-0001")]), 1)
        self.assertEqual(self.env["apicbase.order"].search_count([("apicbase_id", "=", "apic-po-0001")]), 1)

    def test_same_id_in_another_company_is_another_order(self):
        other = self.env["res.company"].create({"name": "Other Supplier"})
        raw = self.encode(order_payload(supplier_customer_number="NOBODY"))
        _outcome, record = self.env["apicbase.order"].sudo()._receive(other, raw, parse_order_json(raw))
        self.assertEqual(record.company_id, other)
        _outcome, mine = self.receive()
        self.assertNotEqual(record, mine)

    def test_article_lookup_reads_all_products_at_once(self):
        """Resolving the articles costs the same few queries whatever the number of lines."""
        products = self.env["product.product"].create([
            {"name": f"Article {index}", "default_code": f"ART-{index:02d}"} for index in range(10)])
        data = order_payload()
        data["packages"] = [{"stock_item": {"name": product.name}, "quantity_ordered": 1,
                             "supplier_package": {"supplier_article_number": product.default_code,
                                                  "theoretical_price_per_package": "1.00"}}
                            for product in products]
        order = parse_order_json(self.encode(data))
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        found, problems = self.env["sale.order"]._apicbase_products(self.company, order)
        self.assertEqual((len(found), problems), (10, []))
        self.assertLessEqual(self.cr.sql_log_count - before, 3, "search, products, templates")

    def test_a_ten_line_order_costs_a_bounded_number_of_queries(self):
        """README (Benchmarks) names the queries of one 10-line webhook order: this holds it. The
        first order warms the caches, as a running server's are."""
        products = self.env["product.product"].create([
            {"name": f"Article {index}", "default_code": f"ART-{index:02d}", "list_price": 3.25}
            for index in range(10)])

        def ten_lines(apicbase_id):
            data = order_payload(id=apicbase_id)
            data["packages"] = [{"stock_item": {"name": product.name}, "quantity_ordered": 1 + index % 4,
                                 "supplier_package": {"supplier_article_number": product.default_code,
                                                      "theoretical_price_per_package": "3.250"}}
                                for index, product in enumerate(products)]
            return data

        self.receive(ten_lines("apic-po-warm"))
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        _outcome, record = self.receive(ten_lines("apic-po-counted"))
        queries = self.cr.sql_log_count - before
        self.assertEqual((record.state, len(record.sale_order_id.order_line)), ("done", 10))
        self.assertLessEqual(queries, 57, "inbox, sale order and lines, chatter note, tracking, price check")

    def test_auto_confirm(self):
        self.company.apicbase_auto_confirm = True
        _outcome, record = self.receive()
        self.assertEqual(record.sale_order_id.state, "sale")

    def test_refused_confirmation_keeps_the_quotation(self):
        _outcome, record = self.receive()
        sale = record.sale_order_id
        sale._action_cancel()
        sale._apicbase_try_confirm()
        self.assertEqual(sale.state, "cancel")
        self.assertTrue(sale.message_ids.filtered(lambda m: "Not confirmed automatically" in (m.body or "")))

    def test_lines_carry_what_odoo_computes_for_a_line_made_by_hand(self):
        """The description, unit, taxes, lead time and analytic distribution Odoo computed once on
        the unsaved lines are what it gives a line of the same product entered by hand."""
        tax = self.env["account.tax"].create({"name": "Food 6 %", "amount": 6, "type_tax_use": "sale"})
        self.tomatoes.write({"taxes_id": [(6, 0, tax.ids)], "description_sale": "Vine-ripened"})
        plan = self.env["account.analytic.plan"].create({"name": "Channels"})
        account = self.env["account.analytic.account"].create({"name": "Apicbase", "plan_id": plan.id})
        self.env["account.analytic.distribution.model"].create({
            "partner_id": self.customer.id, "analytic_distribution": {str(account.id): 100}})
        _outcome, record = self.receive()
        by_hand = self.env["sale.order"].create({"partner_id": self.customer.id, "order_line": [
            (0, 0, {"product_id": self.tomatoes.id, "product_uom_qty": 3})]}).order_line
        line = record.sale_order_id.order_line.filtered(lambda line: line.product_id == self.tomatoes)
        for name in ("name", LINE_UOM, LINE_TAXES, "customer_lead", "analytic_distribution"):
            self.assertEqual(line[name], by_hand[name], name)
        self.assertEqual(line[LINE_TAXES], tax)
        self.assertIn("Vine-ripened", line.name)
        self.assertEqual(line.analytic_distribution, {str(account.id): 100})

    def test_no_analytic_distribution_when_no_model_could_apply(self):
        """Without a distribution model for the company, the lines get no distribution, as a line
        entered by hand, without Odoo searching the models once per line."""
        plan = self.env["account.analytic.plan"].create({"name": "Channels"})
        other = self.env["res.company"].create({"name": "Other supplier"})
        account = self.env["account.analytic.account"].create(
            {"name": "Elsewhere", "plan_id": plan.id, "company_id": other.id})
        self.env["account.analytic.distribution.model"].create({
            "company_id": other.id, "analytic_distribution": {str(account.id): 100}})
        self.assertFalse(self.env["sale.order"].with_company(self.company).new(
            {"company_id": self.company.id})._apicbase_analytic_models_exist())
        _outcome, record = self.receive()
        by_hand = self.env["sale.order"].create({"partner_id": self.customer.id, "order_line": [
            (0, 0, {"product_id": self.tomatoes.id, "product_uom_qty": 3})]}).order_line
        self.assertFalse(by_hand.analytic_distribution)
        self.assertEqual(record.state, "done")
        self.assertFalse(any(record.sale_order_id.order_line.mapped("analytic_distribution")))

    def test_an_order_leaves_the_customer_row_alone_and_the_salesperson_following(self):
        """Concurrent orders of one restaurant must not fight over its partner row (Odoo's assignment
        e-mail rewrote its signup data on every order); the salesperson still follows the order."""
        self.env["ir.config_parameter"].set_param("auth_signup.invitation_scope", "b2c")
        self.env.flush_all()
        row = "SELECT write_date, signup_type FROM res_partner WHERE id = %s"
        self.env.cr.execute(row, [self.customer.id])
        before = self.env.cr.fetchone()
        _outcome, record = self.receive()
        self.env.flush_all()
        self.env.cr.execute(row, [self.customer.id])
        self.assertEqual(self.env.cr.fetchone(), before)
        sale = record.sale_order_id
        self.assertEqual(sale.user_id, self.salesman)
        self.assertIn(self.salesman.partner_id, sale.message_partner_ids)
        self.assertTrue(sale.message_ids.filtered(lambda m: "Created from Apicbase purchase order" in (m.body or "")))

    def test_a_new_company_starts_with_the_documented_defaults(self):

        company = self.env["res.company"].create({"name": "Fresh supplier"})
        self.assertEqual(
            (company.apicbase_price_source, company.apicbase_unmapped_policy, company.apicbase_reconcile_days,
             company.apicbase_price_tolerance, company.apicbase_auto_confirm, company.apicbase_acknowledge),
            ("apicbase", "accept", 30, 1.0, False, False))
        self.assertEqual((company.apicbase_api_url, company.apicbase_token_url), (
            "https://api.apicbase.com/api/v2/integrations/suppliers/", "https://api.apicbase.com/oauth/token/"))
        self.assertEqual((DEFAULT_API_URL, DEFAULT_TOKEN_URL), (company.apicbase_api_url, company.apicbase_token_url))

    def test_copying_a_sale_order_does_not_copy_the_apicbase_link(self):
        _outcome, record = self.receive()
        copy = record.sale_order_id.copy()
        self.assertFalse(copy.apicbase_order_id)
        self.assertFalse(copy.apicbase_remarks)
        self.assertEqual(record.sale_order_ids, record.sale_order_id)
