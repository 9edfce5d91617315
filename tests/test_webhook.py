import json
import logging
from unittest.mock import patch

from psycopg2 import errors
from werkzeug.serving import DechunkedInput

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..compat import requests_from_outside
from ..const import MAX_BODY_BYTES
from .common import SECRET, WEBHOOK_SECRET, SimulatorMixin, order_payload, sign
from .http_common import WebhookHttpCase

CONTROLLER_LOGGER = "odoo.addons.apicbase_connector.controllers.main"


@tagged("post_install", "-at_install")
class TestWebhook(WebhookHttpCase):

    def counts(self):
        return (self.env["apicbase.order"].search_count([]), self.env["sale.order"].search_count([]))

    def test_signed_order_becomes_a_sale_order(self):
        raw = self.encode(order_payload())
        response = self.post_webhook(raw)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json(), {"status": "accepted", "id": "apic-po-0001", "state": "done"})
        record = self.inbox()
        self.assertEqual(record.raw_payload, raw.decode())
        self.assertIn('\n  "order_number": "PO-2026-0042"', record.payload_display)
        self.assertEqual(record.source, "webhook")
        sale = record.sale_order_id
        self.assertEqual(sale.partner_id, self.customer)
        self.assertEqual(sale.order_line.sorted("sequence").mapped("price_unit"), [2.40, 18.50])
        self.assertEqual(sale.order_line.sorted("sequence").mapped("product_uom_qty"), [3.0, 2.0])
        self.assertEqual(sale.client_order_ref, "PO-2026-0042")
        self.assertEqual(str(sale.commitment_date), "2026-11-22 05:00:00")

    def test_optional_fields_may_be_null(self):
        data = order_payload(expected_delivery_date=None, owned_by=None, order_remarks=None)
        response = self.post_webhook(self.encode(data))
        self.assertEqual(response.status_code, 200, response.text)
        record = self.inbox()
        self.assertEqual(record.state, "done")
        self.assertFalse(record.expected_delivery_date)
        self.assertFalse(record.sale_order_id.commitment_date)
        self.assertFalse(record.sale_order_id.apicbase_remarks)

    def test_dates_without_offset_are_the_restaurants_local_day(self):
        """A date alone, or a time without an offset, is local to the company, not UTC: the 27th
        must not show as the evening of the 26th."""
        self.company.partner_id.tz = "Europe/Brussels"
        data = order_payload(ordered_on="2026-11-20T08:30:00", expected_delivery_date="2026-11-27")
        self.assertEqual(self.post_webhook(self.encode(data)).status_code, 200)
        record = self.inbox()
        sale = record.sale_order_id
        self.assertEqual(str(record.ordered_on), "2026-11-20 07:30:00")
        self.assertEqual(str(sale.commitment_date), "2026-11-26 23:00:00")  # midnight in Brussels
        self.assertEqual(str(record.expected_delivery_date), "2026-11-26 23:00:00")
        # With an offset, the offset wins over the company's time zone.
        self.post_webhook(self.encode(order_payload(id="apic-po-utc", expected_delivery_date="2026-11-27T05:00:00Z")))
        self.assertEqual(str(self.inbox("apic-po-utc").sale_order_id.commitment_date), "2026-11-27 05:00:00")

    def test_without_a_company_time_zone_the_responsible_s_is_used(self):
        self.company.partner_id.tz = False
        self.salesman.tz = "Europe/Brussels"  # the Apicbase responsible (common.py)
        self.post_webhook(self.encode(order_payload(expected_delivery_date="2026-11-27")))
        self.assertEqual(str(self.inbox().sale_order_id.commitment_date), "2026-11-26 23:00:00")

    def test_nul_characters_are_refused_and_nothing_stored(self):
        before = self.counts()
        nul_number = "PO\u0000-1".encode().decode("unicode_escape")
        response = self.post_webhook(self.encode(order_payload(order_number=nul_number)))
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["problems"], [{"field": "order_number",
                                                        "error": "must not contain NUL characters"}])
        self.assertEqual(self.counts(), before)

    def test_signature_over_python_reserialisation_is_accepted(self):
        raw = json.dumps(order_payload(), separators=(",", ":")).encode()
        response = self.post_webhook(raw, signature=sign(json.dumps(json.loads(raw)).encode()))
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self.inbox().state, "done")

    def test_client_secret_signs_when_no_webhook_secret(self):
        self.company.apicbase_webhook_secret = False
        raw = self.encode(order_payload())
        with self.assertLogs(CONTROLLER_LOGGER, logging.WARNING):
            self.assertEqual(self.post_webhook(raw, signature=sign(raw, WEBHOOK_SECRET)).status_code, 403)
        self.assertEqual(self.post_webhook(raw, signature=sign(raw, SECRET)).status_code, 200)

    def test_bad_or_missing_signature_is_refused_and_nothing_stored(self):
        before = self.counts()
        raw = self.encode(order_payload())
        with self.assertLogs(CONTROLLER_LOGGER, logging.WARNING) as logs:
            bad = self.post_webhook(raw, signature=sign(raw, "wrong-secret"))
            missing = self.post_webhook(raw, signature=False)
            tampered = self.post_webhook(raw.replace(b"PO-2026-0042", b"PO-2026-9999"), signature=sign(raw))
        for response in (bad, missing, tampered):
            self.assertEqual(response.status_code, 403)
            self.assertEqual(response.json(), {"error": "invalid signature"})
        self.assertEqual(self.counts(), before)
        output = "\n".join(logs.output)
        self.assertIn("bad or missing signature", output)
        for secret in (SECRET, WEBHOOK_SECRET, self.company.apicbase_webhook_token):
            self.assertNotIn(secret, output)

    def test_unconfigured_company_refuses_even_an_order_signed_with_an_empty_key(self):
        self.company.write({"apicbase_webhook_secret": False, "apicbase_client_secret": False})
        raw = self.encode(order_payload())
        with self.assertLogs(CONTROLLER_LOGGER, logging.WARNING) as logs:
            response = self.post_webhook(raw, signature=sign(raw, ""))  # what anyone could compute
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json(), {"error": "the webhook is not configured"})
        self.assertIn("no webhook or client secret is set", logs.output[0])
        self.assertEqual(self.inbox(), self.env["apicbase.order"])

    def test_an_order_that_cannot_be_stored_gets_a_json_500_and_leaves_nothing(self):
        """The one 5xx: nothing was stored, so Apicbase must tell the restaurant the order failed."""
        self.env.cr.execute("""
            CREATE FUNCTION apicbase_test_refuse() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
            CREATE TRIGGER apicbase_test_refuse BEFORE INSERT ON apicbase_order
                FOR EACH ROW EXECUTE FUNCTION apicbase_test_refuse();
        """)
        before = self.counts()
        with self.assertLogs(CONTROLLER_LOGGER, logging.ERROR) as logs, mute_logger("odoo.sql_db"):
            response = self.post_webhook(self.encode(order_payload()))
        self.assertEqual(response.status_code, 500)
        self.assertEqual(response.headers["Content-Type"], "application/json; charset=utf-8")
        self.assertEqual(response.json(), {"error": "the order could not be stored", "id": "apic-po-0001"})
        self.assertIn("could not be stored", logs.output[0])
        self.assertNotIn(WEBHOOK_SECRET, "\n".join(logs.output))
        self.env.cr.execute("DROP TRIGGER apicbase_test_refuse ON apicbase_order")
        self.assertEqual(self.counts(), before)

    def test_malformed_json_is_refused(self):
        before = self.counts()
        raw = b'{"id": "apic-po-0001", "packages": ['
        response = self.post_webhook(raw)
        self.assertEqual(response.status_code, 400)
        body = response.json()
        self.assertEqual(body["error"], "invalid purchase order")
        self.assertIn("not valid JSON", body["problems"][0]["error"])
        self.assertEqual(self.counts(), before)

    def test_invalid_order_is_refused_with_every_reason(self):
        before = self.counts()
        data = order_payload(status="CANCELLED", packages=[{"quantity_ordered": -1, "supplier_package": {}}])
        response = self.post_webhook(self.encode(data))
        self.assertEqual(response.status_code, 400)
        fields = {problem["field"] for problem in response.json()["problems"]}
        self.assertEqual(fields, {"status", "packages[0].quantity_ordered",
                                  "packages[0].supplier_package.supplier_article_number"})
        empty = self.post_webhook(self.encode(order_payload(packages=[])))
        self.assertEqual(empty.status_code, 400)
        self.assertEqual(empty.json()["problems"], [{"field": "packages",
                                                     "error": "must contain at least one package"}])
        self.assertEqual(self.counts(), before)

    def test_deeply_nested_body_gets_a_json_4xx_signed_or_not(self):
        """json's recursion limit must not turn into an HTML 500 page, before or after the signature."""
        before = self.counts()
        deep = b'{"id": "apic-po-0001", "packages": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
        unsigned = self.post_webhook(deep, signature="0" * 64)
        self.assertEqual(unsigned.status_code, 403)
        self.assertEqual(unsigned.json(), {"error": "invalid signature"})
        signed = self.post_webhook(deep)
        self.assertEqual(signed.status_code, 400)
        self.assertEqual(signed.json()["problems"],
                         [{"field": "$", "error": "the body is nested too deeply to be a purchase order"}])
        self.assertEqual(self.counts(), before)

    def test_order_without_customer_number_is_kept_and_queued(self):
        for number, apicbase_id in ((None, "apic-po-no-number"), ("", "apic-po-empty-number")):
            data = order_payload(id=apicbase_id, supplier_customer_number=number)
            if number is None:
                del data["supplier_customer_number"]
            response = self.post_webhook(self.encode(data))
            self.assertEqual(response.status_code, 200, response.text)
            self.assertEqual(response.json()["state"], "failed")
            record = self.inbox(apicbase_id)
            self.assertEqual((record.failure_reason, record.customer_number), ("mapping", False))
            self.assertIn("no customer number", record.error_message)
            self.assertTrue(record.activity_ids, "a person is asked to look at it")

    def test_order_without_customer_number_is_refused_with_422_when_set_so(self):
        self.company.apicbase_unmapped_policy = "refuse"
        response = self.post_webhook(self.encode(order_payload(supplier_customer_number="")))
        self.assertEqual(response.status_code, 422)
        self.assertIn("no customer number", response.json()["error"])
        self.assertEqual(self.inbox().state, "refused")

    def test_the_size_limit_is_one_mebibyte_exactly(self):
        data = order_payload(order_remarks="")
        filler = 1024 * 1024 - len(self.encode(data))
        at_limit = self.encode(order_payload(order_remarks="x" * filler))
        self.assertEqual(len(at_limit), 1024 * 1024)
        self.assertEqual(self.post_webhook(at_limit).status_code, 200)
        over = self.encode(order_payload(id="apic-po-over", order_remarks="x" * (filler + 1)))
        self.assertEqual(self.post_webhook(over).status_code, 413)
        self.assertFalse(self.inbox("apic-po-over"))

    def test_a_chunked_body_over_the_limit_is_a_413_read_no_further_than_the_limit(self):
        """Without a Content-Length, the limit holds as the body arrives: the server reads one byte past
        it, answers and closes; the sender could not even push the whole body (64 MiB) into the socket."""
        before = self.counts()
        total, chunk = 64 * MAX_BODY_BYTES, b"x" * (64 * 1024)
        read_by_server = []
        readinto = DechunkedInput.readinto

        def counted(stream, buffer):  # werkzeug's own dechunking, counted
            read = readinto(stream, buffer)
            read_by_server.append(read)
            return read

        with patch.object(DechunkedInput, "readinto", counted):
            status, answer, sent = self.post_chunked(chunk for _index in range(total // len(chunk)))
        self.assertEqual((status, answer), (413, {"error": f"the body exceeds {MAX_BODY_BYTES} bytes"}))
        self.assertEqual(sum(read_by_server), MAX_BODY_BYTES + 1, "not a byte more than the limit and one")
        self.assertLess(sent, total // 2, "the server answered long before the body ended")
        self.assertEqual(self.counts(), before)

    def test_a_chunked_body_within_the_limit_is_an_order(self):
        raw = self.encode(order_payload())
        status, answer, sent = self.post_chunked((raw[start:start + 100] for start in range(0, len(raw), 100)),
                                                 signature=sign(raw))
        self.assertEqual((status, answer, sent), (200, {"status": "accepted", "id": "apic-po-0001", "state": "done"},
                                                  len(raw)))
        self.assertEqual(self.inbox().raw_payload, raw.decode())

    def test_a_chunked_body_of_exactly_the_limit_is_read(self):
        filler = MAX_BODY_BYTES - len(self.encode(order_payload(order_remarks="")))
        raw = self.encode(order_payload(order_remarks="x" * filler))
        self.assertEqual(len(raw), MAX_BODY_BYTES)
        status, answer, _sent = self.post_chunked([raw[:1000], raw[1000:]], signature=sign(raw))
        self.assertEqual((status, answer["state"]), (200, "done"))

    def test_a_malformed_chunked_body_is_a_400_and_nothing_stored(self):
        before = self.counts()
        with self.open_socket() as (host, sock):
            sock.sendall(f"POST {self.webhook_url()} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n"
                         f"Content-Type: application/json\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n".encode())
            status, body = self.read_answer(sock)
        self.assertEqual((status, json.loads(body)), (400, {"error": "the body could not be read"}))
        self.assertEqual(self.counts(), before)

    def test_oversized_body_is_refused(self):
        before = self.counts()
        data = order_payload(order_remarks="x" * (1024 * 1024))
        response = self.post_webhook(self.encode(data))
        self.assertEqual(response.status_code, 413)
        self.assertEqual(self.counts(), before)

    def test_a_url_no_token_looks_like_is_a_404_not_a_crash(self):
        raw = self.encode(order_payload())
        for token in ("%00", "a%00" * 8, "x" * 300, "%F0%9F%8D%85" * 6):
            response = self.post_webhook(raw, url="/apicbase/webhook/" + token)
            self.assertEqual((response.status_code, response.json()), (404, {"error": "unknown webhook URL"}), token)

    def test_text_postgresql_cannot_store_is_a_400_not_a_500(self):
        before = self.counts()
        for changes, field in (({"id": "po-\ud800"}, "id"), ({"order_remarks": "\udfff"}, "order_remarks"),
                               ({"id": "x" * 3000}, "id"), ({"supplier_customer_number": "C" * 3000},
                                                              "supplier_customer_number")):
            raw = json.dumps(order_payload(**changes)).encode()  # \ud800 stays escaped: valid JSON
            response = self.post_webhook(raw)
            self.assertEqual(response.status_code, 400, response.text)
            self.assertEqual([p["field"] for p in response.json()["problems"]], [field])
        self.assertEqual(self.counts(), before)

    def test_unknown_url_and_wrong_method(self):
        raw = self.encode(order_payload())
        self.assertEqual(self.post_webhook(raw, url="/apicbase/webhook/not-a-token").status_code, 404)
        self.assertEqual(self.url_open(self.webhook_url()).status_code, 405)
        self.assertEqual(self.inbox(), self.env["apicbase.order"])

    def test_unresolved_order_is_accepted_kept_and_retried(self):
        data = order_payload()
        data["packages"][1]["supplier_package"]["supplier_article_number"] = "COLA-NEW"
        response = self.post_webhook(self.encode(data))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["state"], "failed")
        self.assertNotIn("error", response.json())
        record = self.inbox()
        self.assertIn("COLA-NEW", record.error_message)
        self.assertFalse(record.sale_order_id)
        self.cola.apicbase_article_number = "COLA-NEW"
        record.action_retry()
        self.assertEqual(record.state, "done")
        self.assertEqual(record.sale_order_id.order_line.product_id, self.tomatoes + self.cola)

    def test_processing_conflicts_are_replayed_then_deferred_never_a_500(self):


        class Conflict(errors.SerializationFailure):
            pgcode = "40001"  # what PostgreSQL sets; Odoo's replay logic reads it

        calls = []

        def conflicting(record, order=None):
            calls.append(record.id)
            raise Conflict("could not serialize access due to concurrent update")

        raw = self.encode(order_payload())
        with patch.object(type(self.env["apicbase.order"]), "_attempt", conflicting), \
                self.assertLogs("odoo.addons.apicbase_connector.models.apicbase_order", "WARNING"):
            response = self.post_webhook(raw)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json(), {"status": "accepted", "id": "apic-po-0001", "state": "received"})
        self.assertEqual(len(calls), 3, "two replays by Odoo, then deferred on the third try")
        record = self.inbox()
        self.assertEqual(record.state, "received")
        self.assertIn("a write conflict with another transaction", record.error_message)
        # The scheduled action finishes the job.
        self.env["apicbase.order"]._cron_process_received()
        self.assertEqual(record.state, "done")
        self.assertEqual(record.sale_order_id.client_order_ref, "PO-2026-0042")

    def test_same_order_twice_gives_one_sale_order(self):
        raw = self.encode(order_payload())
        first, second = self.post_webhook(raw), self.post_webhook(raw)
        self.assertEqual((first.status_code, second.status_code), (200, 200))
        self.assertEqual(second.json()["status"], "duplicate")
        self.assertEqual(self.env["sale.order"].search_count([("apicbase_id", "=", "apic-po-0001")]), 1)

    def test_refuse_policy_answers_422_with_the_reason(self):
        self.company.apicbase_unmapped_policy = "refuse"
        response = self.post_webhook(self.encode(order_payload(supplier_customer_number="CUST-404")))
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json()["status"], "refused")
        self.assertIn("CUST-404", response.json()["error"])
        self.assertEqual(self.inbox().state, "refused")

    def test_the_refusal_names_only_the_restaurant_s_own_numbers(self):
        """The 422 reaches the restaurant through Apicbase: our contacts' and products' names stay with
        staff, on the inbox record."""
        self.company.apicbase_unmapped_policy = "refuse"
        self.env["res.partner"].create({"name": "Bistro Anna (slow payer)", "apicbase_customer_number": "CUST-7"})
        self.env["product.product"].create([{"name": f"Tomatoes grade {grade}", "default_code": "TOM-DUP"}
                                            for grade in ("A", "B")])
        self.cola.sale_ok = False
        data = order_payload()
        data["packages"][0]["supplier_package"]["supplier_article_number"] = "TOM-DUP"
        data["packages"].append({"stock_item": {"name": "Basil"}, "quantity_ordered": 1,
                                 "supplier_package": {"supplier_article_number": "NOPE-1"}})
        response = self.post_webhook(self.encode(data))
        self.assertEqual(response.status_code, 422, response.text)
        answer = response.json()["error"]
        self.assertCountEqual(answer.splitlines(), [
            "Customer number CUST-7 cannot be matched to one customer of the supplier.",
            "Article TOM-DUP cannot be matched to one article of the supplier.",
            "Article COLA-24 cannot be ordered from the supplier.",
            "Article NOPE-1 is not known to the supplier.",
        ])
        record = self.inbox()
        self.assertEqual((record.state, record.refusal_answer), ("refused", answer))
        for ours in ("Bistro Anna", "slow payer", "Tomatoes grade A", "Cola 24 x 33 cl", "INT-COLA"):
            self.assertNotIn(ours, answer)
        # Staff still read the whole story.
        for ours in ("Bistro Anna (slow payer)", "Tomatoes grade A", "Tomatoes grade B", "Cola 24 x 33 cl"):
            self.assertIn(ours, record.error_message)

    def test_the_refusal_of_an_order_without_customer_number_gives_no_advice_meant_for_staff(self):
        self.company.apicbase_unmapped_policy = "refuse"
        response = self.post_webhook(self.encode(order_payload(supplier_customer_number=None)))
        self.assertEqual((response.status_code, response.json()["error"]), (
            422, "The order has no customer number: the supplier cannot tell which restaurant ordered."))
        self.assertIn("enter this order by hand", self.inbox().error_message)

    # -- absurd numbers: refused with a reason, never a 500 ---------------------------------------

    def with_numbers(self, quantity="3", price='"2.40"'):
        """The signed test order, its first line's quantity and price written as the JSON texts given."""
        raw = self.encode(order_payload())
        raw = raw.replace(b'"quantity_ordered": 3', b'"quantity_ordered": ' + quantity.encode(), 1)
        return raw.replace(b'"theoretical_price_per_package": "2.40"',
                           b'"theoretical_price_per_package": ' + price.encode(), 1)

    def test_absurd_numbers_are_a_400_at_once_and_nothing_is_stored(self):
        """Numbers no order can have are refused before anything converts them: a quantity written with a
        huge exponent (converting it held a worker for minutes), numbers beyond a float, PostgreSQL's
        numeric or Python's Decimal (a 500 before), NaN and Infinity. The test finishing is the point
        for the first: it has no time limit of its own."""
        before = self.counts()
        quantity, price = "packages[0].quantity_ordered", "packages[0].supplier_package.theoretical_price_per_package"
        cases = [
            ("1e99999999", '"2.40"', quantity, "1e99999999 is out of range for a number"),
            ("1" + "0" * 300, '"2.40"', quantity, "1000000000000000... (301 characters) is out of range for a number"),
            ("100000000000000000000", '"2.40"', quantity, "must be at most 1000000, got 100000000000000000000"),
            ("NaN", '"2.40"', quantity, "NaN is out of range for a number"),
            ("3", "1e400", price, "1e400 is out of range for a number"),
            ("3", '"1e400"', price, "must be at most 1000000000000, got 1E+400"),
            ("3", '"1e-99999"', price, "must have at most 6 decimals, got 1E-99999"),
            ("3", "1e9999999999999999999999", price, "1e9999999999999999999999 is out of range for a number"),
            ("3", "-Infinity", price, "-Infinity is out of range for a number"),
        ]
        for quantity_text, price_text, field, message in cases:
            with self.subTest(quantity=quantity_text[:20], price=price_text):
                response = self.post_webhook(self.with_numbers(quantity_text, price_text))
                self.assertEqual(response.status_code, 400, response.text)
                self.assertEqual(response.json()["problems"], [{"field": field, "error": message}])
        self.assertEqual(self.counts(), before)

    def test_an_order_postgresql_refuses_as_data_is_a_400_not_a_500(self):
        """A value the payload's checks let through but PostgreSQL refuses is the order's fault: a 4xx
        naming the database's condition (not its words), and nothing stored."""
        self.env.cr.execute("""
            CREATE FUNCTION apicbase_test_overflow() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN RAISE EXCEPTION 'field overflow at db-7.local' USING ERRCODE = 'numeric_value_out_of_range';
                END $$;
            CREATE TRIGGER apicbase_test_overflow BEFORE INSERT ON apicbase_order
                FOR EACH ROW EXECUTE FUNCTION apicbase_test_overflow();
        """)
        before = self.counts()
        with self.assertLogs(CONTROLLER_LOGGER, logging.WARNING), mute_logger("odoo.sql_db"):
            response = self.post_webhook(self.encode(order_payload()))
        self.assertEqual(response.status_code, 400, response.text)
        self.assertEqual(response.json()["problems"], [
            {"field": "$", "error": "a value of the order cannot be stored (numeric value out of range)"}])
        self.assertNotIn("db-7.local", response.text)
        self.env.cr.execute("DROP TRIGGER apicbase_test_overflow ON apicbase_order")
        self.assertEqual(self.counts(), before)

    def test_orders_reach_the_company_of_the_url(self):
        other = self.env["res.company"].create({"name": "Other Supplier"})
        other.sudo().apicbase_webhook_secret = "other-secret"
        raw = self.encode(order_payload())
        with self.assertLogs(CONTROLLER_LOGGER, logging.WARNING):
            self.assertEqual(self.post_webhook(raw, url=self.webhook_url(other)).status_code, 403)
        response = self.post_webhook(raw, url=self.webhook_url(other), signature=sign(raw, "other-secret"))
        self.assertEqual(response.status_code, 200)
        record = self.env["apicbase.order"].search([("company_id", "=", other.id)])
        self.assertEqual(record.state, "done")  # the customer and products are shared
        self.assertEqual(record.sale_order_id.company_id, other)
        self.assertFalse(self.inbox())


