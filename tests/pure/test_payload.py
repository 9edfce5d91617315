import copy
import datetime as dt
import json
import zoneinfo
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicbase import payload
from apicbase.errors import PayloadError

ORDER = {
    "id": "5f1c2a",
    "order_number": "PO-2026-0042",
    "status": "ORDERED",
    "ordered_on": "2026-11-25T09:30:00+01:00",
    "owned_by": {"username": "chef.anna"},
    "order_remarks": "Back door, before 7am",
    "packages": [
        {
            "stock_item": {"name": "Tomatoes"},
            "supplier_package": {"supplier_article_number": "TOM-1KG", "theoretical_price_per_package": "2.35"},
            "quantity_ordered": 3,
            "total_theoretical_price": "7.05",
        },
        {
            "stock_item": {"name": "Cola 4x6x33cl"},
            "supplier_package": {"supplier_article_number": "COLA-24", "theoretical_price_per_package": "18.999"},
            "quantity_ordered": 1,
            "total_theoretical_price": "18.999",
        },
    ],
    "expected_delivery_date": "2026-11-27T06:00:00Z",
    "theoretical_price": "26.049",
    "supplier_customer_number": "CUST-7",
}


def order(**changes):
    data = copy.deepcopy(ORDER)
    data.update(changes)
    return data


def problems_of(data, **kwargs):
    with pytest.raises(PayloadError) as info:
        payload.parse_order(data, **kwargs)
    return dict(info.value.problems)


def test_valid_order_is_typed():
    po = payload.parse_order_json(json.dumps(ORDER).encode())
    assert po.id == "5f1c2a" and po.order_number == "PO-2026-0042"
    assert po.customer_number == "CUST-7"
    assert po.ordered_on == dt.datetime(2026, 11, 25, 8, 30, tzinfo=dt.timezone.utc)
    assert po.expected_delivery_date == dt.datetime(2026, 11, 27, 6, 0, tzinfo=dt.timezone.utc)
    assert po.remarks == "Back door, before 7am" and po.owner == "chef.anna"
    assert po.theoretical_price == Decimal("26.049")
    first, second = po.lines
    assert (first.article_number, first.quantity, first.price_per_package) == ("TOM-1KG", 3, Decimal("2.35"))
    assert second.price_per_package == Decimal("18.999") and isinstance(second.price_per_package, Decimal)
    assert first.stock_item_name == "Tomatoes"
    assert po.article_numbers == ("TOM-1KG", "COLA-24")


def test_json_numbers_become_decimals_not_floats():
    raw = json.dumps(ORDER).replace('"2.35"', "2.35").encode()
    po = payload.parse_order_json(raw)
    assert po.lines[0].price_per_package == Decimal("2.35")


def test_optional_fields_may_be_null():
    po = payload.parse_order(order(owned_by=None, order_remarks=None, expected_delivery_date=None))
    assert po.owner is None and po.remarks is None and po.expected_delivery_date is None


def test_offset_less_datetimes_stay_local_until_placed_in_a_time_zone():
    po = payload.parse_order(order(ordered_on="2026-11-25T09:30:00", expected_delivery_date="2026-11-27"))
    assert po.ordered_on == dt.datetime(2026, 11, 25, 9, 30) and po.ordered_on.tzinfo is None
    assert po.expected_delivery_date == dt.datetime(2026, 11, 27, 0, 0)
    brussels = zoneinfo.ZoneInfo("Europe/Brussels")
    # The restaurant's 27th starts at 23:00 UTC the day before in winter, 22:00 in summer.
    assert payload.naive_utc(po.expected_delivery_date, brussels) == dt.datetime(2026, 11, 26, 23, 0)
    assert payload.naive_utc(dt.datetime(2026, 7, 1), brussels) == dt.datetime(2026, 6, 30, 22, 0)
    # An offset wins over the local time zone.
    aware = payload.parse_datetime("2026-11-27T06:00:00Z")
    assert payload.naive_utc(aware, brussels) == dt.datetime(2026, 11, 27, 6, 0)


