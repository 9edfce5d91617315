"""One API budget for the whole deployment: when each Apicbase account sent its requests of the
last minute, kept in PostgreSQL.

Apicbase allows a client 100 requests a minute. A production Odoo runs several workers, often
several servers on one database, and its scheduled actions run side by side: each counting its
own requests, together they would exceed the limit. The database is what they all share. Before
each request, a short transaction of its own takes the account's row under a lock, reads the send
times of the last minute by the database's clock, and either counts the request (it then goes) or
lets go of the lock and sleeps until the minute has room. The lock is never held during the HTTP
request, nor undone by the caller's rollback.
"""
import contextlib
import json
import time

from odoo import api, fields, models

from ..apicbase.pacing import wait_before_next, within_window
from ..compat import in_a_test_transaction, registry_in_test_mode, sql_constraints


class ApicbaseApiBudget(models.Model):
    _name = "apicbase.api.budget"
    _description = "Apicbase API Budget"
    _log_access = False  # a row per API account, rewritten at every request: nobody's to track
    _rec_name = "account"

    account = fields.Char(required=True, readonly=True, help="API URL and client id (never the secret).")
    sent = fields.Json(readonly=True, help="When its requests of the last minute were sent, in seconds since "
                                           "the epoch by the database's clock.")

    locals().update(sql_constraints(
        ("account_unique", "unique(account)", "An Apicbase API account has one budget."),
    ))

    @api.model
    def _pacer(self, api_url, client_id):
        """The pacer (see apicbase.pacing) of the clients of this API account, in every process."""
        return DatabasePacer(self.env, f"{api_url.rstrip('/')} {client_id}")


class DatabasePacer:
    """Paces the requests of one API account across every process of the database."""

    def __init__(self, env, account, sleep=time.sleep):
        self.account = account
        self._registry = env.registry
        self._sleep = sleep
        # A test runs in one transaction and must not commit beside it (see ApicbaseApiError._record):
        # there the budget is kept in the test's transaction, and forgotten with it.
        self._test_cr = env.cr if in_a_test_transaction(env.registry) else None

    def acquire(self, requests_per_minute):
        while True:
            wait = self._count_or_wait(requests_per_minute)
            if not wait:
                return
            self._sleep(wait)  # without the lock: the other processes go on counting and sending

    def _count_or_wait(self, limit):
        """Counts one request and returns 0 when the minute has room for it, else the seconds to wait
        (nothing counted). Send times older than a minute are dropped either way."""
        with self._transaction() as cr:
            cr.execute("INSERT INTO apicbase_api_budget (account, sent) VALUES (%s, '[]') "
                       "ON CONFLICT (account) DO NOTHING", [self.account])
            cr.execute("SELECT sent FROM apicbase_api_budget WHERE account = %s FOR UPDATE", [self.account])
            [sent] = cr.fetchone()
            # Read once the lock is held, from the one clock every server of the database shares.
            cr.execute("SELECT extract(epoch FROM clock_timestamp())::float8")
            [now] = cr.fetchone()
            recent = within_window(sent or [], now)
            wait = wait_before_next(recent, now, limit)
            if not wait:
                recent.append(now)
            cr.execute("UPDATE apicbase_api_budget SET sent = %s WHERE account = %s",
                       [json.dumps(recent), self.account])
        return wait

    @contextlib.contextmanager
    def _transaction(self):
        if self._test_cr is not None:
            with self._test_cr.savepoint(flush=False):
                yield self._test_cr
            return
        with self._registry.cursor() as cr:  # committed at once, whatever the caller's transaction does
            # Odoo's repeatable read would refuse the row another process has just counted in
            # ("could not serialize"); read committed waits for its lock, then reads its count. (In
            # the registry's test mode, the cursor is a savepoint of the test's transaction.)
            if not registry_in_test_mode(self._registry):
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            yield cr
