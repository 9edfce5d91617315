"""One small local HTTP server for the tests that need answers the simulator never gives: a
scripted run of failures, crafted pages, a proxy, a webhook receiver."""
import http.server
import json
import threading


class LocalServer:
    """Answers every request (GET, POST, PATCH) with ``answer(request)``, ``request`` being the
    handler with its ``body`` read: (status, JSON content or None for no body[, headers]), or None
    to close the connection unanswered. It listens at ``url`` until ``close()``."""

    def __init__(self, answer):
        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_request(self):
                self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                reply = answer(self)
                if reply is None:
                    return
                status, content, headers = (*reply, {})[:3]
                data = b"" if content is None else json.dumps(content).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = handle_request

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
