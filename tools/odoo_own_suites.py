"""Odoo's own test suites as a judge: does installing the connector change Odoo for everyone else?

Runs Odoo's own tests (``sale`` and ``sale_management`` by default; ``sale_stock`` too with
``--stock``, on databases that have Inventory) twice, on two copies of the template database: once
without the addon and once with it installed. It fails when the addon adds a failure, turns a
passing test into a skipped one, or makes a test disappear. Failures that are there without the
addon (this build ships no translations, for instance) are reported, not held against it.

    python3 tools/odoo_own_suites.py            # sale, sale_management
    python3 tools/odoo_own_suites.py --stock    # sale_stock too, on databases with Inventory

Odoo is found as tools/run-tests passes it on (tools/odoo-env): ODOO_PATH (default /opt/odoo),
ODOO_PYTHON (default /opt/odoo-venv/bin/python), ODOO_TEMPLATE_DB (default odoo_template) and
ODOO_SERIES. The two runs go side by side, each on its own database and port; both databases are
dropped at the end. Standard library only, no Odoo import: Odoo is run as ``odoo-bin`` and its log is read.
"""
import argparse
import collections
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDON = "apicbase_connector"
# One line of Odoo's test log: "2026-12-02 06:57:41,192 9160 INFO db odoo.addons.sale.tests.x: Starting A.b ..."
LOG_LINE = re.compile(r"^\S+ \S+ \d+ (?:INFO|WARNING|ERROR|CRITICAL) \S+ "
                      r"(?P<logger>odoo\.addons\.\w+\.tests[\w.]*): (?P<what>Starting|FAIL:|ERROR:|skipped) "
                      r"(?P<test>.+?)(?: \.\.\.| : .*)?$")
SUBTEST = re.compile(r"^Subtest (\S+)")


class Outcomes:
    """What one run did to each test: ``started``, and the ``failed`` and ``skipped`` among them."""

    def __init__(self):
        self.started, self.failed, self.skipped = set(), set(), set()

    @property
    def passed(self):
        return self.started - self.failed - self.skipped

    def __repr__(self):
        return f"{len(self.started)} tests, {len(self.failed)} failed, {len(self.skipped)} skipped"


def read_log(lines):
    """The Outcomes of an Odoo test log (an iterable of lines). A failing subtest fails its test;
    a failure outside any test (a class's setUp) counts as a failed test of its own."""
    outcomes = Outcomes()
    for line in lines:
        match = LOG_LINE.match(line.rstrip())
        if not match:
            continue
        test = match["test"]
        subtest = SUBTEST.match(test)
        key = f"{match['logger']}: {subtest[1] if subtest else test}"
        if match["what"] == "Starting":
            outcomes.started.add(key)
        elif match["what"] == "skipped":
            outcomes.skipped.add(key)
        else:
            outcomes.failed.add(key)
            outcomes.started.add(key)
    return outcomes


def compare(without, with_addon):
    """What the addon changed, as {kind: sorted tests}: only what is worse with it."""
    return {kind: sorted(tests) for kind, tests in {
        "fails only with the addon": with_addon.failed - without.failed,
        "passes without the addon, skipped with it": without.passed & with_addon.skipped,
        "runs without the addon, not with it": without.started - with_addon.started,
    }.items() if tests}


# -- running Odoo ---------------------------------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Odoo:
    def __init__(self, workdir):
        self.path = os.environ.get("ODOO_PATH", "/opt/odoo")
        self.python = os.environ.get("ODOO_PYTHON", "/opt/odoo-venv/bin/python")
        self.template = os.environ.get("ODOO_TEMPLATE_DB", "odoo_template")
        # 18.0 loads demo data unless told not to; 19.0 loads none unless asked, and warns at the flag.
        self.no_demo = ["--without-demo=all"] if os.environ.get("ODOO_SERIES", "18.0") == "18.0" else []
        if not (os.path.isfile(os.path.join(self.path, "odoo-bin")) and os.access(self.python, os.X_OK)):
            sys.exit(f"no Odoo at ODOO_PATH={self.path} run by ODOO_PYTHON={self.python}")
        os.symlink(ROOT, os.path.join(workdir, ADDON))  # Odoo finds addons by folder name
        paths = [os.path.join(self.path, "odoo", "addons"), workdir]
        if os.path.isdir(os.path.join(self.path, "addons")):  # a git checkout of odoo/odoo
            paths.insert(0, os.path.join(self.path, "addons"))
        self.addons_path = ",".join(paths)
        self.workdir = workdir

    def run(self, db, log_name, *args):
        log = os.path.join(self.workdir, log_name)
        with open(log, "w", encoding="utf-8") as out:
            code = subprocess.call([self.python, os.path.join(self.path, "odoo-bin"),
                                    f"--addons-path={self.addons_path}", "-d", db, "--stop-after-init",
                                    *self.no_demo, *args], stdout=out, stderr=subprocess.STDOUT)
        return code, log

    def createdb(self, db):
        self.dropdb(db)
        subprocess.run(["createdb", "-T", self.template, db], check=True)
        # Its filestore too: the asset bundles of Odoo's own tours live there (tools/odoo-env does the same).
        template_files = os.path.expanduser(f"~/.local/share/Odoo/filestore/{self.template}")
        if os.path.isdir(template_files):
            shutil.copytree(template_files, os.path.expanduser(f"~/.local/share/Odoo/filestore/{db}"))

    @staticmethod
    def dropdb(db):
        subprocess.run(["dropdb", "--if-exists", "--force", db], check=False, capture_output=True)
        shutil.rmtree(os.path.expanduser(f"~/.local/share/Odoo/filestore/{db}"), ignore_errors=True)


