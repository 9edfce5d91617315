from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..apicbase.payload import parse_order_json
from ..compat import USER_GROUPS
from .common import SECRET, ApicbaseCase, SimulatorMixin, order_payload

SECRET_FIELDS = ["apicbase_client_secret", "apicbase_webhook_secret", "apicbase_webhook_token",
                 "apicbase_client_id", "apicbase_api_url", "apicbase_token_url"]


@tagged("post_install", "-at_install")
class TestSecurity(ApicbaseCase):

    def test_salesman_cannot_read_or_write_secrets(self):
        company = self.company.with_user(self.salesman)
        for field in SECRET_FIELDS:
            with self.subTest(field=field):
                with self.assertRaises(AccessError):
                    company.read([field])
                with self.assertRaises(AccessError):
                    company.write({field: "stolen"})
        self.env.flush_all()
        self.env.cr.execute("SELECT apicbase_client_secret FROM res_company WHERE id = %s", [self.company.id])
        self.assertEqual(self.env.cr.fetchone(), (SECRET,), "nothing was written")
        # Behaviour settings are not secret: order handlers may read them.
        self.assertEqual(company.read(["apicbase_price_source"])[0]["apicbase_price_source"], "apicbase")

    def test_salesman_cannot_open_settings(self):
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(self.salesman).create({})

    def test_admin_sets_secrets_through_settings(self):
        admin = self.env.ref("base.user_admin")
        settings = self.env["res.config.settings"].with_user(admin).create({
            "apicbase_client_secret": "new-secret", "apicbase_webhook_secret": False})
        settings.execute()
        self.assertEqual(self.company.apicbase_client_secret, "new-secret")
        self.assertEqual(self.company._apicbase_signing_secret(), "new-secret")
        url = settings.apicbase_webhook_url
        self.assertTrue(url.endswith("/apicbase/webhook/" + self.company.apicbase_webhook_token))
        # The settings form computes it through onchange, before any record exists.
        values = self.env["res.config.settings"].with_user(admin).onchange(
            {}, [], {"apicbase_webhook_url": {}, "company_id": {}})["value"]
        self.assertEqual(values["apicbase_webhook_url"], url)

    def test_regenerating_the_url_changes_the_token(self):
        before = self.company.apicbase_webhook_token
        settings = self.env["res.config.settings"].create({})
        settings.action_apicbase_regenerate_webhook_url()
        self.assertNotEqual(self.company.apicbase_webhook_token, before)
        self.assertGreaterEqual(len(self.company.apicbase_webhook_token), 32)

    def test_every_company_has_its_own_token(self):
        other = self.env["res.company"].create({"name": "Second Supplier"})
        tokens = self.env["res.company"].search([]).mapped("apicbase_webhook_token")
        self.assertTrue(all(tokens))
        self.assertEqual(len(tokens), len(set(tokens)))
        self.assertEqual(self.env["res.company"]._apicbase_company_from_token(other.apicbase_webhook_token), other)
        self.assertFalse(self.env["res.company"]._apicbase_company_from_token(""))

    def test_salesman_reads_and_retries_but_cannot_create_or_delete_inbox_records(self):
        _outcome, record = self.receive({**self._payload(), "supplier_customer_number": "LATER"})
        as_salesman = record.with_user(self.salesman)
        self.assertEqual(as_salesman.state, "failed")
        self.customer.apicbase_customer_number = "LATER"
        as_salesman.action_retry()
        self.assertEqual(record.state, "done")
        with self.assertRaises(AccessError):
            as_salesman.write({"raw_payload": "{}"})
        with self.assertRaises(AccessError):
            self.env["apicbase.order"].with_user(self.salesman).create({"apicbase_id": "x"})
        with self.assertRaises(AccessError):
            as_salesman.unlink()

    def test_nobody_edits_a_signed_order_not_even_a_manager_or_an_admin(self):
        _outcome, record = self.receive(self._payload())
        manager = self.sales_manager("Mia Manager", "apicbase_signed_manager")
        for user in (self.salesman, manager, self.env.ref("base.user_admin")):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                record.with_user(user).write({"raw_payload": "{}"})
        self.assertIn("PO-2026-0042", record.raw_payload)

    def test_salesman_retries_an_order_of_another_salespersons_customer(self):
        colleague = self.env["res.users"].create({
            "name": "Colleague", "login": "apicbase_colleague", "email": "c@example.com",
            USER_GROUPS: [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])]})
        self.customer.user_id = colleague
        _outcome, record = self.receive({**self._payload(), "supplier_customer_number": "LATER"})
        self.customer.apicbase_customer_number = "LATER"
        # Context keys a caller could slip into the system retry are dropped.
        record.with_user(self.salesman).with_context(default_state="sale").action_retry()
        self.assertEqual(record.state, "done", record.error_message)
        self.assertEqual(record.sale_order_id.user_id, colleague)
        self.assertEqual(record.sale_order_id.state, "draft")
        self.assertTrue(record.message_ids.filtered(lambda m: "Retried by Sam Salesman" in (m.body or "")))

    def test_portal_user_sees_no_inbox(self):
        portal = self.env["res.users"].create({
            "name": "Portal", "login": "apicbase_portal",
            USER_GROUPS: [(6, 0, [self.env.ref("base.group_portal").id])]})
        self.receive()
        with self.assertRaises(AccessError):
            self.env["apicbase.order"].with_user(portal).search([])

    def test_inbox_is_company_restricted(self):
        other = self.env["res.company"].create({"name": "Other Supplier"})
        raw = self.encode(self._payload())
        self.env["apicbase.order"].sudo()._receive(other, raw, parse_order_json(raw))
        self.receive()
        visible = self.env["apicbase.order"].with_user(self.salesman).search([("apicbase_id", "=", "apic-po-0001")])
        self.assertEqual(visible.company_id, self.company)

    def _payload(self):
        return order_payload()


