{
    "name": "LLM Tools: compatibility tests",
    "summary": "TEST ONLY: tool modules written the ways apexive's llm_tool modules are, "
               "to test llm_tool and the MCP server",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "license": "LGPL-3",
    "author": "llm_mcp_server contributors",
    "depends": ["llm_mcp_server"],
    "data": [
        "security/ir.model.access.csv",
        "data/llm_tool_data.xml",
        "data/llm_mcp_prompt_data.xml",
    ],
    "installable": True,
    "auto_install": False,
}
