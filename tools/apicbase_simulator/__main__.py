"""The command line: ``python3 tools/apicbase_simulator [options]`` (see ``--help``)."""
import argparse
import os
import sys
import threading

if __package__ in (None, ""):  # run as a directory: its parent (tools/) makes it importable
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from apicbase_simulator import Simulator  # noqa: E402


def _arguments(argv=None):
    parser = argparse.ArgumentParser(description="Serve a simulated Apicbase supplier API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090, help="0 = any free port")
    parser.add_argument("--client-id", default="sim-client")
    parser.add_argument("--client-secret", default="sim-secret")
    parser.add_argument("--token-ttl", type=float, default=604800)
    parser.add_argument("--next-style", choices=("url", "page"), default="page")
    parser.add_argument("--rate-limit", type=int, default=100, help="requests per minute, 0 = off")
    parser.add_argument("--processing-delay", type=float, default=0.05)
    parser.add_argument("--no-seed", action="store_true", help="start without the seed data")
    parser.add_argument("--webhook-url", help="where --send-orders posts the orders")
    parser.add_argument("--webhook-secret", help="signing key (default: the client secret)")
    parser.add_argument("--signature-style", choices=("raw", "python"), default="raw")
    parser.add_argument("--send-orders", action="store_true",
                        help="post every ORDERED order to --webhook-url at start-up")
    return parser.parse_args(argv)


def main(argv=None):
    args = _arguments(argv)
    if args.send_orders and not args.webhook_url:
        raise SystemExit("--send-orders needs --webhook-url")
    sim = Simulator(client_id=args.client_id, client_secret=args.client_secret,
                    token_ttl=args.token_ttl, next_style=args.next_style,
                    rate_limit=args.rate_limit or None, processing_delay=args.processing_delay,
                    seed=not args.no_seed, host=args.host, port=args.port)
    sim.start()
    print(f"Apicbase simulator at {sim.base_url}", flush=True)
    print(f"token URL:     {sim.token_url}")
    print(f"API URL:       {sim.api_url}")
    print(f"client id:     {sim.client_id}")
    print(f"client secret: {sim.client_secret}", flush=True)
    if args.send_orders:
        sim.send_ordered(args.webhook_url, args.webhook_secret, args.signature_style)
    print("Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
