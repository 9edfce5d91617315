"""A delivery date the lead times cannot meet: the order is accepted, its sale order says so, the
salesperson is asked to call the restaurant; with Inventory, the delivery is planned for that date."""
import copy
from datetime import date, datetime, timedelta, timezone

from odoo.tests import tagged

from .common import ApicbaseCase, SimulatorMixin, order_payload

TOO_EARLY = "Call the restaurant: delivery asked too early"
NO_INVENTORY = "Inventory (sale_stock) is not installed"
FRIDAY = "2026-11-20T08:30:00+00:00"  # 09:30 in Brussels


@tagged("post_install", "-at_install")
class TestDeliveryDates(SimulatorMixin, ApicbaseCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_simulator(cls.company)
        cls.company.partner_id.tz = "Europe/Brussels"
        cls.company.resource_calendar_id = cls.env["resource.calendar"].create({
            "name": "Monday to Friday", "company_id": cls.company.id, "tz": "Europe/Brussels",
            "attendance_ids": [(0, 0, {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 8, "hour_to": 16})
                               for day in range(5)]})
        cls.cola.apicbase_lead_time = 1
        cls.beef = cls.env["product.product"].create({
            "name": "Beef", "default_code": "BEEF-KG", "list_price": 24.5, "apicbase_lead_time": 2})
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")

    def order(self, requested, lines=("TOM-1KG", "COLA-24", "BEEF-KG"), ordered_on=FRIDAY, apicbase_id="apic-po-0001"):
        packages = [{"stock_item": {"name": number}, "supplier_package": {
            "supplier_article_number": number, "theoretical_price_per_package": "1.00"}, "quantity_ordered": 1,
            "total_theoretical_price": "1.00"} for number in lines]
        _outcome, inbox = self.receive(order_payload(
            id=apicbase_id, packages=packages, ordered_on=ordered_on, expected_delivery_date=requested,
            theoretical_price=None))
        self.assertEqual(inbox.state, "done", inbox.error_message)
        return inbox.sale_order_id

    def calls(self, sale):
        return sale.activity_ids.filtered(lambda activity: activity.summary == TOO_EARLY)

    def test_an_order_without_lead_times_may_ask_for_any_day(self):
        sale = self.order("2026-11-20T12:00:00Z", lines=("TOM-1KG",))  # the same day
        self.assertFalse(sale.apicbase_delivery_too_early or sale.apicbase_earliest_delivery
                         or sale.apicbase_delivery_warning)
        self.assertFalse(self.calls(sale))

    def test_the_slowest_line_decides_and_only_late_lines_are_named(self):
        sale = self.order("2026-11-23T07:00:00+01:00")  # Monday morning
        self.assertEqual(sale.state, "draft", "accepted like any other order")
        self.assertTrue(sale.apicbase_delivery_too_early)
        self.assertEqual(sale.apicbase_earliest_delivery, date(2026, 11, 24), "beef: Monday, Tuesday")
        warning = sale.apicbase_delivery_warning
        self.assertIn("asks for delivery on 11/23/2026", warning)
        self.assertIn("from the order on 11/20/2026 the earliest possible date is 11/24/2026", warning)
        self.assertIn("Cannot make it: [BEEF-KG] Beef (2 working day(s)).", warning)
        self.assertNotIn("COLA", warning, "one day of lead time: Monday it can make")
        [call] = self.calls(sale)
        self.assertEqual((call.user_id, call.activity_type_id), (sale.user_id, self.todo))
        self.assertIn("Call the restaurant to agree a date", str(call.note))
        self.assertEqual(self.env["sale.order"].search([("apicbase_delivery_too_early", "=", True)]), sale)

    def test_a_weekend_in_between_is_not_counted(self):
        saturday = self.order("2026-11-21T09:00:00+01:00", lines=("COLA-24",))
        self.assertTrue(saturday.apicbase_delivery_too_early)
        self.assertEqual(saturday.apicbase_earliest_delivery, date(2026, 11, 23), "Friday + 1 working day = Monday")
        monday = self.order("2026-11-23T09:00:00+01:00", lines=("COLA-24",), apicbase_id="apic-po-0002")
        self.assertFalse(monday.apicbase_delivery_too_early)

    def test_a_public_holiday_is_not_a_working_day(self):
        self.env["resource.calendar.leaves"].create({
            "name": "Holiday", "calendar_id": self.company.resource_calendar_id.id,
            "date_from": datetime(2026, 11, 22, 23, 0), "date_to": datetime(2026, 11, 23, 22, 59, 59)})  # Monday
        sale = self.order("2026-11-23T09:00:00+01:00", lines=("COLA-24",))
        self.assertTrue(sale.apicbase_delivery_too_early)
        self.assertEqual(sale.apicbase_earliest_delivery, date(2026, 11, 24))

    def test_a_date_without_a_time_is_the_restaurant_s_local_day(self):
        """"The 24th" is Brussels' 24th (stored 23:00 UTC on the 23rd): beef makes it."""
        tuesday = self.order("2026-11-24", lines=("BEEF-KG",))
        self.assertEqual(tuesday.commitment_date, datetime(2026, 11, 23, 23, 0))
        self.assertFalse(tuesday.apicbase_delivery_too_early, tuesday.apicbase_delivery_warning)
        monday = self.order("2026-11-23", lines=("BEEF-KG",), apicbase_id="apic-po-0002")
        self.assertTrue(monday.apicbase_delivery_too_early)
        self.assertIn("asks for delivery on 11/23/2026", monday.apicbase_delivery_warning)

    def test_an_order_placed_late_on_friday_night_is_counted_from_the_restaurant_s_saturday(self):
        sale = self.order("2026-11-23T09:00:00+01:00", lines=("COLA-24",), ordered_on="2026-11-20T23:30:00Z")
        self.assertFalse(sale.apicbase_delivery_too_early, "Saturday in Brussels: Monday is one working day on")
        self.assertIn("2026-11-20 23:30", str(sale.apicbase_ordered_on))

    def test_a_date_agreed_with_the_restaurant_clears_the_warning(self):
        sale = self.order("2026-11-23T07:00:00+01:00")
        sale.with_user(self.salesman).commitment_date = datetime(2026, 11, 24, 8, 0)
        self.assertFalse(sale.apicbase_delivery_too_early or sale.apicbase_delivery_warning)
        sale.commitment_date = datetime(2026, 11, 22, 8, 0)
        self.assertTrue(sale.apicbase_delivery_too_early)
        self.assertEqual(len(self.calls(sale)), 1, "one call: the person changing the date knows")

    def test_no_date_asked_for_is_nothing_to_check(self):
        sale = self.order(None)
        self.assertFalse(sale.commitment_date or sale.apicbase_delivery_too_early or self.calls(sale))

    def test_an_ordinary_sale_order_is_never_checked(self):
        sale = self.env["sale.order"].create({
            "partner_id": self.customer.id, "commitment_date": datetime(2026, 11, 20, 10, 0),
            "order_line": [(0, 0, {"product_id": self.beef.id, "product_uom_qty": 1})]})
        sale.commitment_date = datetime(2026, 11, 20, 11, 0)
        self.assertFalse(sale.apicbase_delivery_too_early or self.calls(sale))

    def test_the_salesman_reads_the_warning_and_finds_his_orders(self):
        sale = self.order("2026-11-23T07:00:00+01:00")
        self.assertEqual(sale.user_id, self.salesman)
        as_salesman = self.env["sale.order"].with_user(self.salesman)
        self.assertEqual(as_salesman.search([("apicbase_delivery_too_early", "=", True)]), sale)
        self.assertIn("[BEEF-KG] Beef", as_salesman.browse(sale.id).apicbase_delivery_warning)
        self.assertEqual(self.calls(sale).user_id, self.salesman)

    def test_product_names_are_escaped_in_the_todo(self):
        self.beef.name = "<img src=x onerror=alert(1)>"
        sale = self.order("2026-11-23T07:00:00+01:00", lines=("BEEF-KG",))
        note = str(self.calls(sale).note)
        self.assertNotIn("<img", note)
        self.assertIn("&lt;img src=x onerror=alert(1)&gt;", note)

    def test_an_order_recovered_by_the_follow_up_is_checked_too(self):
        self.env["res.partner"].create({"name": "Sim One", "apicbase_customer_number": "CUST-1"})
        yesterday = datetime.now(timezone.utc) - timedelta(days=1)
        template = next(order for order in self.sim.purchase_orders if order["id"] == "po-1002")
        lost = dict(copy.deepcopy(template), id="po-late", order_number="PO-LATE", ordered_on=yesterday.isoformat(),
                    expected_delivery_date=yesterday.date().isoformat())  # the day it was ordered
        lost["packages"][0]["supplier_package"]["supplier_article_number"] = "BEEF-KG"
        for package in lost["packages"][1:]:
            package["supplier_package"]["supplier_article_number"] = "TOM-1KG"
        self.sim.add_purchase_order(lost)
        result = self.env["apicbase.order"]._follow_up(self.company)
        self.assertEqual(result["recovered"], 1)
        sale = self.inbox("po-late").sale_order_id
        self.assertEqual(self.inbox("po-late").source, "recovery")
        self.assertTrue(sale.apicbase_delivery_too_early)
        self.assertIn("Cannot make it: [BEEF-KG] Beef (2 working day(s))", sale.apicbase_delivery_warning)
        self.assertTrue(self.calls(sale))
        self.assertGreaterEqual(sale.apicbase_earliest_delivery, yesterday.date() + timedelta(days=2))

    # -- with Inventory (tools/run-tests runs this class on a database that has it) ------------

    def skip_without_inventory(self):
        if "picking_ids" not in self.env["sale.order"]._fields:
            self.skipTest(NO_INVENTORY)

    def test_with_inventory_the_delivery_is_planned_for_the_requested_date(self):
        self.skip_without_inventory()
        sale = self.order("2026-11-23T07:00:00+01:00")
        self.assertTrue(sale.apicbase_delivery_too_early)
        sale.action_confirm()
        requested = datetime(2026, 11, 23, 6, 0)
        self.assertEqual(sale.commitment_date, requested)
        self.assertEqual(set(sale.picking_ids.move_ids.mapped("date_deadline")), {requested})
        self.assertEqual(sale.picking_ids.scheduled_date,
                         requested - timedelta(days=self.company.security_lead),
                         "the warehouse sees the restaurant's date, not one the lead times compute")

    def test_with_inventory_the_customer_lead_time_counts_when_apicbase_has_none(self):
        self.skip_without_inventory()
        self.tomatoes.sale_delay = 3
        sale = self.order("2026-11-24T07:00:00+01:00", lines=("TOM-1KG", "BEEF-KG"))
        self.assertTrue(sale.apicbase_delivery_too_early)
        self.assertEqual(sale.apicbase_earliest_delivery, date(2026, 11, 25))
        self.assertIn("Cannot make it: [TOM-1KG] Tomatoes 1 kg (3 working day(s)).", sale.apicbase_delivery_warning)
        self.cola.sale_delay = 9
        sale = self.order("2026-11-23T07:00:00+01:00", lines=("COLA-24",), apicbase_id="apic-po-0002")
        self.assertFalse(sale.apicbase_delivery_too_early, "Apicbase's own lead time (1 day) comes first")
