from odoo import api, models


class LlmToolBuiltin(models.AbstractModel):
    _inherit = "llm.tool.builtin"

    @api.model
    def _tool_call_method_forbidden_models(self):
        # An MCP client must not mint or revoke keys, nor touch the audit trail, by calling methods.
        return super()._tool_call_method_forbidden_models() | {"llm.mcp.key", "llm.mcp.call", "llm.mcp.config"}
