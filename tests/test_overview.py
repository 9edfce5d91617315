from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..apicbase.client import ApiError
from ..compat import enter_registry_test_mode

from .common import ApicbaseCase, SimulatorMixin, order_payload


@tagged("post_install", "-at_install")
class TestOverview(SimulatorMixin, ApicbaseCase):
    """Sales → Apicbase → Overview: every figure, and the list each one opens."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_simulator(cls.company)
        cls.manager = cls.sales_manager("Max Manager", "apicbase_overview_manager", company_id=cls.company.id,
                                        company_ids=[(6, 0, cls.company.ids)])

    def overview(self, company=None, user=None):
        # Figures are computed on reading, once a transaction: a test reads them after its changes.
        self.env.invalidate_all()
        overview = self.env["apicbase.overview"].browse((company or self.company).id)
        return overview.with_user(user) if user else overview

    def opened(self, action):
        """The records the list an action opens shows."""
        return self.env[action["res_model"]].search(action["domain"])

    def test_the_last_order_received_its_age_and_its_form(self):
        self.assertFalse(self.overview().last_order_id)
        _outcome, first = self.receive()
        _outcome, last = self.receive(order_payload(id="apic-po-0002"))
        first.received_at = fields.Datetime.now() - timedelta(days=2)
        last.received_at = fields.Datetime.now() - timedelta(hours=3, minutes=5)
        overview = self.overview(user=self.manager)
        self.assertEqual(overview.last_order_id, last)
        self.assertEqual(overview.last_order_at, last.received_at)
        self.assertEqual(overview.last_order_age, "3 hours ago")
        action = overview.action_open_last_order()
        self.assertEqual((action["res_model"], action["res_id"]), ("apicbase.order", last.id))

    def test_orders_needing_attention_and_waiting_for_processing(self):
        self.receive()  # a sale order: neither
        _outcome, unknown = self.receive(order_payload(id="apic-po-unknown", supplier_customer_number="NOBODY"))
        self.assertEqual(unknown.state, "failed")
        waiting = self.env["apicbase.order"].create({"apicbase_id": "apic-po-waiting", "company_id": self.company.id})
        self.assertEqual(waiting.state, "received")
        overview = self.overview(user=self.manager)
        self.assertEqual((overview.attention_count, overview.waiting_count), (1, 1))
        self.assertEqual(self.opened(overview.action_open_attention()), unknown)
        self.assertEqual(self.opened(overview.action_open_waiting()), waiting)

    def test_the_last_follow_up_run_and_what_it_found(self):
        self.assertEqual(self.overview().follow_up_summary, "Not run yet")
        _outcome, known = self.receive()
        self.sim.add_purchase_order(order_payload(status="DELIVERED"))
        yesterday = (fields.Datetime.now() - timedelta(days=1)).isoformat() + "Z"
        self.sim.add_purchase_order(order_payload(id="apic-po-lost", order_number="PO-LOST", ordered_on=yesterday))
        before = fields.Datetime.now()
        self.env["apicbase.order"]._follow_up(self.company)
        self.assertGreaterEqual(self.company.apicbase_follow_up_at, before.replace(microsecond=0))
        self.assertEqual(self.company.apicbase_follow_up_result,
                         {"updated": 1, "recovered": 1, "marked": 2, "unreadable": 0})
        overview = self.overview(user=self.manager)
        self.assertEqual(overview.follow_up_summary, "1 updated, 1 recovered, 2 marked in Apicbase, 0 unreadable")
        self.assertFalse(overview.follow_up_failed)
        self.assertEqual(overview.follow_up_age, "just now")
        self.assertEqual(self.opened(overview.action_open_follow_up()), known | self.inbox("apic-po-lost"))

    def test_a_failed_follow_up_says_why(self):
        self.company.sudo().apicbase_client_secret = "revoked"
        Error = type(self.env["apicbase.api.error"])
        # The error is recorded in a transaction of its own (tested below); here the cron's rollback
        # of its savepoint would take the test's copy with it, so the recording itself is watched.
        with patch.object(Error, "_record", autospec=True, wraps=Error._record) as record, \
                self.assertLogs("odoo.addons.apicbase_connector.models.apicbase_order_follow_up", "WARNING"):
            self.run_scheduled("ir_cron_apicbase_reconcile")
        self.assertEqual([(call.args[1], call.args[2]) for call in record.call_args_list],
                         [(self.company, "purchase_order_pages")], "the scheduled action's call is logged")
        overview = self.overview(user=self.manager)
        self.assertTrue(overview.follow_up_failed)
        self.assertTrue(self.company.apicbase_follow_up_at)
        self.assertRegex(overview.follow_up_summary, r"^Failed: Apicbase refused the client credentials \(40\d\)")
        self.assertNotIn("revoked", overview.follow_up_summary)


    def test_the_last_publish_and_the_errors_apicbase_reported_on_it(self):
        self.company.apicbase_last_publish_at = fields.Datetime.now() - timedelta(days=2)
        Event = self.env["apicbase.sync.event"]
        other = self.env["res.company"].create({"name": "Other supplier"})

        def event(key, event_type, current=True, company=self.company):
            return Event.create({"company_id": company.id, "key": key, "event_type": event_type,
                                 "message": key, "current": current})

        errors = event("error", "ERROR") | event("critical", "CRITICAL")
        event("warning", "WARNING")
        event("old", "ERROR", current=False)  # about a file replaced since
        event("elsewhere", "ERROR", company=other)
        overview = self.overview(user=self.manager)
        self.assertEqual(overview.last_publish_age, "2 days ago")
        self.assertEqual(overview.event_error_count, 2)
        self.assertEqual(self.opened(overview.action_open_event_errors()), errors)

    def test_api_errors_of_the_last_day_are_counted_and_listed(self):
        manager_orders = self.env["apicbase.order"].with_user(self.manager)
        self.sim.fail_next(status=400, body='{"detail": "Bad filter"}')
        with self.assertRaisesRegex(UserError, "Reading purchase orders from Apicbase failed"):
            manager_orders.action_follow_up()
        self.sim.fail_next(status=404, body='{"detail": "Not found"}')
        # Raised unchanged, while the list is read (assertRaisesRegex: Odoo's assertRaises would roll
        # back a savepoint, and with it what a test records in its own transaction).
        with self.assertRaisesRegex(ApiError, "404"):
            list(self.company._apicbase_client().iter_customers())
        old = self.env["apicbase.api.error"].create({
            "company_id": self.company.id, "operation": "events", "status": 500, "message": "yesterday's",
            "occurred_at": fields.Datetime.now() - timedelta(hours=25)})
        overview = self.overview(user=self.manager)
        self.assertEqual(overview.api_error_count, 2)
        recent = self.opened(overview.action_open_api_errors())
        self.assertEqual(len(recent), 2)
        self.assertNotIn(old, recent)
        self.assertEqual(set(recent.mapped("status")), {400, 404})
        self.assertEqual(set(recent.mapped("operation")), {"connection", "customers"})
        self.assertIn("Not found", " ".join(recent.mapped("message")))
        self.assertNotIn(self.sim.client_secret, " ".join(recent.mapped("message")))

    def test_an_api_error_is_kept_in_a_transaction_of_its_own(self):
        """Outside tests the error is written through a cursor of its own, which outlives the caller's
        rollback; here that cursor is the test's (registry test mode)."""
        enter_registry_test_mode(self)
        with patch.object(self.registry, "cursor", wraps=self.registry.cursor) as cursor:
            self.env["apicbase.api.error"]._record(self.company, "iter_events", ApiError("boom", status=502))
        cursor.assert_called_once()
        self.env.invalidate_all()
        recorded = self.env["apicbase.api.error"].search([("company_id", "=", self.company.id)])
        self.assertEqual((recorded.operation, recorded.status, recorded.message), ("events", 502, "boom"))

    def test_old_api_errors_are_dropped_after_a_month(self):
        Error = self.env["apicbase.api.error"]
        old, recent = Error.create([
            {"company_id": self.company.id, "operation": "events", "message": "old",
             "occurred_at": fields.Datetime.now() - timedelta(days=31)},
            {"company_id": self.company.id, "operation": "events", "message": "recent",
             "occurred_at": fields.Datetime.now() - timedelta(days=29)}])
        Error._gc_old_errors()
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())

    def test_a_company_not_connected_says_so(self):
        self.assertTrue(self.overview(user=self.manager).connected)
        self.company.sudo().apicbase_client_secret = False
        self.env.invalidate_all()
        self.assertFalse(self.overview(user=self.manager).connected)

    def test_each_selected_company_has_its_own_card_and_figures(self):
        other = self.env["res.company"].create({"name": "Second supplier"})
        self.manager.company_ids = [(4, other.id)]
        _outcome, unknown = self.receive(order_payload(id="apic-po-unknown", supplier_customer_number="NOBODY"))
        Overview = self.env["apicbase.overview"].with_user(self.manager)
        self.assertEqual(Overview.with_context(allowed_company_ids=self.company.ids).search([]).company_id,
                         self.company)
        both = Overview.with_context(allowed_company_ids=[self.company.id, other.id]).search([])
        self.assertEqual(both.company_id, self.company | other)
        self.assertEqual({card.company_id: card.attention_count for card in both}, {self.company: 1, other: 0})

    def test_the_figures_cost_the_same_few_queries_for_one_company_or_several(self):
        self.receive()
        self.receive(order_payload(id="apic-po-unknown", supplier_customer_number="NOBODY"))
        others = self.env["res.company"].create([{"name": f"Supplier {index}"} for index in range(3)])
        self.manager.company_ids = [(4, company.id) for company in others]
        self.env["apicbase.order"].create([{"apicbase_id": "elsewhere", "company_id": company.id}
                                           for company in others])
        Overview = self.env["apicbase.overview"].with_user(self.manager)
        names = [name for name, field in Overview._fields.items() if field.compute == "_compute_figures"]

        def queries(companies):
            cards = Overview.with_context(allowed_company_ids=companies.ids).search([])
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            cards.read(names)
            return self.cr.sql_log_count - before

        queries(self.company | others)  # warm the caches (access rules by selected companies)
        queries(self.company)
        one = queries(self.company)
        self.assertLessEqual(one, 10, "the ten grouped queries README promises")
        self.assertEqual(queries(self.company | others), one)


