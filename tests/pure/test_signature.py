import hashlib
import hmac
import json

from apicbase import signature

SECRET = "s3cr3t-client-secret"
BODY = {"id": "po-1", "order_number": "1001", "price": 1.5, "name": "Crème brûlée"}


def _sign(message, secret=SECRET):
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def test_compute_matches_hmac_sha256_hex():
    assert signature.compute(SECRET, b"abc") == _sign(b"abc")
    assert signature.compute(SECRET.encode(), b"abc") == _sign(b"abc")


def test_accepts_signature_over_raw_bytes():
    raw = json.dumps(BODY, separators=(",", ":"), ensure_ascii=False).encode()
    assert signature.verify(raw, _sign(raw), SECRET)


def test_accepts_signature_over_python_default_reserialisation():
    # Compact bytes on the wire, signed the way Apicbase's own example does it.
    raw = json.dumps(BODY, separators=(",", ":"), ensure_ascii=False).encode()
    signed_over = json.dumps(json.loads(raw)).encode()
    assert signed_over != raw
    assert signature.verify(raw, _sign(signed_over), SECRET)


def test_header_case_whitespace_and_prefix_are_tolerated():
    raw = b'{"a": 1}'
    digest = _sign(raw)
    assert signature.verify(raw, "  " + digest.upper() + "\n", SECRET)
    assert signature.verify(raw, "sha256=" + digest, SECRET)


def test_rejects_wrong_secret_tampered_body_and_empty_values():
    raw = b'{"a": 1}'
    digest = _sign(raw)
    assert not signature.verify(raw, _sign(raw, "other"), SECRET)
    assert not signature.verify(b'{"a": 2}', digest, SECRET)
    assert not signature.verify(raw, "", SECRET)
    assert not signature.verify(raw, None, SECRET)
    assert not signature.verify(raw, digest, "")
    assert not signature.verify(raw, digest, None)


def test_an_empty_key_never_verifies_even_a_digest_made_with_it():
    """HMAC accepts an empty key: a signature anyone can compute must not pass for a configured one."""
    raw = b'{"a": 1}'
    for empty in ("", b"", None):
        anyone_can_sign = hmac.new(b"", raw, hashlib.sha256).hexdigest()
        assert signature.compute(empty or "", raw) == anyone_can_sign
        assert not signature.verify(raw, anyone_can_sign, empty)


def test_rejects_garbage_header_and_non_json_body_without_raising():
    assert not signature.verify(b"\xff\xfe not json", "zz-not-hex-\u00e9", SECRET)
    raw = b"plain text body"
    assert signature.verify(raw, _sign(raw), SECRET)


def test_comparison_is_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signature.hmac, "compare_digest", spy)
    raw = json.dumps(BODY, separators=(",", ":")).encode()
    # Whether the first candidate matches or not, both candidates are compared.
    assert signature.verify(raw, _sign(raw), SECRET)
    assert len(calls) == 2
    calls.clear()
    assert not signature.verify(raw, "0" * 64, SECRET)
    assert len(calls) == 2


def test_a_deeply_nested_body_is_checked_on_its_bytes_without_crashing():
    raw = b"[" * 100_000 + b"]" * 100_000
    assert signature.reserialized(raw) is None
    assert signature.verify(raw, signature.compute(SECRET, raw), SECRET)
    assert not signature.verify(raw, "0" * 64, SECRET)


def test_a_body_that_is_not_json_is_checked_on_its_bytes_alone():
    """No second message is made up for it: the signature of an empty message does not pass."""
    assert not signature.verify(b"plain text body", _sign(b""), SECRET)
