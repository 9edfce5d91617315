"""Checks the ``X-APIC-WEBHOOK-SIGNATURE`` header of Apicbase's order webhook.

Apicbase signs with HMAC-SHA256 (hex digest) keyed with the client secret. Its
own Python example recomputes the digest over ``json.dumps(json.loads(body))``
with Python's default separators instead of over the bytes on the wire, so a
receiver accepts either message. Every comparison is constant-time.
"""
import hashlib
import hmac
import json

HEADER = "X-APIC-WEBHOOK-SIGNATURE"


def compute(secret, message):
    """Hex HMAC-SHA256 of ``message`` (bytes) keyed with ``secret`` (str or bytes)."""
    if isinstance(secret, str):
        secret = secret.encode()  # UTF-8
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def reserialized(raw):
    """The bytes Apicbase's reference code signs: ``json.dumps`` of the parsed body.

    Returns None when the body is not JSON (then only the raw bytes can match).
    """
    try:
        text = json.dumps(json.loads(raw))
        return text.encode()  # UTF-8 (json.dumps escapes all but ASCII anyway)
    except (ValueError, UnicodeDecodeError, RecursionError):  # not JSON, or absurdly nested
        return None


def _normalise_header(header):
    value = header.strip().lower()  # verify() returns early on an empty header
    if value.startswith("sha256="):
        value = value[len("sha256="):]
    return value


def verify(raw, header, secret):
    """True when ``header`` is a valid signature of ``raw`` under ``secret``.

    An empty secret or header never verifies. Both candidate messages are always
    computed and compared, so the time taken does not tell which one matched.
    """
    if not secret or not header:
        return False
    given = _normalise_header(header)
    given = given.encode("ascii", "replace")  # pragma: no mutate
    candidates = [raw]
    alternative = reserialized(raw)
    if alternative is not None and alternative != raw:
        candidates.append(alternative)
    matched = False
    for message in candidates:
        digest = compute(secret, message)
        expected = digest.encode()  # hex digits
        matched |= hmac.compare_digest(expected, given)
    return matched
