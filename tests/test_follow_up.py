import copy
from datetime import datetime, timedelta, timezone

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import ApicbaseCase, SimulatorMixin

FOLLOW_UP_LOGGER = "odoo.addons.apicbase_connector.models.apicbase_order_follow_up"


@tagged("post_install", "-at_install")
class TestFollowUp(SimulatorMixin, ApicbaseCase):
    """The hourly follow-up against the simulator's purchase orders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_simulator(cls.company)
        cls.env["product.product"].create([
            {"name": "Potatoes 3 x 1 kg", "default_code": "POT-3X1KG", "list_price": 5.4},
            {"name": "Cola 4 x 6 x 33 cl", "default_code": "COLA-4X6X33", "list_price": 19.999},
            {"name": "Beef", "default_code": "BEEF-KG", "list_price": 24.5},
        ])
        cls.restaurant = cls.env["res.partner"].create({"name": "Sim One", "apicbase_customer_number": "CUST-1"})
        template = next(order for order in cls.sim.purchase_orders if order["id"] == "po-1002")
        yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
        cls.lost = dict(copy.deepcopy(template), id="po-2001", order_number="PO-2001", ordered_on=yesterday)
        cls.known = dict(copy.deepcopy(template), id="po-2002", order_number="PO-2002", ordered_on=yesterday)
        cls.sim.add_purchase_order(cls.lost)
        cls.sim.add_purchase_order(cls.known)

    def setUp(self):
        super().setUp()
        # The simulator lives for the class; every test starts from orders nobody has touched.
        for order_id in ("po-2001", "po-2002"):
            self.sim_order(order_id).update(status="ORDERED", delivery_closed=False, invoice_status=0,
                                            fetched_by_supplier_at=None, viewed_by_supplier_at=None)

    def sim_order(self, order_id):
        return next(order for order in self.sim.purchase_orders if order["id"] == order_id)

    def test_states_follow_apicbase_and_lost_orders_are_recovered(self):
        _outcome, known = self.receive(self.known)  # arrived by webhook while ORDERED
        self.assertEqual(known.apicbase_status, "ORDERED")
        self.sim_order("po-2002").update(status="DELIVERED", delivery_closed=True, invoice_status=2)

        result = self.env["apicbase.order"]._follow_up(self.company)

        self.assertEqual(result, {"updated": 1, "recovered": 1, "marked": 2, "unreadable": 0})
        self.assertEqual((known.apicbase_status, known.delivery_closed, known.invoice_status),
                         ("DELIVERED", True, "2"))
        note = known.sale_order_id.message_ids.filtered(lambda m: "Apicbase: status" in (m.body or ""))
        self.assertIn("ORDERED → DELIVERED", note.body)
        self.assertIn("delivery closed", note.body)
        self.assertIn("invoice payable", note.body)
        self.assertEqual(known.sale_order_id.apicbase_status, "DELIVERED")

        lost = self.inbox("po-2001")
        self.assertEqual((lost.source, lost.state), ("recovery", "done"))
        self.assertEqual(lost.sale_order_id.partner_id, self.restaurant)
        self.assertEqual(lost.sale_order_id.client_order_ref, "PO-2001")
        self.assertEqual(len(lost.sale_order_id.order_line), len(self.lost["packages"]))
        # Older orders (the simulator's seed, 2025) are outside the follow-up window.
        self.assertFalse(self.inbox("po-1002"))

        for order_id in ("po-2001", "po-2002"):
            self.assertTrue(self.sim_order(order_id)["fetched_by_supplier_at"])
            self.assertFalse(self.sim_order(order_id)["viewed_by_supplier_at"])
        self.assertTrue(known.fetched_by_supplier_at and lost.fetched_by_supplier_at)

        again = self.env["apicbase.order"]._follow_up(self.company)
        self.assertEqual(again, {"updated": 0, "recovered": 0, "marked": 0, "unreadable": 0})
        self.assertEqual(self.env["apicbase.order"].search_count([("apicbase_id", "=", "po-2001")]), 1)

    def test_follow_up_speaks_the_documented_api(self):
        """Date filters as dates (a date-time is a 400 from Apicbase), the PATCH with the documented
        fetched_by_supplier field: every call of the run is answered 2xx."""
        self.sim.requests_log.clear()
        self.receive(self.known)
        result = self.env["apicbase.order"]._follow_up(self.company)
        self.assertEqual((result["recovered"], result["marked"]), (1, 2))
        calls = [entry for entry in self.sim.requests_log if "purchase_orders" in entry["path"]]
        self.assertEqual({entry["status"] for entry in calls}, {200})
        [listing] = [entry for entry in calls if entry["method"] == "GET"]
        self.assertRegex(listing["query"]["ordered_on__gt"], r"^\d{4}-\d{2}-\d{2}$")
        self.assertEqual([entry["method"] for entry in calls], ["GET", "PATCH"])

    def test_list_items_with_numbers_and_booleans_as_text_are_read(self):
        _outcome, known = self.receive(self.known)
        self.sim_order("po-2002").update(status="DELIVERED", delivery_closed="true", invoice_status="2")
        result = self.env["apicbase.order"]._follow_up(self.company)
        self.assertEqual(result["unreadable"], 0)
        self.assertEqual((known.apicbase_status, known.delivery_closed, known.invoice_status),
                         ("DELIVERED", True, "2"))

    def ordered_minutes_ago(self, order_id, minutes):
        moment = (datetime.now(timezone.utc) - timedelta(minutes=minutes)).isoformat()
        self.sim.add_purchase_order(dict(copy.deepcopy(self.lost), id=order_id, order_number=order_id.upper(),
                                         ordered_on=moment))

    def test_by_default_the_last_30_days_are_followed(self):
        self.assertEqual(self.company.apicbase_reconcile_days, 30, "the default")
        self.ordered_minutes_ago("po-day-20", 20 * 24 * 60)
        self.ordered_minutes_ago("po-day-40", 40 * 24 * 60)
        self.env["apicbase.order"]._follow_up(self.company)
        self.assertTrue(self.inbox("po-day-20"))
        self.assertFalse(self.inbox("po-day-40"), "outside the window, and nothing open here reaches it")

    def test_orders_still_open_here_stretch_the_window_up_to_180_days(self):
        def days_asked():
            self.env["apicbase.order"]._follow_up(self.company)
            asked = [entry["query"]["ordered_on__gt"] for entry in self.sim.requests_log
                     if "purchase_orders" in entry["path"] and entry["method"] == "GET"][-1]
            return (datetime.now(timezone.utc).date() - datetime.fromisoformat(asked).date()).days

        def open_order(order_id, days):
            moment = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat()
            _outcome, record = self.receive(dict(self.known, id=order_id, ordered_on=moment))
            self.assertEqual(record.state, "done")

        open_order("po-ancient", 200)
        self.assertEqual(days_asked(), 30 + 2, "past 180 days an open order is no longer followed")
        open_order("po-old", 100)
        self.assertIn(days_asked(), (100 + 2, 100 + 3), "back to the oldest open order (and the margin)")

    def test_a_webhook_on_its_way_is_given_15_minutes_before_recovery(self):
        self.ordered_minutes_ago("po-fresh", 5)
        self.ordered_minutes_ago("po-settled", 16)
        self.env["apicbase.order"]._follow_up(self.company)
        self.assertFalse(self.inbox("po-fresh"), "5 minutes old: its webhook may still come")
        self.assertEqual(self.inbox("po-settled").source, "recovery")
        self.ordered_minutes_ago("po-fresh", 16)
        self.env["apicbase.order"]._follow_up(self.company)
        self.assertEqual(self.inbox("po-fresh").source, "recovery")

    def test_refused_orders_are_never_marked_fetched(self):
        """The restaurant was told no: marking it fetched would tell Apicbase we hold it."""
        self.company.apicbase_unmapped_policy = "refuse"
        outcome, refused = self.receive(dict(self.known, supplier_customer_number="NOBODY"))
        self.assertEqual((outcome, refused.state), ("refused", "refused"))
        result = self.env["apicbase.order"]._follow_up(self.company)
        self.assertEqual(result["marked"], 1, "only the recovered order")
        self.assertFalse(self.sim_order("po-2002")["fetched_by_supplier_at"])
        self.assertFalse(refused.fetched_by_supplier_at)
        self.assertTrue(self.sim_order("po-2001")["fetched_by_supplier_at"])

    def test_a_manager_checks_apicbase_now(self):
        """The click checks the connection and hands the follow-up to the scheduled action."""
        manager = self.sales_manager("Mia Manager", "apicbase_follow_up_manager")
        action = self.env["apicbase.order"].with_user(manager).action_follow_up()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("in the background", action["params"]["message"])
        cron = self.env.ref("apicbase_connector.ir_cron_apicbase_reconcile")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self.assertFalse(self.inbox("po-2001"), "not inside the click")
        self.run_scheduled("ir_cron_apicbase_reconcile")
        self.assertEqual(self.inbox("po-2001").state, "done")

    def test_the_scheduled_follow_up_reads_a_few_pages_a_call_and_goes_on_where_it_stopped(self):
        ordered_on = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat()
        for index in range(5):
            self.sim.add_purchase_order(dict(copy.deepcopy(self.known), id=f"po-30{index}",
                                             order_number=f"PO-30{index}", ordered_on=ordered_on))
        window = self.env["apicbase.order"]._follow_up_start(self.company).replace(tzinfo=timezone.utc)
        in_window = [order for order in self.sim.purchase_orders if order["status"] in ("ORDERED", "DELIVERED")
                     and datetime.fromisoformat(order["ordered_on"].replace("Z", "+00:00")) > window]
        self.assertGreaterEqual(len(in_window), 7)
        calls = self.run_scheduled("ir_cron_apicbase_reconcile", limit=2, page_size=2)
        pages = -(-len(in_window) // 2)
        self.assertEqual(calls, [(1, 1)] * (-(-pages // 2) - 1) + [(1, 0)], f"{pages} pages, 2 a call")
        self.assertEqual(self.env["apicbase.order"].search_count(
            [("apicbase_id", "in", [f"po-30{index}" for index in range(5)] + ["po-2001"])]), 6)
        self.assertFalse(self.company.sudo().apicbase_follow_up_run)

    def test_an_interrupted_follow_up_goes_on_from_its_next_page(self):
        run = dict(self.env["apicbase.order"]._follow_up_begin(self.company, page_size=1), page=2, updated=4)
        self.company.sudo().apicbase_follow_up_run = run
        self.sim.requests_log.clear()
        self.assertEqual(self.run_scheduled("ir_cron_apicbase_reconcile", limit=1), [(1, 0)])
        asked = [entry["query"].get("page") for entry in self.sim.requests_log
                 if "purchase_orders" in entry["path"] and entry["method"] == "GET"]
        self.assertEqual(asked, ["2"], "page 1 is not read again")
        recovered = self.env["apicbase.order"].search([("apicbase_id", "in", ["po-2001", "po-2002"])])
        self.assertEqual(len(recovered), 1, "the order on page 2 only: page 1 was done before")
        self.assertEqual(recovered.state, "done")

    def test_the_scheduled_follow_up_goes_on_when_one_company_fails(self):
        broken = self.company
        other = self.env["res.company"].create({"name": "Second supplier"})
        other.sudo().write({"apicbase_api_url": self.sim.api_url, "apicbase_token_url": self.sim.token_url,
                            "apicbase_client_id": self.sim.client_id, "apicbase_client_secret": self.sim.client_secret})
        broken.sudo().apicbase_client_secret = "revoked"
        with self.assertLogs(FOLLOW_UP_LOGGER, "WARNING") as logs:
            self.assertEqual(self.run_scheduled("ir_cron_apicbase_reconcile"), [(1, 1), (1, 0)])
        self.assertIn(f"follow-up failed for company {broken.id}", "\n".join(logs.output))
        recovered = self.env["apicbase.order"].search([("apicbase_id", "in", ["po-2001", "po-2002"])])
        self.assertEqual(recovered.company_id, other)
        self.assertEqual(set(recovered.mapped("state")), {"done"})

    def test_unreadable_list_items_are_counted_and_logged_not_stored(self):
        broken = dict(copy.deepcopy(self.lost), id="po-broken", invoice_status="seven", delivery_closed="maybe")
        self.sim.add_purchase_order(broken)
        with self.assertLogs(FOLLOW_UP_LOGGER, "WARNING") as logs:
            result = self.env["apicbase.order"]._follow_up(self.company)
        self.assertEqual(result["unreadable"], 1)
        self.assertEqual(result["recovered"], 2)
        line = next(line for line in logs.output if "skipped by the follow-up" in line)
        self.assertIn("invoice_status: must be one of 0, 1, 2, 3, got 'seven'", line)
        self.assertIn("delivery_closed: must be true or false, got 'maybe'", line)
        self.assertFalse(self.inbox("po-broken"))

    def test_confirmed_orders_are_acknowledged_when_asked(self):
        self.company.apicbase_acknowledge = True
        _outcome, known = self.receive(self.known)
        self.env["apicbase.order"]._follow_up(self.company)
        self.assertFalse(self.sim_order("po-2002")["viewed_by_supplier_at"], "not confirmed yet")
        known.sale_order_id.action_confirm()
        result = self.env["apicbase.order"]._follow_up(self.company)
        self.assertEqual(result["marked"], 1)
        self.assertTrue(self.sim_order("po-2002")["viewed_by_supplier_at"])
        self.assertTrue(known.viewed_by_supplier_at)
        self.assertTrue(known.sale_order_id.message_ids.filtered(
            lambda m: "Acknowledged in Apicbase" in (m.body or "")))

    def test_the_window_reaches_back_to_orders_still_open_here(self):
        self.company.apicbase_reconcile_days = 30
        old = (datetime.now(timezone.utc) - timedelta(days=60)).isoformat()
        self.sim_order("po-2002")["ordered_on"] = old
        try:
            _outcome, known = self.receive(dict(self.known, ordered_on=old))
            self.sim_order("po-2002").update(status="DELIVERED")
            self.env["apicbase.order"]._follow_up(self.company)
        finally:
            self.sim_order("po-2002")["ordered_on"] = self.known["ordered_on"]
        self.assertEqual(known.apicbase_status, "DELIVERED", "60 days old, but not closed here: still followed")
        query = [entry["query"] for entry in self.sim.requests_log
                 if "purchase_orders" in entry["path"] and entry["method"] == "GET"][-1]
        self.assertEqual(query.get("ordering"), "ordered_on")  # oldest first: pages do not shift under us

    def test_recovery_never_refuses(self):
        self.company.apicbase_unmapped_policy = "refuse"
        self.sim_order("po-2001")["packages"][0]["supplier_package"]["supplier_article_number"] = "GONE-1"
        try:
            self.env["apicbase.order"]._follow_up(self.company)
        finally:
            self.sim_order("po-2001")["packages"][0]["supplier_package"]["supplier_article_number"] = "POT-3X1KG"
        lost = self.inbox("po-2001")
        self.assertEqual((lost.source, lost.state, lost.failure_reason), ("recovery", "failed", "mapping"))
        self.assertTrue(lost.activity_ids, "nobody told the restaurant: a person must look")

    def test_a_refused_patch_undoes_nothing_and_is_asked_again(self):
        self.sim.fail_next(1, status=400, body='{"detail": "unknown body"}', method="PATCH")
        with self.assertLogs(FOLLOW_UP_LOGGER, "WARNING") as logs:
            result = self.env["apicbase.order"]._follow_up(self.company)
        self.assertIn("refused to mark", logs.output[0])
        self.assertEqual((result["recovered"], result["marked"]), (2, 0))  # both orders were lost
        lost = self.inbox("po-2001")
        self.assertEqual(lost.state, "done")
        self.assertFalse(lost.fetched_by_supplier_at)
        self.assertEqual(self.env["apicbase.order"]._follow_up(self.company)["marked"], 2)
        self.assertTrue(lost.fetched_by_supplier_at)

    def test_local_stamps_are_kept_when_the_list_does_not_carry_them(self):
        self.company.apicbase_acknowledge = True
        _outcome, known = self.receive(self.known)
        known.sale_order_id.action_confirm()
        self.env["apicbase.order"]._follow_up(self.company)
        self.assertTrue(known.viewed_by_supplier_at)
        self.sim_order("po-2002").update(viewed_by_supplier_at=None, fetched_by_supplier_at=None)
        result = self.env["apicbase.order"]._follow_up(self.company)
        self.assertEqual(result["marked"], 0)
        self.assertTrue(known.viewed_by_supplier_at and known.fetched_by_supplier_at)
        notes = known.sale_order_id.message_ids.filtered(lambda m: "Acknowledged in Apicbase" in (m.body or ""))
        self.assertEqual(len(notes), 1)

    def test_delivered_orders_are_not_acknowledged(self):
        self.company.apicbase_acknowledge = True
        _outcome, known = self.receive(self.known)
        known.sale_order_id.action_confirm()
        self.sim_order("po-2002").update(status="DELIVERED")
        self.env["apicbase.order"]._follow_up(self.company)
        self.assertEqual(known.apicbase_status, "DELIVERED")
        self.assertFalse(self.sim_order("po-2002")["viewed_by_supplier_at"])

    def test_orders_of_another_company_are_not_recovered_twice(self):
        other = self.env["res.company"].create({"name": "Same credentials, other company"})
        self.env["apicbase.order"]._follow_up(self.company)
        other.sudo().write({"apicbase_api_url": self.sim.api_url, "apicbase_token_url": self.sim.token_url,
                            "apicbase_client_id": self.sim.client_id,
                            "apicbase_client_secret": self.sim.client_secret})
        self.assertEqual(self.env["apicbase.order"]._follow_up(other)["recovered"], 0)
        self.assertEqual(self.env["apicbase.order"].search_count([("apicbase_id", "=", "po-2001")]), 1)

    def test_only_managers_check_on_demand(self):
        with self.assertRaises(AccessError):
            self.env["apicbase.order"].with_user(self.salesman).action_follow_up()
        self.assertFalse(self.inbox("po-2001"), "nothing was read, nothing recovered")

    def test_api_trouble_is_a_clear_error_for_people_and_a_log_line_for_the_cron(self):
        self.company.sudo().apicbase_client_secret = "wrong"
        with self.assertRaisesRegex(UserError, "Reading purchase orders from Apicbase failed"):
            self.env["apicbase.order"].action_follow_up()
        with self.assertLogs(FOLLOW_UP_LOGGER, "WARNING") as logs:
            self.assertEqual(self.run_scheduled("ir_cron_apicbase_reconcile"), [(1, 0)])
        self.assertIn("follow-up failed", logs.output[0])
        self.assertFalse(self.company.sudo().apicbase_follow_up_run, "the next run starts over")
        self.assertNotIn(self.sim.client_secret, "\n".join(logs.output))
        self.assertNotIn("wrong", "\n".join(logs.output))
