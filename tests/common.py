import copy
import hashlib
import hmac
import importlib.util
import json
import os
import sys
from decimal import Decimal

from odoo import api
from odoo.tests import TransactionCase

from ..apicbase.payload import parse_order_json
from ..compat import USER_GROUPS, enter_registry_test_mode, registry_in_test_mode

SECRET = "test-client-secret-7f3a"
WEBHOOK_SECRET = "test-webhook-secret-91c2"
SIMULATOR_PACKAGE = "apicbase_simulator"

# The purchase order most tests start from, as Apicbase sends it (order_payload changes a copy).
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
with open(os.path.join(FIXTURES, "apicbase_order.json"), encoding="utf-8") as fixture:
    ORDER = json.load(fixture)


def order_payload(**changes):
    data = copy.deepcopy(ORDER)
    data.update(changes)
    return data


def single_line_order(article, price, quantity, **changes):
    """An order of one line: ``quantity`` packages of ``article`` at ``price`` (a decimal string)."""
    data = order_payload(**{"theoretical_price": str(Decimal(price) * quantity), **changes})
    data["packages"] = [{"stock_item": {"name": article}, "quantity_ordered": quantity,
                         "supplier_package": {"supplier_article_number": article,
                                              "theoretical_price_per_package": price}}]
    return data


def sign(raw, secret=WEBHOOK_SECRET):
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


class ApicbaseCase(TransactionCase):
    """A company configured for Apicbase, a mapped customer and two mapped products."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write({
            "apicbase_client_id": "client-id",
            "apicbase_client_secret": SECRET,
            "apicbase_webhook_secret": WEBHOOK_SECRET,
            "apicbase_price_source": "apicbase",
            "apicbase_price_tolerance": 1.0,
            "apicbase_auto_confirm": False,
            "apicbase_unmapped_policy": "accept",
        })
        cls.salesman = cls.env["res.users"].create({
            "name": "Sam Salesman",
            "login": "apicbase_salesman",
            "email": "sam@example.com",
            USER_GROUPS: [(6, 0, [cls.env.ref("sales_team.group_sale_salesman").id])],
        })
        cls.company.apicbase_user_id = cls.salesman
        cls.customer = cls.env["res.partner"].create({
            "name": "Bistro Anna",
            "is_company": True,
            "apicbase_customer_number": "CUST-7",
        })
        cls.tomatoes = cls.env["product.product"].create({
            "name": "Tomatoes 1 kg",
            "default_code": "TOM-1KG",
            "list_price": 2.40,
            "type": "consu",
        })
        cls.cola = cls.env["product.product"].create({
            "name": "Cola 24 x 33 cl",
            "default_code": "INT-COLA",
            "apicbase_article_number": "COLA-24",
            "list_price": 18.50,
            "type": "consu",
        })

    @classmethod
    def sales_manager(cls, name, login, **values):
        """A sales manager: the group that may talk to Apicbase on demand."""
        return cls.env["res.users"].create({
            "name": name, "login": login,
            USER_GROUPS: [(6, 0, [cls.env.ref("sales_team.group_sale_manager").id])], **values})

    @classmethod
    def encode(cls, data):
        return json.dumps(data).encode()

    def raise_price_precision(self):
        """What an administrator does once in the Apicbase settings, for Apicbase's three decimals."""
        self.env["res.config.settings"].create({}).action_apicbase_raise_price_precision()
        self.assertEqual(self.env.ref("product.decimal_price").digits, 3)

    def inbox(self, apicbase_id="apic-po-0001"):
        return self.env["apicbase.order"].search(
            [("apicbase_id", "=", apicbase_id), ("company_id", "=", self.company.id)])

    def run_scheduled(self, xmlid, **kwargs):
        """Calls a scheduled action's method as Odoo's scheduler does (ir.cron._run_job): as the
        action's user, on a cursor of its own (here one that the registry's test mode makes a
        savepoint of the test's transaction, so that its commits stay in the test), with the cron and
        a progress record in the context, again while it reports work done and work remaining.
        Returns the (done, remaining) each call reported."""
        cron = self.env.ref(f"apicbase_connector.{xmlid}")
        method_name = cron.code.split("model.", 1)[1].split("(", 1)[0]  # "model._cron_x()"
        if not registry_in_test_mode(self.registry):
            enter_registry_test_mode(self)
        calls = []
        for _call in range(100):  # far more than any test needs: a loop that never ends is a failure
            self.env.flush_all()
            with self.registry.cursor() as cr:
                env = api.Environment(cr, cron.user_id.id, {"cron_id": cron.id})
                progress = env["ir.cron.progress"].create({"cron_id": cron.id})
                model = env[cron.model_id.model].with_context(ir_cron_progress_id=progress.id)
                getattr(model, method_name)(**kwargs)
                calls.append((progress.done, progress.remaining))
            self.env.invalidate_all()
            if not (calls[-1][0] and calls[-1][1]):
                return calls
        self.fail(f"{xmlid} never finished: {calls[-5:]}")

    def receive(self, data=None, source="webhook"):
        """Hands a payload to the model exactly as the controller does, minus HTTP."""
        raw = self.encode(data or ORDER)
        return self.env["apicbase.order"].sudo()._receive(self.company, raw, parse_order_json(raw), source)


def load_simulator():
    """The Apicbase simulator, the package tools/apicbase_simulator (tests only; the addon never
    imports it), loaded from its folder under its own name: Odoo's tests have no pytest to put tools/
    on the path, and nothing else here may be imported from there."""
    if SIMULATOR_PACKAGE not in sys.modules:
        folder = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools", SIMULATOR_PACKAGE)
        spec = importlib.util.spec_from_file_location(
            SIMULATOR_PACKAGE, os.path.join(folder, "__init__.py"), submodule_search_locations=[folder])
        module = importlib.util.module_from_spec(spec)
        sys.modules[SIMULATOR_PACKAGE] = module  # its modules import each other by the package's name
        spec.loader.exec_module(module)
    return sys.modules[SIMULATOR_PACKAGE]


class SimulatorMixin:
    """Starts a local Apicbase for the class and points the company at it."""

    def setUp(self):
        super().setUp()
        # The simulator lives for the class: each test leaves its data set as it found it.
        self.addCleanup(self.sim.restore, self.sim.snapshot())

    @classmethod
    def start_simulator(cls, company, **options):
        options = {"processing_delay": 0.01, "rate_limit": None, **options}
        cls.sim = load_simulator().Simulator(**options).start()
        cls.addClassCleanup(cls.sim.stop)
        company.sudo().write({
            "apicbase_api_url": cls.sim.api_url,
            "apicbase_token_url": cls.sim.token_url,
            "apicbase_client_id": cls.sim.client_id,
            "apicbase_client_secret": cls.sim.client_secret,
        })
