from odoo import models
from odoo.addons.base.models.res_users import check_identity


class ResUsers(models.Model):
    """Entry points of Preferences → Account Security: New MCP Key, My MCP Keys, Connected apps."""

    _inherit = "res.users"

    @check_identity
    def action_new_mcp_key(self):
        """Open the New MCP Key wizard, after Odoo's identity check (password within the last 10 minutes)."""
        return self.env["llm.mcp.key.wizard"].action_open()

    def action_my_mcp_keys(self):
        return self.env["ir.actions.act_window"]._for_xml_id("llm_mcp_server.llm_mcp_key_action_mine")

    def action_my_connected_apps(self):
        """The person's OAuth grants (claude.ai, ChatGPT…), each revocable."""
        return self.env["ir.actions.act_window"]._for_xml_id("llm_mcp_server.llm_mcp_oauth_grant_action_mine")
