"""Screenshots of a running demo (``bash tools/demo/run --check --keep``) for the Apps page.

    python tools/demo/screenshots.py --url http://127.0.0.1:8069 --db DB --out static/description

Drives headless Chromium through the Chrome DevTools protocol over a pipe
(``--remote-debugging-pipe``: messages on file descriptors 3 and 4, separated by NUL bytes), so it
needs the standard library only: no websocket client, no port. It logs in as the demo's admin
through the login form, as a person would, and captures each screen at 1280 x 800 once the web
client has finished loading it. tools/demo/screenshots runs it.
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from odoo_side import Odoo

WIDTH, HEIGHT = 1280, 800
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Loading is over: the action is rendered and nothing is pending.
IDLE = ("!!document.querySelector('.o_action_manager .o_view_controller')"
        " && !document.querySelector('.o_loading_indicator, .o_blockUI, .o_view_nocontent_loading')")

# Closes the notifications shown; true once none is left.
CLOSE_TOASTS = ("(() => { document.querySelectorAll('.o_notification .o_notification_close')"
                ".forEach(button => button.click()); return !document.querySelector('.o_notification'); })()")


class DevTools:
    """A headless Chromium and one page in it, driven over --remote-debugging-pipe."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="apicbase_chromium_")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--lang=en-US",
                 f"--window-size={WIDTH},{HEIGHT}", f"--user-data-dir={self.profile}",
                 "--remote-debugging-pipe", "about:blank"]
        # Chromium reads commands on fd 3 and writes on fd 4: a shell puts the pipe ends there.
        self.process = subprocess.Popen(
            ["bash", "-c", 'exec 3<&"$1" 4>&"$2"; shift 2; exec "$@"', "bash",
             str(to_browser_r), str(from_browser_w), CHROMIUM, *flags],
            pass_fds=(to_browser_r, from_browser_w), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.session = None
        try:
            self._open_page()
        except BaseException:
            self.close()  # a Chromium that does not answer is not left running
            raise

    def _open_page(self):
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1,
                  mobile=False)

    def send(self, method, timeout=60, **params):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def _read(self, deadline):
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("Chromium did not answer (is it installed? CHROMIUM=...)")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}...: {result['exceptionDetails'].get('text')}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression, what, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.evaluate(expression):
                    return
            except RuntimeError:  # the page is navigating: its context is gone for a moment
                pass
            time.sleep(0.25)
        raise RuntimeError(f"timed out waiting for {what}")

    def goto(self, url):
        self.send("Page.navigate", url=url)

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png",
                         clip={"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT, "scale": 1})["data"]
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 - it is going away anyway
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def _js(text):
    return json.dumps(text)


def click(selector, text=None):
    """JS that clicks the first element matching ``selector`` whose text (or, for an input, its
    label's) contains ``text``; true if one was found."""
    return (f"(() => {{ const text = {_js(text or '')};"
            f" const el = [...document.querySelectorAll({_js(selector)})].find(e => !text"
            " || (e.closest('label, .o-dropdown-item') || e).textContent.includes(text));"
            " if (el) { el.click(); return true; } return false; })()")


class Demo(Odoo):
    """What the screens show, found through Odoo's web client routes (ids change from one run to the next)."""

    def one(self, model, domain):
        ids = self(model, "search", domain, limit=1)
        if not ids:
            raise RuntimeError(f"no {model} matches {domain}: is this the demo database?")
        return ids[0]


def capture(url, db, out):
    demo = Demo(url, db)
    # OdooBot's welcome chat window would cover the screens.
    if "odoobot_state" in demo("res.users", "fields_get", ["odoobot_state"]):
        demo("res.users", "write", [demo.uid], {"odoobot_state": "disabled"})
    failed_order = demo.one("apicbase.order", [("state", "=", "failed")])
    sale = demo("apicbase.order", "read", [demo.one("apicbase.order", [("apicbase_id", "=", "po-2003")])],
                ["sale_order_id"])[0]["sale_order_id"][0]
    invoiced = demo("apicbase.order", "read", [demo.one("apicbase.order", [("apicbase_id", "=", "po-2001")])],
                    ["sale_order_id"])[0]["sale_order_id"][0]
    assortment = demo.one("apicbase.assortment", [("customer_number", "=", "CUST-1")])
    product = demo.one("product.template", [("default_code", "=", "TOM-6KG")])
    action = f"{url}/odoo/action-apicbase_connector."
    # (file, what it shows, URL, element that must be there, steps before the shot: ("click",
    # selector, text it contains) clicks once if found, ("wait", JS) waits until it is true)
    screens = [
        ("screenshot_overview.png", "the integration's health at a glance", f"{action}action_apicbase_overview",
         ".o_kanban_view .o_kanban_record", []),
        ("screenshot_inbox.png", "the inbox, every order", f"{action}action_apicbase_order",
         ".o_list_renderer .o_data_row",
         [("click", ".o_searchview_facet .o_facet_remove", None),  # the default "Needs Attention" filter
          ("wait", "document.querySelectorAll('.o_list_renderer .o_data_row').length >= 5")]),
        ("screenshot_order_attention.png", "an order that needs attention",
         f"{action}action_apicbase_order/{failed_order}", ".o_form_view .alert-danger", []),
        ("screenshot_sale_order.png", "a sale order from Apicbase",
         f"{url}/odoo/action-sale.action_quotations_with_onboarding/{sale}",
         ".o_form_view .o_field_one2many .o_data_row", []),
        ("screenshot_sale_order_invoices.png", "a sale order's Apicbase tab: both sides of its invoice",
         f"{url}/odoo/action-sale.action_orders/{invoiced}", ".o_form_view .o_notebook",
         [("click", ".o_notebook .nav-link", "Apicbase"),
          ("wait", "!!document.querySelector('.o_notebook .tab-pane.active [name=invoice_ids] .o_data_row')"),
          # Both sides in one screen: Apicbase's fields above, the invoices here below them.
          ("wait", "(() => { document.querySelector('.o_notebook .nav-tabs')"
                   ".scrollIntoView({block: 'start'}); return true; })()")]),
        ("screenshot_settings.png", "the Apicbase settings", f"{url}/odoo/settings",
         ".settings",
         [("click", ".settings_tab [data-key=sale_management]", None),
          # The block's title is the heading before its settings.
          ("wait", "(() => { const el = document.querySelector('#apicbase_webhook_setting');"
                   " if (!el || !el.offsetParent) return false;"
                   " const block = el.closest('.o_settings_container') || el;"
                   " (block.previousElementSibling || block).scrollIntoView({block: 'start'});"
                   " return true; })()")]),
        ("screenshot_assortment.png", "an assortment after publishing",
         f"{action}action_apicbase_assortment/{assortment}", ".o_form_view .o_statusbar_status", []),
        ("screenshot_sync_events.png", "Apicbase's sync events",
         f"{action}action_apicbase_sync_event", ".o_list_renderer .o_data_row", []),
        ("screenshot_product.png", "a product's Apicbase tab",
         f"{url}/odoo/action-sale.product_template_action/{product}", ".o_form_view .o_notebook",
         [("click", ".o_notebook .nav-link", "Apicbase"),
          ("wait", "!!document.querySelector('.o_notebook .tab-pane.active [name=apicbase_content]')")]),
    ]
    browser = DevTools()
    try:
        browser.goto(f"{url}/web/login?db={db}")
        browser.wait_for("!!document.querySelector('form.oe_login_form input[name=password]')", "the login page")
        browser.evaluate("document.querySelector('input[name=login]').value = 'admin';"
                         "document.querySelector('input[name=password]').value = 'admin';"
                         "document.querySelector('form.oe_login_form').submit(); true")
        browser.wait_for("location.pathname.startsWith('/odoo') && " + IDLE.replace(
            ".o_action_manager .o_view_controller", ".o_main_navbar"), "the web client after login", 120)
        for name, what, address, ready, steps in screens:
            browser.goto(address)
            browser.wait_for(f"{IDLE} && !!document.querySelector({_js(ready)})", what, 120)
            for kind, *step in steps:
                if kind == "click":
                    browser.evaluate(click(*step))
                    time.sleep(0.4)
                else:
                    browser.wait_for(step[0], f"{what} ({step[0][:60]}...)", 30)
            browser.wait_for(IDLE, what)
            time.sleep(1.5)  # fonts, transitions, the chatter filling in
            # Toasts are not the screen. (Each page load here is a fresh page whose bus worker
            # survives the previous one, which Odoo 18 reports as "The page is out of date".)
            browser.wait_for(CLOSE_TOASTS, f"{what} (closing notifications)", 10)
            dialog = browser.evaluate("(document.querySelector('.o_dialog .modal-content') || {}).innerText")
            if dialog:  # a screen that opens with a dialog is a problem to fix, not to photograph
                raise RuntimeError(f"{what}: a dialog covers the screen: {' '.join(dialog.split())}")
            time.sleep(0.5)
            path = os.path.join(out, name)
            browser.screenshot(path)
            print(f"{path}: {what}", flush=True)
    finally:
        browser.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                      "static", "description"))
    args = parser.parse_args(argv)
    capture(args.url.rstrip("/"), args.db, args.out)


if __name__ == "__main__":
    sys.exit(main())
