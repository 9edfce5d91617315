"""One API budget for the whole deployment: two odoo-bin servers on one database, whose scheduled
actions call Apicbase at the same moment, stay together under its per-client limit."""
import time

from apicbase_simulator import Simulator
from odoo_live import OdooServer, database_copy, odoo_shell, psql

# Apicbase's 100 a minute and the connector's 90, scaled down: the test then needs a little more than
# one minute's budget, not five.
LIMIT, BUDGET = 20, 18
# The package pull: a token and the customer list, then a token and one page per customer (23
# requests); the event reading: a token and 10 pages of 200 events (11). Either server alone sends more
# than the others leave it (the pull alone sends its first 18 at once): counted per process, the two
# exceed the limit within seconds.
CUSTOMERS, EVENTS = 20, 2000
PULL = "Apicbase: read customers and packages"
# The second server reads and stores the sync events as the event poll does, less the poll's
# bookkeeping on the company: two scheduled actions that overlap and both write the company's row
# cannot both commit (the second fails on a serialization error, whatever the pacing).
READ_EVENTS = "Live: read the sync events"
READ_EVENTS_CODE = ("env['apicbase.sync.event']._store(env.company, "
                    "list(env.company._apicbase_client().iter_events()))")


def configure(db, sim):
    """Points the company at the simulator with the test's budget; only the two scheduled actions
    stay active, due later (the test makes them due). Returns their ids, as SQL."""
    out = odoo_shell(db, f"""
env.company.write({{"apicbase_api_url": {sim.api_url!r}, "apicbase_token_url": {sim.token_url!r},
                    "apicbase_client_id": {sim.client_id!r}, "apicbase_client_secret": {sim.client_secret!r}}})
env["ir.config_parameter"].set_param("apicbase_connector.requests_per_minute", "{BUDGET}")
pull = env.ref("apicbase_connector.ir_cron_apicbase_pull_catalogue")
read_events = pull.copy({{"name": {READ_EVENTS!r}, "code": {READ_EVENTS_CODE!r},
                         "model_id": env.ref("apicbase_connector.model_apicbase_sync_event").id}})
crons = pull | read_events
(env["ir.cron"].search([]) - crons).active = False
crons.write({{"active": True, "nextcall": "2999-01-01 00:00:00", "lastcall": False}})
env.cr.commit()
print("CRONS=" + ",".join(map(str, crons.ids)))
""")
    return next(line[6:] for line in out.splitlines() if line.startswith("CRONS="))


def seed(sim):
    for index in range(CUSTOMERS):
        number = f"BUDGET-{index:02d}"
        sim.add_customer(number)
        sim.add_package(number, {"third_party_id": f"ART-{index:02d}", "name": f"Article {index}", "price": "1.500",
                                 "package_description": {"quantity": 1, "unit_name": "kg"}})
    for index in range(EVENTS):
        sim.add_event("INFO", f"Package {index} processed")


def test_two_servers_whose_scheduled_actions_run_at_once_share_one_api_budget(live_db):
    db, _token = live_db
    with Simulator(rate_limit=LIMIT, seed=False) as sim, database_copy(db, "budget") as copy:
        seed(sim)
        crons = configure(copy, sim)
        with OdooServer(copy, 0, cron_threads=1) as first, OdooServer(copy, 0, cron_threads=1) as second:
            started = time.monotonic()
            # Both due now, both servers woken at once (as Odoo wakes them: on the postgres database),
            # each takes the one the other has not locked.
            # To the second, as Odoo writes it: 19.0 moves a finished job's nextcall on from the second
            # the job began, so a nextcall a fraction later would leave the job due again at once.
            psql(copy, f"UPDATE ir_cron SET nextcall = date_trunc('second', now() at time zone 'utc') "
                       f"WHERE id IN ({crons})")
            psql("postgres", f"NOTIFY cron_trigger, '{copy}'")
            deadline = started + 240
            while psql(copy, f"SELECT count(*) FROM ir_cron WHERE id IN ({crons}) AND lastcall IS NOT NULL") != "2":
                assert time.monotonic() < deadline, "the scheduled actions did not finish"
                time.sleep(1)
            elapsed = time.monotonic() - started
            logs = [first.log(), second.log()]
        done = psql(copy, "SELECT (SELECT count(*) FROM apicbase_customer WHERE packages_due IS NOT TRUE), "
                          "(SELECT count(*) FROM apicbase_package), (SELECT count(*) FROM apicbase_sync_event)")
        statuses = [entry["status"] for entry in sim.requests_log if entry["client_id"]]

    ran = [[name for name in (PULL, READ_EVENTS) if f"Job {name!r} (" in log] for log in logs]
    assert sorted(ran) == [[PULL], [READ_EVENTS]], "each server ran one of them"
    for log in logs:
        assert "Traceback" not in log and "failed for company" not in log, log[-3000:]
    assert done == f"{CUSTOMERS}|{CUSTOMERS}|{EVENTS}", "every customer, package and event read"
    assert (statuses.count(429), sim.busiest_window(sim.client_id) <= LIMIT) == (0, True), \
        "Apicbase never had to say stop: never more than its limit in any rolling minute"
    assert len(statuses) == 1 + CUSTOMERS + EVENTS // 200, "no request repeated"
    assert elapsed > 60, "the work needed more than one minute's budget"