def test_only_offset_less_dates_need_the_local_time_zone():
    assert not payload.parse_order(order()).has_local_times
    assert not payload.parse_order(order(expected_delivery_date=None)).has_local_times
    assert payload.parse_order(order(expected_delivery_date="2026-11-27")).has_local_times
    assert payload.parse_order(order(ordered_on="2026-11-25T09:30:00")).has_local_times


@pytest.mark.parametrize("text, expected", [
    ("2026-11-25T09:30:00Z", dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.timezone.utc)),
    ("2026-11-25T09:30:00z", dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.timezone.utc)),
    ("2026-11-25T09:30:00.123Z", dt.datetime(2026, 11, 25, 9, 30, 0, 123000, tzinfo=dt.timezone.utc)),
    ("2026-11-25T09:30:00.12345Z", dt.datetime(2026, 11, 25, 9, 30, 0, 123450, tzinfo=dt.timezone.utc)),
    ("2026-11-25T09:30:00.123456789Z", dt.datetime(2026, 11, 25, 9, 30, 0, 123456, tzinfo=dt.timezone.utc)),
    ("2026-11-25 09:30:00+0100", dt.datetime(2026, 11, 25, 8, 30, tzinfo=dt.timezone.utc)),
    ("2026-11-25T09:30-05:30", dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.timezone.utc)),
    ("2026-11-25T09:30:00+02", dt.datetime(2026, 11, 25, 7, 30, tzinfo=dt.timezone.utc)),
    ("2026-11-25", dt.datetime(2026, 11, 25)),
    ("2026-11-25T09:30:00 +01:00", dt.datetime(2026, 11, 25, 8, 30, tzinfo=dt.timezone.utc)),  # as Django reads
])
def test_iso_datetimes_as_drf_and_people_write_them(text, expected):
    """Read alike on every Python Odoo 18 runs on: 3.10's fromisoformat refuses most of these."""
    assert payload.parse_datetime(text) == expected


@pytest.mark.parametrize("text", ["2026-13-01", "2026-11-25T25:00:00Z", "2026-11-25T09:30:00+25:00",
                                  "25/11/2026", "2026-11-25T09:30:00Zjunk", "", "2026-11-25T",
                                  "2026-11-25T09:30:00+05:99", "\u0662\u0660\u0662\u0666-11-25",
                                  "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-00:30", "0001-01-01"])
def test_impossible_datetimes_are_refused(text):
    assert payload.parse_datetime(text) is None


@pytest.mark.parametrize("field", ["id", "order_number", "ordered_on", "status"])
def test_missing_required_field(field):
    data = order()
    del data[field]
    assert problems_of(data) == {field: "is required"}


def test_wrong_types_are_named():
    problems = problems_of(order(order_number=["x"], ordered_on=12, owned_by="bob"))
    assert problems == {
        "order_number": "must be a string",
        "ordered_on": "must be an ISO 8601 date-time string",
        "owned_by": "must be an object or null",
    }


def test_bad_date():
    assert problems_of(order(ordered_on="25/11/2026")) == {"ordered_on": "'25/11/2026' is not an ISO 8601 date-time"}


@pytest.mark.parametrize("quantity, message", [
    (-2, "must be positive, got -2"),
    (0, "must be positive, got 0"),
    (Decimal("1.5"), "must be a whole number, got 1.5"),
    ("3", "must be an integer, got str"),
    (True, "must be an integer, got bool"),
    (None, "is required"),
    (Decimal("NaN"), "must be a whole number, got NaN"),
    (Decimal("-Infinity"), "must be a whole number, got -Infinity"),
])
def test_bad_quantity(quantity, message):
    data = order()
    data["packages"][0]["quantity_ordered"] = quantity
    assert problems_of(data) == {"packages[0].quantity_ordered": message}


def test_integral_decimal_quantity_is_accepted():
    data = order()
    data["packages"][0]["quantity_ordered"] = Decimal("4.0")
    assert payload.parse_order(data).lines[0].quantity == 4


