from odoo import api, models
from odoo.addons.base.models.res_users import check_identity


class LlmMcpKey(models.Model):
    """The New MCP Key button of the MCP Keys lists."""

    _inherit = "llm.mcp.key"

    @api.model
    @check_identity
    def action_new_mcp_key(self):
        return self.env["llm.mcp.key.wizard"].action_open()
