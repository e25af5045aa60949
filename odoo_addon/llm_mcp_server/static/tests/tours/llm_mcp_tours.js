/** @odoo-module **/
// Tours driven by tests/test_ui.py: they use the screens as a person would.

import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

/** The text of the one element matching `selector`, or an error naming the selector. */
function textOf(selector) {
    const element = document.querySelector(selector);
    if (!element) {
        throw new Error(`Nothing matches ${selector}`);
    }
    return element.textContent.trim();
}

/** Hand values back to the Python test (it patches ir.logging.llm_mcp_tour_report). */
function report(...values) {
    return rpc("/web/dataset/call_kw", {
        model: "ir.logging",
        method: "llm_mcp_tour_report",
        args: values,
        kwargs: {},
    });
}

const openAccountSecurity = () => [
    {
        content: "Open the user menu",
        trigger: ".o_user_menu .dropdown-toggle",
        run: "click",
    },
    {
        content: "Open Preferences",
        trigger: "[data-menu=settings]",
        run: "click",
    },
    {
        content: "Go to Account Security",
        trigger: ".modal a[role=tab]:contains(Account Security)",
        run: "click",
    },
];

// From the home screen to the open LLM → Configuration menu.
const openLlmConfiguration = () => [
    {
        content: "Open the app menu",
        trigger: ".o_navbar_apps_menu button",
        run: "click",
    },
    {
        content: "Open LLM",
        trigger: ".o_app[data-menu-xmlid='llm.menu_llm_root']",
        run: "click",
    },
    {
        // The navbar re-renders once the app's first action is loaded: a dropdown opened before closes.
        content: "Wait for the LLM app to load",
        trigger: ".o_menu_brand:contains(LLM)",
    },
    {
        content: "Wait for the app's first view",
        trigger: ".o_action_manager .o_view_controller",
    },
    {
        content: "Open Configuration",
        trigger: ".o_menu_sections button:contains(Configuration)",
        run: "click",
    },
];

// An internal user creates a read-only MCP key from Preferences and copies the Claude Desktop config.
tours.add("llm_mcp_key_wizard_tour", {
    url: "/odoo",
    steps: () => [
        ...openAccountSecurity(),
        {
            content: "New MCP Key sits next to Odoo's New API Key button",
            trigger: ".modal .o_inner_group:has(button[name=api_key_wizard]) button[name=action_new_mcp_key]",
            run: "click",
        },
        {
            content: "Odoo asks for the password first",
            trigger: ".modal [name=password] input",
            run: "edit mcp_user_pw",
        },
        {
            content: "Confirm the password",
            trigger: ".modal button:contains(Confirm Password)",
            run: "click",
        },
        {
            content: "Name the key",
            trigger: ".modal .o_form_view [name=name] input",
            run: "edit Claude Desktop tour",
        },
        {
            content: "Make it read-only",
            trigger: ".modal .o_form_view [name=read_only] input[type=checkbox]",
            run: "click",
        },
        {
            content: "Create the key",
            trigger: ".modal button[name=action_create_key]",
            run: "click",
        },
        {
            content: "The key is shown once, with the warning",
            trigger: ".modal .o_llm_mcp_key_show .alert-warning:contains(shown only once)",
        },
        {
            content: "The Claude Desktop config embeds the key and the URL",
            trigger: ".modal .o_llm_mcp_key_show .o_field_widget[name=key]",
            run() {
                const key = textOf(".modal .o_llm_mcp_key_show .o_field_widget[name=key]");
                const config = textOf(".modal .o_llm_mcp_key_show .o_llm_mcp_config[name=config_claude_desktop]");
                if (!/^[0-9a-f]{40}$/.test(key)) {
                    throw new Error(`The key does not look like an Odoo API key: "${key}"`);
                }
                if (!config.includes(`Bearer ${key}`) || !config.includes("mcp-remote")) {
                    throw new Error(`The Claude Desktop config does not carry the key: ${config}`);
                }
                // Headless Chrome has no clipboard permission: record what the copy button writes.
                window.__llmMcpCopied = [];
                navigator.clipboard.writeText = async (text) => {
                    window.__llmMcpCopied.push(text);
                };
            },
        },
        {
            content: "Copy the Claude Desktop config",
            trigger: ".modal .o_llm_mcp_key_show .o_field_widget[name=config_claude_desktop] button.o_clipboard_button",
            run: "click",
        },
        {
            content: "The copy button confirms",
            trigger: ".o_popover:contains(Copied)",
            async run() {
                const key = textOf(".modal .o_llm_mcp_key_show .o_field_widget[name=key]");
                if (window.__llmMcpCopied.length !== 1) {
                    throw new Error("The copy button did not write to the clipboard");
                }
                await report(key, window.__llmMcpCopied[0]);
            },
        },
        {
            content: "Close the dialog",
            trigger: ".modal button:contains(I copied my key)",
            run: "click",
        },
        {
            content: "The dialog is gone",
            trigger: "body:not(:has(.modal .o_llm_mcp_key_show))",
        },
    ],
});

