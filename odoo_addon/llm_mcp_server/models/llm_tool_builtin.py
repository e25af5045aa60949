from odoo import api, models

# The MCP server's own security models: its keys and their restrictions, the audit log, its settings and
# the key wizards, the OAuth authorization server's clients, grants, codes and refresh tokens, and the
# prompts (their own endpoints serve them, filtered per user). No generic
# tool touches them, whoever the user is (docs/security.md).
MCP_HIDDEN_MODELS = frozenset({
    "llm.mcp.key", "llm.mcp.call", "llm.mcp.config", "llm.mcp.key.wizard", "llm.mcp.key.show",
    "llm.mcp.oauth.client", "llm.mcp.oauth.grant", "llm.mcp.oauth.code", "llm.mcp.oauth.refresh.token",
    "llm.mcp.prompt", "llm.mcp.prompt.argument", "llm.mcp.prompt.message",
})


class LlmToolBuiltin(models.AbstractModel):
    _inherit = "llm.tool.builtin"

    @api.model
    def _tool_hidden_models(self):
        return super()._tool_hidden_models() | MCP_HIDDEN_MODELS