@pytest.mark.parametrize("price, message", [
    ("abc", "'abc' is not a decimal number"),
    ("-1.00", "must not be negative, got -1.00"),
    ("NaN", "'NaN' is not a finite number"),
    (1.5, "must be a decimal number, got float"),
])
def test_bad_decimal(price, message):
    data = order()
    data["packages"][1]["supplier_package"]["theoretical_price_per_package"] = price
    assert problems_of(data) == {"packages[1].supplier_package.theoretical_price_per_package": message}


def test_empty_and_missing_package_list():
    assert problems_of(order(packages=[])) == {"packages": "must contain at least one package"}
    assert problems_of(order(packages={"a": 1})) == {"packages": "is required and must be a list"}


def test_missing_article_number_and_bad_package_shape():
    data = order()
    data["packages"][0]["supplier_package"] = {"theoretical_price_per_package": "1"}
    data["packages"][1] = "COLA-24"
    problems = problems_of(data)
    assert problems["packages[0].supplier_package.supplier_article_number"] == "is required"
    assert problems["packages[1]"] == "must be an object"


def test_unknown_status():
    assert problems_of(order(status="CANCELLED")) == {
        "status": "unknown status 'CANCELLED', expected one of ORDERED"}
    # The follow-up reads every documented status.
    po = payload.parse_order(order(status="DELIVERED", delivery_closed=True, invoice_status=2),
                             statuses=payload.ORDER_STATUSES)
    assert po.status == "DELIVERED" and po.delivery_closed is True and po.invoice_status == 2


def test_every_defect_is_reported_at_once():
    data = order(id=None, status="X")
    data["packages"][0]["quantity_ordered"] = -1
    err = pytest.raises(PayloadError, payload.parse_order, data).value
    assert {p for p, _ in err.problems} == {"id", "status", "packages[0].quantity_ordered"}
    assert "packages[0].quantity_ordered: must be positive" in str(err)
    assert err.as_list()[0] == {"field": "status", "error": "unknown status 'X', expected one of ORDERED"}


@pytest.mark.parametrize("raw, message", [
    (b"{not json", "the body is not valid JSON"),
    (b"\xff\xfe\x00", "the body is not UTF-8 text"),
    (b"[1, 2]", "the purchase order must be a JSON object"),
])
def test_undecodable_bodies(raw, message):
    err = pytest.raises(PayloadError, payload.parse_order_json, raw).value
    assert message in str(err)


def test_numeric_ids_are_read_as_strings():
    po = payload.parse_order(order(id=12345, order_number=77))
    assert po.id == "12345" and po.order_number == "77"


def test_nul_characters_are_refused_before_storage():
    assert problems_of(order(order_number="PO\x00-1")) == {"order_number": "must not contain NUL characters"}


def test_order_status_reads_the_follow_up_fields_only():
    status = payload.parse_order_status({
        "id": "po-9", "status": "DELIVERED", "delivery_closed": True, "invoice_status": 3,
        "viewed_by_supplier_at": "2026-11-20T10:00:00Z", "fetched_by_supplier_at": None})
    assert (status.id, status.status, status.delivery_closed, status.invoice_status) == ("po-9", "DELIVERED", True, 3)
    assert status.viewed_by_supplier_at == dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone.utc)
    assert status.fetched_by_supplier_at is None
    # No packages, no customer: still a valid status.
    assert payload.parse_order_status({"id": 5, "status": "IN_PROGRESS"}).id == "5"


def test_order_status_defects():
    with pytest.raises(PayloadError) as info:
        payload.parse_order_status({"status": "LOST", "invoice_status": 7, "delivery_closed": "maybe"})
    assert dict(info.value.problems) == {
        "id": "is required",
        "status": "unknown status 'LOST', expected one of IN_PROGRESS, ORDERED, DELIVERED",
        "invoice_status": "must be one of 0, 1, 2, 3, got 7",
        "delivery_closed": "must be true or false, got 'maybe'",
    }


