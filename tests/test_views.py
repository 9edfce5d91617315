from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import ApicbaseCase, order_payload

ACTIONS = ["action_apicbase_order", "action_apicbase_assortment", "action_apicbase_customer",
           "action_apicbase_package", "action_apicbase_sync_event"]


@tagged("post_install", "-at_install")
class TestViews(ApicbaseCase):
    """Every screen the addon adds opens, for a salesman too (fields he may not see are left out)."""

    def test_actions_open_for_salesman_and_admin(self):
        for user in (self.salesman, self.env.ref("base.user_admin")):
            for xmlid in ACTIONS:
                with self.subTest(user=user.login, action=xmlid):
                    action = self.env.ref(f"apicbase_connector.{xmlid}")
                    Model = self.env[action.res_model].with_user(user)
                    modes = [(False, mode) for mode in action.view_mode.split(",")] + [(False, "search")]
                    views = Model.get_views(modes, {"action_id": action.id, "load_filters": True})
                    self.assertEqual(set(views["views"]), {mode for _id, mode in modes})
                    for mode in views["views"]:  # the addon's own views, not ones Odoo made up
                        view = self.env["ir.ui.view"].browse(views["views"][mode]["id"])
                        self.assertIn("apicbase", view.get_external_id()[view.id], mode)
                    Model.search([], limit=1)

    def test_settings_show_the_webhook_url_and_secrets_to_admins_only(self):
        admin = self.env.ref("base.user_admin")
        arch = self.env["res.config.settings"].with_user(admin).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="apicbase_webhook_url"', arch)
        self.assertIn('name="apicbase_client_secret"', arch)
        # A sales manager, not a Settings administrator: no settings form, no secret fields anywhere.
        manager = self.sales_manager("Mia Manager", "apicbase_views_manager")
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(manager).get_views([(False, "form")])
        visible = self.env["res.company"].with_user(manager).fields_get()
        for field in ("apicbase_client_secret", "apicbase_webhook_secret", "apicbase_client_id",
                      "apicbase_webhook_token"):
            self.assertNotIn(field, visible)
        self.assertIn("apicbase_price_source", visible, "behaviour settings are not secret")

    def test_apicbase_price_differs_filter_finds_the_flagged_orders(self):

        self.tomatoes.list_price = 2.00  # Apicbase says 2.40: 20 % apart
        _outcome, flagged = self.receive()
        self.tomatoes.list_price = 2.40
        _outcome, clean = self.receive(order_payload(id="apic-po-clean"))
        self.assertTrue(flagged.sale_order_id.apicbase_price_mismatch)
        arch = self.env["sale.order"].with_user(self.salesman).get_views([(False, "search")])["views"]["search"]["arch"]
        [node] = etree.fromstring(arch).xpath("//filter[@name='apicbase_price_mismatch']")
        found = self.env["sale.order"].with_user(self.salesman).search(safe_eval(node.get("domain")))
        self.assertIn(flagged.sale_order_id, found)
        self.assertNotIn(clean.sale_order_id, found)

    def test_sale_order_and_product_forms_carry_the_apicbase_fields(self):
        views = self.env["sale.order"].with_user(self.salesman).get_views([(False, "form")])
        sale_arch = views["views"]["form"]["arch"]
        for field in ("apicbase_order_id", "apicbase_remarks", "apicbase_price_mismatch", "apicbase_price"):
            self.assertIn(f'name="{field}"', sale_arch)
        product_arch = self.env["product.template"].get_views([(False, "form")])["views"]["form"]["arch"]
        for field in ("apicbase_content", "apicbase_price_type", "apicbase_sync_state", "apicbase_article_number"):
            self.assertIn(f'name="{field}"', product_arch)