@tagged("post_install", "-at_install")
class TestWebhookFromSimulator(SimulatorMixin, WebhookHttpCase):
    """Catalogue first, then an order: published products, a linked customer, Apicbase's own POST."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_simulator(cls.company)
        cls.company.apicbase_webhook_secret = WEBHOOK_SECRET
        cls.tomatoes.apicbase_content = "1 kg"
        cls.cola.apicbase_content = "4 x 6 x 33 cl"
        cls.customer.apicbase_customer_number = False  # the binding pulled from Apicbase links it
        cls.customer.ref = "CUST-7"
        pricelist = cls.env["product.pricelist"].create({
            "name": "Bistro prices", "currency_id": cls.company.currency_id.id,
            "item_ids": [(0, 0, {"applied_on": "0_product_variant", "product_id": cls.cola.id,
                                 "compute_price": "fixed", "fixed_price": 17.25})]})
        # The restaurant's own pricelist, the one its assortment publishes: set, not left to the default
        # pricelist Odoo picks for a contact, which 18.0 and 19.0 pick differently; with the Pricelists
        # feature on (Settings > Sales), without which 19.0 prices every order from the sales price.
        cls.env.ref("base.group_user").implied_ids |= cls.env.ref("product.group_product_pricelist")
        cls.customer.property_product_pricelist = pricelist
        cls.assortment = cls.env["apicbase.assortment"].create({
            "name": "Bistro Anna", "customer_number": "CUST-7", "pricelist_id": pricelist.id,
            "selection_mode": "products", "product_ids": [(6, 0, (cls.tomatoes | cls.cola).ids)]})

    def test_order_for_published_products_and_linked_customer(self):
        self.assortment.action_publish()
        self.sim.wait_until_processed()
        self.sim.add_customer("CUST-7", 1)
        binding = self.env["apicbase.customer"]._pull(self.company).filtered(
            lambda c: c.customer_number == "CUST-7")
        self.assertEqual(binding.partner_id, self.customer)
        published = self.sim.packages["CUST-7"]
        order = order_payload(id="sim-po-1", supplier_customer_number="CUST-7")
        for line in order["packages"]:
            number = line["supplier_package"]["supplier_article_number"]
            line["supplier_package"]["theoretical_price_per_package"] = published[number]["price"]
        self.env.flush_all()  # the simulator's POST is not url_open, which would flush for us
        with requests_from_outside(self):
            response = self.sim.send_order_webhook(self.base_url() + self.webhook_url(), order, secret=WEBHOOK_SECRET,
                                                   signature_style="python")
        self.assertEqual(response.status_code, 200, response.text)
        record = self.inbox("sim-po-1")
        self.assertEqual(record.state, "done", record.error_message)
        sale = record.sale_order_id
        self.assertEqual(sale.partner_id, self.customer)
        lines = sale.order_line.sorted("sequence")
        self.assertEqual(lines.product_id, self.tomatoes | self.cola)
        self.assertEqual(lines.mapped("price_unit"), [2.40, 17.25])
        self.assertFalse(sale.apicbase_price_mismatch, "Apicbase's prices are the ones Odoo published")
