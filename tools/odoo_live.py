"""Drives real ``odoo-bin`` processes for the live tests and the benchmarks (no Odoo import).

Data are written through ``odoo-bin shell`` (which commits), requests go over real
HTTP, and results are read back with ``psql``.
"""
import ast
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import requests
from apicbase_simulator.webhook import SIGNATURE_HEADER
from apicbase_simulator.webhook import sign as sign_with

ADDONS_PATH = os.environ.get("APICBASE_ADDONS_PATH")
ODOO_PATH = os.environ.get("ODOO_PATH", "/opt/odoo")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def odoo_series(odoo_path=ODOO_PATH):
    """The series ("18.0", "19.0") of the Odoo at ``odoo_path``: ODOO_SERIES when tools/odoo-env set
    it, else read off its odoo/release.py."""
    if os.environ.get("ODOO_SERIES"):
        return os.environ["ODOO_SERIES"]
    with open(os.path.join(odoo_path, "odoo", "release.py"), encoding="utf-8") as release:
        for line in release:
            if line.startswith("version_info = ("):
                major, minor = line.split("(", 1)[1].split(",")[:2]
                return f"{major.strip()}.{minor.strip()}"
    raise RuntimeError(f"no version_info in {odoo_path}/odoo/release.py")


SERIES = odoo_series() if os.path.isdir(ODOO_PATH) else "18.0"
# 18.0 loads demo data unless told not to; 19.0 loads none unless asked, and warns at --without-demo.
NO_DEMO = ("--without-demo=all",) if SERIES == "18.0" else ()


def addon_version(series=SERIES):
    """The version Odoo records for the addon on ``series``: the manifest's, prefixed with the series."""
    with open(os.path.join(ROOT, "__manifest__.py"), encoding="utf-8") as manifest:
        return f"{series}.{ast.literal_eval(manifest.read())['version']}"
WEBHOOK_SECRET = "live-webhook-secret"


