"""Stored orders taken up again: by the scheduled action (in batches, never refusing, leaving what
another transaction holds), after errors that are not the order's (growing delays), and by a person."""
import json
import threading
from contextlib import contextmanager
from datetime import datetime

from psycopg2 import errors

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..apicbase.payload import parse_order_json
from .common import ApicbaseCase, order_payload, single_line_order


@tagged("post_install", "-at_install")
class TestOrderRetries(ApicbaseCase):

    # -- the scheduled action takes up stored orders -----------------------------------------------

    def test_stored_but_unprocessed_orders_are_processed_by_the_scheduled_action(self):
        raw = self.encode(order_payload(id="apic-po-cron"))
        record = self.env["apicbase.order"]._insert_once(self.company, raw, parse_order_json(raw), "recovery")
        self.assertEqual(record.state, "received")
        with self.assertLogs("odoo.addons.apicbase_connector.models.apicbase_order", "WARNING") as logs:
            record._defer(RuntimeError("simulated outage"))
        self.assertIn("processing failed on attempt 1: RuntimeError: simulated outage", logs.output[0])
        self.assertIn("an unexpected error (RuntimeError)", record.error_message)
        self.assertNotIn("simulated outage", record.error_message, "the raw text stays in the server log")
        self.assertEqual(record.attempt_count, 1)
        cron = self.env.ref("apicbase_connector.ir_cron_apicbase_process_received")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self.env["apicbase.order"]._cron_process_received()
        self.assertEqual(record.state, "done")
        self.assertFalse(record.error_message)
        self.assertEqual(record.sale_order_id.client_order_ref, "PO-2026-0042")

    def test_the_scheduled_action_works_in_batches_and_reports_its_progress(self):
        """Odoo's scheduler calls again while orders remain, committing each batch."""
        records = self.env["apicbase.order"]
        for index in range(5):
            raw = self.encode(order_payload(id=f"apic-po-batch-{index}"))
            records |= self.env["apicbase.order"]._insert_once(self.company, raw, parse_order_json(raw), "recovery")
        calls = self.run_scheduled("ir_cron_apicbase_process_received", limit=2)
        self.assertEqual(calls, [(2, 3), (2, 1), (1, 0)])
        self.assertEqual(set(records.mapped("state")), {"done"})

    def test_the_scheduled_action_never_refuses(self):
        self.company.apicbase_unmapped_policy = "refuse"
        raw = self.encode(order_payload(id="apic-po-late", supplier_customer_number="CUST-404"))
        record = self.env["apicbase.order"]._insert_once(self.company, raw, parse_order_json(raw), "recovery")
        self.env["apicbase.order"]._cron_process_received()
        self.assertEqual((record.state, record.failure_reason), ("failed", "mapping"))
        self.assertTrue(record.activity_ids, "a person is asked to look: the restaurant was told nothing")

    def test_refused_orders_are_not_retried(self):
        self.company.apicbase_unmapped_policy = "refuse"
        _outcome, record = self.receive(order_payload(supplier_customer_number="CUST-404"))
        with self.assertRaisesRegex(UserError, "can be retried"):
            record.action_retry()
        self.assertEqual(record.state, "refused")

    # -- errors that are not the order's: tried again later; its own: a person at once -------------

    def test_errors_not_the_orders_are_retried_with_growing_delays_then_wait_for_a_person(self):
        """A failure of our own (here the database refuses sale orders, as a broken module might) is
        tried again by the scheduled action after 0, 1, 5, 15 and 60 minutes, then handed to a person."""
        self.env.cr.execute("""
            CREATE FUNCTION apicbase_test_refuse() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN RAISE EXCEPTION 'simulated outage'; END $$;
            CREATE TRIGGER apicbase_test_refuse BEFORE INSERT ON sale_order
                FOR EACH ROW EXECUTE FUNCTION apicbase_test_refuse();
        """)
        logger = "odoo.addons.apicbase_connector.models.apicbase_order"
        self.enterContext(mute_logger("odoo.sql_db"))  # the refused INSERTs are expected
        with self.assertLogs(logger, "WARNING"):
            outcome, record = self.receive()
        self.assertEqual((outcome, record.state, record.attempt_count), ("accepted", "received", 1))
        cron = self.env.ref("apicbase_connector.ir_cron_apicbase_process_received")
        delays = []
        while record.state == "received":
            delays.append(round((record.next_attempt_at - record.processed_at).total_seconds() / 60))
            self.assertTrue(self.env["ir.cron.trigger"].search(
                [("cron_id", "=", cron.id), ("call_at", "=", record.next_attempt_at)]))
            if record.next_attempt_at > record.processed_at:
                attempts = record.attempt_count
                self.env["apicbase.order"]._cron_process_received()
                self.assertEqual(record.attempt_count, attempts, "not due yet: left alone")
                record.next_attempt_at = record.processed_at  # time passes
            with self.assertLogs(logger, "WARNING"):
                self.env["apicbase.order"]._cron_process_received()
        self.assertEqual(delays, [0, 1, 5, 15, 60])
        self.assertEqual((record.state, record.failure_reason, record.attempt_count), ("failed", "error", 6))
        self.assertIn("Automatic attempts have stopped", record.error_message)
        self.assertIn("an unexpected error (RaiseException)", record.error_message)
        self.assertNotIn("simulated outage", record.error_message, "a salesman reads this; the log has it")
        self.assertFalse(record.next_attempt_at)
        self.assertTrue(record.activity_ids, "a person is asked to look")
        self.env.cr.execute("DROP TRIGGER apicbase_test_refuse ON sale_order")
        record.action_retry()
        self.assertEqual(record.state, "done")

    def test_the_next_attempt_is_counted_from_the_attempt_not_from_the_clock(self):
        """The delay runs from the failed attempt: a slow attempt (or a second boundary between
        two clock readings) neither shortens nor lengthens it."""
        raw = self.encode(order_payload(id="apic-po-slow"))
        record = self.env["apicbase.order"]._insert_once(self.company, raw, parse_order_json(raw), "recovery")
        attempted = datetime(2026, 11, 20, 8, 30, 0)
        for attempt, minutes in ((1, 0), (2, 1), (3, 5)):
            record.write({"attempt_count": attempt - 1})
            with self.assertLogs("odoo.addons.apicbase_connector.models.apicbase_order", "WARNING"):
                record._defer(RuntimeError("slow"), attempted_at=attempted)
            self.assertEqual(record.attempt_count, attempt)
            self.assertEqual((record.next_attempt_at - attempted).total_seconds(), minutes * 60)

    def test_an_error_of_the_order_s_own_data_goes_to_a_person_at_once(self):
        """A value PostgreSQL refuses (here a numeric overflow, as a real one would raise it) fails every
        attempt the same way: no retry, the order needs attention at once, and staff read the kind of
        error, not the database's words."""
        self.env.cr.execute("""
            CREATE FUNCTION apicbase_test_overflow() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN RAISE EXCEPTION 'numeric field overflow at db-7.local'
                         USING ERRCODE = 'numeric_value_out_of_range'; END $$;
            CREATE TRIGGER apicbase_test_overflow BEFORE INSERT ON sale_order_line
                FOR EACH ROW EXECUTE FUNCTION apicbase_test_overflow();
        """)
        self.enterContext(mute_logger("odoo.sql_db"))
        with self.assertLogs("odoo.addons.apicbase_connector.models.apicbase_order", "WARNING") as logs:
            outcome, record = self.receive()
        self.assertIn("db-7.local", "\n".join(logs.output), "the server log keeps the database's words")
        self.assertEqual((outcome, record.state, record.failure_reason, record.attempt_count),
                         ("accepted", "failed", "error", 1))
        self.assertFalse(record.next_attempt_at, "no automatic attempt: it would fail the same way")
        self.assertIn("cannot be computed or stored (numeric value out of range)", record.error_message)
        self.assertNotIn("db-7.local", record.error_message)
        self.assertFalse(record.sale_order_id)
        self.assertTrue(record.activity_ids, "a person is asked to look at once")
        cron = self.env.ref("apicbase_connector.ir_cron_apicbase_process_received")
        self.assertFalse(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self.env["apicbase.order"]._cron_process_received()
        self.assertEqual((record.state, record.attempt_count), ("failed", 1), "the scheduled action leaves it")

    def test_a_stored_order_with_absurd_numbers_needs_attention_at_once(self):
        """An order stored before its numbers were checked (a quantity of 1e99999999, whose conversion
        held the worker for minutes) is not retried: its first processing says what is wrong."""
        raw = self.encode(order_payload(id="apic-po-absurd"))
        record = self.env["apicbase.order"]._insert_once(self.company, raw, parse_order_json(raw), "recovery")
        absurd = raw.replace(b'"quantity_ordered": 3', b'"quantity_ordered": 1e99999999', 1).replace(
            b'"theoretical_price_per_package": "18.50"', b'"theoretical_price_per_package": "1e400"', 1)
        record.write({"raw_payload": absurd.decode()})
        self.env["apicbase.order"]._cron_process_received()
        self.assertEqual((record.state, record.failure_reason, record.attempt_count), ("failed", "error", 1))
        self.assertFalse(record.next_attempt_at)
        self.assertIn("packages[0].quantity_ordered: 1e99999999 is out of range for a number", record.error_message)
        self.assertIn("packages[1].supplier_package.theoretical_price_per_package: must be at most",
                      record.error_message)
        self.assertTrue(record.activity_ids)

    def test_corrupt_stored_payload_fails_with_a_reason(self):
        _outcome, record = self.receive(order_payload(supplier_customer_number="LATER"))
        record.sudo().write({"raw_payload": "{\"id\": 1}"})
        record.action_retry()
        self.assertEqual((record.state, record.failure_reason), ("failed", "error"))
        self.assertIn("not a valid Apicbase order", record.error_message)

    # -- retried by a person -----------------------------------------------------------------------

    def test_retry_server_action_processes_many(self):
        records = self.env["apicbase.order"]
        for index in (1, 2):
            _outcome, record = self.receive(order_payload(id=f"apic-po-10{index}", supplier_customer_number="LATER"))
            records |= record
        self.assertEqual(set(records.mapped("state")), {"failed"})
        self.customer.apicbase_customer_number = "LATER"
        action = self.env.ref("apicbase_connector.action_apicbase_order_retry")
        result = action.with_context(active_model="apicbase.order", active_ids=records.ids).run()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(set(records.mapped("state")), {"done"})
        self.assertEqual(len(records.mapped("sale_order_id")), 2)

    def test_the_retry_action_leaves_refused_orders_alone_and_processes_the_others(self):
        self.company.apicbase_unmapped_policy = "refuse"
        _outcome, refused = self.receive(order_payload(id="apic-po-refused", supplier_customer_number="LATER"))
        self.company.apicbase_unmapped_policy = "accept"
        _outcome, failed = self.receive(order_payload(id="apic-po-failed", supplier_customer_number="LATER"))
        self.assertEqual((refused.state, failed.state), ("refused", "failed"))
        self.customer.apicbase_customer_number = "LATER"
        action = self.env.ref("apicbase_connector.action_apicbase_order_retry")
        result = action.with_context(active_model="apicbase.order", active_ids=(refused | failed).ids).run()
        self.assertEqual((refused.state, failed.state), ("refused", "done"))
        self.assertFalse(refused.sale_order_id)
        self.assertIn("1 of 1", result["params"]["message"])

    def test_retry_of_a_done_order_is_refused(self):
        _outcome, record = self.receive()
        with self.assertRaisesRegex(UserError, "can be retried"):
            record.action_retry()
        self.assertEqual(self.env["sale.order"].search_count([("apicbase_order_id", "=", record.id)]), 1)


@tagged("post_install", "-at_install")
class TestScheduledProcessingConcurrency(TransactionCase):
    """The scheduled action meets orders that other transactions hold or just changed.

    The test transaction cannot see rows committed after it began, so each party has a cursor of
    its own: the orders are committed by one, locked or changed by another and processed by a
    third, which is rolled back. What was committed is deleted at cleanup.
    """

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:  # committed when the block ends
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Concurrent Bistro",
                                                 "apicbase_customer_number": "CONCURRENT-7"})
            product = env["product.product"].create({"name": "Concurrent tomatoes", "type": "consu",
                                                     "default_code": "CONCURRENT-TOM", "list_price": 2.4})
            orders = env["apicbase.order"]
            for index in range(3):
                data = single_line_order("CONCURRENT-TOM", "2.40", 1, id=f"apic-concurrent-{index}",
                                         order_number=f"PO-CONCURRENT-{index}",
                                         supplier_customer_number="CONCURRENT-7")
                orders |= orders.create({
                    "apicbase_id": data["id"], "name": data["order_number"], "company_id": env.company.id,
                    "customer_number": "CONCURRENT-7", "raw_payload": json.dumps(data), "source": "recovery"})
            self.order_ids = orders.ids
            self.addCleanup(self._delete_committed, partner.id, product.product_tmpl_id.id)

    def _delete_committed(self, partner_id, template_id):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["sale.order"].search([("apicbase_order_id", "in", self.order_ids)]).unlink()
            env["apicbase.order"].browse(self.order_ids).unlink()
            env["product.template"].browse(template_id).unlink()
            env["res.partner"].browse(partner_id).unlink()

    @contextmanager
    def scratch_cursor(self):
        """A cursor of its own whose work is never committed."""
        cr = self.registry.cursor()
        try:
            yield cr
        finally:
            cr.rollback()
            cr.close()

    def run_scheduled_action(self, cr):
        # Waiting on a lock would hang the test: give up quickly instead (the old code then failed).
        cr.execute("SET LOCAL lock_timeout = '2s'")
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["apicbase.order"]._cron_process_received()
        env.flush_all()  # nothing left pending that could still fail
        env.invalidate_all()
        return env["apicbase.order"].browse(self.order_ids)

    def assertOthersDone(self, orders, busy_id):
        busy = orders.filtered(lambda o: o.id == busy_id)
        others = orders - busy
        self.assertEqual(others.mapped("state"), ["done", "done"], others.mapped("error_message"))
        self.assertEqual(len(others.sale_order_id), 2)
        self.assertEqual((busy.state, busy.attempt_count, busy.error_message, busy.sale_order_id.id),
                         ("received", 0, False, False), "left untouched for the next run")

    def test_an_order_locked_by_another_transaction_is_left_for_the_next_run(self):
        busy_id = self.order_ids[1]
        with self.scratch_cursor() as locker, self.scratch_cursor() as cron_cr:
            locker.execute("SELECT id FROM apicbase_order WHERE id = %s FOR UPDATE", [busy_id])
            self.assertOthersDone(self.run_scheduled_action(cron_cr), busy_id)

    def test_the_same_order_stored_at_the_same_instant_is_stored_once(self):
        """Two deliveries of one order race: the unique index decides, not a search. The second waits
        for the first, then fails in a way Odoo replays (never a unique-violation 500), and the
        replay answers "duplicate"."""


        raw = json.dumps(single_line_order("CONCURRENT-TOM", "2.40", 1, id="apic-race", order_number="PO-RACE",
                                           supplier_customer_number="CONCURRENT-7")).encode()
        order = parse_order_json(raw)
        company_id = self.env.company.id
        outcome = {}
        self.addCleanup(self._delete_race_order)
        with self.scratch_cursor() as first, self.scratch_cursor() as second:
            first_env, second_env = (api.Environment(cr, SUPERUSER_ID, {}) for cr in (first, second))
            second.execute("SELECT 1")  # the second delivery's transaction began before the first commits
            first_env["apicbase.order"]._insert_once(first_env["res.company"].browse(company_id), raw, order,
                                                     "webhook")

            def deliver_again():
                try:
                    outcome["second"] = second_env["apicbase.order"]._receive(
                        second_env["res.company"].browse(company_id), raw, order, defer_conflicts=False)
                except Exception as exc:  # noqa: BLE001 - inspected below
                    outcome["error"] = exc

            racer = threading.Thread(target=deliver_again)
            racer.start()
            racer.join(0.5)
            self.assertTrue(racer.is_alive(), "the second delivery waits for the first transaction")
            first.commit()
            racer.join(10)
        self.assertNotIsInstance(outcome.get("error"), errors.UniqueViolation)
        self.assertIsInstance(outcome.get("error"), PG_CONCURRENCY_EXCEPTIONS_TO_RETRY)
        with self.scratch_cursor() as replay:  # what Odoo does with the request
            env = api.Environment(replay, SUPERUSER_ID, {})
            answer, record = env["apicbase.order"]._receive(env["res.company"].browse(company_id), raw, order)
            self.assertEqual((answer, record.name), ("duplicate", "PO-RACE"))
            self.assertEqual(env["apicbase.order"].search_count([("apicbase_id", "=", "apic-race")]), 1)

    def _delete_race_order(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM apicbase_order WHERE apicbase_id = 'apic-race'")

    def test_an_order_changed_since_the_run_began_is_left_for_the_next_run(self):
        busy_id = self.order_ids[1]
        with self.scratch_cursor() as cron_cr:
            cron_cr.execute("SELECT 1")  # the scheduled action's snapshot starts here
            with self.registry.cursor() as other:  # e.g. a retry that committed meanwhile
                other.execute("UPDATE apicbase_order SET write_date = now() at time zone 'UTC' WHERE id = %s",
                              [busy_id])
            self.assertOthersDone(self.run_scheduled_action(cron_cr), busy_id)
