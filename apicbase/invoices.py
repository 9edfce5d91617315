"""Apicbase's invoice state of a purchase order against the supplier's own invoices (pure Python).

The restaurant types its side by hand when it books our invoice (Apicbase's "Receive order"): an
invoice status (0 not received, 1 received, 2 payable, 3 paid) and our invoice number, free text
that may carry typos, another case or other separators, or another order's number. Odoo holds the
other side: the invoices and credit notes of the sale order. :func:`disagreements` says where the
two disagree, each kind a thing a person can act on; the Odoo layer turns them into to-dos.
"""
import datetime as dt
import re
from dataclasses import dataclass

NOT_RECEIVED, RECEIVED, PAYABLE, PAID = 0, 1, 2, 3

# The kinds of disagreement, in the order a person would look at them.
PAID_NOT_PAID = "paid_not_paid"  # Apicbase: paid; our invoice: not paid, not in payment
UNKNOWN_NUMBER = "unknown_number"  # Apicbase's invoice number is none of ours
NOT_REGISTERED = "not_registered"  # ours posted for days, Apicbase: not received
NO_INVOICE = "no_invoice"  # Apicbase: received, payable or paid; no posted invoice here
INVOICE_CANCELLED = "invoice_cancelled"  # ours cancelled or fully reversed; Apicbase: payable or paid
KINDS = (PAID_NOT_PAID, UNKNOWN_NUMBER, NOT_REGISTERED, NO_INVOICE, INVOICE_CANCELLED)

SETTLED_PAYMENT_STATES = ("paid", "in_payment")  # Odoo's payment states that need nothing more
_NOT_A_CHARACTER_OF_A_NUMBER = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Invoice:
    """One customer invoice of the sale order, as Odoo holds it (credit notes are not listed: a
    full reversal shows as the invoice's ``reversed`` payment state)."""
    number: str
    state: str  # draft, posted, cancel
    payment_state: str  # not_paid, partial, in_payment, paid, reversed, ...
    date: dt.date | None = None
    payment_reference: str | None = None

    @property
    def live(self):
        """Posted and not cancelled out by a credit note: an invoice the customer owes."""
        return self.state == "posted" and self.payment_state != "reversed"


def comparable(number):
    """An invoice number as people mean it: case, spaces and separators left out (INV/2026/0042,
    inv-2026-0042 and INV 2026 0042 are one number)."""
    return _NOT_A_CHARACTER_OF_A_NUMBER.sub("", number or "").casefold()


def disagreements(status, number, invoices, today, registration_days=7):
    """The kinds (a tuple, in KINDS order) in which Apicbase's ``status`` (0-3, or None when
    unknown) and invoice ``number`` disagree with ``invoices`` (:class:`Invoice`) on ``today``.

    An invoice posted ``registration_days`` days ago or more and still "not received" in Apicbase
    was not registered by the restaurant.
    """
    posted = [invoice for invoice in invoices if invoice.state == "posted"]
    live = [invoice for invoice in posted if invoice.live]
    # Invoiced once, and every invoice since cancelled or reversed (a draft is not an invoice yet).
    gone = not live and any(invoice.state == "cancel" or invoice.payment_state == "reversed" for invoice in invoices)
    found = set()
    if status == PAID and live and any(invoice.payment_state not in SETTLED_PAYMENT_STATES for invoice in live):
        found.add(PAID_NOT_PAID)
    if comparable(number) and posted and comparable(number) not in _numbers_of(posted):
        found.add(UNKNOWN_NUMBER)
    if status == NOT_RECEIVED and any(invoice.date and (today - invoice.date).days >= registration_days
                                      for invoice in live):
        found.add(NOT_REGISTERED)
    if status in (PAYABLE, PAID) and gone:
        found.add(INVOICE_CANCELLED)
    elif status in (RECEIVED, PAYABLE, PAID) and not posted:
        found.add(NO_INVOICE)
    return tuple(kind for kind in KINDS if kind in found)


def _numbers_of(invoices):
    return {comparable(value) for invoice in invoices for value in (invoice.number, invoice.payment_reference)
            if comparable(value)}
