"""Invoice states compared with Odoo's invoices by the follow-up: real posted invoices, payments,
credit notes, partial invoicing, another company's invoice, against the simulator's purchase orders
read by the scheduled follow-up."""
import datetime as dt

from odoo import fields
from odoo.tests import tagged

from ..compat import USER_GROUPS
from .common import ApicbaseCase, SimulatorMixin, order_payload

PAID_NOT_PAID = "Paid in Apicbase, not paid here"
UNKNOWN_NUMBER = "Apicbase has an invoice number we did not issue"
NOT_REGISTERED = "Invoice not registered in Apicbase"
NO_INVOICE = "Invoiced in Apicbase, no invoice here"
INVOICE_CANCELLED = "Invoice cancelled here, payable in Apicbase"
INVOICE_SUMMARIES = (PAID_NOT_PAID, UNKNOWN_NUMBER, NOT_REGISTERED, NO_INVOICE, INVOICE_CANCELLED)
DISAGREEING = [("invoice_disagreement", "!=", False)]  # the list filter "Invoices Disagree"


@tagged("post_install", "-at_install")
class TestInvoiceFollowUp(SimulatorMixin, ApicbaseCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_simulator(cls.company)
        cls.accountant = cls.env["res.users"].create({
            "name": "Ada Accountant", "login": "apicbase_accountant",
            USER_GROUPS: [(6, 0, [cls.env.ref("account.group_account_invoice").id,
                                  cls.env.ref("sales_team.group_sale_salesman").id])]})
        cls.company.apicbase_invoice_user_id = cls.accountant
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")

    def setUp(self):
        super().setUp()
        self.sim.purchase_orders.clear()  # only the orders each test puts there

    # -- both sides ---------------------------------------------------------------------------

    def sold(self, apicbase_id="apic-inv-1", **apicbase):
        """An order received by webhook, confirmed here, and delivered in Apicbase."""
        data = order_payload(id=apicbase_id, order_number=apicbase_id.upper(),
                             ordered_on=(fields.Datetime.now() - dt.timedelta(days=2)).isoformat() + "Z")
        _outcome, inbox = self.receive(data)
        inbox.sale_order_id.action_confirm()
        self.sim.add_purchase_order({**data, "status": "DELIVERED", "delivery_closed": True,
                                     "fetched_by_supplier_at": "2026-01-01T00:00:00Z", **apicbase})
        return inbox, inbox.sale_order_id

    def in_apicbase(self, inbox, **changes):
        next(order for order in self.sim.purchase_orders if order["id"] == inbox.apicbase_id).update(changes)

    @staticmethod
    def invoice(sale, days_ago=0):
        invoice = sale._create_invoices()
        invoice.invoice_date = fields.Date.today() - dt.timedelta(days=days_ago)
        invoice.action_post()
        return invoice

    def pay(self, invoice):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids).create({})._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def follow_up(self):
        self.run_scheduled("ir_cron_apicbase_reconcile")

    def todos(self, sale, summary=None):
        found = sale.activity_ids.filtered(
            lambda activity: activity.activity_type_id == self.todo and activity.summary in INVOICE_SUMMARIES)
        return found.filtered(lambda activity: activity.summary == summary) if summary else found

    def disagreeing(self):
        return self.env["apicbase.order"].search(DISAGREEING)

    # -- side by side ---------------------------------------------------------------------------

    def test_both_sides_are_shown_side_by_side(self):
        inbox, sale = self.sold()
        invoice = self.invoice(sale)
        self.in_apicbase(inbox, invoice_status=2, invoice_number=invoice.name.lower().replace("/", "-"))
        self.follow_up()
        self.assertEqual((inbox.invoice_status, inbox.invoice_number),
                         ("2", invoice.name.lower().replace("/", "-")), "read from the purchase orders")
        self.assertEqual(inbox.sale_invoice_ids, invoice)
        self.assertEqual(sale.apicbase_invoice_number, inbox.invoice_number)
        self.assertFalse(inbox.invoice_disagreement, "the same number, written otherwise")
        self.assertFalse(self.todos(sale))
        opened = invoice.action_open_business_doc()
        self.assertEqual((opened["res_model"], opened["res_id"]), ("account.move", invoice.id))
        self.assertTrue(self.env["mail.message"].search_count([
            ("model", "=", "sale.order"), ("res_id", "=", sale.id), ("body", "ilike", inbox.invoice_number)]),
            "the news is noted on the sale order")
        for model in ("apicbase.order", "sale.order"):
            self.assertIn("Invoices Here", self.env[model].get_views([(False, "form")])["views"]["form"]["arch"])

    # -- each disagreement: found, given to a person once, gone when fixed -----------------------

    def test_paid_in_apicbase_while_our_invoice_is_open(self):
        inbox, sale = self.sold()
        invoice = self.invoice(sale)
        self.in_apicbase(inbox, invoice_status=3, invoice_number=invoice.name)
        self.follow_up()
        [todo] = self.todos(sale)
        self.assertEqual((todo.summary, todo.user_id), (PAID_NOT_PAID, self.accountant))
        self.assertIn("register it", str(todo.note))
        self.assertEqual(self.disagreeing(), inbox)
        self.follow_up()
        self.assertEqual(self.todos(sale), todo, "not repeated while open")
        self.pay(invoice)
        self.follow_up()
        self.assertFalse(self.disagreeing(), "gone from the filter once the payment is registered")

    def test_an_invoice_number_that_is_none_of_ours(self):
        inbox, sale = self.sold()
        invoice = self.invoice(sale)
        other_company = self.env["res.company"].create({"name": "Other Supplier"})
        self.env["account.chart.template"].try_loading("generic_coa", company=other_company, install_demo=False)
        # Its second invoice: its first bears the same number as ours, and no number can tell those apart.
        _first, other_number = self.env["account.move"].with_company(other_company).create([{
            "move_type": "out_invoice", "partner_id": self.customer.id, "company_id": other_company.id,
            "invoice_line_ids": [(0, 0, {"name": "x", "quantity": 1, "price_unit": 5})]} for _index in range(2)])
        (_first | other_number).action_post()
        self.assertNotEqual(other_number.name, invoice.name)
        self.in_apicbase(inbox, invoice_status=1, invoice_number=other_number.name)
        self.follow_up()
        [todo] = self.todos(sale)
        self.assertEqual(todo.summary, UNKNOWN_NUMBER, "another company's invoice is not this order's")
        self.assertIn(other_number.name, str(todo.note))
        self.assertIn(invoice.name, str(todo.note))
        self.in_apicbase(inbox, invoice_number=f"  {invoice.name.replace('/', ' ')} ")
        self.follow_up()
        self.assertFalse(self.disagreeing())

    def test_an_invoice_the_restaurant_never_registered(self):
        inbox, sale = self.sold()
        self.invoice(sale, days_ago=6)
        self.in_apicbase(inbox, invoice_status=0)
        self.follow_up()
        self.assertFalse(self.todos(sale), "six days: not yet")
        self.company.apicbase_invoice_days = 5
        self.follow_up()
        [todo] = self.todos(sale)
        self.assertEqual(todo.summary, NOT_REGISTERED)
        self.assertIn("Send the invoice again", str(todo.note))
        # Marked done while still true: back at the next run.
        todo.with_user(self.accountant).action_feedback(feedback="sent")
        self.follow_up()
        self.assertEqual(self.todos(sale).summary, NOT_REGISTERED)

    def test_invoiced_in_apicbase_with_no_invoice_here(self):
        inbox, sale = self.sold()
        self.in_apicbase(inbox, invoice_status=2, invoice_number="F-123")
        self.follow_up()
        self.assertEqual(self.todos(sale).summary, NO_INVOICE)
        invoice = self.invoice(sale)
        self.in_apicbase(inbox, invoice_number=invoice.name)
        self.follow_up()
        self.assertFalse(self.disagreeing())

    def test_an_invoice_reversed_by_a_credit_note_while_apicbase_has_it_payable(self):
        inbox, sale = self.sold()
        invoice = self.invoice(sale)
        invoice._reverse_moves([{"ref": "cancelled"}], cancel=True)
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertEqual(len(sale.invoice_ids), 2, "the invoice and its credit note")
        self.in_apicbase(inbox, invoice_status=2, invoice_number=invoice.name)
        self.follow_up()
        [todo] = self.todos(sale)
        self.assertEqual(todo.summary, INVOICE_CANCELLED)
        self.assertIn("credit note", str(todo.note))

    def test_a_cancelled_invoice_while_apicbase_has_it_paid(self):
        inbox, sale = self.sold()
        invoice = self.invoice(sale)
        invoice.button_draft()
        invoice.button_cancel()
        self.in_apicbase(inbox, invoice_status=3, invoice_number=invoice.name)
        self.follow_up()
        self.assertEqual(self.todos(sale).mapped("summary"), [INVOICE_CANCELLED])

    def test_two_invoices_for_one_order(self):
        inbox, sale = self.sold()
        first = sale._create_invoices()
        first.invoice_line_ids.filtered(lambda line: line.product_id == self.cola).unlink()
        first.action_post()
        second = self.invoice(sale)
        self.assertEqual(sale.invoice_ids, first | second)
        self.pay(first)
        self.in_apicbase(inbox, invoice_status=3, invoice_number=second.name)
        self.follow_up()
        self.assertEqual(self.todos(sale).mapped("summary"), [PAID_NOT_PAID], "the second is still open")
        self.pay(second)
        self.follow_up()
        self.assertFalse(self.disagreeing())

    # -- who is told -----------------------------------------------------------------------------

    def test_nobody_without_access_to_invoices_gets_the_to_do(self):
        self.company.apicbase_invoice_user_id = self.salesman  # a salesman: no invoice rights
        inbox, sale = self.sold()
        self.in_apicbase(inbox, invoice_status=2)
        self.follow_up()
        [todo] = self.todos(sale)
        self.assertNotEqual(todo.user_id, self.salesman)
        self.assertTrue(todo.user_id.has_group("account.group_account_invoice"))

    def test_the_overview_and_the_sale_order_filter_show_them(self):
        inbox, sale = self.sold()
        self.in_apicbase(inbox, invoice_status=2)
        _agreeing, other_sale = self.sold("apic-inv-2")
        self.follow_up()
        overview = self.env["apicbase.overview"].browse(self.company.id)
        self.assertEqual(overview.invoice_disagreement_count, 1)
        self.assertEqual(self.env["apicbase.order"].search(overview.action_open_invoice_disagreements()["domain"]),
                         inbox)
        found = self.env["sale.order"].search([("apicbase_order_id.invoice_disagreement", "!=", False)])
        self.assertEqual(found, sale)
        self.assertNotIn(other_sale, found)

    def test_an_order_settled_on_both_sides_is_no_longer_followed_but_one_open_here_is(self):
        inbox, sale = self.sold()
        invoice = self.invoice(sale)
        self.in_apicbase(inbox, invoice_status=3, invoice_number=invoice.name)
        inbox.write({"ordered_on": fields.Datetime.now() - dt.timedelta(days=90), "delivery_closed": True,
                     "invoice_status": "3"})
        start = self.env["apicbase.order"]._follow_up_start(self.company)
        self.assertLess(start, fields.Datetime.now() - dt.timedelta(days=89), "its invoice is open here")
        self.pay(invoice)
        self.assertGreater(self.env["apicbase.order"]._follow_up_start(self.company),
                           fields.Datetime.now() - dt.timedelta(days=31), "settled: the usual window")