@pytest.mark.parametrize("invoice_status, closed, expected", [
    (2, True, (2, True)), ("2", "true", (2, True)), ("3", "True", (3, True)), (0, "false", (0, False)),
    ("0", 0, (0, False)), (1, "1", (1, True)), (None, None, (None, None)), ("", "", (None, None)),
])
def test_list_items_are_read_whether_numbers_and_booleans_come_as_text_or_not(invoice_status, closed, expected):
    item = {"id": "po-9", "status": "DELIVERED", "invoice_status": invoice_status, "delivery_closed": closed}
    status = payload.parse_order_status(item)
    assert (status.invoice_status, status.delivery_closed) == expected
    full = payload.parse_order(order(status="DELIVERED", invoice_status=invoice_status, delivery_closed=closed),
                               statuses=payload.ORDER_STATUSES)
    assert (full.invoice_status, full.delivery_closed) == expected


@pytest.mark.parametrize("typed, expected", [
    (" INV/2026/0042 ", "INV/2026/0042"), (20260042, "20260042"), ("", None), (None, None)])
def test_the_invoice_number_the_restaurant_typed_is_read_as_text(typed, expected):
    item = {"id": "po-9", "status": "DELIVERED", "invoice_number": typed}
    assert payload.parse_order_status(item).invoice_number == expected
    assert payload.parse_order(order(status="DELIVERED", invoice_number=typed),
                               statuses=payload.ORDER_STATUSES).invoice_number == expected
    with pytest.raises(PayloadError) as info:
        payload.parse_order_status({**item, "invoice_number": "9" * 256})
    assert dict(info.value.problems) == {"invoice_number": "must be at most 255 characters, got 256"}


@pytest.mark.parametrize("number", [None, "", "   "])
def test_an_order_without_customer_number_is_still_an_order(number):
    """Signed and well formed otherwise: kept and queued for a person, never refused as malformed."""
    po = payload.parse_order(order(supplier_customer_number=number))
    assert po.customer_number is None and po.id == "5f1c2a"


def test_a_deeply_nested_body_is_a_payload_error_not_a_crash():
    raw = b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(PayloadError, match="nested too deeply"):
        payload.parse_order_json(raw)


def test_datetime_helpers_used_at_the_odoo_boundary():
    assert payload.parse_datetime("2026-11-25T10:00:00+01:00") == dt.datetime(
        2026, 11, 25, 9, 0, tzinfo=dt.timezone.utc)
    assert payload.parse_datetime("not a date") is None
    # Without a time zone, a naive value is UTC (Apicbase's own stamps, events).
    assert payload.naive_utc(payload.parse_datetime("2026-11-25T10:00:00")) == dt.datetime(2026, 11, 25, 10, 0)
    assert payload.naive_utc(None) is None


@pytest.mark.parametrize("value, expected", [
    (1, "1"), ("1", "1"), (" DC-1 ", "DC-1"), (0, "0"), (Decimal("7"), "7"), (None, None), ("", None),
    (True, None), ({"id": 1}, None), (Decimal("1.5"), None),
])
def test_identifiers_typed_integer_or_string_read_alike(value, expected):
    assert payload.identifier(value) == expected


@pytest.mark.parametrize("changes, problem", [
    ({"invoice_status": "\u00b2"}, ("invoice_status", "must be one of 0, 1, 2, 3, got '\u00b2'")),
    ({"invoice_status": "9" * 5000}, ("invoice_status", None)),
    ({"id": "po-\ud800"}, ("id", "must be valid Unicode text")),
    ({"order_remarks": "\udfff"}, ("order_remarks", "must be valid Unicode text")),
    ({"id": "x" * 256}, ("id", "must be at most 255 characters, got 256")),
    ({"supplier_customer_number": "C" * 300}, ("supplier_customer_number", "must be at most 255 characters, got 300")),
    ({"expected_delivery_date": "0001-01-01"}, ("expected_delivery_date", "'0001-01-01' is not an ISO 8601 date-time")),
])
def test_what_postgresql_or_python_cannot_hold_is_a_named_problem(changes, problem):
    with pytest.raises(PayloadError) as info:
        payload.parse_order(order(**changes), statuses=payload.ORDER_STATUSES)
    field, message = problem
    found = dict(info.value.problems)
    assert field in found and (message is None or found[field] == message)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.decimals(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12) | st.sampled_from(["", "2026-11-25T09:30:00Z", "ORDERED", "\u00b2", "0001-01-01"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8)
ORDER_KEYS = list(ORDER) + ["delivery_closed", "invoice_status", "viewed_by_supplier_at", "fetched_by_supplier_at"]


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(ORDER_KEYS), JSON_VALUES), st.booleans())
def test_any_json_object_is_an_order_or_a_payload_error_never_a_crash(changes, keep_rest):
    data = order(**changes) if keep_rest else changes
    for parse in (lambda: payload.parse_order(data, statuses=payload.ORDER_STATUSES),
                  lambda: payload.parse_order_status(data)):
        try:
            parse()
        except PayloadError:
            pass


