"""Apicbase's invoice state of an order beside the sale order's own invoices, and where they
disagree (the comparison itself is pure: apicbase/invoices.py).

The restaurant types its side by hand, so mistakes are common: a typo in our invoice number, the
wrong order marked paid, our invoice never registered. The follow-up reads Apicbase's side every
hour; what disagrees is stored here (a list filter and the overview find it) and given to a
person who handles invoices as a to-do (see apicbase_order_contradiction.py).
"""
from odoo import api, fields, models

from ..apicbase import invoices as invoices_lib
from .system import as_system


class ApicbaseOrder(models.Model):
    _inherit = "apicbase.order"  # pylint: disable=consider-merging-classes-inherited

    invoice_number = fields.Char(
        string="Apicbase Invoice Number", readonly=True,
        help="Our invoice number as the restaurant typed it in Apicbase when it booked the invoice.")
    invoice_disagreement = fields.Char(
        readonly=True, index="btree_not_null",
        help="The kinds in which Apicbase's invoice state disagrees with the sale order's invoices, "
             "as of the last follow-up.")
    invoice_disagreement_text = fields.Text(
        string="Invoices Disagree", compute="_compute_invoice_disagreement_text")
    sale_invoice_ids = fields.Many2many(
        "account.move", string="Invoices Here", compute="_compute_sale_invoice_ids",
        help="The sale order's customer invoices and credit notes in Odoo.")

    @api.depends("sale_order_id.invoice_ids")
    def _compute_sale_invoice_ids(self):
        for record in self:
            record.sale_invoice_ids = record.sale_order_id.invoice_ids

    @api.depends("invoice_disagreement")
    def _compute_invoice_disagreement_text(self):
        for record in self:
            record.invoice_disagreement_text = "\n".join(
                record._invoice_note(kind) for kind in record._invoice_kinds()) or False

    def _invoice_kinds(self):
        self.ensure_one()
        return tuple((self.invoice_disagreement or "").split(",")) if self.invoice_disagreement else ()

    # ------------------------------------------------------------------
    # Comparing
    # ------------------------------------------------------------------

    def _compare_invoices(self):
        """Compares each order's Apicbase invoice state with its sale order's invoices, stores what
        disagrees and returns {order: kinds}. A fixed number of queries however many orders: the
        invoices of all their sale orders are read together."""
        records = as_system(self).filtered("sale_order_id")
        today = fields.Date.context_today(self)
        found, ids_by_value = {}, {}
        for record in records:
            kinds = invoices_lib.disagreements(
                int(record.invoice_status) if record.invoice_status else None, record.invoice_number,
                record._invoices(), today, record.company_id.apicbase_invoice_days or 0)
            found[record] = kinds
            value = ",".join(kinds) or False
            if record.invoice_disagreement != value:
                ids_by_value.setdefault(value, []).append(record.id)
        for value, ids in ids_by_value.items():
            self.browse(ids).write({"invoice_disagreement": value})
        return found

    def _invoices(self):
        """The sale order's customer invoices as the pure comparison reads them (credit notes show
        on the invoices they reverse, as Odoo's ``reversed`` payment state)."""
        return [invoices_lib.Invoice(number=move.name or "", state=move.state, payment_state=move.payment_state,
                                     date=move.invoice_date, payment_reference=move.payment_reference or None)
                for move in self.sale_order_id.invoice_ids if move.move_type == "out_invoice"]

    # ------------------------------------------------------------------
    # What a person is told
    # ------------------------------------------------------------------

    @api.model
    def _invoice_summary(self, kind):
        return {
            invoices_lib.PAID_NOT_PAID: self.env._("Paid in Apicbase, not paid here"),
            invoices_lib.UNKNOWN_NUMBER: self.env._("Apicbase has an invoice number we did not issue"),
            invoices_lib.NOT_REGISTERED: self.env._("Invoice not registered in Apicbase"),
            invoices_lib.NO_INVOICE: self.env._("Invoiced in Apicbase, no invoice here"),
            invoices_lib.INVOICE_CANCELLED: self.env._("Invoice cancelled here, payable in Apicbase"),
        }[kind]

    def _invoice_note(self, kind):
        """What disagrees with what, and what to do."""
        self.ensure_one()
        invoices = self.sale_order_id.invoice_ids.filtered(lambda move: move.move_type == "out_invoice")
        ours = ", ".join(invoices.filtered(lambda move: move.state == "posted").mapped("name")) or "-"
        values = {"number": self.name or self.apicbase_id, "sale": self.sale_order_id.name or "-",
                  "typed": self.invoice_number or "-", "ours": ours,
                  "days": self.company_id.apicbase_invoice_days}
        return {
            invoices_lib.PAID_NOT_PAID: self.env._(
                "Apicbase order %(number)s is marked paid, but the invoice of sale order %(sale)s (%(ours)s) is not "
                "paid here. Find the payment and register it (or reconcile the bank statement line); if none came, "
                "ask the restaurant, which may have marked the wrong order paid.", **values),
            invoices_lib.UNKNOWN_NUMBER: self.env._(
                "The restaurant booked invoice number %(typed)s on Apicbase order %(number)s, but sale order %(sale)s "
                "was invoiced as %(ours)s. It typed the number wrong or booked someone else's invoice: ask it to "
                "correct the number in Apicbase, so that its payment reaches the right invoice.", **values),
            invoices_lib.NOT_REGISTERED: self.env._(
                "Invoice %(ours)s of sale order %(sale)s was posted %(days)s or more days ago, but Apicbase order "
                "%(number)s still has the invoice as not received: the restaurant has not registered it. Send the "
                "invoice again.", **values),
            invoices_lib.NO_INVOICE: self.env._(
                "Apicbase order %(number)s has an invoice received, payable or paid (number %(typed)s), but sale "
                "order %(sale)s has no posted invoice. Invoice the order if it was delivered; otherwise the "
                "restaurant booked another supplier's or order's invoice here: tell it.", **values),
            invoices_lib.INVOICE_CANCELLED: self.env._(
                "The invoices of sale order %(sale)s are cancelled or reversed by a credit note, but Apicbase order "
                "%(number)s still has an invoice payable or paid. Send the restaurant the credit note (or the new "
                "invoice), so that it does not pay, or keep, a cancelled invoice.", **values),
        }[kind]
