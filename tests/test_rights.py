"""Nobody gets more than their role allows: each test acts as the role, through the ORM or JSON-RPC,
as an attacker with that role would, never through the addon's private methods."""
import json

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..compat import USER_GROUPS
from .common import ApicbaseCase, SimulatorMixin, order_payload

SECRET_WALK = "[('company_id.apicbase_client_secret', '!=', False)]"  # one of a few hundred yes-or-no
HOSTILE = '<a href="https://evil.example/x">click</a><img src="https://evil.example/p.png"><b style="x">'


@tagged("post_install", "-at_install")
class TestRights(ApicbaseCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.sales_manager("Mia Manager", "apicbase_rights_manager")
        cls.other_company = cls.env["res.company"].create({"name": "Other Supplier"})
        cls.portal = cls.env["res.users"].create({
            "name": "Restaurant Portal", "login": "apicbase_rights_portal",
            USER_GROUPS: [(6, 0, [cls.env.ref("base.group_portal").id])]})
        cls.pricelist = cls.env["product.pricelist"].create({"name": "Rights",
            "currency_id": cls.company.currency_id.id})

    def assortment_as_manager(self, **values):
        return self.env["apicbase.assortment"].with_user(self.manager).create({
            "name": "Bistro Anna", "customer_number": "CUST-7", "pricelist_id": self.pricelist.id, **values})

    # -- a filter finds no more than its author may read ------------------------------------

    def test_a_manager_cannot_save_a_filter_that_walks_to_a_secret(self):
        for field in ("apicbase_client_secret", "apicbase_webhook_secret", "apicbase_webhook_token"):
            with self.subTest(field=field), self.assertRaises(ValidationError):
                self.assortment_as_manager(product_domain=f"[('company_id.{field}', '=like', 't%')]")
        assortment = self.assortment_as_manager(product_domain="[('sale_ok', '=', True)]")
        self.assertEqual(assortment.product_domain_user_id, self.manager)
        with self.assertRaises(ValidationError):
            assortment.with_user(self.manager).product_domain = SECRET_WALK
        self.assertEqual(assortment.product_domain, "[('sale_ok', '=', True)]", "nothing was written")

    def test_a_filter_that_is_not_a_domain_is_refused_on_save(self):
        for text in ("[('no_such_field', '=', 1)]", "__import__('os')", "{'a': 1}", "[("):
            with self.subTest(text=text), self.assertRaises(ValidationError):
                self.assortment_as_manager(product_domain=text)

    # -- restaurant text is text in the to-do --------------------------------------------------

    def test_restaurant_text_in_the_to_do_note_is_escaped(self):
        data = order_payload(supplier_customer_number=HOSTILE)
        data["packages"][0]["stock_item"]["name"] = HOSTILE
        data["packages"][0]["supplier_package"]["supplier_article_number"] = "UNKNOWN-" + HOSTILE[:20]
        _outcome, record = self.receive(data)
        self.assertEqual(record.state, "failed")
        activity = record.activity_ids
        self.assertTrue(activity)
        for html in (str(activity.note), *(str(body) for body in record.message_ids.mapped("body"))):
            with self.subTest(html=html[:60]):
                self.assertNotIn("<a ", html)
                self.assertNotIn("<img", html)
                self.assertNotIn("<b style", html)
        self.assertIn("&lt;img", str(activity.note), "shown as the text it is")
        activity.with_user(self.salesman).action_feedback(feedback="done")  # copied into the chatter
        self.assertNotIn("<img", "".join(str(body) for body in record.message_ids.mapped("body")))

    # -- publishing another company's assortment -------------------------------------------------

    def test_a_manager_cannot_publish_another_companys_assortments(self):
        theirs = self.env["apicbase.assortment"].create({
            "name": "Theirs", "customer_number": "THEIRS-1", "company_id": self.other_company.id,
            "pricelist_id": self.env["product.pricelist"].create({
                "name": "Theirs", "company_id": self.other_company.id,
                "currency_id": self.other_company.currency_id.id}).id})
        ours = self.assortment_as_manager()
        for ids in ([theirs.id], [ours.id, theirs.id]):
            with self.subTest(ids=ids), self.assertRaises(AccessError):
                self.env["apicbase.assortment"].with_user(self.manager).browse(ids).action_publish()
        self.assertFalse(any((ours | theirs).sudo().mapped("publish_pending")),
            "nothing marked for the scheduled action")

    # -- only the connector links a sale order to an Apicbase order ------------------------------

    def test_a_salesman_cannot_link_a_sale_order_to_an_apicbase_order(self):
        _outcome, record = self.receive(order_payload(id="apic-rights-linked"))
        theirs = self.env["apicbase.order"].create({
            "apicbase_id": "apic-rights-theirs", "company_id": self.other_company.id, "raw_payload": "{}"})
        own = self.env["sale.order"].with_user(self.salesman).create({"partner_id": self.customer.id})
        for user in (self.salesman, self.manager):
            for target in (record, theirs):
                with self.subTest(user=user.login, target=target.apicbase_id), self.assertRaises(AccessError):
                    own.with_user(user).write({"apicbase_order_id": target.id})
                with self.subTest(create=True), self.assertRaises(AccessError):
                    self.env["sale.order"].with_user(user).create(
                        {"partner_id": self.customer.id, "apicbase_order_id": target.id})
        self.assertFalse(own.apicbase_order_id)
        self.assertEqual(record.sale_order_ids, record.sale_order_id, "still one sale order")
        self.assertEqual(theirs.state, "received")
        # Their own sale orders stay theirs to edit in every other way.
        own.with_user(self.salesman).client_order_ref = "by hand"

    # -- deleting is no way to duplicate an order ------------------------------------------------

    def test_a_handled_inbox_order_cannot_be_deleted(self):
        _outcome, done = self.receive(order_payload(id="apic-rights-done"))
        self.company.apicbase_unmapped_policy = "refuse"
        _outcome, refused = self.receive(order_payload(id="apic-rights-refused", supplier_customer_number="NOBODY"))
        self.assertEqual((done.state, refused.state), ("done", "refused"))
        for user in (self.manager, self.env.ref("base.user_admin")):
            for record in (done, refused):
                with self.subTest(user=user.login, state=record.state), self.assertRaises(UserError):
                    record.with_user(user).unlink()
        self.assertTrue(done.exists() and refused.exists())
        # An order still waiting for a mapping may go: the follow-up brings it back if it exists.
        self.company.apicbase_unmapped_policy = "accept"
        _outcome, waiting = self.receive(order_payload(id="apic-rights-waiting", supplier_customer_number="NOBODY"))
        waiting.with_user(self.manager).unlink()
        self.assertFalse(waiting.exists())

    # -- what a salesman reads of an error that is not the order's ------------------------------

    def test_a_salesman_reads_the_kind_of_an_unexpected_error_not_its_text(self):
        self.env.cr.execute("""
            CREATE FUNCTION apicbase_test_refuse() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN RAISE EXCEPTION 'internal host db-7.local refused'; END $$;
            CREATE TRIGGER apicbase_test_refuse BEFORE INSERT ON sale_order
                FOR EACH ROW EXECUTE FUNCTION apicbase_test_refuse();
        """)
        with mute_logger("odoo.sql_db", "odoo.addons.apicbase_connector.models.apicbase_order"):
            _outcome, record = self.receive(order_payload(id="apic-rights-outage"))
        seen = record.with_user(self.salesman).read(["state", "error_message"])[0]
        self.assertEqual(seen["state"], "received")
        self.assertIn("an unexpected error", seen["error_message"])
        self.assertNotIn("db-7.local", seen["error_message"])
        self.assertNotIn("db-7.local", "".join(str(body) for body in record.message_ids.mapped("body")))

    # -- the portal reads none of the company's Apicbase settings --------------------------------

    def test_the_portal_reads_no_apicbase_setting_and_salesmen_no_follow_up_error(self):
        self.company.sudo().write({"apicbase_follow_up_error": "a raw failure",
            "apicbase_follow_up_result": {"updated": 1}})
        apicbase_fields = [name for name in self.env["res.company"]._fields if name.startswith("apicbase_")]
        company = self.company.with_user(self.portal)
        for name in apicbase_fields:
            with self.subTest(field=name), self.assertRaises(AccessError):
                company.read([name])
        for name in ("apicbase_follow_up_error", "apicbase_follow_up_result", "apicbase_follow_up_at"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.company.with_user(self.salesman).read([name])
        self.assertEqual(self.company.with_user(self.manager).read(["apicbase_follow_up_error"])[0]
                         ["apicbase_follow_up_error"], "a raw failure", "the overview's readers still read it")


@tagged("post_install", "-at_install")
class TestRightsOverJsonRpc(HttpCase, ApicbaseCase):
    """The same doors, knocked on as a browser session would: /web/dataset/call_kw."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman.password = "apicbase_salesman"
        cls.manager = cls.sales_manager("Rpc Manager", "apicbase_rpc_manager", password="apicbase_rpc_manager")

    def call(self, model, method, *args, **kwargs):
        """The JSON-RPC answer: ('result', value) or ('error', Odoo's error data)."""
        answer = self.url_open("/web/dataset/call_kw", data=json.dumps({
            "jsonrpc": "2.0", "method": "call", "id": 1,
            "params": {"model": model, "method": method, "args": list(args), "kwargs": kwargs}}),
            headers={"Content-Type": "application/json"}).json()
        return ("error", answer["error"]["data"]) if "error" in answer else ("result", answer["result"])

    def test_the_link_and_a_secret_filter_are_refused_over_rpc(self):
        _outcome, record = self.receive(order_payload(id="apic-rpc-linked"))
        self.authenticate("apicbase_salesman", "apicbase_salesman")
        _kind, own = self.call("sale.order", "create", {"partner_id": self.customer.id})
        with mute_logger("odoo.http"):
            kind, error = self.call("sale.order", "write", [own], {"apicbase_order_id": record.id})
        self.assertEqual((kind, error["name"]), ("error", "odoo.exceptions.AccessError"))
        self.assertIn("Only the Apicbase connector links", error["message"])
        self.assertFalse(self.env["sale.order"].browse(own).apicbase_order_id)
        self.authenticate("apicbase_rpc_manager", "apicbase_rpc_manager")
        pricelist = self.env["product.pricelist"].create({"name": "Rpc", "currency_id": self.company.currency_id.id})
        with mute_logger("odoo.http"):
            kind, error = self.call("apicbase.assortment", "create", {
                "name": "Rpc", "customer_number": "RPC-1", "pricelist_id": pricelist.id, "product_domain": SECRET_WALK})
        self.assertEqual((kind, error["name"]), ("error", "odoo.exceptions.ValidationError"))
        self.assertIn("may not read", error["message"])
        self.assertFalse(self.env["apicbase.assortment"].search([("customer_number", "=", "RPC-1")]))


@tagged("post_install", "-at_install")
class TestFilterRightsAtPublish(SimulatorMixin, ApicbaseCase):
    """The scheduled publish runs as the system; a filter is still applied with its author's rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_simulator(cls.company)
        cls.manager = cls.sales_manager("Mia Manager", "apicbase_filter_manager")
        cls.own = cls.env["product.product"].create({
            "name": "Company tomatoes", "default_code": "OWN-TOM", "company_id": cls.company.id, "list_price": 3,
            "apicbase_content": "1 kg"})
        cls.pricelist = cls.env["product.pricelist"].create({"name": "Filter",
            "currency_id": cls.company.currency_id.id})

    def test_a_filter_stored_unchecked_answers_nothing_about_a_secret(self):
        """A filter stored before filters were checked (an older version, an import) is applied by
        the hourly publish with its author's rights: no file is sent, so no yes-or-no leaks."""
        assortment = self.env["apicbase.assortment"].with_user(self.manager).create({
            "name": "Bistro Anna", "customer_number": "CUST-7", "pricelist_id": self.pricelist.id,
            "product_domain": "[('sale_ok', '=', True)]", "auto_publish": True})
        self.env.cr.execute("UPDATE apicbase_assortment SET product_domain = %s WHERE id = %s",
                            [SECRET_WALK, assortment.id])
        assortment.invalidate_recordset()
        with self.assertLogs("odoo.addons.apicbase_connector.models.apicbase_assortment", "WARNING") as logs:
            self.run_scheduled("ir_cron_apicbase_publish_changed")
        self.assertIn("not published", logs.output[0])
        self.assertFalse(self.sim.files, "nothing sent: a file would have said the secret is set")
        self.assertFalse(assortment.last_published_at)

    def test_a_filter_its_author_may_run_is_published_by_the_scheduled_action(self):
        admin = self.env.ref("base.user_admin")  # may read the secret, so may write such a filter
        assortment = self.env["apicbase.assortment"].with_user(admin).create({
            "name": "Bistro Anna", "customer_number": "CUST-7", "pricelist_id": self.pricelist.id,
            "product_domain": SECRET_WALK, "auto_publish": True})
        self.assertEqual(assortment.product_domain_user_id, admin)
        self.run_scheduled("ir_cron_apicbase_publish_changed")
        self.sim.wait_until_processed()
        self.assertEqual([file["customer_number"] for file in self.sim.files], ["CUST-7"])
        self.assertEqual(set(self.sim.packages["CUST-7"]), {"OWN-TOM"})
