{
    "name": "LLM",
    "summary": "Root menu and access groups shared by the LLM modules",
    "version": "18.0.1.0.0",
    "category": "Productivity/LLM",
    "license": "LGPL-3",
    "author": "llm_mcp_server contributors",
    "depends": ["base", "web"],
    "data": [
        "security/llm_security.xml",
        "views/llm_menus.xml",
    ],
    "installable": True,
    "application": True,
}
