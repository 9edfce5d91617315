"""Browser tours: the three paths people take, clicked through in a real headless Chromium.

Each tour (static/tests/tours/) asserts what the user sees; the test then asserts what the database
holds. The Odoo server under test calls the simulator (a thread of this process) over HTTP.
Odoo skips a browser test when it finds no Chrome or Chromium: tools/run-tests reports such a skip
loudly, and fails on it under CI=true.
"""
import json
from urllib.parse import quote

from odoo.tests import tagged

from ..compat import USER_GROUPS
from ..const import DEFAULT_API_URL, DEFAULT_TOKEN_URL
from .common import SimulatorMixin, order_payload
from .http_common import WebhookHttpCase

TOUR_WEBHOOK_SECRET = "tour-webhook-secret-5d1e"


@tagged("post_install", "-at_install")
class TestTours(SimulatorMixin, WebhookHttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_simulator(cls.company)
        # The web client's bundles are built here, not by the first tour's page: on a busy machine
        # compiling them can outlast the wait for the tour to start.
        for bundle_name in ("web.assets_web", "web.assets_tests"):
            bundle = cls.env["ir.qweb"]._get_asset_bundle(bundle_name)
            bundle.js()
            bundle.css()
        # "Contact Creation", which Odoo's default user template gives every new user: the salesman
        # edits the restaurant's contact. start_tour logs in with the login as password.
        partner_manager = cls.env.ref("base.group_partner_manager")
        cls.salesman.write({"password": cls.salesman.login, USER_GROUPS: [(4, partner_manager.id)]})
        cls.manager = cls.sales_manager("Mia Manager", "apicbase_tour_manager", password="apicbase_tour_manager",
                                        email="mia@example.com")
        cls.manager[USER_GROUPS] = [(4, partner_manager.id)]

    def simulator_requests(self, since, path_end):
        return [entry for entry in self.sim.requests_log[since:] if entry["path"].endswith(path_end)]

    # -- (a) an administrator configures the connection ------------------------------------

    def test_admin_fills_the_settings_and_tests_the_connection(self):
        # A company that was never configured: the tour types every value.
        self.company.write({
            "apicbase_client_id": False, "apicbase_client_secret": False, "apicbase_webhook_secret": False,
            "apicbase_api_url": DEFAULT_API_URL, "apicbase_token_url": DEFAULT_TOKEN_URL,
        })
        values = {"client_id": self.sim.client_id, "client_secret": self.sim.client_secret,
                  "api_url": self.sim.api_url, "token_url": self.sim.token_url,
                  "webhook_secret": TOUR_WEBHOOK_SECRET}
        before = len(self.sim.requests_log)
        self.start_tour("/odoo/settings", "apicbase_settings_tour", login="admin",
                        cookies={"apicbase_tour": quote(json.dumps(values), safe="")})

        self.env.invalidate_all()
        company = self.company
        self.assertEqual(
            (company.apicbase_client_id, company.apicbase_client_secret, company.apicbase_api_url,
             company.apicbase_token_url, company.apicbase_webhook_secret),
            (self.sim.client_id, self.sim.client_secret, self.sim.api_url, self.sim.token_url,
             TOUR_WEBHOOK_SECRET))
        # "Test connection" asked the simulator for a token and a page of customers, both granted.
        self.assertEqual([entry["status"] for entry in self.simulator_requests(before, "/oauth/token/")], [200])
        self.assertEqual([entry["status"] for entry in self.simulator_requests(before, "/customers/")], [200])

    # -- (b) a salesman resolves an order that needs attention ----------------------------

    def test_salesman_links_the_customer_and_retries_the_order(self):
        restaurant = self.env["res.partner"].create({
            "name": "Bistro Nova", "is_company": True, "customer_rank": 1})
        raw = self.encode(order_payload(id="apic-po-tour", order_number="PO-2026-0099",
                                        supplier_customer_number="CUST-99"))
        response = self.post_webhook(raw)
        self.assertEqual(response.status_code, 200, response.text)
        record = self.inbox("apic-po-tour")
        self.assertEqual(record.state, "failed")
        self.assertFalse(record.sale_order_id)

        self.start_tour("/odoo", "apicbase_order_attention_tour", login=self.salesman.login)

        self.env.invalidate_all()
        self.assertEqual(restaurant.apicbase_customer_number, "CUST-99")
        self.assertEqual(record.state, "done")
        self.assertFalse(record.error_message)
        self.assertEqual(record.attempt_count, 2)
        self.assertEqual(record.partner_id, restaurant)
        sale = record.sale_order_id
        self.assertTrue(sale)
        self.assertEqual(sale.apicbase_order_id, record)
        self.assertEqual(sale.partner_id, restaurant)
        self.assertEqual(sale.client_order_ref, "PO-2026-0099")
        self.assertEqual(sale.user_id, self.salesman)
        self.assertEqual(sale.order_line.product_id, self.tomatoes | self.cola)
        self.assertTrue(record.message_ids.filtered(lambda m: "Retried by Sam Salesman" in (m.body or "")))
        self.assertFalse(record.activity_ids, "the attention activity is done once the order is")

    # -- (c) a sales manager publishes an assortment ---------------------------------------

    def test_manager_publishes_an_assortment_and_reads_its_events(self):
        self.tomatoes.write({"apicbase_content": "1 kg", "barcode": "4006381333931"})
        self.cola.write({"apicbase_content": "4 x 6 x 33 cl"})  # no barcode: Apicbase warns
        assortment = self.env["apicbase.assortment"].create({
            "name": "Bistro Anna catalogue", "customer_number": "CUST-7",
            "pricelist_id": self.env["product.pricelist"].create({
                "name": "Bistro Anna prices", "currency_id": self.company.currency_id.id}).id,
            "selection_mode": "products", "product_ids": [(6, 0, (self.tomatoes | self.cola).ids)],
            "partner_ids": [(6, 0, self.customer.ids)],
        })

        self.start_tour("/odoo", "apicbase_assortment_tour", login=self.manager.login)

        self.env.invalidate_all()
        self.assertEqual(len(self.sim.files), 1)
        sent = self.sim.files[0]
        self.assertEqual(sent["customer_number"], "CUST-7")
        self.assertEqual(sent["status"], "PROCESSED")
        self.assertEqual(set(self.sim.packages["CUST-7"]), {"TOM-1KG", "COLA-24"})
        self.assertTrue(assortment.last_published_at)
        self.assertEqual(assortment.last_file_reference, str(sent["id"]))
        self.assertEqual((assortment.last_package_count, assortment.last_rejected_count), (2, 0))
        self.assertEqual(assortment.sync_state, "warning")
        events = assortment.event_ids
        self.assertEqual(sorted(events.mapped("event_type")), ["INFO", "WARNING"])
        self.assertTrue(all(events.mapped("current")))
        warning = events.filtered(lambda e: e.event_type == "WARNING")
        self.assertEqual(warning.product_id, self.cola)
        self.assertEqual(self.cola.product_tmpl_id.apicbase_sync_state, "warning")
        self.assertTrue(self.company.apicbase_last_events_poll_at)
