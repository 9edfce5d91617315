/**
 * Steps the tours share, written out here rather than taken from web_tour's step helpers: those
 * moved between Odoo 18.0 (@web_tour/tour_service/tour_utils) and 19.0 (@web_tour/tour_utils), and
 * these few steps read the same on both. What the two versions' tour runners want differently is
 * decided here and nowhere else.
 */
import { session } from "@web/session";

const ODOO_MAJOR = session.server_version_info[0];

/** Opens an app from the home menu, as a user does. */
export function openApp(menuXmlid, content) {
    return [
        {
            content: "open the apps menu",
            trigger: ".o_navbar_apps_menu button:enabled",
            run: "click",
        },
        {
            content,
            trigger: `.o_app[data-menu-xmlid="${menuXmlid}"]`,
            run: "click",
        },
    ];
}

/** Saves the form and waits until it is saved. */
export function saveForm() {
    return [
        {
            content: "save the form",
            trigger: ".o_form_button_save:enabled",
            run: "click",
        },
        {
            content: "wait until it is saved",
            trigger: ".o_form_readonly, .o_form_saved",
        },
    ];
}

/**
 * Clicks something that reloads the whole page. 19.0's tour runner wants to be told
 * (`expectUnloadPage`) and then resumes on the reloaded page itself; 18.0's step schema refuses that
 * key, so there the step waits for the unload, lest the next step run on the page about to go.
 */
export function clickAndReload(content, trigger) {
    if (ODOO_MAJOR >= 19) {
        return { content, trigger, run: "click", expectUnloadPage: true };
    }
    return {
        content,
        trigger,
        async run(helpers) {
            const unloading = new Promise((resolve) =>
                window.addEventListener("beforeunload", resolve, { once: true })
            );
            await helpers.click();
            await unloading;
        },
    };
}

/** Opens a record of a list or a kanban view: 18.0 and 19.0 open some views (contacts) as the other. */
export function openRecord(name) {
    return {
        content: `open ${name}`,
        trigger: `.o_kanban_record:contains('${name}'), .o_data_row .o_data_cell:contains('${name}')`,
        run: "click",
    };
}
