import re

from odoo import _, fields, models
from odoo.exceptions import AccessError


class IrActionsServer(models.Model):
    _inherit = "ir.actions.server"

    llm_tool_ids = fields.One2many(
        "llm.tool", "server_action_id", string="LLM Tools", groups="llm.group_llm_manager",
        help="The LLM tools (MCP tools) that run this action.",
    )

    def action_llm_tool_create(self):
        """Make this server action an LLM tool and open it: an LLM manager then writes its description."""
        self.ensure_one()
        if not self.env.user.has_group("llm.group_llm_manager"):
            raise AccessError(_("Only LLM managers can make a server action a tool."))
        Tool = self.env["llm.tool"].with_context(active_test=False)
        base = re.sub(r"[^a-z0-9]+", "_", (self.name or "").lower()).strip("_")[:100] or "server_action"
        name = base if not Tool.search_count([("name", "=", base)]) else f"{base}_{self.id}"
        tool = Tool.create({
            "name": name,
            "title": self.name,
            "implementation": "server_action",
            "server_action_id": self.id,
            "destructive_hint": True,
            "open_world_hint": self.state == "webhook",
        })
        return {
            "type": "ir.actions.act_window",
            "res_model": "llm.tool",
            "res_id": tool.id,
            "view_mode": "form",
            "target": "current",
        }
