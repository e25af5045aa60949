from odoo import api, models

# The MCP server's own security models: its keys and their restrictions, the audit log, its settings and
# the key wizards. No generic tool touches them, whoever the user is (docs/security.md).
MCP_HIDDEN_MODELS = frozenset({"llm.mcp.key", "llm.mcp.call", "llm.mcp.config", "llm.mcp.key.wizard", "llm.mcp.key.show"})


class LlmToolBuiltin(models.AbstractModel):
    _inherit = "llm.tool.builtin"

    @api.model
    def _tool_hidden_models(self):
        return super()._tool_hidden_models() | MCP_HIDDEN_MODELS
