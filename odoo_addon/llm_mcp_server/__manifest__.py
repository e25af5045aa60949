{
    "name": "MCP Server",
    "summary": "Put this database in front of MCP clients (Claude, Cursor...) with per-user MCP keys and an audit log",
    "version": "18.0.1.1.0",
    "category": "Productivity/LLM",
    "license": "LGPL-3",
    "author": "llm_mcp_server contributors",
    "depends": ["llm_tool"],
    "data": [
        "security/ir.model.access.csv",
        "security/llm_mcp_server_security.xml",
        "data/llm_mcp_config_data.xml",
        "data/ir_cron_data.xml",
        "data/llm_mcp_prompt_data.xml",
        # Screens (views load after the settings record and the security they refer to).
        "views/llm_mcp_key_views.xml",
        "views/llm_mcp_call_views.xml",
        "views/llm_mcp_oauth_grant_views.xml",
        "views/llm_mcp_config_views.xml",
        "views/llm_mcp_confirmation_views.xml",
        "views/llm_mcp_prompt_views.xml",
        "wizards/llm_mcp_key_wizard_views.xml",
        "views/res_users_views.xml",
        "views/menus.xml",
        "views/oauth_templates.xml",
    ],
    "assets": {
        "web.assets_backend": ["llm_mcp_server/static/src/scss/*.scss"],
        "web.assets_tests": ["llm_mcp_server/static/tests/tours/*.js"],
    },
    # screenshots for the Apps screen, made by scripts/screenshots.sh
    "images": [
        "static/description/new-mcp-key-result.png",
        "static/description/mcp-server-settings.png",
    ],
    "installable": True,
}
