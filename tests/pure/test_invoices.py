import datetime as dt

import pytest

from apicbase import invoices as inv
from apicbase.invoices import Invoice, comparable, disagreements

TODAY = dt.date(2026, 12, 2)


def posted(number="INV/2026/0042", payment_state="not_paid", days_ago=1, **kw):
    return Invoice(number=number, state="posted", payment_state=payment_state,
                   date=TODAY - dt.timedelta(days=days_ago), **kw)


@pytest.mark.parametrize("typed", ["INV/2026/0042", "inv-2026-0042", " INV 2026 0042 ", "Inv_2026.0042"])
def test_numbers_compare_without_case_spaces_or_separators(typed):
    assert comparable(typed) == comparable("INV/2026/0042") == "inv20260042"


def test_no_number_compares_as_an_empty_one():
    assert comparable(None) == comparable("") == ""


def test_nothing_to_say_when_both_sides_agree():
    assert disagreements(inv.PAID, "INV/2026/0042", [posted(payment_state="paid")], TODAY) == ()
    assert disagreements(inv.PAID, "inv 2026 0042", [posted(payment_state="in_payment")], TODAY) == ()
    assert disagreements(inv.PAYABLE, "INV-2026-0042", [posted()], TODAY) == ()
    assert disagreements(inv.NOT_RECEIVED, None, [], TODAY) == ()
    assert disagreements(None, None, [posted(days_ago=30)], TODAY) == (), "Apicbase's status unknown: no claim"


def test_paid_in_apicbase_while_our_invoice_is_open():
    for state in ("not_paid", "partial"):
        assert disagreements(inv.PAID, "INV/2026/0042", [posted(payment_state=state)], TODAY) == (inv.PAID_NOT_PAID,)
    # Two invoices for one order: one still open is enough.
    both = [posted(payment_state="paid"), posted("INV/2026/0043")]
    assert disagreements(inv.PAID, "INV/2026/0042", both, TODAY) == (inv.PAID_NOT_PAID,)


def test_a_number_that_matches_none_of_the_posted_invoices():
    ours = [posted(), posted("INV/2026/0043")]
    assert disagreements(inv.RECEIVED, "INV/2026/0043", ours, TODAY) == ()
    assert disagreements(inv.RECEIVED, "INV/2026/0044", ours, TODAY) == (inv.UNKNOWN_NUMBER,)
    assert disagreements(inv.RECEIVED, "INV/2026/0O42", ours, TODAY) == (inv.UNKNOWN_NUMBER,), "a typo"
    assert disagreements(inv.RECEIVED, "  ", ours, TODAY) == (), "nothing typed is no number"
    assert disagreements(inv.RECEIVED, None, ours, TODAY) == (), "nor is no number at all"
    draft = Invoice(number="INV/2026/0045", state="draft", payment_state="not_paid")
    assert disagreements(inv.RECEIVED, "INV/2026/0045", [*ours, draft], TODAY) == (inv.UNKNOWN_NUMBER,), \
        "a draft is not an invoice the restaurant can hold"
    # The payment reference Odoo printed on the invoice counts as its number too.
    assert disagreements(inv.RECEIVED, "RF18 5390 0754 7034", [posted(payment_reference="RF18539007547034")],
                         TODAY) == ()


def test_an_invoice_posted_for_days_that_the_restaurant_has_not_registered():
    assert disagreements(inv.NOT_RECEIVED, None, [posted(days_ago=6)], TODAY) == ()
    assert disagreements(inv.NOT_RECEIVED, None, [posted(days_ago=7)], TODAY) == (inv.NOT_REGISTERED,)
    assert disagreements(inv.NOT_RECEIVED, None, [posted(days_ago=3)], TODAY, registration_days=3) == \
        (inv.NOT_REGISTERED,)
    assert disagreements(inv.NOT_RECEIVED, None, [posted(days_ago=30, payment_state="reversed")], TODAY) == (), \
        "a reversed invoice is not one to register"
    assert disagreements(inv.RECEIVED, None, [posted(days_ago=30)], TODAY) == ()


@pytest.mark.parametrize("status", [inv.RECEIVED, inv.PAYABLE, inv.PAID])
def test_registered_in_apicbase_while_nothing_is_posted_here(status):
    assert disagreements(status, None, [], TODAY) == (inv.NO_INVOICE,)
    draft = Invoice(number="/", state="draft", payment_state="not_paid")
    assert disagreements(status, None, [draft], TODAY) == (inv.NO_INVOICE,)


@pytest.mark.parametrize("invoice", [
    Invoice(number="INV/2026/0042", state="cancel", payment_state="not_paid"),
    posted(payment_state="reversed"),
], ids=["cancelled", "reversed by a credit note"])
def test_our_invoice_cancelled_while_apicbase_has_it_payable_or_paid(invoice):
    for status in (inv.PAYABLE, inv.PAID):
        assert inv.INVOICE_CANCELLED in disagreements(status, None, [invoice], TODAY)
        assert inv.NO_INVOICE not in disagreements(status, None, [invoice], TODAY), "one to-do, not two"
    # Replaced by a new invoice: the order has a live invoice again.
    assert disagreements(inv.PAYABLE, "INV/2026/0043", [invoice, posted("INV/2026/0043")], TODAY) == ()


def test_several_disagreements_at_once_come_in_a_fixed_order():
    found = disagreements(inv.PAID, "SOMEONE-ELSES-1", [posted()], TODAY)
    assert found == (inv.PAID_NOT_PAID, inv.UNKNOWN_NUMBER)
    assert set(inv.KINDS) >= set(found)