# --- fields and paths tools/mutation found unchecked --------------------------------------------

def test_line_totals_and_names_are_read():
    first, second = payload.parse_order(ORDER).lines
    assert (first.total_price, second.total_price) == (Decimal("7.05"), Decimal("18.999"))
    assert second.stock_item_name == "Cola 4x6x33cl"


def test_prices_are_optional_and_zero_is_a_price():
    data = order(theoretical_price="")
    for line in data["packages"]:
        del line["total_theoretical_price"], line["supplier_package"]["theoretical_price_per_package"]
    po = payload.parse_order(data)
    assert po.theoretical_price is None
    assert [(line.price_per_package, line.total_price) for line in po.lines] == [(None, None), (None, None)]
    po = payload.parse_order(order(theoretical_price=" 0.50 "))
    assert po.theoretical_price == Decimal("0.50")
    assert payload.parse_order(order(theoretical_price="0")).theoretical_price == 0


def test_a_line_without_stock_item_name_has_an_empty_one():
    data = order()
    data["packages"][0]["stock_item"] = {}
    del data["packages"][1]["stock_item"]
    assert [line.stock_item_name for line in payload.parse_order(data).lines] == ["", ""]


def test_every_field_is_named_by_its_own_path():
    data = order(supplier_customer_number=["C"], order_remarks={"text": "x"}, expected_delivery_date="soon",
                 theoretical_price="lots", owned_by={"username": 5.5}, ordered_on="")
    data["packages"][0].update(stock_item="Tomatoes", supplier_package="TOM-1KG", total_theoretical_price="x")
    data["packages"][1]["stock_item"] = {"name": ["Cola"]}
    assert problems_of(data) == {
        "packages[0].stock_item": "must be an object",
        "packages[0].supplier_package": "must be an object",
        "packages[0].supplier_package.supplier_article_number": "is required",
        "packages[0].total_theoretical_price": "'x' is not a decimal number",
        "packages[1].stock_item.name": "must be a string",
        "ordered_on": "is required",
        "supplier_customer_number": "must be a string",
        "expected_delivery_date": "'soon' is not an ISO 8601 date-time",
        "order_remarks": "must be a string",
        "owned_by.username": "must be a string",
        "theoretical_price": "'lots' is not a decimal number",
    }


def test_an_owner_without_username_and_an_empty_delivery_date_are_absent():
    po = payload.parse_order(order(owned_by={}, expected_delivery_date=""))
    assert po.owner is None and po.expected_delivery_date is None


def test_follow_up_stamps_are_read_and_named():
    status = payload.parse_order_status({"id": 1, "status": "ORDERED", "viewed_by_supplier_at": "",
                                         "fetched_by_supplier_at": "2026-11-20T10:00:00+01:00"})
    assert status.viewed_by_supplier_at is None
    assert status.fetched_by_supplier_at == dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)
    with pytest.raises(PayloadError) as info:
        payload.parse_order_status({"id": 1, "status": "ORDERED", "viewed_by_supplier_at": "yesterday",
                                    "fetched_by_supplier_at": 20261120})
    assert info.value.problems == [
        ("viewed_by_supplier_at", "'yesterday' is not an ISO 8601 date-time"),
        ("fetched_by_supplier_at", "must be an ISO 8601 date-time string"),
    ]


