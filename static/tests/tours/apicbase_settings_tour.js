import { registry } from "@web/core/registry";
import { clickAndReload } from "@apicbase_connector/../tests/tours/apicbase_steps";

/**
 * An administrator fills the Apicbase block of the settings, saves, and tests the connection.
 *
 * The simulator's URLs and credentials change with every run: tests/test_tours.py hands them over
 * in the `apicbase_tour` cookie (URI-encoded JSON), read when the tour starts and again after the
 * reload that saving the settings causes.
 */
function simulator() {
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("apicbase_tour="));
    if (!cookie) {
        throw new Error("apicbase_settings_tour needs the apicbase_tour cookie (see tests/test_tours.py)");
    }
    return JSON.parse(decodeURIComponent(cookie.slice("apicbase_tour=".length)));
}

const field = (name) => `.o_field_widget[name='${name}'] input`;

function fill(name, value) {
    return {
        content: `fill ${name}`,
        trigger: field(name),
        run: (helpers) => helpers.edit(value),
    };
}

function expectValue(name, value) {
    return {
        content: `${name} kept its value after saving`,
        trigger: field(name),
        run() {
            if (this.anchor.value !== value) {
                throw new Error(`${name} shows ${JSON.stringify(this.anchor.value)}, expected ${JSON.stringify(value)}`);
            }
        },
    };
}

registry.category("web_tour.tours").add("apicbase_settings_tour", {
    url: "/odoo/settings",
    steps: () => {
        const sim = simulator();
        // What the administrator types, then finds again after saving.
        const settings = [
            ["apicbase_client_id", sim.client_id],
            ["apicbase_client_secret", sim.client_secret],
            ["apicbase_api_url", sim.api_url],
            ["apicbase_token_url", sim.token_url],
            ["apicbase_webhook_secret", sim.webhook_secret],
        ];
        return [
            {
                content: "open the Sales settings",
                trigger: ".settings_tab .tab[data-key='sale_management']",
                run: "click",
            },
            {
                content: "the Apicbase block shows the webhook URL to give Apicbase",
                trigger: ".o_field_widget[name='apicbase_webhook_url']:contains('/apicbase/webhook/')",
            },
            ...settings.map(([name, value]) => fill(name, value)),
            {
                content: "the form knows it has unsaved changes",
                trigger: ".o_dirty_warning:contains('Unsaved changes')",
            },
            clickAndReload("save the settings (the page reloads)", ".o_form_button_save:enabled"),
            {
                content: "back on the Sales settings, nothing left unsaved",
                trigger: ".o-settings-form-view:not(:has(.o_dirty_warning)) .settings_tab .tab[data-key='sale_management']",
                run: "click",
            },
            ...settings.map(([name, value]) => expectValue(name, value)),
            {
                content: "test the connection",
                trigger: "button[name='action_apicbase_test_connection']",
                run: "click",
            },
            {
                content: "Apicbase answered: the success notification says how many customers it lists",
                trigger: ".o_notification:has(.o_notification_bar.bg-success):contains('Apicbase connection works'):contains('Apicbase lists 3 customer(s) for this supplier.')",
            },
        ];
    },
});
