"""The Apicbase simulator (tools/apicbase_simulator/), exercised over HTTP with plain requests."""
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from local_server import LocalServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

import apicbase_simulator as simulator_module
from apicbase_simulator import Simulator, gtin_is_valid, isoformat, utcnow, validate_package

TOKEN_FORM = {"grant_type": "client_credentials", "client_id": "sim-client",
              "client_secret": "sim-secret", "scope": "supplier"}
TIMEOUT = 5


def request_token(sim, **overrides):
    return requests.post(sim.token_url, data={**TOKEN_FORM, **overrides}, timeout=TIMEOUT)


class Api:
    """A bare requests session with a token, to talk to the simulator."""

    def __init__(self, sim):
        self.sim = sim
        self.session = requests.Session()
        token = request_token(sim).json()["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path, **params):
        return self.session.get(self.sim.api_url + path, params=params, timeout=TIMEOUT)

    def patch_orders(self, body):
        return self.session.patch(self.sim.api_url + "purchase_orders/", json=body, timeout=TIMEOUT)

    def upload(self, customer_number, content, filename="assortment.json"):
        data = json.dumps(content).encode("utf-8") if not isinstance(content, bytes) else content
        return self.session.post(self.sim.api_url + "files/", timeout=TIMEOUT,
                                 files={"file": (filename, data, "application/json")},
                                 data={"customer_number": customer_number})

    def results(self, path, **params):
        return self.get(path, page_size=200, **params).json()["results"]


def package_ids(results):
    return {result["package"]["third_party_id"] for result in results}


@pytest.fixture
def sim():
    with Simulator(rate_limit=None, processing_delay=0.01) as simulator:
        yield simulator


@pytest.fixture
def api(sim):
    return Api(sim)


def package(third_party_id, description=None, **fields):
    """An assortment-file object: valid by default, weight unit and GTIN included."""
    data = {"third_party_id": third_party_id, "name": f"Article {third_party_id}",
            "price": "2.500", "gtin": "5412345000044",
            "package_description": description or {"quantity": 1, "unit_name": "kg"}}
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


# -- token -------------------------------------------------------------------------------------

def test_token_form_encoded(sim):
    response = request_token(sim)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["expires_in"] == 604800
    assert (body["token_type"], body["scope"]) == ("Bearer", "supplier")
    assert body["access_token"]


def test_token_json_body(sim):
    response = requests.post(sim.token_url, json=TOKEN_FORM, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json()["access_token"]


@pytest.mark.parametrize("overrides", [{"client_secret": "wrong"}, {"client_id": "someone"}])
def test_token_bad_credentials(sim, overrides):
    response = request_token(sim, **overrides)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


@pytest.mark.parametrize("overrides, error", [
    ({"grant_type": "password"}, "unsupported_grant_type"),
    ({"scope": "library"}, "invalid_scope"),
    ({"scope": ""}, "invalid_scope"),  # the docs send scope=supplier: leaving it out is not the same
])
def test_token_bad_grant_or_scope(sim, overrides, error):
    response = request_token(sim, **overrides)
    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_token_expires_after_ttl():
    with Simulator(token_ttl=0.2, rate_limit=None) as sim:
        api = Api(sim)
        assert api.get("customers/").status_code == 200
        time.sleep(0.25)
        response = api.get("customers/")
        assert response.status_code == 401
        assert response.json() == {"detail": "Token is expired"}


def test_expire_tokens_invalidates_every_issued_token(sim, api):
    sim.expire_tokens()
    response = api.get("customers/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Token is expired"}
    assert Api(sim).get("customers/").status_code == 200


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic c2ltOnNpbQ=="])
def test_api_requires_a_valid_bearer_token(sim, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = requests.get(sim.api_url + "customers/", headers=headers, timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


# -- pagination and ordering -------------------------------------------------------------------

def add_numbered_packages(sim, customer_number, count):
    for index in range(count):
        sim.add_package(customer_number, package(f"ITEM-{index:03d}", price=str(index)))


def test_page_numbers_by_default_as_documented(sim, api):
    add_numbered_packages(sim, "CUST-3", 25)
    first = api.get("customers/CUST-3/packages", article_name="item").json()
    assert (first["count"], first["previous"], first["next"]) == (25, None, 2)
    second = api.get("customers/CUST-3/packages", article_name="item", page=2).json()
    assert (second["previous"], second["next"]) == (1, 3)
    third = api.get("customers/CUST-3/packages", article_name="item", page=3).json()
    assert (third["previous"], third["next"], len(third["results"])) == (2, None, 5)


def test_url_pagination_keeps_query_and_follows_next(api):
    sim = api.sim
    sim.next_style = "url"
    add_numbered_packages(sim, "CUST-3", 25)
    first = api.get("customers/CUST-3/packages", article_name="item").json()
    assert first["count"] == 25 and len(first["results"]) == 10
    assert first["previous"] is None
    assert first["next"].startswith(sim.api_url + "customers/CUST-3/packages?")
    assert parse_qs(urlsplit(first["next"]).query) == {"article_name": ["item"], "page": ["2"]}
    second = api.session.get(first["next"], timeout=TIMEOUT).json()
    assert parse_qs(urlsplit(second["previous"]).query) == {"article_name": ["item"]}
    third = api.session.get(second["next"], timeout=TIMEOUT).json()
    assert third["next"] is None and len(third["results"]) == 5
    seen = [r["package"]["third_party_id"] for p in (first, second, third) for r in p["results"]]
    assert seen == [f"ITEM-{index:03d}" for index in range(25)]


def test_page_number_pagination():
    with Simulator(next_style="page", rate_limit=None) as sim:
        add_numbered_packages(sim, "CUST-3", 12)
        api = Api(sim)
        first = api.get("customers/CUST-3/packages", page_size=5).json()
        assert (first["count"], first["next"], first["previous"]) == (12, 2, None)
        last = api.get("customers/CUST-3/packages", page_size=5, page=3).json()
        assert (last["next"], last["previous"], len(last["results"])) == (None, 2, 2)


def test_page_size_is_capped_at_200(sim, api):
    add_numbered_packages(sim, "CUST-3", 250)
    page = api.get("customers/CUST-3/packages", page_size=500).json()
    assert page["count"] == 250 and len(page["results"]) == 200
    assert page["next"] == 2


@pytest.mark.parametrize("page", ["99", "0", "abc"])
def test_invalid_page_is_404(api, page):
    response = api.get("customers/CUST-1/packages", page=page)
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_page_last_and_empty_list(api):
    last = api.get("customers/CUST-1/packages", page_size=4, page="last").json()
    assert len(last["results"]) == 2
    assert api.get("customers/CUST-3/packages").json() == {
        "count": 0, "next": None, "previous": None, "results": []}


def test_ordering(api):
    prices = [r["package"]["price"] for r in api.results("customers/CUST-1/packages",
                                                          ordering="-price")]
    assert prices == [24.5, 19.999, 7.25, 5.4, 1.95, 0.89]
    orders = [o["id"] for o in api.results("purchase_orders/")]
    assert orders == ["po-1003", "po-1002", "po-1001"]  # ordered_on ascending, null last
    orders = [o["id"] for o in api.results("purchase_orders/", ordering="-ordered_on")]
    assert orders == ["po-1001", "po-1002", "po-1003"]


# -- seed data, customers, packages ------------------------------------------------------------

def test_seed_data(api):
    assert api.results("customers/") == [
        {"customer_number": "CUST-1", "supplier_outlet_id": 1},
        {"customer_number": "CUST-2", "supplier_outlet_id": 1},
        {"customer_number": "CUST-3", "supplier_outlet_id": None}]
    cola = api.get("customers/CUST-1/packages/COLA-4X6X33/").json()["package"]
    assert cola["price"] == 19.999 and cola["article"]["brand"] == "Cola Co"
    assert cola["package_description"]["package"]["package"] == {"quantity": 33, "unit_name": "cl"}
    assert gtin_is_valid(cola["gtin"])
    beef = api.get("customers/CUST-1/packages/BEEF-KG/").json()["package"]
    assert (beef["price"], beef["price_type_code"], beef["orderable"]) == (24.5, 1, True)
    assert api.get("customers/CUST-2/packages/COLA-4X6X33/").json()["package"]["price"] == 18.5
    statuses = {o["id"]: o["status"] for o in api.results("purchase_orders/")}
    assert statuses == {"po-1001": "IN_PROGRESS", "po-1002": "ORDERED", "po-1003": "DELIVERED"}


@pytest.mark.parametrize("customer, params, expected", [
    ("CUST-1", {"supplier_outlet_id": "1"}, 6),
    ("CUST-1", {"supplier_outlet_id": "9"}, set()),
    ("CUST-1", {"shared_id": "POT"}, {"POT-1KG", "POT-3X1KG"}),
    ("CUST-1", {"package_gtin": "5449000000996"}, {"COLA-4X6X33"}),
    ("CUST-1", {"article_name": "POTATO"}, {"POT-1KG", "POT-3X1KG"}),
    ("CUST-1", {"package_is_orderable": "false"}, {"SALT-500G"}),
    ("CUST-1", {"package_is_orderable": "False"}, {"SALT-500G"}),
    ("CUST-1", {"package_is_orderable": "0"}, {"SALT-500G"}),
    ("CUST-1", {"package_is_orderable": "true"}, 5),
    ("CUST-1", {"package_is_orderable": "True"}, 5),
    ("CUST-1", {"package_is_orderable": "1"}, 5),
    ("CUST-2", {"shared_id": "POT"}, {"POT-1KG"}),
])
def test_package_filters(api, customer, params, expected):
    found = package_ids(api.results(f"customers/{customer}/packages", **params))
    assert (len(found) if isinstance(expected, int) else found) == expected


def test_package_filter_with_bad_boolean_is_400(api):
    response = api.get("customers/CUST-1/packages", package_is_orderable="maybe")
    assert response.status_code == 400
    assert "package_is_orderable" in response.json()


def test_package_detail_and_unknown_customer(api):
    body = api.get("customers/CUST-1/packages/POT-1KG/").json()
    assert body["supplier_outlet_id"] == 1
    assert body["package"]["third_party_id"] == "POT-1KG"
    assert api.get("customers/CUST-1/packages/NOPE/").status_code == 404
    response = api.get("customers/NOPE/packages")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


# -- assortment files --------------------------------------------------------------------------

def upload_and_wait(sim, api, customer_number, content):
    response = api.upload(customer_number, content)
    assert response.status_code == 201, response.text
    sim.wait_until_processed(timeout=2)
    return response.json()


def test_upload_is_processed_asynchronously_and_replaces_the_assortment(sim, api):
    content = [
        package("NEW-1", shared_id="NEW", brand="Brand é"),
        package("NEW-2", {"quantity": 12, "package": {"quantity": 1, "unit_name": "piece"}},
                shared_id="NEW", gtin=None),
        package("BAD-DEC", {"quantity": 12, "package": {"quantity": 1.5, "unit_name": "l"}}),
        package("BAD-ML", {"quantity": 6, "package": {"quantity": 330, "unit_name": "ml"}}),
        package("BAD-GTIN", gtin="5412345000045"),
        package("BAD-NAME", name=None),
        package("BAD-PRICE-UNIT", price_type_code=1),
    ]
    created = api.upload("CUST-1", content)
    assert created.status_code == 201
    assert created.json()["status"] == "PENDING"
    assert set(created.json()) == {"id", "customer_number", "status", "created_at"}
    sim.wait_until_processed(timeout=2)
    [listed] = api.results("files/")
    assert (listed["status"], listed["package_count"]) == ("PROCESSED", 7)
    assert "content" not in listed

    results = api.results("customers/CUST-1/packages")
    assert package_ids(results) == {"NEW-1", "NEW-2"}
    assert api.get("customers/CUST-1/packages/POT-1KG/").status_code == 404
    new_2 = api.get("customers/CUST-1/packages/NEW-2/").json()["package"]
    assert new_2["article"] == {"shared_id": "NEW", "name": "Article NEW-1", "brand": "Brand é"}
    assert (new_2["price"], new_2["gtin"]) == (2.5, None)

    errors = {e["third_party_id"]: e["message"] for e in api.results("events/", event_type="ERROR")}
    assert "package_description.package.quantity" in errors["BAD-DEC"]
    assert "integer" in errors["BAD-DEC"]
    assert '"ml" is not a valid choice' in errors["BAD-ML"]
    assert "gtin" in errors["BAD-GTIN"]
    assert "name: This field is required." in errors["BAD-NAME"]
    assert "price_unit" in errors["BAD-PRICE-UNIT"]
    warnings = [(e["third_party_id"], e["message"]) for e in api.results("events/",
                                                                         event_type="WARNING")]
    assert [tid for tid, _ in warnings] == ["NEW-2", "NEW-2"]
    assert "piece" in warnings[0][1] and "no GTIN" in warnings[1][1]
    [info] = api.results("events/", event_type="INFO")
    assert info["message"] == "Assortment file 1 processed: 2 packages imported, 5 rejected"
    assert info["customer_number"] == "CUST-1"


def test_a_file_with_no_valid_package_fails_and_keeps_the_assortment(sim, api):
    upload_and_wait(sim, api, "CUST-2", [package("X", price="1.2345")])
    assert api.results("files/")[0]["status"] == "FAILED"
    assert package_ids(api.results("customers/CUST-2/packages")) == {
        "POT-1KG", "COLA-4X6X33", "BEEF-KG"}
    [error] = api.results("events/", event_type="ERROR")
    assert "price: Ensure that there are no more than 3 decimal places." in error["message"]


def test_upload_for_a_new_customer_number(sim, api):
    upload_and_wait(sim, api, "SHARED", [package("S-1")])
    found = api.results("customers/SHARED/packages")
    assert package_ids(found) == {"S-1"} and found[0]["supplier_outlet_id"] is None


def multipart(api, files=None, data=None):
    return api.session.post(api.sim.api_url + "files/", files=files, data=data, timeout=TIMEOUT)


@pytest.mark.parametrize("files, data, field", [
    (None, {"customer_number": "CUST-1"}, "file"),
    ({"file": ("a.json", b"[]")}, None, "customer_number"),
    ({"file": ("a.json", b'{"not": "a list"}')}, {"customer_number": "CUST-1"}, "file"),
    ({"file": ("a.json", b"[{oops")}, {"customer_number": "CUST-1"}, "file"),
    ({"file": (None, b"[]")}, {"customer_number": "CUST-1"}, "file"),  # a field, not a file
])
def test_upload_refuses_bad_requests(sim, api, files, data, field):
    if files is None:
        files = {"other": ("x.txt", b"x")}
    response = multipart(api, files, data)
    assert response.status_code == 400
    assert field in response.json()
    assert sim.files == []


def test_upload_needs_a_form_body(api):
    response = api.session.post(api.sim.api_url + "files/", data=b"[]",
                                headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    assert response.status_code == 400


@pytest.mark.parametrize("description, valid", [
    ({"quantity": 1.0, "unit_name": "kg"}, True),                     # 1.0 reads as an integer
    ({"quantity": 33, "unit_name": "cl"}, False),                     # cl is not in the list
    ({"quantity": 0, "unit_name": "kg"}, False),
    ({"quantity": 1.1234567, "package": {"quantity": 1, "unit_name": "kg"}}, False),
    ({"quantity": 1.123456, "package": {"quantity": 1, "unit_name": "kg"}}, True),
    ({"quantity": 2, "package": {"quantity": 1, "unit_name": "kg"}, "unit_name": "kg"}, False),
    ({"quantity": 2, "gtin": "12345670", "package": {"quantity": 1, "unit_name": "fl oz"}}, True),
])
def test_package_description_rules(description, valid):
    errors, _ = validate_package(package("P", description))
    assert (not errors) is valid, errors


@pytest.mark.parametrize("fields, field", [
    ({"price_type_code": 1.0, "price_unit": "kg"}, "price_type_code"),  # DRF's choices are "0" and "1"
    ({"lead_time": "1:-5:00"}, "lead_time"),                               # one sign, before the hours
    ({"order_packaging_options": [{"key": "k", "label": "l", "order_multiplier": "abc"}]},
     "order_packaging_options.0.order_multiplier"),
    ({"order_packaging_options": [{"key": "k", "label": "l", "order_multiplier": -3}]},
     "order_packaging_options.0.order_multiplier"),
])
def test_what_django_rest_framework_refuses_is_refused(fields, field):
    errors, _ = validate_package(package("P", **fields))
    assert field in errors, errors


@pytest.mark.parametrize("fields", [{"price_type_code": "1", "price_unit": "kg"}, {"lead_time": "2 days, 3:00:00"},
                                    {"lead_time": "-1:30:00"}, {"lead_time": "45.5"},
                                    {"order_packaging_options": [{"key": "k", "label": "l", "order_multiplier": 6}]}])
def test_what_django_rest_framework_takes_is_taken(fields):
    errors, _ = validate_package(package("P", **fields))
    assert not errors, errors


@pytest.mark.parametrize("code, valid", [
    ("12345670", True), ("036000291452", True), ("5449000000996", True),
    ("08712345000011", True), ("5449000000997", False), ("123456789", False),
    ("54490000009a6", False),
])
def test_gtin_check_digits(code, valid):
    assert gtin_is_valid(code) is valid


# -- events ------------------------------------------------------------------------------------

def test_event_filters(sim, api):
    upload_and_wait(sim, api, "CUST-2", [
        package("E-OK"), package("E-PIECE", {"quantity": 1, "unit_name": "piece"}, gtin=None),
        package("E-BAD", {"quantity": 1, "unit_name": "ml"})])
    time.sleep(0.01)
    middle = isoformat(utcnow())
    time.sleep(0.01)
    upload_and_wait(sim, api, "CUST-3", [package("E2-OK", gtin=None)])

    def messages(**params):
        return [(e["event_type"], e["third_party_id"]) for e in api.results("events/", **params)]

    assert messages(third_party_id="E-PIECE") == [("WARNING", "E-PIECE")] * 2
    assert messages(customer_number="CUST-3") == [("WARNING", "E2-OK"), ("INFO", None)]
    assert messages(message="NO gtin") == [("WARNING", "E-PIECE"), ("WARNING", "E2-OK")]
    assert messages(event_type="ERROR") == [("ERROR", "E-BAD")]
    assert messages(created_at__gte=middle) == [("WARNING", "E2-OK"), ("INFO", None)]
    assert len(messages(created_at__lte=middle)) == 4
    assert messages(ordering="-created_at")[0] == ("INFO", None)
    for bad in ({"event_type": "BOGUS"}, {"created_at__gte": "yesterday"}):
        assert api.get("events/", **bad).status_code == 400


# -- purchase orders ---------------------------------------------------------------------------

@pytest.mark.parametrize("params, expected", [
    ({"status": "ORDERED"}, {"po-1002"}),
    ({"status__in": "ORDERED,DELIVERED"}, {"po-1002", "po-1003"}),
    ({"ordered_on__gt": "2025-06-05"}, {"po-1002"}),
    ({"ordered_on__lt": "2025-06-05"}, {"po-1003"}),
    ({"ordered_on__gt": "2025-06-10"}, {"po-1002"}),  # 09:15 that day is after its midnight
    ({"ordered_on": "2025-06-10"}, {"po-1002"}),  # the whole day, from midnight
    ({"ordered_on": "2025-06-11"}, set()),
    ({"expected_delivery_date__gt": "2025-06-10"}, {"po-1001", "po-1002"}),
    ({"expected_delivery_date__lt": "2025-06-10"}, {"po-1003"}),
    ({"fetched_by_supplier_at__gt": "2025-05-31"}, {"po-1003"}),
    ({"viewed_by_supplier_at__lt": "2025-05-31"}, set()),
    ({"delivery_closed": "true"}, {"po-1003"}),
    ({"delivery_closed": "false"}, {"po-1001", "po-1002"}),
    ({"order_number": "PO-1002"}, {"po-1002"}),
    ({"order_number__icontains": "po-100"}, {"po-1001", "po-1002", "po-1003"}),
    ({"invoice_status": "2"}, {"po-1003"}),
    ({"invoice_number": "NOPE"}, set()),
    ({"fetched_by_supplier": "true"}, {"po-1003"}),
    ({"fetched_by_supplier": "false"}, {"po-1001", "po-1002"}),
    ({"viewed_by_supplier": "False"}, {"po-1001", "po-1002"}),
    ({"status": ""}, {"po-1001", "po-1002", "po-1003"}),
])
def test_purchase_order_filters(api, params, expected):
    assert {order["id"] for order in api.results("purchase_orders/", **params)} == expected


@pytest.mark.parametrize("params", [{"status": "SHIPPED"}, {"status__in": "ORDERED,NOPE"},
                                    {"ordered_on__gt": "last week"}, {"invoice_status": "two"},
                                    {"ordered_on": "2025-06-10T09:15:00Z"},
                                    {"expected_delivery_date": "yesterday"},
                                    {"invoice_status": "7"},
                                    {"delivery_closed": "maybe"}])
def test_purchase_order_bad_filter_is_400(api, params):
    response = api.get("purchase_orders/", **params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


@pytest.mark.parametrize("name", ["ordered_on__gt", "ordered_on__lt", "expected_delivery_date__gt",
                                  "expected_delivery_date__lt", "fetched_by_supplier_at__gt",
                                  "viewed_by_supplier_at__lt"])
@pytest.mark.parametrize("value", ["2026-11-01T00:00:00+00:00", "2026-11-01T10:00:00Z",
                                   "2026-11-01 10:00", "01/11/2026", "2026-13-01"])
def test_purchase_order_date_filters_take_dates_only(api, name, value):
    """Typed ``date`` in Apicbase's reference: a date-time is refused as Django refuses it."""
    response = api.get("purchase_orders/", **{name: value})
    assert response.status_code == 400
    assert response.json() == {name: ["Enter a valid date."]}


def test_event_date_filters_are_not_typed_in_the_docs_and_take_both(api):
    assert api.get("events/", created_at__gte="2026-11-01").status_code == 200
    assert api.get("events/", created_at__gte="2026-11-01T10:00:00Z").status_code == 200


def order(api, order_id):
    [found] = api.results("purchase_orders/", order_number=order_id.upper())
    return found


def test_patch_stamps_fetched_and_viewed_irreversibly(api):
    response = api.patch_orders({"ids": ["po-1002", "po-9999"], "fetched_by_supplier": True})
    assert response.status_code == 200 and response.json() == {"updated": 1}
    fetched_at = order(api, "po-1002")["fetched_by_supplier_at"]
    assert fetched_at.endswith("Z") and order(api, "po-1002")["viewed_by_supplier_at"] is None
    time.sleep(0.01)
    response = api.patch_orders({"ids": ["po-1002", "po-1003"], "viewed_by_supplier": True})
    assert response.status_code == 200
    api.patch_orders({"ids": ["po-1002", "po-1003"], "fetched_by_supplier": True, "viewed_by_supplier": True})
    again = order(api, "po-1002")
    assert again["fetched_by_supplier_at"] == fetched_at
    assert again["viewed_by_supplier_at"] is not None
    assert order(api, "po-1003")["viewed_by_supplier_at"] == "2025-06-01T08:05:00Z"
    assert [o["id"] for o in api.results("purchase_orders/", fetched_by_supplier="false")] == [
        "po-1001"]


@pytest.mark.parametrize("body", [
    "not json", [], {"fetched_by_supplier": True}, {"ids": "po-1002", "fetched_by_supplier": True},
    {"ids": ["po-1002"], "fetched_by_supplier": "yes"}, {"ids": ["po-1002"]},
    {"ids": ["po-1002"], "fetched_by_supplier": False},
    # The names a guess would use, not the documented ones:
    {"ids": ["po-1002"], "fetched": True}, {"ids": ["po-1002"], "viewed": True},
    {"ids": ["po-1002"], "fetched_by_supplier": True, "viewed": True},
])
def test_patch_refuses_bad_bodies(api, body):
    if body == "not json":
        response = api.session.patch(api.sim.api_url + "purchase_orders/", data=b"{oops",
                                     headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
    else:
        response = api.patch_orders(body)
    assert response.status_code == 400
    assert order(api, "po-1002")["fetched_by_supplier_at"] is None


# -- faults ------------------------------------------------------------------------------------

def test_fail_next_then_recovers(sim, api):
    sim.fail_next(2, status=503, body="Service Unavailable")
    assert [api.get("customers/").status_code for _ in range(3)] == [503, 503, 200]


def test_rate_limit_next_answers_429_with_retry_after(sim, api):
    sim.rate_limit_next(retry_after=7)
    response = api.get("customers/")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert "throttled" in response.json()["detail"]
    assert api.get("customers/").status_code == 200


def test_slow_next_delays_the_answer(sim, api):
    sim.slow_next(seconds=0.3)
    started = time.monotonic()
    assert api.get("customers/").status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    api.get("customers/")
    assert time.monotonic() - started < 0.3


@pytest.mark.parametrize("kind", ["html", "json", "truncated"])
def test_malformed_next_breaks_the_documented_shape(sim, api, kind):
    sim.malformed_next(kind=kind)
    response = api.get("customers/")
    assert response.status_code == 200
    try:
        assert "results" not in response.json()
    except ValueError:
        pass  # not JSON at all
    assert "results" in api.get("customers/").json()


def test_drop_next_closes_the_connection(sim, api):
    sim.drop_next()
    with pytest.raises(requests.ConnectionError):
        api.get("customers/")
    assert api.get("customers/").status_code == 200
    assert sim.requests_log[-2]["status"] is None


def test_faults_queue_in_order_and_spare_the_token_endpoint(sim, api):
    sim.fail_next()
    sim.rate_limit_next()
    assert request_token(sim).status_code == 200
    assert [api.get("customers/").status_code for _ in range(3)] == [500, 429, 200]
    sim.fail_next(scope="all")
    assert request_token(sim).status_code == 500


def test_rate_limit_is_enforced_per_rolling_window():
    with Simulator(rate_limit=5, rate_window=0.5) as sim:
        api = Api(sim)
        assert [api.get("customers/").status_code for _ in range(5)] == [200] * 5
        refused = api.get("events/")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["detail"].startswith("Request was throttled.")
        assert request_token(sim).status_code == 200  # the token endpoint is not limited
        time.sleep(0.55)
        assert api.get("customers/").status_code == 200


def test_rate_limit_counts_per_client_over_its_tokens_and_connections():
    """Two processes of one Apicbase client share its limit: their own tokens and connections do
    not give them one each. The log says who sent what when, to find the busiest minute."""
    with Simulator(rate_limit=5) as sim:
        first, second = Api(sim), Api(sim)
        assert first.session.headers["Authorization"] != second.session.headers["Authorization"]
        codes = [api.get("customers/").status_code for api in (first, second, first, second, first, second)]
        assert codes == [200] * 5 + [429]
        assert requests.get(sim.api_url + "customers/", timeout=TIMEOUT).status_code == 401
        api_log = [entry for entry in sim.requests_log if entry["path"] != "/oauth/token/"]
        assert [entry["client_id"] for entry in api_log] == ["sim-client"] * 6 + [None]
        assert [entry["at"] for entry in api_log] == sorted(entry["at"] for entry in api_log)
        assert sim.busiest_window("sim-client") == 6, "the refused request was sent all the same"
        assert sim.busiest_window("someone-else") == 0


def test_the_busiest_window_slides_over_the_request_times(sim):
    sim.requests_log.extend({"client_id": "c", "at": moment} for moment in (0.0, 10.0, 59.9, 60.0, 61.0, 200.0))
    sim.requests_log.append({"client_id": "other", "at": 30.0})
    assert sim.busiest_window("c") == 4, "10, 59.9, 60 and 61: 0 is a minute older than 60"
    assert sim.busiest_window("c", window=1.0) == 2
    assert sim.busiest_window("c", window=0.05) == 1


def test_rate_limit_default_is_100_per_minute():
    with Simulator() as sim:
        api = Api(sim)
        codes = [api.get("customers/").status_code for _ in range(101)]
        assert codes[:100] == [200] * 100 and codes[100] == 429
        assert 55 <= int(api.get("customers/").headers["Retry-After"]) <= 60


# -- routing and bookkeeping -------------------------------------------------------------------

def test_unknown_paths_and_wrong_methods(sim, api):
    response = requests.get(sim.base_url + "/nowhere", timeout=TIMEOUT)
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    assert api.get("nothing-here/").status_code == 404
    response = api.session.delete(sim.api_url + "purchase_orders/", timeout=TIMEOUT)
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert api.session.post(sim.api_url + "events/", timeout=TIMEOUT).status_code == 405
    assert requests.get(sim.token_url, timeout=TIMEOUT).status_code == 405


@pytest.mark.parametrize("path", ["files", "events", "customers", "purchase_orders",
                                  "customers/CUST-1/packages/", "customers/CUST-1/packages/POT-1KG"])
def test_paths_are_exactly_as_documented(sim, api, path):
    """A trailing slash more or less is another URL: 404, as the documented paths are exact."""
    assert api.get(path).status_code == 404


def test_token_path_is_exactly_as_documented(sim):
    assert sim.token_url.endswith("/oauth/token/")
    assert requests.post(sim.token_url, data=TOKEN_FORM, timeout=TIMEOUT).status_code == 200
    assert requests.post(sim.token_url.rstrip("/"), data=TOKEN_FORM, timeout=TIMEOUT).status_code == 404


def test_requests_are_logged(sim, api):
    api.get("events/", event_type="INFO")
    assert sim.requests_log[-1] == {"method": "GET",
                                    "path": "/api/v2/integrations/suppliers/events/",
                                    "query": {"event_type": "INFO"}, "status": 200,
                                    "client_id": "sim-client", "at": sim.requests_log[-1]["at"]}
    assert sim.requests_log[0]["path"] == "/oauth/token/" and sim.requests_log[0]["client_id"] is None
    assert time.monotonic() - 5 < sim.requests_log[0]["at"] <= sim.requests_log[-1]["at"] <= time.monotonic()


# -- webhook -----------------------------------------------------------------------------------

@pytest.fixture
def receiver():
    """A tiny HTTP server that stores what it receives and answers 200."""
    received = []
    server = LocalServer(lambda request: received.append((dict(request.headers), request.body)) or (200, None))
    yield f"{server.url}/apicbase/order", received
    server.close()


def hmac_hex(secret, message):
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def test_webhook_raw_signature(sim, receiver):
    url, received = receiver
    payload = simulator_module.webhook_payload(sim.purchase_orders[1])
    assert sim.send_order_webhook(url, payload).status_code == 200
    [(headers, body)] = received
    assert json.loads(body) == payload
    assert headers["Content-Type"] == "application/json"
    assert hmac.compare_digest(headers["X-APIC-WEBHOOK-SIGNATURE"], hmac_hex("sim-secret", body))


def test_webhook_python_signature(sim, receiver):
    url, received = receiver
    payload = dict(simulator_module.webhook_payload(sim.purchase_orders[1]), order_remarks="Crème")
    sim.send_order_webhook(url, payload, secret="hook-secret", signature_style="python")
    [(headers, body)] = received
    signature = headers["X-APIC-WEBHOOK-SIGNATURE"]
    reserialised = json.dumps(json.loads(body)).encode()
    assert reserialised != body
    assert hmac.compare_digest(signature, hmac_hex("hook-secret", reserialised))
    assert signature != hmac_hex("hook-secret", body)


# -- command line ------------------------------------------------------------------------------

def test_cli_serves_and_sends_orders(receiver):
    url, received = receiver
    script = os.path.dirname(simulator_module.__file__)  # the package directory runs as a script
    process = subprocess.Popen([sys.executable, script, "--port", "0", "--webhook-url", url,
                                "--send-orders"], stdout=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(6)]
        token_url = lines[1].split()[-1]
        assert lines[3].split()[-1] == "sim-client" and lines[4].split()[-1] == "sim-secret"
        assert "po-1002 -> 200" in lines[5]
        response = requests.post(token_url, data=TOKEN_FORM, timeout=TIMEOUT)
        assert response.status_code == 200
        assert [json.loads(body)["id"] for _, body in received] == ["po-1002"]
    finally:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()


def test_a_fault_can_target_one_method_and_lets_the_others_pass(sim, api):
    sim.fail_next(1, status=400, body={"detail": "no"}, method="PATCH")
    assert api.get("purchase_orders/").status_code == 200
    assert api.get("customers/").status_code == 200
    assert api.patch_orders({"ids": ["po-1002"], "fetched_by_supplier": True}).status_code == 400
    assert api.patch_orders({"ids": ["po-1002"], "fetched_by_supplier": True}).status_code == 200


def test_restore_puts_the_data_set_back(sim, api):
    saved = sim.snapshot()
    del sim.packages["CUST-1"]["POT-1KG"]
    sim.add_event("ERROR", "boom")
    sim.purchase_orders[0]["status"] = "DELIVERED"
    sim.fail_next(5)
    sim.restore(saved)
    assert "POT-1KG" in sim.packages["CUST-1"]
    assert sim.events == saved["events"] and sim.purchase_orders == saved["purchase_orders"]
    assert api.get("customers/").status_code == 200, "queued faults are gone too"


def test_an_encoded_slash_is_a_slash_as_django_routes_it(sim, api):
    sim.add_customer("A/B", 2)
    sim.add_package("A/B", {"third_party_id": "X-1", "name": "X", "price": 1,
                            "package_description": {"quantity": 1, "unit_name": "kg"}})
    assert api.get("customers/A%2FB/packages").status_code == 404