@tagged("post_install", "-at_install")
class TestOverviewAccess(ApicbaseCase):
    """The overview is the sales managers': a salesman neither sees it in the menu nor reads it."""

    def test_a_manager_opens_the_overview_first_in_the_apicbase_menu(self):
        manager = self.sales_manager("Mo Manager", "apicbase_overview_view_manager")
        action = self.env.ref("apicbase_connector.action_apicbase_overview")
        Overview = self.env["apicbase.overview"].with_user(manager)
        views = Overview.get_views([(False, "kanban"), (False, "search")], {"action_id": action.id})
        arch = views["views"]["kanban"]["arch"]
        for name in ("last_order_age", "attention_count", "waiting_count", "contradiction_count",
                     "follow_up_summary", "last_publish_at", "event_error_count", "api_error_count"):
            self.assertIn(f'name="{name}"', arch)
        self.assertEqual(Overview.search([]).company_id, self.env.company)
        root = self.env.ref("apicbase_connector.menu_apicbase_root")
        visible = self.env["ir.ui.menu"].with_user(manager)._visible_menu_ids()
        first = self.env["ir.ui.menu"].search([("parent_id", "=", root.id), ("id", "in", list(visible))], limit=1)
        self.assertEqual(first, self.env.ref("apicbase_connector.menu_apicbase_overview"))
        self.assertEqual(first.action, action)
        self.assertIn(self.env.ref("apicbase_connector.menu_apicbase_api_error").id, visible)

    def test_a_salesman_is_refused(self):
        visible = self.env["ir.ui.menu"].with_user(self.salesman)._visible_menu_ids()
        self.assertIn(self.env.ref("apicbase_connector.menu_apicbase_order_catalogue").id, visible)
        self.assertNotIn(self.env.ref("apicbase_connector.menu_apicbase_overview").id, visible)
        self.assertNotIn(self.env.ref("apicbase_connector.menu_apicbase_api_error").id, visible)
        for model in ("apicbase.overview", "apicbase.api.error"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.salesman).search([])
        with self.assertRaises(AccessError):
            self.env["apicbase.overview"].with_user(self.salesman).browse(self.env.company.id).read(["attention_count"])