def psql(db, sql):
    out = subprocess.run(["psql", "-d", db, "-Atc", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def odoo_cmd(db, *args, command=()):
    return [sys.executable, os.path.join(ODOO_PATH, "odoo-bin"), *command, f"--addons-path={ADDONS_PATH}",
            "-d", db, *args]


def odoo_shell(db, code):
    """Runs ``code`` in ``odoo-bin shell`` (``env`` is defined) and returns its stdout."""
    result = subprocess.run(odoo_cmd(db, "--no-http", "--log-level=warn", command=["shell"]), input=code,
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0 or "Traceback" in result.stderr:
        raise AssertionError(f"odoo shell failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def seed(db):
    """Commits a configured company, a mapped customer and two products; returns the webhook token."""
    out = odoo_shell(db, f"""
company = env.company
company.write({{"apicbase_webhook_secret": {WEBHOOK_SECRET!r}, "apicbase_client_secret": "client"}})
env["res.partner"].create({{"name": "Live Bistro", "apicbase_customer_number": "LIVE-1"}})
env["product.product"].create({{"name": "Live tomatoes", "default_code": "LIVE-TOM", "list_price": 2.5}})
env["product.product"].create({{"name": "Live cola", "default_code": "LIVE-COLA", "list_price": 18}})
env.cr.commit()
print("TOKEN=" + company.apicbase_webhook_token)
""")
    return next(line[6:] for line in out.splitlines() if line.startswith("TOKEN="))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OdooServer:
    def __init__(self, db, workers, cron_threads=0):
        """``cron_threads``: the scheduled actions' threads (none by default: tests run them when they mean to)."""
        self.db, self.workers, self.port, self.cron_threads = db, workers, free_port(), cron_threads
        self.url = f"http://127.0.0.1:{self.port}"
        # Kept only when the server did not start or a run with it failed (the path is then said).
        self.log_path = os.path.join(tempfile.gettempdir(), f"{db}_{workers}_{self.port}.log")

    def __enter__(self):
        args = ["--http-interface=127.0.0.1", f"--http-port={self.port}", f"--workers={self.workers}",
                f"--max-cron-threads={self.cron_threads}", f"--db-filter=^{self.db}$", "--log-level=info",
                f"--logfile={self.log_path}"]
        if self.workers:
            args.append(f"--gevent-port={free_port()}")
        # A session of its own: stopping it stops the prefork workers and the gevent process too.
        self.process = subprocess.Popen(odoo_cmd(self.db, *args), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            return self._wait_ready()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise

    def _wait_ready(self):
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/web/health", timeout=10).status_code == 200:
                    # Odoo builds its table of static folders lazily, on the first request whose
                    # path has four segments; built by concurrent threads on CPython 3.11.7 it can
                    # crash ("AST constructor recursion depth mismatch"). A live server has long
                    # built it: do so here before any concurrent test.
                    requests.get(self.url + "/web/static/warm-up", timeout=10)
                    return self
            except requests.RequestException:  # not listening yet, or too busy starting to answer
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        raise AssertionError(f"odoo-bin did not start; see {self.log_path}")

    def __exit__(self, exc_type=None, *exc):
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        if exc_type is None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.log_path)
        else:
            print(f"odoo-bin's log is kept in {self.log_path}", file=sys.stderr)

    def _signal(self, number):
        try:
            os.killpg(self.process.pid, number)
        except ProcessLookupError:
            pass

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()


def order(apicbase_id, customer="LIVE-1"):
    return {
        "id": apicbase_id,
        "order_number": f"PO-{apicbase_id}",
        "status": "ORDERED",
        "ordered_on": "2026-11-25T08:00:00Z",
        "owned_by": {"username": "live"},
        "order_remarks": None,
        "packages": [
            {"stock_item": {"name": "Tomatoes"}, "quantity_ordered": 2,
             "supplier_package": {"supplier_article_number": "LIVE-TOM", "theoretical_price_per_package": "2.50"},
             "total_theoretical_price": "5.00"},
            {"stock_item": {"name": "Cola"}, "quantity_ordered": 1,
             "supplier_package": {"supplier_article_number": "LIVE-COLA", "theoretical_price_per_package": "18.00"},
             "total_theoretical_price": "18.00"},
        ],
        "expected_delivery_date": "2026-11-27T06:00:00Z",
        "theoretical_price": "23.00",
        "supplier_customer_number": customer,
    }


def jsonrpc(url, service, method, *args, http=requests):
    """One call of Odoo's external JSON-RPC API at ``url`` (through ``http``, a session to keep the
    connection); its result, an error being an AssertionError."""
    payload = {"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method,
                                                              "args": list(args)}}
    answer = http.post(url, json=payload, timeout=120).json()
    assert "error" not in answer, answer
    return answer["result"]


def sign(raw):
    """Apicbase's signature of the body ``raw`` (bytes), with the seeded webhook secret."""
    return sign_with(WEBHOOK_SECRET, raw)


def signed(data):
    raw = json.dumps(data).encode()
    return raw, {"Content-Type": "application/json", SIGNATURE_HEADER: sign(raw)}


@contextlib.contextmanager
def database_copy(template, suffix):
    """A copy of the installed database ``template`` for one benchmark, dropped afterwards."""
    db = f"{template}_{suffix}"
    subprocess.run(["createdb", "-T", template, db], check=True)
    # Its filestore too (asset bundles and other attachments live there, as tools/odoo-env copies).
    filestore = os.path.join(os.environ.get("ODOO_DATA_DIR", os.path.expanduser("~/.local/share/Odoo")), "filestore")
    if os.path.isdir(os.path.join(filestore, template)):
        shutil.copytree(os.path.join(filestore, template), os.path.join(filestore, db), dirs_exist_ok=True)
    try:
        yield db
    finally:
        subprocess.run(["dropdb", "--if-exists", "--force", db], check=False)
        shutil.rmtree(os.path.join(filestore, db), ignore_errors=True)


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