// An LLM manager opens LLM → Configuration → MCP Server, tests the connection, changes settings and saves.
tours.add("llm_mcp_settings_tour", {
    url: "/odoo",
    steps: () => [
        ...openLlmConfiguration(),
        {
            content: "Open MCP Server",
            trigger: ".dropdown-item:contains(MCP Server)",
            run: "click",
        },
        {
            content: "Point the sidecar URL where nothing listens",
            trigger: ".o_form_view [name=sidecar_url] input",
            run: "edit http://127.0.0.1:9",
        },
        {
            content: "Test the connection",
            trigger: ".o_form_view button[name=action_test_connection]",
            run: "click",
        },
        {
            content: "The failure says plainly what is wrong",
            trigger: ".o_notification:contains(Nothing answers at http://127.0.0.1:9/readyz)",
        },
        {
            content: "Rename the server",
            trigger: ".o_form_view [name=server_name] input",
            run: "edit Acme Odoo MCP",
        },
        {
            content: "Switch write tools off",
            trigger: ".o_form_view [name=allow_write_tools] input[type=checkbox]:checked",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save:enabled",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_saved",
        },
        {
            content: "Open the audit log from the settings",
            trigger: ".o_form_view .oe_stat_button:contains(Audit Log)",
            run: "click",
        },
        {
            content: "The audit log is shown",
            trigger: ".o_breadcrumb:contains(MCP Audit Log)",
        },
    ],
});

// A user opens their MCP keys from Preferences and revokes one.
tours.add("llm_mcp_key_revoke_tour", {
    url: "/odoo",
    steps: () => [
        ...openAccountSecurity(),
        {
            content: "Open My MCP Keys",
            trigger: ".modal button[name=action_my_mcp_keys]",
            run: "click",
        },
        {
            content: "The key is listed",
            trigger: ".o_list_view .o_data_row:contains(Key to revoke)",
        },
        {
            content: "Only the user's own key is listed",
            trigger: ".o_list_view .o_data_row",
            run() {
                if (textOf(".o_list_view").includes("Someone else's key")) {
                    throw new Error("Another user's key is listed");
                }
            },
        },
        {
            content: "Revoke it",
            trigger: ".o_data_row:contains(Key to revoke) button[name=action_revoke]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal .modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "The key is gone from the list",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Key to revoke)))",
        },
        {
            content: "A new key can be made from the list too",
            trigger: ".o_control_panel button[name=action_new_mcp_key], .o_list_view button[name=action_new_mcp_key]",
            run: "click",
        },
        {
            content: "It starts with the password check",
            trigger: ".modal [name=password] input",
        },
    ],
});

