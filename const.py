"""The connector's constants in one place: URLs, limits, delays and the state vocabularies that
models, views and the controller share. No Odoo import, as in Odoo's payment providers."""
import datetime as dt
import re

# -- Apicbase -----------------------------------------------------------------------------------
DEFAULT_API_URL = "https://api.apicbase.com/api/v2/integrations/suppliers/"
DEFAULT_TOKEN_URL = "https://api.apicbase.com/oauth/token/"
# Apicbase sends prices with up to three decimals (0.125 a piece); the install raises Odoo's
# "Product Price" precision to this (see post_init_hook).
PRICE_DIGITS = 3
# Requests a minute per API account, over every worker and server of the database (Apicbase allows
# 100): a system parameter of this name changes it.
REQUESTS_PER_MINUTE = 90
REQUESTS_PER_MINUTE_PARAM = "apicbase_connector.requests_per_minute"

# -- the webhook --------------------------------------------------------------------------------
WEBHOOK_ROUTE = "/apicbase/webhook/"
# What a company's URL token looks like (secrets.token_urlsafe); anything else is not looked up.
WEBHOOK_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")
MAX_BODY_BYTES = 1024 * 1024  # an order of a few hundred lines is a few tens of KiB
# Odoo replays a request that conflicts with another transaction; from this try on, the stored
# order is processed by the scheduled action instead, so Apicbase never waits long.
DEFER_FROM_TRY = 3
STATUS_BY_OUTCOME = {"accepted": 200, "duplicate": 200, "refused": 422}

# -- processing and follow-up -------------------------------------------------------------------
# Processing that fails for a reason that is not the order's (a bug, a conflict that outlasted
# Odoo's replays, a service down) is tried again by the scheduled action after these delays, one
# per failed attempt; after the last, a person decides.
RETRY_DELAYS = tuple(dt.timedelta(minutes=minutes) for minutes in (0, 1, 5, 15, 60))
FOLLOW_UP_MAX_DAYS = 180  # how far back an order still open here is followed at most
RECOVERY_GRACE = dt.timedelta(minutes=15)  # an order younger than this may still come by webhook
# Events older than the publish time minus this belong to an earlier file (clocks differ a little).
EVENT_CLOCK_SKEW = dt.timedelta(minutes=10)

# -- scheduled actions ---------------------------------------------------------------------------
# One call of a scheduled action is one batch: Odoo's scheduler commits it and calls again while
# work remains (ir.cron's progress reporting), so a killed worker loses at most one batch.
PROCESS_BATCH = 50  # stored orders turned into sale orders
PULL_BATCH = 20  # customers whose packages are read
PUBLISH_BATCH = 5  # assortments built and uploaded

# -- what a publish changes ----------------------------------------------------------------------
# A price rise above this percentage is not published by the hourly republish on its own (the
# company's setting; 0 turns the check off).
PRICE_RISE_THRESHOLD = 10.0
# An article a restaurant ordered within these days is not removed from its file unseen.
RECENT_ORDER_DAYS = 90
# Rows of each kind of change a preview or a chatter note lists; the counts say the rest.
CHANGES_SHOWN = 50
FOLLOW_UP_BATCH = 5  # pages of purchase orders (of 200) followed up

# -- vocabularies (selection values) ------------------------------------------------------------
ORDER_STATES = [("received", "Received"), ("done", "Sale Order Created"),
                ("failed", "Needs Attention"), ("refused", "Refused")]
APICBASE_STATUSES = [("IN_PROGRESS", "In progress"), ("ORDERED", "Ordered"), ("DELIVERED", "Delivered")]
INVOICE_STATUSES = [("0", "Not received"), ("1", "Received"), ("2", "Payable"), ("3", "Paid")]
EVENT_TYPES = [("CRITICAL", "Critical"), ("ERROR", "Error"), ("WARNING", "Warning"), ("INFO", "Info")]
SYNC_STATES = [("none", "Not synced"), ("ok", "OK"), ("warning", "Warnings"), ("error", "Errors")]
PRICE_UNITS = [("kg", "kg"), ("g", "g"), ("l", "l"), ("piece", "piece")]
# The unit of measure a product made from a package gets, by the unit its price is per.
UOM_BY_UNIT = {"kg": "uom.product_uom_kgm", "g": "uom.product_uom_gram", "l": "uom.product_uom_litre"}
