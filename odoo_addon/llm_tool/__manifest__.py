{
    "name": "LLM Tools",
    "summary": "Registry of tools an LLM can call (@llm_tool methods), with built-in Odoo data tools",
    "version": "18.0.1.0.0",
    "category": "Productivity/LLM",
    "license": "LGPL-3",
    "author": "llm_mcp_server contributors",
    "depends": ["llm", "mail"],
    "data": [
        "security/ir.model.access.csv",
        "views/llm_tool_views.xml",
        "views/ir_actions_server_views.xml",
    ],
    # screenshots for the Apps screen, made by scripts/screenshots.sh
    "images": [
        "static/description/tools.png",
    ],
    "installable": True,
}
