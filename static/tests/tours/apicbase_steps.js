/**
 * Steps the tours share, written out here rather than taken from web_tour's step helpers: those
 * moved between Odoo 18.0 (@web_tour/tour_service/tour_utils) and 19.0 (@web_tour/tour_utils), and
 * these few steps read the same on both.
 */

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
