"""A local HTTP server that plays Apicbase's Generic Suppliers API.

Run it (``python3 tools/apicbase_simulator --port 8090``, or ``python3 -m apicbase_simulator``
with ``tools/`` on ``PYTHONPATH``) or use it from tests, with ``tools/`` on ``sys.path``::

    with Simulator(rate_limit=None) as sim:
        requests.post(sim.token_url, data={...})

Standard library and werkzeug (an Odoo dependency); :func:`send_order_webhook` also uses
``requests``. It never imports Odoo. Each module's docstring says its one concern.

Faithful to what we know of Apicbase (``shared/apicbase-api.md``)
------------------------------------------------------------------
* OAuth2 client credentials at ``/oauth/token/`` (``grant_type=client_credentials``,
  ``client_id``, ``client_secret``, ``scope=supplier``); the answer
  ``{"access_token", "expires_in", "token_type": "Bearer", "scope": "supplier"}``; no refresh
  token; tokens live ``token_ttl`` seconds (one week by default).
* Every endpoint under ``/api/v2/integrations/suppliers/`` needs ``Authorization: Bearer``.
* Paths exactly as documented, anything else 404: ``/oauth/token/``, ``files/``, ``events/``,
  ``customers/``, ``customers/{customer_number}/packages`` (no trailing slash),
  ``customers/{customer_number}/packages/{third_party_id}/``, ``purchase_orders/``.
* Rate limit: ``rate_limit`` requests (100 by default, ``--rate-limit``) per rolling minute per
  client over all API endpoints, whatever connection or process they come from, then 429 with
  ``Retry-After`` (Django REST Framework's throttle message and header). The request log says
  which client sent each request and when; :meth:`Simulator.busiest_window` counts a client's
  busiest minute.
* Pagination ``{"count", "next", "previous", "results"}``, ``page``, ``page_size`` (10 by default,
  200 at most), ``ordering``; ``next``/``previous`` are page numbers (integer|null) as documented,
  absolute URLs with ``next_style="url"``.
* Packages as in the documented examples: ``price`` a JSON number, ``supplier_outlet_id`` an
  integer or null (customers too).
* Purchase-order date filters (``ordered_on``, ``expected_delivery_date``, the fetched/viewed
  dates, with ``__gt``/``__lt``, and plain: the same UTC day, a guess kept in ``queries._same_day``)
  are typed ``date``: ``YYYY-MM-DD`` only, anything else is a 400
  ``{"<filter>": ["Enter a valid date."]}``.
* ``PATCH purchase_orders/`` takes the documented ``fetched_by_supplier`` / ``viewed_by_supplier``
  (true); the stamps ``*_by_supplier_at`` never change once set.
* The assortment file: a JSON array of packages with the documented fields, lengths, decimal
  places, ``price_type_code``/``price_unit``, the nested ``package_description`` (outer levels:
  decimal quantity with up to 6 decimals; innermost level: integer quantity and a ``unit_name``
  from the captured list, which has no ``ml``/``cl``/``dl``), GTIN-8/12/13/14 with check digits.
  It is processed asynchronously; outcomes are reported as events.
* Events, customers, packages and purchase orders with the documented fields and filters; of the
  purchase-order filters whose names the docs reconstruct, supplier, outlet, owner and discount
  are not applied (like any unknown parameter, they are ignored: the lists come unfiltered).
* The order webhook: ``X-APIC-WEBHOOK-SIGNATURE`` = hex HMAC-SHA256 keyed with the client secret.
* Seed data uses ``cl`` in a package description, as Apicbase's own examples do (the simulator
  stores seed packages as given; only uploaded files are validated).

Assumptions (the doc marks these **unknown**; each is one choice among several)
--------------------------------------------------------------------------------
* Token request: form-encoded and JSON bodies are both accepted, and so is HTTP Basic client
  authentication; ``scope=supplier`` is required, as the docs send it. Errors follow oauthlib
  (``unsupported_grant_type`` / ``invalid_client`` (401) / ``invalid_scope``).
* Error bodies follow DRF: ``{"detail": ...}`` or ``{field: [messages]}``. Missing or unknown
  token: "Authentication credentials were not provided."; expired token: "Token is expired".
* Rate-limit headers other than ``Retry-After``: none are sent (their names are unknown).
  Requests refused with 429 do not count in the window (as in DRF). A client is its client id
  (all its tokens count together); the token endpoint is not limited.
* ``next``/``previous`` with ``next_style="url"``: absolute URLs built like DRF (sorted query,
  ``page`` removed for page 1).
  ``page=last`` is accepted (DRF); a ``page_size`` that is not a positive integer means 10.
* ``POST files/``: a multipart upload whose ``file`` part carries a filename (as Django needs
  for a file field); answer 201 ``{"id" (integer), "customer_number", "status": "PENDING",
  "created_at"}``. ``GET files/`` lists ``{"id", "customer_number", "status", "created_at",
  "package_count"}`` (``package_count`` = objects in the file).
* A processed file replaces the whole assortment of its customer number (packages missing from
  it disappear). A file whose every package is rejected is ``FAILED`` and leaves the previous
  assortment in place. A repeated ``third_party_id`` in one file is rejected. ``price`` is
  optional and must not be negative; unknown fields are ignored; ``package_description_str``
  is not supported. A package's ``gtin`` is the top-level ``gtin`` or else the outermost level's.
* Without ``shared_id`` a package is its own article (``article.shared_id`` null); packages
  sharing a ``shared_id`` take the name and brand of the first one in the file.
* Uploads for a customer number that no customer uses are accepted; its packages are readable
  once the file is processed.
* Purchase orders carry the webhook payload plus ``delivery_closed``, ``invoice_status``,
  ``viewed_by_supplier_at``, ``fetched_by_supplier_at``, ``discount``, ``invoice_number``;
  an ``IN_PROGRESS`` order has ``ordered_on`` null. The PATCH names its orders in ``ids``
  (PATCH_IDS_FIELD: how the real body names them is not documented), refuses any other field
  and a flag that is not ``true``, and answers ``{"updated": n}`` where n is the number of known
  orders named (already stamped ones included).
* A date filter compares with midnight UTC of that date (Django's reading of a date against a
  date-time column with ``TIME_ZONE = "UTC"``); the names of the fetched/viewed date filters
  (``fetched_by_supplier_at__gt`` ...) are reconstructed. Event filters (``created_at__gte``/
  ``__lte``) are not typed in the docs: dates and date-times are both accepted there.
* Filters: empty values are ignored; an invalid date, boolean, integer or choice is a 400
  (django-filter's strict form); unknown query parameters are ignored. Datetimes without a
  timezone are UTC; they are read with Django's own pattern (``Z`` included), on any Python.
  Ordering follows PostgreSQL: nulls last ascending, first descending.
* Datetimes are written like DRF: ISO 8601, UTC, ``Z``.

Test hooks: faults (``fail_next``, ``rate_limit_next``, ``slow_next``, ``malformed_next``,
``drop_next``) form one queue; each API request consumes one request's worth of the fault at the
head of the queue (``fail_next(2); slow_next()`` = two failures, then one slow answer). The
token endpoint only consumes faults queued with ``scope="all"``.
"""
from .common import (API_PREFIX, MAX_BODY_BYTES, TOKEN_PATH, isoformat, parse_date,
                     parse_datetime, utcnow)
from .endpoints import PATCH_FLAGS, PATCH_IDS_FIELD
from .queries import (DEFAULT_PAGE_SIZE, EVENT_ORDERING, EVENT_TYPES, MAX_PAGE_SIZE,
                      ORDER_FILTERS, ORDER_STATUSES, PACKAGE_FILTERS)  # the dicts: patch in place
from .seed import ORDER_EXTRA_DEFAULTS, seed_orders, seed_packages
from .server import SimRequest, Simulator
from .validation import UNITS, gtin_is_valid, stored_package, validate_package
from .webhook import SIGNATURE_HEADER, WEBHOOK_FIELDS, send_order_webhook, sign, webhook_payload