// An LLM manager reads the audit log: filter on an outcome, then group by outcome.
tours.add("llm_mcp_audit_log_tour", {
    url: "/odoo",
    steps: () => [
        ...openLlmConfiguration(),
        {
            content: "Open MCP Audit Log",
            trigger: ".dropdown-item:contains(MCP Audit Log)",
            run: "click",
        },
        {
            content: "Both users' calls are listed",
            trigger: ".o_list_view .o_data_row:contains(tour_denied_tool)",
            run() {
                if (!textOf(".o_list_view").includes("tour_ok_tool")) {
                    throw new Error("The manager should see every user's calls");
                }
            },
        },
        {
            content: "Open the search options",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Filter on denied calls",
            trigger: ".o_filter_menu .o_menu_item:contains(Denied)",
            run: "click",
        },
        {
            content: "Only the denied call is left",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(tour_ok_tool))) .o_data_row:contains(tour_denied_tool)",
        },
        {
            content: "Group by outcome",
            trigger: ".o_group_by_menu .o_menu_item:contains(Outcome)",
            run: "click",
        },
        {
            content: "Grouped by outcome",
            trigger: ".o_list_view .o_group_header:contains(Denied)",
        },
    ],
});

// The OAuth consent page (test_ui.py opens it with a registered client): read-only, then Allow. The client's
// redirect URI is this Odoo's /odoo, so the tour ends in the web client with the code in the URL.
tours.add("llm_mcp_oauth_consent_tour", {
    steps: () => [
        {
            content: "The page names the application and where it returns",
            trigger: ".o_llm_mcp_oauth_consent .o_llm_mcp_oauth_client_name:contains(Tour Client)",
        },
        {
            content: "The redirect host is shown",
            trigger: ".o_llm_mcp_oauth_redirect_host:contains(127.0.0.1)",
        },
        {
            content: "Read-only",
            trigger: ".o_llm_mcp_oauth_consent #read_only",
            run: "click",
        },
        {
            content: "Connected for one week",
            trigger: ".o_llm_mcp_oauth_consent select[name=duration]",
            run: "select 7",
        },
        {
            content: "Allow",
            trigger: ".o_llm_mcp_oauth_consent button.o_llm_mcp_oauth_allow",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back at the application (here: the web client)",
            trigger: ".o_web_client",
        },
    ],
});

// Preferences → Account Security → Connected apps, then Revoke one.
tours.add("llm_mcp_connected_apps_tour", {
    url: "/odoo",
    steps: () => [
        ...openAccountSecurity(),
        {
            content: "Open Connected apps",
            trigger: ".modal button[name=action_my_connected_apps]",
            run: "click",
        },
        {
            content: "The app is listed, active",
            trigger: ".o_list_view .o_data_row:contains(Tour Connected App):contains(Active)",
        },
        {
            content: "Revoke it",
            trigger: ".o_list_view .o_data_row:contains(Tour Connected App) button[name=action_revoke]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal button.btn-primary:contains(Ok)",
            run: "click",
        },
        {
            content: "It is revoked (the default filter shows active apps only)",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Tour Connected App)))",
        },
    ],
});

// An LLM manager opens LLM → Configuration → Prompts, reads a built-in prompt's messages and retitles it.
tours.add("llm_mcp_prompts_tour", {
    url: "/odoo",
    steps: () => [
        ...openLlmConfiguration(),
        {
            content: "Open Prompts",
            trigger: ".dropdown-item:contains(Prompts)",
            run: "click",
        },
        {
            content: "The built-in prompts are listed with the models they read",
            trigger: ".o_list_view .o_data_row:contains(sales_customer_situation):contains(sale.order)",
        },
        {
            content: "Open Explain a record",
            trigger: ".o_list_view .o_data_row td:contains(explain_record)",
            run: "click",
        },
        {
            content: "Retitle it",
            trigger: ".o_form_view [name=title] input",
            run: "edit Explain any record",
        },
        {
            content: "Show its messages",
            trigger: ".o_form_view .o_notebook .nav-link:contains(Messages)",
            run: "click",
        },
        {
            content: "Its template is there, placeholders included",
            trigger: ".o_form_view .o_field_one2many[name=message_ids] .o_data_row:contains($record)",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save:enabled",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_saved",
        },
    ],
});
