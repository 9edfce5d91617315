"""One small local HTTP server for the tests that need answers the simulator never gives: a
scripted run of failures, crafted pages, a proxy, a webhook receiver."""
import collections.abc
import http.server
import json
import threading


class LocalServer:
    """Answers every request (GET, POST, PATCH) with ``answer(request)``, ``request`` being the
    handler with its ``body`` read: (status, JSON content or None for no body[, headers]), or None
    to close the connection unanswered. Content may also be an iterator of bytes, written as it
    comes (with a Content-Length only when the headers give one) until the client goes away. It
    listens at ``url`` until ``close()``."""

    def __init__(self, answer):
        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_request(self):
                self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                reply = answer(self)
                if reply is None:
                    return
                status, content, headers = (*reply, {})[:3]
                if isinstance(content, collections.abc.Iterator):
                    return self.stream(status, content, headers)
                data = b"" if content is None else json.dumps(content).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def stream(self, status, chunks, headers):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    for chunk in chunks:
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: what the tests expect of it
                self.close_connection = True

            do_GET = do_POST = do_PATCH = handle_request

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
