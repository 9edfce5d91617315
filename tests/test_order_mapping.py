"""Customers and articles Odoo must resolve: an order it cannot map is kept, explained and retried once
fixed (or refused on the spot under the refuse policy); article numbers are never guessed."""
from odoo.tests import tagged

from .common import ApicbaseCase, order_payload


@tagged("post_install", "-at_install")
class TestOrderMapping(ApicbaseCase):

    def test_unresolved_order_is_kept_explained_and_retried(self):
        data = order_payload(supplier_customer_number="CUST-404")
        data["packages"][0]["supplier_package"]["supplier_article_number"] = "NOPE-1"
        outcome, record = self.receive(data)
        self.assertEqual(outcome, "accepted")
        self.assertEqual(record.state, "failed")
        self.assertEqual(record.failure_reason, "mapping")
        self.assertFalse(record.sale_order_id)
        self.assertIn("CUST-404", record.error_message)
        self.assertIn("NOPE-1 (Tomatoes)", record.error_message)
        self.assertNotIn("COLA-24", record.error_message)
        self.assertEqual(self.env["sale.order"].search_count([("apicbase_order_id", "=", record.id)]), 0)
        activity = record.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertIn("NOPE-1", activity.note)

        # A second failing attempt updates the activity instead of piling up new ones.
        record.action_retry()
        self.assertEqual(record.attempt_count, 2)
        self.assertEqual(len(record.activity_ids), 1)

        self.customer.apicbase_customer_number = "CUST-404"
        self.tomatoes.apicbase_article_number = "NOPE-1"
        record.with_user(self.salesman).action_retry()
        self.assertEqual(record.state, "done")
        self.assertEqual(record.attempt_count, 3)
        self.assertFalse(record.error_message)
        self.assertFalse(record.activity_ids)
        self.assertEqual(record.sale_order_id.partner_id, self.customer)
        self.assertEqual(record.sale_order_id.order_line.product_id, self.tomatoes + self.cola)

    def test_a_failed_order_keeps_its_known_customer(self):
        data = order_payload()
        data["packages"][0]["supplier_package"]["supplier_article_number"] = "NOPE-1"
        _outcome, record = self.receive(data)
        self.assertEqual((record.state, record.partner_id), ("failed", self.customer))

    def test_an_article_number_of_several_products_is_not_guessed(self):
        self.env["product.product"].create([{"name": f"Tomatoes {grade}", "default_code": "TOM-DUP",
                                             "list_price": 2.4} for grade in ("A", "B")])
        data = order_payload()
        data["packages"][0]["supplier_package"]["supplier_article_number"] = "TOM-DUP"
        _outcome, record = self.receive(data)
        self.assertEqual((record.state, record.failure_reason), ("failed", "mapping"))
        self.assertIn("TOM-DUP (Tomatoes): several products match", record.error_message)
        self.assertIn("Tomatoes A", record.error_message)
        self.assertIn("Tomatoes B", record.error_message)
        self.assertFalse(record.sale_order_id)

    def test_ambiguous_and_unsellable_mappings_are_explained(self):
        self.env["res.partner"].create({"name": "Bistro Anna (old)", "apicbase_customer_number": "CUST-7"})
        self.cola.sale_ok = False
        _outcome, record = self.receive()
        self.assertEqual(record.state, "failed")
        self.assertIn("several contacts", record.error_message)
        self.assertIn("Bistro Anna (old)", record.error_message)
        self.assertIn("cannot be sold", record.error_message)

    def test_explicit_article_number_wins_over_internal_reference(self):
        # A product whose internal reference equals another product's Apicbase number is ignored.
        self.env["product.product"].create({"name": "Old cola", "default_code": "COLA-24"})
        _outcome, record = self.receive()
        self.assertEqual(record.state, "done")
        self.assertIn(self.cola, record.sale_order_id.order_line.product_id)

    def test_article_number_set_on_the_product_form(self):
        template = self.env["product.template"].create({
            "name": "Basil pot", "apicbase_article_number": "BASIL-1", "list_price": 1.5})
        self.assertEqual(template.product_variant_id.apicbase_article_number, "BASIL-1")
        self.assertEqual(template.apicbase_article_number, "BASIL-1")
        self.assertEqual(self.env["product.template"].search([("apicbase_article_number", "=", "BASIL-1")]),
                         template)
        data = order_payload()
        data["packages"] = [{"stock_item": {"name": "Basil"}, "quantity_ordered": 4,
                             "supplier_package": {"supplier_article_number": "BASIL-1",
                                                  "theoretical_price_per_package": "1.50"}}]
        _outcome, record = self.receive(data)
        self.assertEqual(record.sale_order_id.order_line.product_id, template.product_variant_id)

    # -- the refuse policy: unknown articles refused on the spot -----------------------------------

    def test_refuse_policy(self):
        self.company.apicbase_unmapped_policy = "refuse"
        data = order_payload(supplier_customer_number="CUST-404")
        outcome, record = self.receive(data)
        self.assertEqual(outcome, "refused")
        self.assertEqual(record.state, "refused")
        self.assertIn("CUST-404", record.error_message)
        self.assertFalse(record.activity_ids, "the restaurant was told; nobody needs to act")
        # The same order sent again once the customer is known goes through, with what it now says.
        self.customer.apicbase_customer_number = "CUST-404"
        outcome, again = self.receive(dict(data, expected_delivery_date="2026-11-23T05:00:00Z"))
        self.assertEqual((outcome, again), ("accepted", record))
        self.assertEqual(record.state, "done")
        self.assertEqual(str(record.expected_delivery_date), "2026-11-23 05:00:00")
        self.assertEqual(str(record.sale_order_id.commitment_date), "2026-11-23 05:00:00")

    def test_resolved_orders_are_accepted_under_refuse_policy(self):
        self.company.apicbase_unmapped_policy = "refuse"
        outcome, record = self.receive()
        self.assertEqual((outcome, record.state), ("accepted", "done"))
