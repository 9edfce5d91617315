import { registry } from "@web/core/registry";
import { openApp, openRecord, saveForm } from "@apicbase_connector/../tests/tours/apicbase_steps";

/**
 * A salesman opens an Apicbase order that needs attention, reads why (the customer number is
 * unknown), sets that number on the restaurant's contact, retries the order and lands on the sale
 * order it became. tests/test_tours.py posts the signed order first and checks the database after.
 */
const ORDER = "PO-2026-0099";
const NUMBER = "CUST-99";
const CUSTOMER = "Bistro Nova";

const openMenu = (menu, item) => [
    {
        content: `open the ${menu} menu`,
        trigger: `.o_main_navbar .o-dropdown[data-menu-xmlid='${menu}']`,
        run: "click",
    },
    {
        content: `open ${item}`,
        trigger: `.o-dropdown-item[data-menu-xmlid='${item}']`,
        run: "click",
    },
];

const openTheOrder = () => [
    ...openMenu("sale.sale_order_menu", "apicbase_connector.menu_apicbase_order"),
    {
        content: "the inbox lists the orders that need attention",
        trigger: ".o_searchview .o_facet_value:contains('Needs Attention')",
    },
    {
        content: `open ${ORDER}`,
        trigger: `.o_list_view .o_data_row:contains('${ORDER}') .o_data_cell[name='name']`,
        run: "click",
    },
    {
        content: "the order form is open",
        trigger: `.o_form_view .oe_title [name='name']:contains('${ORDER}')`,
    },
];

registry.category("web_tour.tours").add("apicbase_order_attention_tour", {
    url: "/odoo",
    steps: () => [
        ...openApp("sale.sale_menu_root", "open Sales"),
        ...openTheOrder(),
        {
            content: "it needs attention",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Needs Attention')",
        },
        {
            content: "the problem says why",
            trigger: `.o_form_view .alert-danger [name='error_message']:contains('Customer number ${NUMBER}: no contact has this Apicbase customer number.')`,
        },
        {
            content: "the order names the customer number",
            trigger: `.o_form_view .o_field_widget[name='customer_number']:contains('${NUMBER}')`,
        },
        // Link the customer: the number goes on the restaurant's contact.
        ...openMenu("sale.sale_order_menu", "sale.res_partner_menu"),
        {
            content: `look for ${CUSTOMER}`,
            trigger: ".o_searchview_input",
            run: `edit ${CUSTOMER}`,
        },
        {
            content: "search",
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            content: `the search is for ${CUSTOMER}`,
            trigger: `.o_searchview .o_facet_value:contains('${CUSTOMER}')`,
        },
        openRecord(CUSTOMER),
        {
            content: "open the Sales & Purchase tab",
            trigger: ".o_form_view .o_notebook .nav-link:contains('Sales & Purchase')",
            run: "click",
        },
        {
            content: "enter the Apicbase customer number",
            trigger: ".o_form_view .o_field_widget[name='apicbase_customer_number'] input",
            run: `edit ${NUMBER}`,
        },
        ...saveForm(),
        // Retry the order.
        ...openTheOrder(),
        {
            content: "retry",
            trigger: ".o_form_view .o_form_statusbar button[name='action_retry']",
            run: "click",
        },
        {
            content: "the retry made a sale order",
            trigger: ".o_notification:has(.o_notification_bar.bg-success):contains('1 of 1 order(s) now have a sale order.')",
        },
        {
            content: "the order is done",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Sale Order Created')",
        },
        {
            content: "no problem is shown any more",
            trigger: ".o_form_view:not(:has(.alert-danger))",
        },
        {
            content: "open the sale order",
            trigger: ".o_form_view .o-form-buttonbox button[name='action_open_sale_order']",
            run: "click",
        },
        {
            content: "the sale order is the restaurant's",
            trigger: `.o_form_view .o_field_widget[name='partner_id'] input:value(${CUSTOMER})`,
        },
        {
            content: "the restaurant's remarks are shown",
            trigger: ".o_form_view .alert-info:contains('Remarks from the restaurant'):contains('Deliver at the back door before 7am')",
        },
        {
            content: "with the ordered tomatoes",
            trigger: ".o_form_view .o_field_widget[name='order_line'] .o_data_row:contains('Tomatoes 1 kg')",
        },
        {
            content: "and the cola",
            trigger: ".o_form_view .o_field_widget[name='order_line'] .o_data_row:contains('Cola 24 x 33 cl')",
        },
        {
            content: "open the Apicbase tab",
            trigger: ".o_form_view .o_notebook .nav-link:contains('Apicbase')",
            run: "click",
        },
        {
            content: `it comes from ${ORDER}`,
            trigger: `.o_form_view .o_field_widget[name='apicbase_order_id']:contains('${ORDER}')`,
        },
        {
            content: "open the Other Info tab",
            trigger: ".o_form_view .o_notebook .nav-link:contains('Other Info')",
            run: "click",
        },
        {
            content: "the restaurant's order number is the customer reference",
            trigger: `.o_form_view .o_field_widget[name='client_order_ref'] input:value(${ORDER})`,
        },
    ],
});