@pytest.mark.parametrize("field, value, message", [
    ("invoice_status", True, "must be one of 0, 1, 2, 3, got True"),
    ("delivery_closed", Decimal("1E0"), "must be true or false, got Decimal('1')"),  # JSON's 1E0
])
def test_follow_up_values_that_only_look_right_are_refused(field, value, message):
    with pytest.raises(PayloadError) as info:
        payload.parse_order_status({"id": 1, "status": "ORDERED", field: value})
    assert info.value.problems == [(field, message)]


@pytest.mark.parametrize("parse", [payload.parse_order, payload.parse_order_status])
def test_a_purchase_order_that_is_not_an_object_is_one_problem(parse):
    with pytest.raises(PayloadError) as info:
        parse([1])
    assert info.value.problems == [("$", "the purchase order must be a JSON object")]


@pytest.mark.parametrize("raw, message", [
    ("\ufeff{}".encode("utf-16"), "the body is not UTF-8 text"),  # json.loads would read UTF-16 bytes
    (b'{"a": 1', "the body is not valid JSON (Expecting ',' delimiter: line 1 column 8 (char 7))"),
    (b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "the body is nested too deeply to be a purchase order"),
])
def test_undecodable_bodies_are_one_problem_on_the_whole_body(raw, message):
    with pytest.raises(PayloadError) as info:
        payload.parse_order_json(raw)
    assert info.value.problems == [("$", message)]


def test_a_body_may_be_text_and_statuses_are_passed_on():
    po = payload.parse_order_json(json.dumps(order(status="DELIVERED")), statuses=payload.ORDER_STATUSES)
    assert po.status == "DELIVERED"


def test_dates_with_an_offset_are_in_utc_whatever_the_server_s_time_zone(server_in_kiribati):
    parsed = payload.parse_datetime("2026-11-25T10:00:00+01:00")
    assert parsed.utcoffset() == dt.timedelta(0) and parsed.tzinfo == dt.timezone.utc
    aware = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert payload.naive_utc(aware) == dt.datetime(2026, 11, 25, 9, 0)


def test_a_payload_error_reads_as_every_problem_in_one_line():
    error = PayloadError([("id", "is required"), ("packages", "must contain at least one package")])
    assert str(error) == "id: is required; packages: must contain at least one package"
    assert error.as_list() == [{"field": "id", "error": "is required"},
                               {"field": "packages", "error": "must contain at least one package"}]


def test_keys_of_exactly_the_longest_length_are_kept():
    po = payload.parse_order(order(id="x" * 255, order_number="n" * 255, supplier_customer_number="c" * 255))
    assert (len(po.id), len(po.order_number), len(po.customer_number)) == (255, 255, 255)


def test_over_long_article_and_order_numbers_are_refused():
    data = order(order_number="N" * 256)
    data["packages"][0]["supplier_package"]["supplier_article_number"] = "A" * 300
    assert problems_of(data) == {
        "packages[0].supplier_package.supplier_article_number": "must be at most 255 characters, got 300",
        "order_number": "must be at most 255 characters, got 256"}
    with pytest.raises(PayloadError) as info:
        payload.parse_order_status({"id": "x" * 256, "status": "ORDERED"})
    assert info.value.problems == [("id", "must be at most 255 characters, got 256")]


# --- absurd numbers (issue 14, item 10) ----------------------------------------------------------

def raw_order_with(quantity="3", price='"2.35"', total='"26.049"'):
    """A webhook body whose first line's quantity and price, and whose total, are the JSON texts given."""
    text = json.dumps(order(theoretical_price="TOTAL"))
    text = text.replace('"quantity_ordered": 3', f'"quantity_ordered": {quantity}', 1)
    text = text.replace('"theoretical_price_per_package": "2.35"', f'"theoretical_price_per_package": {price}', 1)
    return text.replace('"TOTAL"', total).encode()


def raw_problems(raw):
    with pytest.raises(PayloadError) as info:
        payload.parse_order_json(raw)
    return dict(info.value.problems)


QUANTITY = "packages[0].quantity_ordered"
PRICE = "packages[0].supplier_package.theoretical_price_per_package"


