{
    "name": "MCP Server",
    "summary": "Put this database in front of MCP clients (Claude, Cursor...) with per-user MCP keys and an audit log",
    "version": "18.0.1.0.0",
    "category": "Productivity/LLM",
    "license": "LGPL-3",
    "author": "llm_mcp_server contributors",
    "depends": ["llm_tool"],
    "data": [
        "security/ir.model.access.csv",
        "security/llm_mcp_server_security.xml",
        "data/llm_mcp_config_data.xml",
        "data/ir_cron_data.xml",
    ],
    "installable": True,
}
