{
    "name": "Apicbase Connector",
    "summary": "Publish your catalogue to Apicbase and receive its purchase orders as sale orders",
    # One codebase for 18.0 and 19.0: Odoo prefixes the version with the series it runs (18.0.1.3.1,
    # 19.0.1.3.1), and a version prefixed with one series does not install on the other.
    "version": "1.3.1",  # pylint: disable=manifest-version-format
    "category": "Sales/Sales",
    "author": "Apicbase connector team",
    "license": "LGPL-3",
    "depends": ["sale_management", "resource"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/apicbase_security.xml",
        "security/ir.model.access.csv",
        "views/apicbase_order_views.xml",
        "views/apicbase_assortment_views.xml",
        "views/apicbase_sync_event_views.xml",
        "views/apicbase_customer_views.xml",
        "views/apicbase_package_views.xml",
        "data/apicbase_order_data.xml",
        "data/apicbase_cron.xml",
        "views/sale_order_views.xml",
        "views/res_partner_views.xml",
        "views/product_views.xml",
        "views/res_config_settings_views.xml",
        "views/apicbase_overview_views.xml",
        "views/apicbase_api_error_views.xml",
        "data/apicbase_todo_data.xml",
        "views/apicbase_menus.xml",
    ],
    "demo": ["demo/apicbase_demo.xml"],
    "assets": {
        # Browser tours (tests/test_tours.py): loaded by the test bundle only, never for users.
        "web.assets_tests": [
            "apicbase_connector/static/tests/tours/*.js",
        ],
    },
    "pre_init_hook": "pre_init_hook",
    "application": True,
}
