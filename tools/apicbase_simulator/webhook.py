"""The order webhook: Apicbase's signed POST of one purchase order to the supplier."""
import copy
import hashlib
import hmac

from .common import to_json_bytes

SIGNATURE_HEADER = "X-APIC-WEBHOOK-SIGNATURE"
WEBHOOK_FIELDS = ("id", "order_number", "status", "ordered_on", "owned_by", "order_remarks",
                  "packages", "expected_delivery_date", "theoretical_price",
                  "supplier_customer_number")


def webhook_payload(order):
    """The webhook body for an order: only the documented webhook fields."""
    return {key: copy.deepcopy(order.get(key)) for key in WEBHOOK_FIELDS}


def sign(secret, message):
    """Hex HMAC-SHA256 of ``message`` (bytes) keyed with ``secret``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def send_order_webhook(url, order, secret, signature_style="raw", timeout=10):
    """POSTs ``order`` as compact JSON with ``X-APIC-WEBHOOK-SIGNATURE``.

    ``raw`` signs the bytes sent; ``python`` signs ``json.dumps(order)`` with Python's default
    separators (Apicbase's own example), which differ from the compact bytes on the wire.
    """
    import requests  # needed here alone: the simulator serves with werkzeug

    body = to_json_bytes(order, compact=True)
    if signature_style == "raw":
        signed = body
    elif signature_style == "python":
        signed = to_json_bytes(order)
    else:
        raise ValueError("signature_style is 'raw' or 'python'")
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, signed)}
    return requests.post(url, data=body, headers=headers, timeout=timeout)
