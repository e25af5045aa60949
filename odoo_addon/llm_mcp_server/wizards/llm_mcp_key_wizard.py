import datetime
from types import SimpleNamespace

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.addons.base.models.res_users import check_identity

from .client_configs import build_client_configs, is_cleartext_remote


class LlmMcpKeyWizard(models.TransientModel):
    """New MCP Key: name, duration, restrictions; creates the key and hands over to the one-time result."""

    _name = "llm.mcp.key.wizard"
    _description = "New MCP Key"

    def _durations(self):
        """(days, label) choices; "0" (no expiry) is for system administrators only, as in Odoo's wizard."""
        return [
            ("1", _("1 Day")),
            ("7", _("1 Week")),
            ("30", _("1 Month")),
            ("90", _("3 Months")),
            ("180", _("6 Months")),
            ("365", _("1 Year")),
            ("0", _("No expiry")),
        ]

    def _selection_duration(self):
        if self.env.is_system():
            return self._durations()
        # Same ceiling as res.users.apikeys._check_expiration_date, so no offered choice can be refused.
        max_days = max(self.env.user.groups_id.mapped("api_key_duration") or [0.0]) or 1.0
        return [(days, label) for days, label in self._durations() if 0 < int(days) <= max_days]

    def _default_duration(self):
        choices = [days for days, _label in self._selection_duration()]
        return "30" if "30" in choices else choices[-1]

    name = fields.Char(
        "Key name", required=True,
        help="Say where the key is used (\"Claude Desktop on my laptop\"): it is the only way to recognise it later.")
    duration = fields.Selection(
        selection="_selection_duration", string="Valid for", required=True, default=_default_duration)
    expiration_date = fields.Datetime(compute="_compute_expiration_date")
    read_only = fields.Boolean(
        "Read-only", help="Only tools that do not change data are listed and can be run with this key.")
    offered_tool_ids = fields.Many2many("llm.tool", compute="_compute_offered_tool_ids")
    tool_ids = fields.Many2many(
        "llm.tool", string="Only these tools", domain="[('id', 'in', offered_tool_ids)]",
        help="Leave empty to allow every tool the MCP server exposes to you.")

    calls_per_minute = fields.Integer(
        "Calls per minute",
        help="Most tool calls this key makes in any 60 seconds. 0: the server's limit. It can be lowered later "
             "on the key, never raised.")
    writes_per_minute = fields.Integer(
        "Writes per minute", help="Most calls of tools that change data in any 60 seconds. 0: the server's limit.")
    server_limits = fields.Char(compute="_compute_server_limits", string="Server limits")

    def _compute_server_limits(self):
        text = self.env["llm.mcp.rate.limit"]._describe_limits()
        for wizard in self:
            wizard.server_limits = text

    @api.depends("read_only")
    def _compute_offered_tool_ids(self):
        """The tools this key could run: the user's own, after the settings and the read-only choice.

        Asks the same rules the MCP endpoints apply (llm.mcp.config._mcp_allows), so the choice offered here
        is exactly what the key will be able to list.
        """
        config = self.env["llm.mcp.config"].get_config()
        settings = config._mcp_settings()
        entries = self.env["llm.tool"]._available_tool_entries().values()
        for wizard in self:
            key = SimpleNamespace(read_only=wizard.read_only, allowed_tools=None)
            wizard.offered_tool_ids = [entry.id for entry in entries if config._mcp_allows(settings, key, entry)]

    @api.onchange("read_only")
    def _onchange_read_only(self):
        self.tool_ids &= self.offered_tool_ids

    @api.depends("duration")
    def _compute_expiration_date(self):
        for wizard in self:
            days = int(wizard.duration or 0)
            # From midnight today, like Odoo's API key wizard: never beyond the groups' maximum duration.
            wizard.expiration_date = (
                datetime.datetime.combine(fields.Date.today(), datetime.time.min) + datetime.timedelta(days=days)
                if days else False)

    @api.model
    def action_open(self):
        """The window action of an empty wizard (callers check the identity first)."""
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "name": _("New MCP Key"),
            "views": [(False, "form")],
            "target": "new",
        }

    @check_identity
    def action_create_key(self):
        """Create the MCP-scoped key for the current user and open the one-time result dialog."""
        self.ensure_one()
        if not self.env.user._is_internal():
            raise AccessError(_("Only internal users can create MCP keys."))
        if self.duration not in dict(self._selection_duration()):
            raise UserError(_("This duration is longer than your access groups allow for API keys."))
        key = self.env["llm.mcp.key"].create_mcp_key(
            self.name, self.expiration_date or None, read_only=self.read_only, tool_ids=self.tool_ids.ids,
            calls_per_minute=self.calls_per_minute, writes_per_minute=self.writes_per_minute)
        config = self.env["llm.mcp.config"].get_config()
        url = config.get_public_url()
        context = {"default_key": key, "default_public_url": url, "default_key_name": self.name,
                   "default_cleartext_url": is_cleartext_remote(url)}
        context.update(("default_" + name, text)
                       for name, text in build_client_configs(config.server_name, url, key).items())
        self.sudo().unlink()
        return {
            "type": "ir.actions.act_window",
            "res_model": "llm.mcp.key.show",
            "name": _("MCP Key Ready"),
            "views": [(self.env.ref("llm_mcp_server.llm_mcp_key_show_view_form").id, "form")],
            "target": "new",
            "context": context,
        }
