from . import res_company
from . import res_config_settings
from . import res_partner
from . import product_template
from . import product_product
from . import apicbase_order
from . import sale_order
from . import sale_order_line