def run_scenario(odoo, db, with_addon, stock, suites):
    """Installs what the scenario needs on a fresh copy, then runs Odoo's suites by upgrading
    ``sale`` (which upgrades every installed module that depends on it, so that each suite runs)."""
    odoo.createdb(db)
    modules = (["sale_stock"] if stock else []) + ([ADDON] if with_addon else [])
    if modules:
        code, log = odoo.run(db, f"{db}-install.log", "-i", ",".join(modules), "--no-http", "--log-level=warn")
        if code:
            raise RuntimeError(f"installing {', '.join(modules)} on {db} failed (exit {code}; log {log})")
    tags = ",".join(f"/{suite}" for suite in suites)
    code, log = odoo.run(db, f"{db}-tests.log", "-u", "sale", "--test-enable", f"--test-tags={tags}",
                         "--http-interface=127.0.0.1", f"--http-port={free_port()}", "--log-level=info")
    with open(log, encoding="utf-8", errors="replace") as lines:
        outcomes = read_log(lines)
    if not outcomes.started:
        raise RuntimeError(f"no test ran on {db} (exit {code}; log {log})")
    return outcomes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stock", action="store_true", help="install Inventory (sale_stock) on both "
                        "databases and run its suite too")
    parser.add_argument("--keep-logs", action="store_true", help="keep the Odoo logs even when nothing differs")
    args = parser.parse_args(argv)
    suites = ["sale", "sale_management"] + (["sale_stock"] if args.stock else [])
    workdir = tempfile.mkdtemp(prefix="odoo-own-suites-")
    odoo = Odoo(workdir)
    base = f"own_suites_{os.getpid()}{'_stock' if args.stock else ''}"
    dbs = {False: f"{base}_without", True: f"{base}_with"}
    print(f"== Odoo's own suites {', '.join(suites)}, without and with {ADDON} "
          f"({odoo.path}, template {odoo.template}, logs in {workdir})", flush=True)
    try:
        with ThreadPoolExecutor(2) as pool:
            futures = {flag: pool.submit(run_scenario, odoo, db, flag, args.stock, suites)
                       for flag, db in dbs.items()}
            results = {flag: future.result() for flag, future in futures.items()}
    except RuntimeError as exc:
        print(f"!!!!! {exc}")
        print("own-suites: 0 passed, 1 failed")
        return 1
    finally:
        for db in dbs.values():
            odoo.dropdb(db)
    without, with_addon = results[False], results[True]
    print(f"without the addon: {without}")
    print(f"with the addon:    {with_addon}")
    for title, outcomes in (("failing without the addon too (not the addon's)", without.failed),):
        if outcomes:
            print(f"{title}:")
            for test in sorted(outcomes):
                print(f"    {test}")
    worse = compare(without, with_addon)
    for kind, tests in worse.items():
        print(f"!!!!! {len(tests)} test(s): {kind}:")
        for test in tests:
            print(f"    {test}")
    counts = collections.Counter({kind: len(tests) for kind, tests in worse.items()})
    bad = sum(counts.values())
    if bad or args.keep_logs:
        print(f"(the Odoo logs are kept in {workdir})")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    # "passed": the tests whose outcome the addon left as it was; "failed": those it made worse.
    print(f"own-suites: {len(with_addon.started) - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
