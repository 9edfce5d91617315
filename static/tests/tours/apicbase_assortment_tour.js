import { registry } from "@web/core/registry";
import { openApp } from "@apicbase_connector/../tests/tours/apicbase_steps";

/**
 * A sales manager publishes an assortment to Apicbase and reads the sync events Apicbase logged for
 * the file. tests/test_tours.py creates the assortment (tomatoes with a GTIN, cola without one)
 * and runs the simulator, which processes the file and logs its events.
 */
const ASSORTMENT = "Bistro Anna catalogue";

const currentState = (label) => ({
    content: `the assortment is "${label}"`,
    trigger: `.o_form_view .o_statusbar_status .o_arrow_button_current:contains('${label}')`,
});

registry.category("web_tour.tours").add("apicbase_assortment_tour", {
    url: "/odoo",
    steps: () => [
        ...openApp("sale.sale_menu_root", "open Sales"),
        {
            content: "open the Apicbase menu",
            trigger: ".o_main_navbar .o-dropdown[data-menu-xmlid='apicbase_connector.menu_apicbase_root']",
            run: "click",
        },
        {
            content: "open Assortments",
            trigger: ".o-dropdown-item[data-menu-xmlid='apicbase_connector.menu_apicbase_assortment']",
            run: "click",
        },
        {
            content: "the assortment was never published",
            trigger: `.o_list_view .o_data_row:contains('${ASSORTMENT}'):contains('Never published')`,
        },
        {
            content: `open ${ASSORTMENT}`,
            trigger: `.o_list_view .o_data_row:contains('${ASSORTMENT}') .o_data_cell[name='name']`,
            run: "click",
        },
        currentState("Never published"),
        {
            content: "it holds the two products",
            trigger: ".o_form_view .o_field_widget[name='product_ids'] .o_data_row:contains('Cola 24 x 33 cl')",
        },
        {
            content: "publish",
            trigger: ".o_form_view .o_form_statusbar button[name='action_publish']",
            run: "click",
        },
        {
            content: "published: Apicbase processes the file in the background",
            trigger: ".o_notification:has(.o_notification_bar.bg-success):contains('Published.'):contains('Apicbase processes the file in the background')",
        },
        currentState("Waiting for Apicbase"),
        {
            content: "two packages went out",
            trigger: ".o_form_view .o_field_widget[name='last_package_count']:contains('2')",
        },
        {
            content: "read the events",
            trigger: ".o_form_view .o_form_statusbar button[name='action_poll_events']",
            run: "click",
        },
        {
            content: "the events were read",
            trigger: ".o_notification:has(.o_notification_bar.bg-success):contains('Events read from Apicbase.')",
        },
        currentState("Warnings"),
        {
            content: "the assortment counts two events",
            trigger: ".o_form_view .o-form-buttonbox button[name='action_view_events'] .o_stat_value:contains('2')",
        },
        {
            content: "open its events",
            trigger: ".o_form_view .o-form-buttonbox button[name='action_view_events']",
            run: "click",
        },
        {
            content: "Apicbase processed the file",
            trigger: ".o_list_view .o_data_row:contains('Info'):contains('processed: 2 packages imported, 0 rejected')",
        },
        {
            content: "and warns that the cola has no GTIN",
            trigger: ".o_list_view .o_data_row.text-warning:contains('Warning'):contains('COLA-24'):contains(\"Package 'COLA-24' has no GTIN\")",
        },
        {
            content: "and nothing else",
            trigger: ".o_list_view .o_data_row",
            run() {
                const rows = document.querySelectorAll(".o_list_view .o_data_row");
                if (rows.length !== 2) {
                    throw new Error(`expected the 2 events of the file, the list shows ${rows.length}`);
                }
            },
        },
    ],
});
