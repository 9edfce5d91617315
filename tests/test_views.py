from odoo.tests import tagged

from .common import ApicbaseCase

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
                    Model.search([], limit=1)

    def test_settings_show_the_webhook_url_to_admins_only(self):
        admin = self.env.ref("base.user_admin")
        arch = self.env["res.config.settings"].with_user(admin).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="apicbase_webhook_url"', arch)
        self.assertIn('name="apicbase_client_secret"', arch)

    def test_sale_order_and_product_forms_carry_the_apicbase_fields(self):
        sale_arch = self.env["sale.order"].with_user(self.salesman).get_views([(False, "form")])["views"]["form"]["arch"]
        for field in ("apicbase_order_id", "apicbase_remarks", "apicbase_price_mismatch", "apicbase_price"):
            self.assertIn(f'name="{field}"', sale_arch)
        product_arch = self.env["product.template"].get_views([(False, "form")])["views"]["form"]["arch"]
        for field in ("apicbase_content", "apicbase_price_type", "apicbase_sync_state", "apicbase_article_number"):
            self.assertIn(f'name="{field}"', product_arch)
