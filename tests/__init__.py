# Odoo's test loader imports only the modules listed here; tests/pure and
# tests/live are run by pytest (see tools/run-tests) and never by Odoo.
from . import test_api_budget
from . import test_catalogue
from . import test_constraints
from . import test_contradictions
from . import test_delivery_dates
from . import test_follow_up
from . import test_invoice_follow_up
from . import test_odoo_unchanged
from . import test_order_intake
from . import test_order_mapping
from . import test_order_pricing
from . import test_order_retries
from . import test_outbound
from . import test_overview
from . import test_publish_changes
from . import test_rights
from . import test_security
from . import test_tours
from . import test_views
from . import test_webhook