@tagged("post_install", "-at_install")
class TestCatalogueAccess(ApicbaseCase):
    """Salesmen read the catalogue models of their company; only sales managers change them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.sales_manager("Mia Manager", "apicbase_manager")
        cls.other_company = cls.env["res.company"].create({"name": "Other Supplier"})
        cls.records = {}
        for company in (cls.company, cls.other_company):
            pricelist = cls.env["product.pricelist"].create({
                "name": "P", "currency_id": company.currency_id.id, "company_id": company.id})
            customer = cls.env["apicbase.customer"].create({"company_id": company.id, "customer_number": "C-1"})
            cls.records[company] = {
                "apicbase.customer": customer,
                "apicbase.package": cls.env["apicbase.package"].create({
                    "company_id": company.id, "customer_id": customer.id, "customer_number": "C-1",
                    "third_party_id": "A-1"}),
                "apicbase.sync.event": cls.env["apicbase.sync.event"].create({
                    "company_id": company.id, "key": f"k-{company.id}", "message": "m", "event_type": "INFO"}),
                "apicbase.assortment": cls.env["apicbase.assortment"].create({
                    "name": "A", "company_id": company.id, "customer_number": "C-1",
                    "pricelist_id": pricelist.id}),
            }

    def test_salesman_reads_own_company_only_and_changes_nothing(self):
        for model, record in self.records[self.company].items():
            with self.subTest(model=model):
                Model = self.env[model].with_user(self.salesman)
                self.assertEqual(Model.search([]), record.with_user(self.salesman))
                with self.assertRaises(AccessError):
                    record.with_user(self.salesman).write({"active": False} if "active" in record._fields
                                                          else {"company_id": self.company.id})
                with self.assertRaises(AccessError):
                    record.with_user(self.salesman).unlink()

    def test_manager_links_customers_and_edits_assortments(self):
        customer = self.records[self.company]["apicbase.customer"].with_user(self.manager)
        customer.partner_id = self.customer
        self.assertEqual(self.customer.apicbase_customer_number, "C-1")
        assortment = self.records[self.company]["apicbase.assortment"].with_user(self.manager)
        self.assertTrue(assortment.auto_publish, "on by default")
        assortment.auto_publish = False
        self.env.flush_all()
        self.env.cr.execute("SELECT auto_publish FROM apicbase_assortment WHERE id = %s", [assortment.id])
        self.assertEqual(self.env.cr.fetchone(), (False,), "the manager's change is stored")
        other = self.records[self.other_company]["apicbase.assortment"]
        self.assertFalse(self.env["apicbase.assortment"].with_user(self.manager).search([("id", "=", other.id)]))


@tagged("post_install", "-at_install")
class TestApicbaseActionRights(SimulatorMixin, ApicbaseCase):
    """Talking to Apicbase on demand is for sales managers: a salesman's click sends nothing at all."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_simulator(cls.company)
        cls.manager = cls.sales_manager("Max Manager", "apicbase_rights_manager", email="max@example.com")
        cls.tomatoes.apicbase_content = "1 kg"
        pricelist = cls.env["product.pricelist"].create({"name": "Public", "currency_id": cls.company.currency_id.id})
        cls.assortment = cls.env["apicbase.assortment"].create({
            "name": "Bistro Anna", "customer_number": "CUST-7", "pricelist_id": pricelist.id,
            "selection_mode": "products", "product_ids": [(6, 0, cls.tomatoes.ids)]})

    def actions(self, user):
        return {
            "publish": self.assortment.with_user(user).action_publish,
            "read events": self.assortment.with_user(user).action_poll_events,
            "pull customers and packages": self.env["apicbase.customer"].with_user(user).action_pull,
        }

    def test_salesman_sends_nothing_to_apicbase(self):
        for name, action in self.actions(self.salesman).items():
            with self.subTest(action=name):
                before = len(self.sim.requests_log)
                with self.assertRaisesRegex(AccessError, "Only sales managers"):
                    action()
                self.assertEqual(self.sim.requests_log[before:], [], "no request, not even for a token")
        self.assertEqual(self.assortment.sync_state, "never")
        self.assertFalse(self.env["apicbase.customer"].search([]))

    def test_manager_publishes_reads_events_and_pulls(self):
        actions = self.actions(self.manager)
        actions["publish"]()
        self.assertEqual(self.assortment.sync_state, "pending")
        self.sim.wait_until_processed()
        actions["read events"]()
        self.assertTrue(self.company.apicbase_last_events_poll_at)
        pull = self.env.ref("apicbase_connector.ir_cron_apicbase_pull_catalogue")
        result = actions["pull customers and packages"]()
        self.assertIn("3 customer(s) read from Apicbase", result["params"]["message"])
        self.assertIn("in the background", result["params"]["message"])
        customers = self.env["apicbase.customer"].search([])
        self.assertEqual(set(customers.mapped("customer_number")), {"CUST-1", "CUST-2", "CUST-3"})
        self.assertEqual(set(customers.mapped("packages_due")), {True}, "their packages: the scheduled action")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", pull.id)]))
        self.assertFalse(self.env["apicbase.package"].search([]), "not read inside the click")

    def test_scheduled_actions_still_talk_to_apicbase(self):
        """As README promises: republish hourly, events every 15 minutes, customers daily, the
        follow-up hourly, stored orders every 10 minutes; each runs as the system and works."""
        crons = {xmlid: self.env.ref(f"apicbase_connector.ir_cron_apicbase_{xmlid}") for xmlid in
                 ("publish_changed", "poll_events", "pull_catalogue", "reconcile", "process_received")}
        self.assertEqual({xmlid: (cron.interval_number, cron.interval_type, cron.active)
                          for xmlid, cron in crons.items()}, {
            "publish_changed": (1, "hours", True), "poll_events": (15, "minutes", True),
            "pull_catalogue": (1, "days", True), "reconcile": (1, "hours", True),
            "process_received": (10, "minutes", True)})
        self.assortment.auto_publish = True
        for xmlid in ("ir_cron_apicbase_publish_changed", "ir_cron_apicbase_poll_events",
                      "ir_cron_apicbase_pull_catalogue"):
            self.run_scheduled(xmlid)
        self.assertTrue(self.assortment.last_published_at)
        self.assertTrue(self.company.apicbase_last_events_poll_at)
        self.assertEqual(len(self.env["apicbase.customer"].search([])), 3)
