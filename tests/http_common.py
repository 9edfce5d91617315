"""Posting signed orders to the real webhook controller, as Apicbase does (as Odoo's
payment/tests/http_common.py does for payment providers): over url_open, or over a socket of the
test's own for what url_open cannot send (a chunked body, a body cut short)."""
import contextlib
import json
import select
import socket
from urllib.parse import urlsplit

from odoo.tests import HttpCase

from ..compat import requests_from_outside
from .common import ApicbaseCase, sign


class WebhookHttpCase(HttpCase, ApicbaseCase):
    """An HTTP test case whose company is configured for Apicbase (ApicbaseCase)."""

    def webhook_url(self, company=None):
        """The path Apicbase posts ``company``'s orders to (the test's company by default)."""
        return "/apicbase/webhook/" + (company or self.company).apicbase_webhook_token

    def post_webhook(self, raw, signature=None, url=None, headers=None):
        """POSTs the bytes ``raw``, signed with the webhook secret unless ``signature`` is given
        (False: no signature header at all)."""
        all_headers = {"Content-Type": "application/json"}
        if signature is not False:
            all_headers["X-APIC-WEBHOOK-SIGNATURE"] = signature or sign(raw)
        all_headers.update(headers or {})
        return self.url_open(url or self.webhook_url(), data=raw, headers=all_headers)

    @contextlib.contextmanager
    def open_socket(self):
        """(host, socket): a connection of its own to the test server, not url_open's, whose
        requests the server still takes for the test's (19.0 refuses others unless told)."""
        self.env.flush_all()  # what url_open does: the server's request sees the test's data
        address = urlsplit(self.base_url())
        with requests_from_outside(self), socket.create_connection(
                (address.hostname, address.port), timeout=30) as sock:
            yield address.netloc, sock

    @staticmethod
    def read_answer(sock):
        """(status, body) of the HTTP answer on ``sock``, read to the end of the connection."""
        sock.setblocking(True)
        answer = b""
        # A reset closes the connection on a body the server did not read: what came before is kept.
        with contextlib.suppress(ConnectionResetError):
            while data := sock.recv(65536):
                answer += data
        head, _separator, body = answer.partition(b"\r\n\r\n")
        return int(head.split()[1]), body

    def post_chunked(self, chunks, signature="0" * 64):
        """POSTs the byte strings ``chunks`` (an iterable) with Transfer-Encoding: chunked over a socket
        of its own, as fast as the server takes them, and stops sending as soon as the server answers.
        Returns (HTTP status, JSON answer, body bytes sent)."""
        with self.open_socket() as (host, sock):
            sock.sendall(f"POST {self.webhook_url()} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                         f"X-APIC-WEBHOOK-SIGNATURE: {signature}\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
            sock.setblocking(False)
            sent, chunks = 0, iter(chunks)
            chunk = frame = b""
            while True:
                readable, writable, _ = select.select([sock], [sock], [], 30)
                if readable or not writable:
                    break  # the server answered before the body ended (or never took more of it)
                if not frame:
                    sent += len(chunk)
                    chunk = next(chunks, None)
                    if chunk is None:
                        sock.setblocking(True)
                        sock.sendall(b"0\r\n\r\n")
                        break
                    frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
                try:
                    frame = frame[sock.send(frame):]
                except BlockingIOError:
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    break  # the server closed its side: its answer is in our socket
            status, body = self.read_answer(sock)
        return status, json.loads(body), sent