@pytest.mark.parametrize("quantity, message", [
    ("1e99999999", "1e99999999 is out of range for a number"),
    ("1E+99999999", "1E+99999999 is out of range for a number"),
    ("1e-99999", "1e-99999 is out of range for a number"),
    ("9" * 100, "9999999999999999... (100 characters) is out of range for a number"),
    ("NaN", "NaN is out of range for a number"),
    ("Infinity", "Infinity is out of range for a number"),
    ("-Infinity", "-Infinity is out of range for a number"),
    ("1" + "0" * 30, "must be at most 1000000, got 1" + "0" * 30),
    ("1e30", "must be at most 1000000, got 1E+30"),
    ("1000001", "must be at most 1000000, got 1000001"),
    ("1.5e6", "must be at most 1000000, got 1.5E+6"),
    ("2.5e0", "must be a whole number, got 2.5"),
])
def test_a_quantity_no_order_can_have_is_named(quantity, message):
    assert raw_problems(raw_order_with(quantity=quantity)) == {QUANTITY: message}


@pytest.mark.parametrize("quantity, expected", [("1000000", 1_000_000), ("1e6", 1_000_000), ("3.0", 3), ("1", 1)])
def test_quantities_up_to_the_bound_are_read(quantity, expected):
    assert payload.parse_order_json(raw_order_with(quantity=quantity)).lines[0].quantity == expected


@pytest.mark.parametrize("price, message", [
    ("1e400", "1e400 is out of range for a number"),
    ('"1e400"', "must be at most 1000000000000, got 1E+400"),
    ("1e-99999", "1e-99999 is out of range for a number"),
    ('"1e-99999"', "must have at most 6 decimals, got 1E-99999"),
    ('"1e9999999999999999999999"', "'1e9999999999999999999999' is not a decimal number"),
    ('"Infinity"', "'Infinity' is not a finite number"),
    ('"-NaN"', "'-NaN' is not a finite number"),
    ("NaN", "NaN is out of range for a number"),
    ("1000000000000.001", "must be at most 1000000000000, got 1000000000000.001"),
    ('"0.0000001"', "must have at most 6 decimals, got 1E-7"),
    ('"' + "1" * 65 + '"', "1111111111111111... (65 characters) is out of range for a number"),
    ("1" * 65, "1111111111111111... (65 characters) is out of range for a number"),
    ("1." + "1" * 63, "1.11111111111111... (65 characters) is out of range for a number"),
])
def test_a_price_no_order_can_have_is_named(price, message):
    assert raw_problems(raw_order_with(price=price)) == {PRICE: message}


@pytest.mark.parametrize("price, expected", [
    ('"1000000000000"', Decimal("1000000000000")), ("0.125", Decimal("0.125")), ('"0.000001"', Decimal("0.000001")),
    ('"2.4000000000"', Decimal("2.4")), ("1.5e3", Decimal("1500")), ('"0"', Decimal(0)), ("0.000", Decimal(0)),
    ('"0.0000000000"', Decimal(0)), ('"1.' + "0" * 62 + '"', Decimal(1)),  # a zero's decimals; 64 characters
])
def test_prices_up_to_the_bounds_are_read_exactly(price, expected):
    assert payload.parse_order_json(raw_order_with(price=price)).lines[0].price_per_package == expected


def test_the_order_total_is_held_to_the_same_bounds():
    assert raw_problems(raw_order_with(total="1e13")) == {
        "theoretical_price": "must be at most 1000000000000, got 1E+13"}


def test_absurd_numbers_are_all_reported_at_once():
    problems = raw_problems(raw_order_with(quantity="1e99999999", price="NaN", total='"1e400"'))
    assert set(problems) == {QUANTITY, PRICE, "theoretical_price"}


def test_a_number_with_a_huge_exponent_is_decoded_without_being_converted():
    """int() of 1e99999999 takes tens of seconds: the decoder never converts it (this test finishes)."""
    decoded = payload.decode_json(b'{"q": 1e99999999, "p": 1E-99999999, "n": -1e999999999999999999999999}')
    assert {key: value.text for key, value in decoded.items()} == {
        "q": "1e99999999", "p": "1E-99999999", "n": "-1e999999999999999999999999"}
    assert all(isinstance(value, payload.OutOfRange) for value in decoded.values())


