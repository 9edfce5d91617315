from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from odoo.addons.apicbase_connector.apicbase.payload import OrderStatus

from .common import ApicbaseCase, SimulatorMixin, order_payload

CANCELLED = "Cancelled here, still expected in Apicbase"
UNDELIVERED = "Delivered in Apicbase, still open here"
INBOX = "odoo.addons.apicbase_connector.models.apicbase_order_contradiction.ApicbaseOrder"


@tagged("post_install", "-at_install")
class TestContradictions(SimulatorMixin, ApicbaseCase):
    """A sale order and its Apicbase order that contradict each other give a person one to-do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_simulator(cls.company)
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")

    def quotation(self, apicbase_id="apic-po-0001"):
        _outcome, inbox = self.receive(order_payload(id=apicbase_id))
        self.assertEqual(inbox.sale_order_id.state, "draft")
        return inbox

    def flags(self, sale, summary=None):
        activities = sale.activity_ids.filtered(lambda activity: activity.activity_type_id == self.todo)
        return activities.filtered(lambda activity: activity.summary == summary) if summary else activities

    def in_apicbase(self, inbox, status="ORDERED", closed=False):
        """What the follow-up does with one purchase order of the list it reads."""
        inbox._apply_status(OrderStatus(id=inbox.apicbase_id, status=status, delivery_closed=closed))

    # -- cancelled here while Apicbase expects the delivery -------------------------------------

    def test_cancelling_an_order_apicbase_still_expects_gives_the_responsible_one_todo(self):
        inbox = self.quotation()
        sale = inbox.sale_order_id
        sale.with_user(self.salesman).action_cancel()
        [activity] = self.flags(sale)
        self.assertEqual(activity.summary, CANCELLED)
        self.assertEqual(activity.user_id, self.company.apicbase_user_id)
        self.assertIn(f"Sale order {sale.name} is cancelled, but Apicbase order PO-2026-0042 is still ordered",
                      str(activity.note))
        self.assertIn("Tell the restaurant", str(activity.note))
        # Cancelled again, and seen by the follow-up every hour: still the one to-do.
        sale.action_draft()
        sale.action_cancel()
        self.in_apicbase(inbox, "ORDERED")
        self.assertEqual(self.flags(sale), activity)
        self.assertEqual(activity.date_deadline, fields.Date.context_today(activity))

    def test_an_order_apicbase_closed_or_not_from_apicbase_is_cancelled_in_peace(self):
        inbox = self.quotation()
        self.in_apicbase(inbox, "ORDERED", closed=True)  # the restaurant gave up on it
        inbox.sale_order_id.action_cancel()
        self.assertFalse(self.flags(inbox.sale_order_id, CANCELLED))
        own = self.env["sale.order"].create({"partner_id": self.customer.id})
        own.action_cancel()
        self.assertFalse(self.flags(own))

    def test_without_an_apicbase_responsible_the_salesperson_gets_it(self):
        self.company.apicbase_user_id = False
        inbox = self.quotation()
        seller = self.env["res.users"].create({"name": "Sid Seller", "login": "apicbase_contradiction_seller"})
        inbox.sale_order_id.user_id = seller
        inbox.sale_order_id.action_cancel()
        self.assertEqual(self.flags(inbox.sale_order_id).user_id, seller)

    def test_the_follow_up_finds_an_order_cancelled_without_the_cancel_button(self):
        inbox = self.quotation()
        inbox.sale_order_id.write({"state": "cancel"})  # an import, a script
        self.assertFalse(self.flags(inbox.sale_order_id))
        self.sim.add_purchase_order(order_payload(id=inbox.apicbase_id))
        self.env["apicbase.order"]._follow_up(self.company)
        self.assertEqual(self.flags(inbox.sale_order_id).summary, CANCELLED)

    # -- delivered or closed in Apicbase while still open here ----------------------------------

    def test_the_follow_up_flags_a_quotation_apicbase_has_delivered_once(self):
        inbox = self.quotation()
        sale = inbox.sale_order_id
        self.sim.add_purchase_order(order_payload(id=inbox.apicbase_id, status="DELIVERED", delivery_closed=True))
        self.env["apicbase.order"]._follow_up(self.company)
        [activity] = self.flags(sale)
        self.assertEqual(activity.summary, UNDELIVERED)
        self.assertIn("Apicbase order PO-2026-0042 is delivered and closed by the restaurant, but sale order "
                      f"{sale.name} is still a quotation", str(activity.note))
        self.assertEqual(activity.user_id, self.company.apicbase_user_id)
        self.env["apicbase.order"]._follow_up(self.company)
        self.assertEqual(self.flags(sale), activity, "not a new one every hour")
        # Done, the contradiction gone (the quotation confirmed; no Inventory here): nothing new.
        activity.action_feedback(feedback="Confirmed")
        with patch(f"{INBOX}._tracks_deliveries", return_value=False):
            sale.action_confirm()
            self.env["apicbase.order"]._follow_up(self.company)
        self.assertFalse(self.flags(sale))

    def test_a_todo_marked_done_comes_back_while_the_contradiction_stands(self):
        inbox = self.quotation()
        sale = inbox.sale_order_id
        self.sim.add_purchase_order(order_payload(id=inbox.apicbase_id, status="DELIVERED"))
        self.env["apicbase.order"]._follow_up(self.company)
        self.flags(sale).action_feedback(feedback="Told the restaurant")
        self.assertFalse(self.flags(sale))
        self.env["apicbase.order"]._follow_up(self.company)
        self.assertEqual(self.flags(sale).summary, UNDELIVERED, "still a quotation Apicbase has delivered")

    def test_closed_by_the_restaurant_alone_is_said_so(self):
        inbox = self.quotation()
        self.in_apicbase(inbox, "ORDERED", closed=True)
        self.assertIn("is closed by the restaurant, but", str(self.flags(inbox.sale_order_id, UNDELIVERED).note))

    def test_without_inventory_a_confirmed_order_apicbase_delivered_is_no_contradiction(self):
        inbox = self.quotation()
        with patch(f"{INBOX}._tracks_deliveries", return_value=False):
            inbox.sale_order_id.action_confirm()
            self.in_apicbase(inbox, "DELIVERED", closed=True)
            self.assertFalse(self.flags(inbox.sale_order_id), "nothing tells Odoo it is not delivered")
            # The quotation case needs no Inventory.
            other = self.quotation("apic-po-0002")
            self.in_apicbase(other, "DELIVERED")
            self.assertEqual(self.flags(other.sale_order_id).summary, UNDELIVERED)

    def test_with_inventory_a_delivery_not_done_contradicts_apicbase(self):
        if "delivery_status" not in self.env["sale.order"]._fields:
            self.skipTest("Inventory (sale_stock) is not installed")
        inbox = self.quotation()
        sale = inbox.sale_order_id
        sale.action_confirm()
        self.assertEqual(sale.delivery_status, "pending")
        self.in_apicbase(inbox, "DELIVERED")
        activity = self.flags(sale, UNDELIVERED)
        self.assertIn(f"but the delivery of sale order {sale.name} is not done", str(activity.note))
        # Delivered here too: the contradiction is gone, nothing more is flagged.
        activity.action_feedback(feedback="Delivered")
        for move in sale.picking_ids.move_ids:
            move.quantity = move.product_uom_qty
        sale.picking_ids.button_validate()
        self.assertEqual(sale.delivery_status, "full")
        self.in_apicbase(inbox, "DELIVERED", closed=True)
        self.assertFalse(self.flags(sale))

    def test_many_orders_are_checked_in_a_few_queries(self):
        inboxes = [self.quotation(f"apic-po-q{index}") for index in range(8)]
        statuses = {inbox: OrderStatus(id=inbox.apicbase_id, status="ORDERED") for inbox in inboxes}
        Inbox = self.env["apicbase.order"]
        Inbox._apply_statuses(statuses)
        counts = []
        for some in (inboxes[:4], inboxes):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            Inbox.browse([inbox.id for inbox in some])._flag_contradictions()
            counts.append(self.env.cr.sql_log_count - before)
        # A search per kind of delivery contradiction, then the orders, their sale orders' lines and
        # invoices read once for all: the same whatever the number of orders.
        self.assertEqual(counts[0], counts[1])
        self.assertLessEqual(counts[1], 8)
        for inbox in inboxes[:3]:
            inbox.sale_order_id.write({"state": "cancel"})
        created = Inbox.browse([inbox.id for inbox in inboxes])._flag_contradictions()
        self.assertEqual(len(created), 3)
        self.assertFalse(Inbox.browse([inbox.id for inbox in inboxes])._flag_contradictions())

    def test_the_overview_counts_contradictions_and_lists_their_sale_orders(self):
        cancelled, delivered, fine = (self.quotation(f"apic-po-{name}") for name in ("c", "d", "f"))
        cancelled.sale_order_id.action_cancel()
        self.in_apicbase(delivered, "DELIVERED")
        overview = self.env["apicbase.overview"].browse(self.company.id)
        self.assertEqual(overview.contradiction_count, 2)
        action = overview.action_open_contradictions()
        self.assertEqual(action["res_model"], "sale.order")
        self.assertEqual(self.env["sale.order"].search(action["domain"]),
                         cancelled.sale_order_id | delivered.sale_order_id)
        self.assertNotIn(fine.sale_order_id, self.env["sale.order"].search(action["domain"]))

