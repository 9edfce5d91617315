"""Assortment files: ``POST files/`` (a multipart upload) and their asynchronous processing
into packages and sync events; a mixin of :class:`~apicbase_simulator.server.Simulator`."""
import email.parser
import email.policy
import json
import math
import threading

from .common import form_fields, isoformat, json_body, json_response, utcnow
from .queries import BadRequest
from .validation import (Errors, clean, rejection_message, stored_package, text_field,
                         validate_package)


def parse_multipart(content_type, body):
    """``(fields, files)`` of a multipart/form-data body.

    ``fields`` maps a name to text, ``files`` a name to ``(filename, bytes)``. The standard
    library's parser, kept rather than werkzeug's, which refuses a body without its closing
    boundary and ignores a base64 ``Content-Transfer-Encoding`` (Django decodes it).
    """
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    if not message.is_multipart():
        raise ValueError("Multipart form parse error - Invalid boundary in multipart: None")
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            fields[name] = data.decode("utf-8", "replace")
        else:
            files[name] = (filename, data)
    return fields, files


class AssortmentFiles:
    def _upload_file(self, request):
        fields, files = self._upload_parts(request)
        errors = Errors()
        content = self._read_assortment(files.get("file"), fields, errors)
        # No length is documented for the customer number.
        customer_number = text_field(fields, "customer_number", errors, math.inf, required=True)
        if errors:
            return json_response(400, dict(errors))
        record = self._store_file(customer_number, content)
        return json_response(201, {key: record[key]
                                   for key in ("id", "customer_number", "status", "created_at")})

    @staticmethod
    def _upload_parts(request):
        kind = request.mimetype
        if kind == "multipart/form-data":
            try:
                return parse_multipart(request.headers["content-type"], request.get_data())
            except ValueError as exc:
                raise BadRequest({"detail": str(exc)}) from None
        if kind == "application/x-www-form-urlencoded":
            return form_fields(request), {}
        if kind == "application/json":
            try:
                body = json_body(request)
            except ValueError as exc:
                raise BadRequest({"detail": str(exc)}) from None
            return (body if isinstance(body, dict) else {}), {}
        raise BadRequest({"detail": f'Unsupported media type "{kind}" in request.'})

    @staticmethod
    def _read_assortment(upload, fields, errors):
        """The parsed JSON array of an uploaded ``file`` part, or None with ``errors`` set."""
        if upload is None:
            errors.add("file", "The submitted data was not a file. Check the encoding type on "
                               "the form." if "file" in fields else "No file was submitted.")
            return None
        try:
            content = json.loads(upload[1].decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            errors.add("file", f"The file is not valid UTF-8 JSON: {exc}")
            return None
        if not isinstance(content, list):
            errors.add("file", "The file must contain a JSON array of packages.")
            return None
        return content

    def _store_file(self, customer_number, content):
        with self.lock:
            record = {"id": len(self.files) + 1, "customer_number": customer_number,
                      "status": "PENDING", "created_at": isoformat(utcnow()),
                      "package_count": len(content), "content": content}
            self.files.append(record)
            timer = threading.Timer(self.processing_delay, self._process_file, (record["id"],))
            timer.daemon = True
            self._timers.append(timer)
        timer.start()
        return record

    def _process_file(self, file_id):
        with self.lock:
            record = next((r for r in self.files if r["id"] == file_id), None)
            if record is None:
                return  # forgotten meanwhile (a test restored an earlier snapshot)
            customer_number, content = record["customer_number"], record["content"]
            accepted, rejected = self._import_packages(file_id, customer_number, content)
            if accepted or not content:
                self.packages[customer_number] = accepted
                record["status"] = "PROCESSED"
            else:
                record["status"] = "FAILED"
            self.add_event("INFO", f"Assortment file {file_id} processed: {len(accepted)} "
                                   f"packages imported, {rejected} rejected", customer_number,
                           extra_data={"file_id": file_id, "imported": len(accepted),
                                       "rejected": rejected})
            self._changed.notify_all()

    def _import_packages(self, file_id, customer_number, content):
        """Validates every object; returns ``(third_party_id -> stored package, rejected count)``
        and records the ERROR and WARNING events."""
        accepted, articles, rejected = {}, {}, 0
        for index, data in enumerate(content):
            errors, found = validate_package(data)
            third_party_id = clean(data.get("third_party_id")) if isinstance(data, dict) else None
            if not errors and third_party_id in accepted:
                errors.add("third_party_id", "Duplicate third_party_id in this file.")
            if errors:
                rejected += 1
                self.add_event("ERROR", rejection_message(third_party_id, index, errors),
                               customer_number, third_party_id,
                               {"file_id": file_id, "index": index, "errors": dict(errors)})
                continue
            shared_id = clean(data.get("shared_id"))
            package = stored_package(data, articles.get(shared_id))
            if shared_id:
                articles.setdefault(shared_id, package["article"])
            accepted[third_party_id] = package
            self._quality_warnings(file_id, customer_number, third_party_id, found)
        return accepted, rejected

    def _quality_warnings(self, file_id, customer_number, third_party_id, found):
        extra = {"file_id": file_id}
        if "piece" in found["units"]:
            self.add_event("WARNING", f"Package {third_party_id!r} uses the unit 'piece': prefer "
                                      "weight or volume units", customer_number, third_party_id,
                           extra)
        if not found["gtins"]:
            self.add_event("WARNING", f"Package {third_party_id!r} has no GTIN", customer_number,
                           third_party_id, extra)

    def wait_until_processed(self, timeout=5):
        """Blocks until no uploaded file is PENDING; TimeoutError after ``timeout`` seconds."""
        with self._changed:
            done = self._changed.wait_for(
                lambda: all(record["status"] != "PENDING" for record in self.files), timeout)
        if not done:
            raise TimeoutError(f"assortment files still pending after {timeout} s")