def test_an_out_of_range_number_is_quoted_short_however_long_it_is():
    number = payload.OutOfRange("1" * 1_000_000)
    assert str(number) == repr(number) == "1111111111111111... (1000000 characters)"
    assert payload.identifier(number) is None


def test_ids_sent_as_absurd_numbers_are_not_converted():
    assert payload.identifier(Decimal("1E+99999999")) is None  # would take tens of seconds to convert
    assert payload.identifier(Decimal("1E+3")) == "1000"
    problems = raw_problems(raw_order_with().replace(b'"id": "5f1c2a"', b'"id": ' + b"7" * 65))
    assert problems == {"id": "7777777777777777... (65 characters) is out of range for a number"}


def test_numbers_of_exactly_the_longest_length_are_converted():
    integer, fraction = "9" * 64, "0." + "0" * 61 + "1"
    assert len(integer) == len(fraction) == payload.NUMBER_MAX_LENGTH
    assert payload.decode_json(integer) == int(integer)
    assert payload.decode_json(fraction) == Decimal(fraction)
    assert payload.decode_json(integer + "9") == payload.OutOfRange(integer + "9")
    assert payload.decode_json(fraction + "1") == payload.OutOfRange(fraction + "1")


def test_exponents_up_to_the_bound_are_converted():
    assert payload.decode_json("1e64") == Decimal("1E+64")
    assert payload.decode_json("1.5E-64") == Decimal("1.5E-64")
    assert payload.decode_json("1e65") == payload.OutOfRange("1e65")
    assert payload.decode_json("1E-65") == payload.OutOfRange("1E-65")


def test_an_out_of_range_number_of_up_to_24_characters_is_quoted_whole():
    assert str(payload.OutOfRange("1" * 24)) == "1" * 24
    assert str(payload.OutOfRange("1" * 25)) == "1111111111111111... (25 characters)"


@pytest.mark.parametrize("number, places", [
    ("2.400", 1), ("0.5", 1), ("1E-99999", 99999), ("7", 0), ("50", 0), ("5E+1", 0), ("0.0000000000", 0),
])
def test_decimal_places_are_those_that_carry_a_digit(number, places):
    assert payload._decimal_places(Decimal(number)) == places


def test_ids_of_up_to_255_digits_are_converted():
    assert payload.identifier(Decimal("1E+254")) == "1" + "0" * 254
    assert payload.identifier(Decimal("1E+255")) is None


JSON_NUMBER_TEXTS = st.from_regex(r"-?(0|[1-9][0-9]{0,80})(\.[0-9]{1,80})?([eE][-+]?[0-9]{1,12})?", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(JSON_NUMBER_TEXTS)
def test_every_number_the_decoder_converts_is_a_finite_float_and_a_cheap_int(text):
    value = payload.decode_json(text)
    if isinstance(value, payload.OutOfRange):
        assert value.text == text
        assert len(text) > payload.NUMBER_MAX_LENGTH or "e" in text.lower()
        return
    assert isinstance(value, (int, Decimal))
    assert Decimal(value) == Decimal(text)  # exact: never through a float
    assert abs(Decimal(value).adjusted()) <= payload.NUMBER_MAX_LENGTH + payload.NUMBER_MAX_EXPONENT
    assert float(value) != float("inf") and len(str(int(value))) <= 130


@settings(max_examples=300, deadline=None)
@given(JSON_NUMBER_TEXTS, JSON_NUMBER_TEXTS)
def test_any_quantity_and_price_give_an_order_within_the_bounds_or_a_problem_at_their_path(quantity, price):
    try:
        line = payload.parse_order_json(raw_order_with(quantity=quantity, price=price)).lines[0]
    except PayloadError as exc:
        assert {path for path, _message in exc.problems} <= {QUANTITY, PRICE}
        return
    assert 1 <= line.quantity <= payload.MAX_QUANTITY
    assert 0 <= line.price_per_package <= payload.MAX_AMOUNT
    assert line.price_per_package * line.quantity == Decimal(price) * Decimal(quantity)