@tagged("post_install", "-at_install")
class TestAfterInstall(ApicbaseCase):
    """Installed from Apps, the administrator lands on the settings that connect Apicbase."""

    def test_the_install_leaves_an_open_todo_that_opens_the_apicbase_settings(self):
        todo = self.env.ref("apicbase_connector.apicbase_config_todo")
        settings = self.env.ref("apicbase_connector.action_apicbase_settings")
        self.assertEqual((todo.state, todo.action_id.id), ("open", settings.id))
        # What the web client gets after Apps → Activate (ir.module.module.button_immediate_install).
        action = self.env["ir.module.module"].next()
        self.assertEqual((action["type"], action["id"], action["target"]), ("ir.actions.act_url", settings.id, "self"))
        self.assertEqual(todo.state, "done", "once only")
        todo.action_open()
        self.assertEqual(todo.action_launch()["url"], "/odoo/settings#apicbase_webhook_setting")
        # The anchor names a setting of the settings form, which opens on its tab.
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('id="apicbase_webhook_setting"', arch)

    def test_a_company_not_connected_is_sent_to_the_same_settings(self):
        admin = self.env.ref("base.user_admin")
        action = self.env["apicbase.overview"].with_user(admin).browse(self.env.company.id).action_open_settings()
        self.assertEqual(action["url"], "/odoo/settings#apicbase_webhook_setting")
        arch = self.env["apicbase.overview"].with_user(admin).get_views([(False, "kanban")])["views"]["kanban"]["arch"]
        self.assertIn('name="action_open_settings"', arch)
        manager = self.sales_manager("Nina Manager", "apicbase_overview_no_admin")
        views = self.env["apicbase.overview"].with_user(manager).get_views([(False, "kanban")])
        arch = views["views"]["kanban"]["arch"]
        self.assertNotIn('name="action_open_settings"', arch, "a sales manager cannot open the settings")

    def test_the_todo_is_not_reopened_by_an_upgrade(self):
        data = self.env["ir.model.data"].search([("module", "=", "apicbase_connector"),
                                                 ("name", "=", "apicbase_config_todo")])
        self.assertTrue(data.noupdate)
