from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..compat import GROUP_USERS, USER_GROUPS
from .common import ApicbaseCase, SimulatorMixin, order_payload


@tagged("post_install", "-at_install")
class TestCatalogue(SimulatorMixin, ApicbaseCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_simulator(cls.company)
        cls.pricelist = cls.env["product.pricelist"].create(
            {"name": "Public", "currency_id": cls.company.currency_id.id})
        cls.bistro_pricelist = cls.env["product.pricelist"].create({
            "name": "Bistro Anna prices", "currency_id": cls.company.currency_id.id,
            "item_ids": [(0, 0, {"applied_on": "0_product_variant", "product_id": cls.cola.id,
                                 "compute_price": "fixed", "fixed_price": 17.25})],
        })
        cls.tomatoes.write({"apicbase_content": "1 kg", "barcode": "4006381333931", "apicbase_brand": "Sunny"})
        cls.cola.write({"apicbase_content": "4 x 6 x 33 cl", "apicbase_package_type": "case"})
        cls.beef = cls.env["product.product"].create({
            "name": "Beef", "default_code": "BEEF-KG", "list_price": 24.5, "apicbase_content": "1 kg",
            "apicbase_price_type": "unit", "apicbase_price_unit": "kg", "apicbase_weighted": True})
        cls.products = cls.tomatoes | cls.cola | cls.beef

    def make_assortment(self, number="CUST-7", pricelist=None, products=None):
        return self.env["apicbase.assortment"].create({
            "name": f"Assortment {number}", "customer_number": number,
            "pricelist_id": (pricelist or self.pricelist).id, "selection_mode": "products",
            "product_ids": [(6, 0, (products or self.products).ids)], "partner_ids": [(6, 0, self.customer.ids)],
        })

    def test_the_assortment_says_when_odoo_prices_orders_without_its_pricelist(self):
        """Checked against what Odoo does: a sale order of a customer whose pricelist is the
        assortment's gets that pricelist exactly when the assortment does not warn. 19.0 applies
        customer pricelists only with the Pricelists feature on; 18.0 always does."""
        assortment = self.make_assortment(pricelist=self.bistro_pricelist)
        restaurant = self.env["res.partner"].create({"name": "Bistro Warn"})

        def sale_order_uses_the_pricelist():
            restaurant.property_product_pricelist = self.bistro_pricelist
            self.env.invalidate_all()  # as in a new request: the partner's pricelist is computed again
            return self.env["sale.order"].create({"partner_id": restaurant.id}).pricelist_id == self.bistro_pricelist

        features = self.env.ref("base.group_user")
        pricelists = self.env.ref("product.group_product_pricelist")
        features.implied_ids -= pricelists
        features[GROUP_USERS].write({USER_GROUPS: [(3, pricelists.id)]})
        self.env.invalidate_all()
        self.assertEqual(assortment.pricelists_off, not sale_order_uses_the_pricelist())
        features.implied_ids |= pricelists
        self.env.invalidate_all()
        self.assertFalse(assortment.pricelists_off)
        self.assertTrue(sale_order_uses_the_pricelist())

    def sent_file(self):
        self.sim.wait_until_processed()
        return self.sim.files[-1]

    # -- product content -------------------------------------------------

    def test_product_content_is_computed_and_checked(self):
        template = self.cola.product_tmpl_id
        self.assertEqual(template.apicbase_unit_count, 24)
        self.assertAlmostEqual(template.apicbase_content_total, 7920)
        self.assertEqual(template.apicbase_content_base_unit, "ml")
        with self.assertRaisesRegex(ValidationError, "Package content of"):
            template.apicbase_content = "four crates"
        with self.assertRaises(ValidationError):
            self.beef.product_tmpl_id.apicbase_price_unit = False

    # -- validate and publish -------------------------------------------

    def test_validate_lists_every_rejected_product_before_sending(self):
        broken = self.env["product.product"].create({"name": "No content", "default_code": "NOCONTENT"})
        nameless = self.env["product.product"].create({"name": "No reference", "apicbase_content": "1 kg"})
        assortment = self.make_assortment(products=self.products | broken | nameless)
        requests_before = len(self.sim.requests_log)
        result = assortment.action_validate()
        self.assertEqual(result["params"]["type"], "warning")
        report = str(assortment.validation_report)
        self.assertIn("NOCONTENT", report)
        self.assertIn("no content is set", report)
        self.assertIn("third_party_id", report)
        self.assertNotIn("TOM-1KG", report)
        self.assertIn("2 of 5 product(s) would be rejected", report)
        # Accepted with a remark: the cola has no barcode.
        self.assertIn("quality check", report)
        self.assertIn("no GTIN (barcode)", report.split("quality check")[1])
        self.assertIn("COLA-24", report.split("quality check")[1])
        self.assertNotIn("No reference", report.split("quality check")[1], "rejected, not merely warned")
        self.assertEqual(len(self.sim.requests_log), requests_before, "validation sends nothing")

    def test_publish_sends_valid_packages_with_customer_prices(self):
        broken = self.env["product.product"].create({"name": "No content", "default_code": "NOCONTENT"})
        assortment = self.make_assortment(pricelist=self.bistro_pricelist, products=self.products | broken)
        assortment.action_publish()
        sent = self.sent_file()
        self.assertEqual(sent["customer_number"], "CUST-7")
        by_id = {package["third_party_id"]: package for package in sent["content"]}
        self.assertEqual(set(by_id), {"TOM-1KG", "COLA-24", "BEEF-KG"})
        self.assertEqual(str(by_id["COLA-24"]["price"]), "17.25")  # the customer's own price
        self.assertEqual(str(by_id["TOM-1KG"]["price"]), "2.4")
        self.assertEqual(by_id["COLA-24"]["package_description"],
                         {"quantity": 4, "package": {"quantity": 6, "package": {
                             "quantity": 330, "unit_name": "cubic_centimeter"}}})
        self.assertEqual(by_id["BEEF-KG"]["price_type_code"], 1)
        self.assertEqual(by_id["BEEF-KG"]["price_unit"], "kg")
        self.assertEqual(by_id["TOM-1KG"]["brand"], "Sunny")
        self.assertEqual(by_id["TOM-1KG"]["gtin"], "4006381333931", "the barcode is the GTIN")
        self.assertNotIn("gtin", by_id["COLA-24"], "no barcode, no GTIN sent")
        self.assertEqual(set(self.sim.packages["CUST-7"]), {"TOM-1KG", "COLA-24", "BEEF-KG"})
        self.assertEqual(assortment.sync_state, "pending")
        self.assertEqual((assortment.last_package_count, assortment.last_rejected_count), (3, 1))
        self.assertTrue(assortment.last_file_reference)
        self.assertTrue(self.company.apicbase_last_publish_at)
        self.assertTrue(assortment.message_ids.filtered(lambda m: "NOCONTENT" in (m.body or "")))

    def test_events_land_on_the_right_products_and_assortment(self):
        assortment = self.make_assortment()
        assortment.action_publish()
        self.sent_file()
        self.sim.add_event("ERROR", "Price looks wrong", customer_number="CUST-7", third_party_id="COLA-24",
                           extra_data={"field": "price"})
        assortment.action_poll_events()
        cola_events = self.cola.apicbase_event_ids
        self.assertIn("Price looks wrong", cola_events.mapped("message"))
        self.assertEqual(self.cola.product_tmpl_id.apicbase_sync_state, "error")
        self.assertIn(cola_events.filtered(lambda e: e.event_type == "ERROR"), assortment.event_ids)
        self.assertEqual(assortment.sync_state, "error")
        # Reading again stores nothing twice.
        count = self.env["apicbase.sync.event"].search_count([])
        self.env["apicbase.sync.event"]._poll(self.company)
        self.assertEqual(self.env["apicbase.sync.event"].search_count([]), count)
        self.assertTrue(self.company.apicbase_last_events_poll_at)
        # A new publish supersedes the old file's events.
        assortment.action_publish()
        self.assertFalse(cola_events.filtered("current"))
        self.assertEqual(self.cola.product_tmpl_id.apicbase_sync_state, "none")

    def test_warnings_alone_make_the_products_and_the_assortment_show_warning(self):
        assortment = self.make_assortment()
        assortment.action_publish()
        self.sent_file()
        self.sim.add_event("WARNING", "Prefer weight or volume", customer_number="CUST-7", third_party_id="COLA-24")
        assortment.action_poll_events()
        self.assertEqual(self.cola.product_tmpl_id.apicbase_sync_state, "warning")
        self.assertEqual(assortment.sync_state, "warning")

    def test_an_assortment_by_filter_publishes_what_the_filter_finds_in_its_company(self):
        other_company = self.env["res.company"].create({"name": "Other Supplier"})
        self.env["product.product"].create({"name": "Tomatoes of another supplier", "default_code": "TOM-OTHER",
                                            "apicbase_content": "1 kg", "company_id": other_company.id})
        assortment = self.env["apicbase.assortment"].create({
            "name": "Tomatoes only", "customer_number": "CUST-7", "pricelist_id": self.pricelist.id,
            "selection_mode": "domain", "product_domain": "[('default_code', '=like', 'TOM%')]"})
        assortment.action_publish()
        self.assertEqual([package["third_party_id"] for package in self.sent_file()["content"]], ["TOM-1KG"])

    def test_one_assortment_per_customer_number_and_company(self):

        self.make_assortment()
        other_company = self.env["res.company"].create({"name": "Other Supplier"})
        other = self.env["apicbase.assortment"].create({
            "name": "Same number, other supplier", "customer_number": "CUST-7", "company_id": other_company.id,
            "pricelist_id": self.env["product.pricelist"].create({
                "name": "P", "company_id": other_company.id, "currency_id": other_company.currency_id.id}).id})
        self.assertTrue(other)
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.make_assortment()

    def test_publish_asks_for_the_events_a_little_later(self):
        poll = self.env.ref("apicbase_connector.ir_cron_apicbase_poll_events")
        before = fields.Datetime.now()
        self.make_assortment().action_publish()
        trigger = self.env["ir.cron.trigger"].search([("cron_id", "=", poll.id)])
        self.assertEqual(len(trigger), 1)
        self.assertGreaterEqual(trigger.call_at, before + timedelta(minutes=2))

    def test_unit_mapping_is_a_checked_setting(self):
        self.cola.apicbase_content = "4 x 6 x 100 cl"
        assortment = self.make_assortment(products=self.cola)
        assortment.action_publish()
        self.assertEqual(self.sent_file()["content"][0]["package_description"]["package"]["package"],
                         {"quantity": 1000, "unit_name": "cubic_centimeter"})  # the default mapping
        self.company.apicbase_unit_mapping = "cl=l"
        assortment.action_publish()
        self.assertEqual(self.sent_file()["content"][0]["package_description"]["package"]["package"],
                         {"quantity": 1, "unit_name": "l"})
        with self.assertRaisesRegex(ValidationError, "cannot be sent as kg"):
            self.company.apicbase_unit_mapping = "cl=kg"

    def test_cron_republishes_only_when_products_or_prices_change(self):
        assortment = self.make_assortment()
        assortment.action_publish()
        self.sent_file()
        files = len(self.sim.files)
        self.env["apicbase.assortment"]._cron_publish_changed()
        self.assertEqual(len(self.sim.files), files)
        self.tomatoes.list_price = 2.55
        self.env["apicbase.assortment"]._cron_publish_changed()
        self.assertEqual(len(self.sim.files), files + 1)
        prices = {p["third_party_id"]: str(p["price"]) for p in self.sent_file()["content"]}
        self.assertEqual(prices["TOM-1KG"], "2.55")

    def test_publishing_several_assortments_is_left_to_the_scheduled_action(self):
        manager = self.sales_manager("Pia Publisher", "apicbase_publish_manager")
        assortments = self.make_assortment("CUST-7") | self.make_assortment("CUST-8") | self.make_assortment("CUST-9")
        assortments.auto_publish = False
        stale = self.make_assortment("CUST-10", products=self.tomatoes)
        stale._keep_file(stale._build()[0])  # a file kept, whose hash the last publish did not leave
        stale.last_published_hash = "stale"
        empty = self.make_assortment("CUST-11")
        empty.write({"auto_publish": False, "product_ids": [(5,)]})
        assortments |= empty
        result = assortments.with_user(manager).action_publish()
        self.assertIn("4 assortments are being published in the background", result["params"]["message"])
        cron = self.env.ref("apicbase_connector.ir_cron_apicbase_publish_changed")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self.assertFalse(self.sim.files, "nothing sent inside the click")
        with self.assertLogs("odoo.addons.apicbase_connector.models.apicbase_assortment", "WARNING"):
            calls = self.run_scheduled("ir_cron_apicbase_publish_changed", limit=3)
        self.assertEqual(calls, [(3, 1), (1, 0)], "the four asked for: none started the hourly check")
        self.sim.wait_until_processed()
        self.assertEqual(sorted(f["customer_number"] for f in self.sim.files), ["CUST-7", "CUST-8", "CUST-9"])
        self.assertIn("Not published: Nothing to publish", empty.message_ids[0].body)
        self.assertFalse(assortments.filtered("publish_pending"))
        # The hourly run: every automatic assortment, published only if its file changed.
        self.assertEqual(self.run_scheduled("ir_cron_apicbase_publish_changed", limit=3), [(1, 0)])
        self.sim.wait_until_processed()
        self.assertEqual(self.sim.files[-1]["customer_number"], "CUST-10")
        self.assertEqual(self.run_scheduled("ir_cron_apicbase_publish_changed", limit=3), [(1, 0)])
        self.assertEqual(len(self.sim.files), 4, "unchanged: not sent again")

    def test_publish_errors_are_clear(self):
        assortment = self.make_assortment()
        self.company.sudo().apicbase_client_secret = "wrong"
        with self.assertRaisesRegex(UserError, "refused the client credentials"):
            assortment.action_publish()
        self.assertEqual(assortment.sync_state, "never")

    # -- customers and packages ------------------------------------------

    def test_customers_are_pulled_linked_and_used_by_order_intake(self):
        first = self.env["res.partner"].create({"name": "Sim One", "apicbase_customer_number": "CUST-1"})
        second = self.env["res.partner"].create({"name": "Sim Two", "ref": "CUST-2"})
        customers = self.env["apicbase.customer"]._pull(self.company)
        by_number = {c.customer_number: c for c in customers}
        self.assertEqual(set(by_number), {"CUST-1", "CUST-2", "CUST-3"})
        self.assertEqual(by_number["CUST-1"].partner_id, first)
        self.assertEqual(by_number["CUST-2"].partner_id, second)
        self.assertEqual(by_number["CUST-1"].supplier_outlet_id, "1")  # Apicbase sends the integer 1
        unlinked = self.env["apicbase.customer"].search([("linked", "=", False)])
        self.assertEqual(unlinked, by_number["CUST-3"])
        # Pulling again creates nothing new.
        self.assertEqual(self.env["apicbase.customer"]._pull(self.company), customers)
        self.assertEqual(self.env["apicbase.customer"].search_count([]), 3)
        # Linking by hand: orders for CUST-3 now reach that contact.
        third = self.env["res.partner"].create({"name": "Sim Three"})
        by_number["CUST-3"].partner_id = third
        self.assertEqual(third.apicbase_customer_number, "CUST-3")
        _outcome, record = self.receive({**self.order(), "supplier_customer_number": "CUST-3"})
        self.assertEqual(record.sale_order_id.partner_id, third)

    def test_binding_wins_over_the_partner_field(self):
        other = self.env["res.partner"].create({"name": "Bound contact"})
        self.env["apicbase.customer"].create({"company_id": self.company.id, "customer_number": "CUST-7",
                                              "partner_id": other.id})
        _outcome, record = self.receive()
        self.assertEqual(record.sale_order_id.partner_id, other)

    def test_packages_are_pulled_linked_with_drift_and_missing_products_created(self):
        self.beef.active = False  # so that Apicbase's BEEF-KG is unknown to Odoo
        potatoes = self.env["product.product"].create({
            "name": "Potatoes 1 kg", "default_code": "POT-1KG", "list_price": 1.80, "apicbase_content": "1 kg"})
        self.env["res.partner"].create({"name": "Sim One", "apicbase_customer_number": "CUST-1"})
        self.make_assortment(number="CUST-1", products=potatoes)
        customers = self.env["apicbase.customer"]._pull(self.company)
        packages = self.env["apicbase.package"]._pull(self.company, customers)
        cust1 = packages.filtered(lambda p: p.customer_number == "CUST-1")
        pot = cust1.filtered(lambda p: p.third_party_id == "POT-1KG")
        self.assertEqual(pot.product_id, potatoes)
        self.assertTrue(pot.has_drift)
        self.assertIn("price: Apicbase 1.95, Odoo 1.8", pot.drift)
        cola = cust1.filtered(lambda p: p.third_party_id == "COLA-4X6X33")
        self.assertEqual(cola.content_label, "4 × 6 × 33 cl")
        self.assertAlmostEqual(cola.content_total, 7920)
        self.assertFalse(cola.product_id)
        self.assertIn("Odoo has no product", cola.drift)
        self.assertTrue(self.company.apicbase_last_catalogue_pull_at)

        (cola | cust1.filtered(lambda p: p.third_party_id == "BEEF-KG")).action_create_products()
        self.assertTrue(cola.product_id)
        self.assertEqual(cola.product_id.default_code, "COLA-4X6X33")
        self.assertEqual(cola.product_id.apicbase_content, "4 × 6 × 33 cl")
        self.assertEqual(cola.product_id.product_tmpl_id.apicbase_unit_count, 24)
        beef = cust1.filtered(lambda p: p.third_party_id == "BEEF-KG").product_id
        self.assertEqual(beef.uom_id, self.env.ref("uom.product_uom_kgm"))
        self.assertEqual(beef.apicbase_price_type, "unit")

        # Pulling again changes nothing; a package Apicbase drops is archived.
        del self.sim.packages["CUST-1"]["POT-1KG"]
        self.env["apicbase.package"]._pull(self.company, customers)
        self.assertFalse(pot.active)
        self.assertEqual(self.env["apicbase.package"].search_count([("third_party_id", "=", "COLA-4X6X33"),
                                                                    ("customer_number", "=", "CUST-1")]), 1)

    def test_a_customer_apicbase_will_not_list_does_not_stop_the_pull(self):
        self.sim.add_customer("A/B", 2)  # its URL has a %2F: Apicbase answers 404
        customers = self.env["apicbase.customer"]._pull(self.company)
        with self.assertLogs("odoo.addons.apicbase_connector.models.apicbase_package", "WARNING") as logs:
            packages = self.env["apicbase.package"]._pull(self.company, customers)
        self.assertIn("Apicbase packages of customer A/B not read", logs.output[0])
        self.assertEqual(set(packages.mapped("customer_number")), {"CUST-1", "CUST-2"})
        recorded = self.env["apicbase.api.error"].search([("company_id", "=", self.company.id)])
        self.assertEqual((recorded.operation, recorded.status), ("packages", 404), "counted on the overview")
        self.assertTrue(self.company.apicbase_last_catalogue_pull_at)

    def test_the_daily_pull_reads_customers_then_their_packages_in_committed_batches(self):
        calls = self.run_scheduled("ir_cron_apicbase_pull_catalogue", limit=2)
        self.assertEqual(calls, [(2, 1), (1, 0)], "3 customers, 2 a batch: Odoo calls twice")
        customers = self.env["apicbase.customer"].search([("company_id", "=", self.company.id)])
        self.assertEqual(set(customers.mapped("customer_number")), {"CUST-1", "CUST-2", "CUST-3"})
        self.assertFalse(customers.filtered("packages_due"))
        self.assertEqual(set(self.env["apicbase.package"].search([]).mapped("customer_number")), {"CUST-1", "CUST-2"},
                         "every customer's packages were read (CUST-3 has none)")
        # The next run starts over: the customer list again, then every customer.
        self.assertEqual(self.run_scheduled("ir_cron_apicbase_pull_catalogue", limit=2), [(2, 1), (1, 0)])

    def test_apicbase_failing_during_the_pull_ends_that_company_run_without_looping(self):
        self.env["apicbase.customer"]._pull(self.company).packages_due = True
        self.company.sudo().apicbase_client_secret = "revoked"
        with self.assertLogs("odoo.addons.apicbase_connector.models.apicbase_customer", "WARNING") as logs:
            calls = self.run_scheduled("ir_cron_apicbase_pull_catalogue", limit=2)
        self.assertEqual(calls, [(3, 0)], "the company's customers are left for the next run, at once")
        self.assertIn(f"catalogue pull failed for company {self.company.id}", logs.output[0])
        self.assertNotIn("revoked", "\n".join(logs.output))
        self.assertFalse(self.env["apicbase.package"].search([]))

    def test_drift_names_each_difference_apicbase_and_odoo_disagree_on(self):
        potatoes = self.env["product.product"].create({
            "name": "Washed potatoes", "default_code": "POT-1KG", "list_price": 1.95,
            "apicbase_content": "2 kg", "apicbase_orderable": False})
        self.make_assortment(number="CUST-1", products=potatoes)
        customers = self.env["apicbase.customer"]._pull(self.company)
        pot = self.env["apicbase.package"]._pull(self.company, customers).filtered(
            lambda p: p.third_party_id == "POT-1KG" and p.customer_number == "CUST-1")
        self.assertTrue(pot.has_drift)
        self.assertEqual(pot.drift.splitlines(), [
            "name: Apicbase Potatoes 1 kg, Odoo Washed potatoes",
            "orderable: Apicbase True, Odoo False",
            "content: Apicbase 1 kg, Odoo 2 kg",
        ])
        # Odoo brought in line: the drift goes on the next pull.
        potatoes.write({"name": "Potatoes 1 kg", "apicbase_content": "1 kg", "apicbase_orderable": True})
        self.env["apicbase.package"]._pull(self.company, customers)
        self.assertFalse(pot.has_drift, pot.drift)
        self.assertFalse(pot.drift)

    def test_a_package_content_we_cannot_read_is_kept_and_never_drift(self):
        """An unknown unit or deeper nesting than we model: shown as unreadable, not compared."""
        deep = {"quantity": 1, "unit_name": "g"}
        for _level in range(7):
            deep = {"quantity": 2, "package": deep}
        self.sim.add_package("CUST-1", {"third_party_id": "ODD-UNIT", "name": "Wine 6 bottles", "price": 42,
                                        "package_description": {"quantity": 6, "unit_name": "bottle"}})
        self.sim.add_package("CUST-1", {"third_party_id": "DEEP-7", "name": "Nested", "price": 1,
                                        "package_description": deep})
        wine = self.env["product.product"].create({
            "name": "Wine 6 bottles", "default_code": "ODD-UNIT", "list_price": 42, "apicbase_content": "6 x 75 cl"})
        self.make_assortment(number="CUST-1", products=wine)
        customers = self.env["apicbase.customer"]._pull(self.company)
        packages = self.env["apicbase.package"]._pull(self.company, customers)
        odd = packages.filtered(lambda p: p.third_party_id == "ODD-UNIT")
        nested = packages.filtered(lambda p: p.third_party_id == "DEEP-7")
        self.assertTrue(odd.content_unreadable and nested.content_unreadable)
        self.assertIn("Unreadable", odd.content_label)
        self.assertIn("bottle", odd.content_label)
        self.assertIn("nested deeper", nested.content_label)
        self.assertEqual(odd.product_id, wine)
        self.assertFalse(odd.has_drift, odd.drift)  # same price, name and orderable: nothing to report
        nested.action_create_products()
        self.assertTrue(nested.product_id)
        self.assertFalse(nested.product_id.apicbase_content, "an unreadable content is not copied")

    # -- settings --------------------------------------------------------

    def test_test_connection_reports_success_and_failure(self):
        settings = self.env["res.config.settings"].create({})
        result = settings.action_apicbase_test_connection()
        self.assertEqual(result["params"]["type"], "success")
        self.assertIn("3 customer(s)", result["params"]["message"])
        settings = self.env["res.config.settings"].create({"apicbase_client_secret": "bad-secret-123"})
        result = settings.action_apicbase_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertNotIn("bad-secret-123", result["params"]["message"])

    def order(self):
        return order_payload()


@tagged("post_install", "-at_install")
class TestPackageCompanies(ApicbaseCase):
    """A package belongs to one company: so do the products made from it and the product it is bound to."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Supplier B"})
        cls.customer_b = cls.env["apicbase.customer"].create(
            {"company_id": cls.company_b.id, "customer_number": "B-CUST-1"})
        # Company A (the current company) sells beans under the same article number.
        cls.beans_a = cls.env["product.product"].create({
            "name": "Beans of A", "default_code": "BEANS-1", "company_id": cls.company.id})

    def package_b(self, third_party_id="BEANS-1"):
        return self.env["apicbase.package"].create({
            "company_id": self.company_b.id, "customer_id": self.customer_b.id,
            "customer_number": self.customer_b.customer_number, "third_party_id": third_party_id,
            "name": "Beans 1 kg", "price": 3.5, "orderable": True})

    def test_products_created_from_packages_belong_to_the_package_company(self):
        self.assertEqual(self.env.company, self.company)
        package = self.package_b()
        package.action_create_products()
        product = package.product_id
        self.assertTrue(product)
        self.assertNotEqual(product, self.beans_a, "company A's product is not company B's article")
        self.assertEqual(product.company_id, self.company_b)
        self.assertEqual((product.default_code, product.list_price), ("BEANS-1", 3.5))

    def test_a_package_is_bound_only_to_a_product_its_company_may_use(self):
        package = self.package_b()
        with self.assertRaises(UserError):
            package.product_id = self.beans_a
        shared = self.env["product.product"].create({"name": "Beans for all", "default_code": "BEANS-ALL"})
        package.product_id = shared
        self.assertEqual(package.product_id, shared)
