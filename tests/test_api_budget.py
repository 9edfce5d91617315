"""One API budget for every worker and server: the send times of each API account are kept in
PostgreSQL (models/apicbase_api_budget.py). Two real processes sharing it: tests/live."""
from odoo.tests import tagged

from ..apicbase.client import AuthenticationError
from ..const import REQUESTS_PER_MINUTE_PARAM
from ..models.apicbase_api_budget import DatabasePacer

from .common import SECRET, ApicbaseCase, SimulatorMixin


@tagged("post_install", "-at_install")
class TestApiBudget(SimulatorMixin, ApicbaseCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_simulator(cls.company)
        cls.account = f"{cls.sim.api_url.rstrip('/')} {cls.sim.client_id}"

    def sent(self, account=None):
        self.env.cr.execute("SELECT sent FROM apicbase_api_budget WHERE account = %s", [account or self.account])
        row = self.env.cr.fetchone()
        return row[0] if row else None

    def db_now(self):
        self.env.cr.execute("SELECT extract(epoch FROM clock_timestamp())::float8")
        return self.env.cr.fetchone()[0]

    def fill(self, *ages, account=None):
        """The account's minute as if it had sent requests ``ages`` seconds ago."""
        now = self.db_now()
        self.env.cr.execute(
            "INSERT INTO apicbase_api_budget (account, sent) VALUES (%s, %s::jsonb) "
            "ON CONFLICT (account) DO UPDATE SET sent = excluded.sent",
            [account or self.account, str([now - age for age in ages])])
        return now

    def pacer(self, account=None):
        """A pacer whose sleep lets the time pass for the account's minute (its times age by as much)."""
        account = account or self.account
        slept = []

        def sleep(seconds):
            slept.append(seconds)
            self.env.cr.execute("UPDATE apicbase_api_budget SET sent = (SELECT jsonb_agg(value::float8 - %s) "
                                "FROM jsonb_array_elements_text(sent)) WHERE account = %s", [seconds, account])

        return DatabasePacer(self.env, account, sleep=sleep), slept

    def test_the_clients_of_one_api_account_count_their_requests_in_one_row(self):
        """Every client the connector makes for an account (a batch each, in any worker) counts in
        the account's row; another account has its own. No secret is stored."""
        self.assertIsNone(self.sent())
        list(self.company._apicbase_client().iter_customers())
        self.assertEqual(len(self.sent()), 2, "the token request and the page")
        list(self.company._apicbase_client().iter_customers())
        self.assertEqual(len(self.sent()), 4)
        now = self.db_now()
        self.assertTrue(all(now - 60 < moment <= now for moment in self.sent()), "the database's clock")
        other = self.env["res.company"].create({
            "name": "Other supplier", "apicbase_client_id": "other-client", "apicbase_client_secret": "s",
            "apicbase_api_url": self.sim.api_url, "apicbase_token_url": self.sim.token_url})
        # The simulator refuses its credentials; Odoo's assertRaises would also undo what was counted.
        try:
            other._apicbase_client().token()
            refused = False
        except AuthenticationError:
            refused = True
        self.assertTrue(refused, "the simulator knows one client")
        self.assertEqual(len(self.sent(f"{self.sim.api_url.rstrip('/')} other-client")), 1)
        self.assertEqual(len(self.sent()), 4)
        self.env.cr.execute("SELECT count(*) FROM apicbase_api_budget WHERE account LIKE %s OR sent::text LIKE %s",
                            [f"%{SECRET}%", f"%{SECRET}%"])
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_a_full_minute_makes_the_request_wait_for_the_oldest_to_leave_it(self):
        self.fill(50, 40, 30)
        pacer, slept = self.pacer()
        pacer.acquire(3)
        self.assertEqual(len(slept), 1)
        self.assertAlmostEqual(slept[0], 10.01, delta=0.5)
        self.assertEqual(len(self.sent()), 3, "the oldest has left, the new one is counted")
        now = self.db_now()
        self.assertAlmostEqual(max(self.sent()), now, delta=0.5)
        self.assertAlmostEqual(min(self.sent()), now - 50, delta=0.5, msg="40 s old, 10 s later")

    def test_room_in_the_minute_lets_the_request_go_at_once(self):
        self.fill(50, 40)
        pacer, slept = self.pacer()
        pacer.acquire(3)
        self.assertEqual((slept, len(self.sent())), ([], 3))

    def test_requests_older_than_a_minute_are_forgotten(self):
        now = self.fill(500, 61, 60.5, 59)
        pacer, slept = self.pacer()
        pacer.acquire(2)
        self.assertEqual(slept, [])
        self.assertEqual(len(self.sent()), 2)
        self.assertAlmostEqual(min(self.sent()), now - 59, delta=0.001)

    def test_the_budget_follows_the_system_parameter(self):
        parameters = self.env["ir.config_parameter"].sudo()
        self.assertEqual(self.company._apicbase_client().requests_per_minute, 90, "under Apicbase's 100")
        parameters.set_param(REQUESTS_PER_MINUTE_PARAM, "18")
        self.assertEqual(self.company._apicbase_client().requests_per_minute, 18)
        for wrong in ("0", "-5", "many", "1.5"):
            parameters.set_param(REQUESTS_PER_MINUTE_PARAM, wrong)
            with self.assertLogs("odoo.addons.apicbase_connector.models.res_company", "WARNING") as logs:
                self.assertEqual(self.company._apicbase_client().requests_per_minute, 90)
            self.assertIn("not a positive whole number", logs.output[0])
