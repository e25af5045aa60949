import time

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.http import request

from odoo.addons.base.models.res_users import check_identity

from ..contract import MCP_KEY_SCOPE

# How recently the person must have confirmed their password in this session to mint a key (Odoo's own
# API-key wizard uses the same 10 minutes through @check_identity).
IDENTITY_CHECK_SECONDS = 10 * 60


class LlmMcpKey(models.Model):
    _name = "llm.mcp.key"
    _description = "MCP Key"
    _order = "create_date desc, id desc"

    name = fields.Char(required=True, readonly=True)
    user_id = fields.Many2one("res.users", required=True, readonly=True, index=True, ondelete="cascade")
    apikey_id = fields.Many2one(
        "res.users.apikeys", string="API Key", required=True, readonly=True, index=True, ondelete="cascade"
    )
    read_only = fields.Boolean(help="Only read-only tools are listed and runnable with this key.")
    tool_ids = fields.Many2many(
        "llm.tool", "llm_mcp_key_llm_tool_rel", "key_id", "tool_id", string="Allowed Tools",
        # restrict: deleting a key's last allowed tool must not turn the key into an unrestricted one
        ondelete="restrict",
        help="If set, only these tools are listed and runnable with this key. Archive a tool rather than "
             "deleting it while keys use it.",
    )
    calls_per_minute = fields.Integer(
        help="Most tool calls this key makes in any 60 seconds. 0: the MCP settings' limit per key. You may "
             "lower it, never raise it: for more, make a new key.")
    writes_per_minute = fields.Integer(
        help="Most calls of tools that change data this key makes in any 60 seconds. 0: the MCP settings' limit "
             "per key. You may lower it, never raise it.")
    effective_calls_per_minute = fields.Integer(compute="_compute_effective_limits",
                                                string="Calls per minute (in force)")
    effective_writes_per_minute = fields.Integer(compute="_compute_effective_limits",
                                                 string="Writes per minute (in force)")
    expiration_date = fields.Datetime(readonly=True)
    # set null, not cascade: a database-level cascade would delete restriction rows and leave their keys
    # unrestricted; a grant revokes its keys itself before it goes (llm.mcp.oauth.grant._revoke)
    oauth_grant_id = fields.Many2one("llm.mcp.oauth.grant", string="OAuth grant", readonly=True, index="btree_not_null",
                                     ondelete="set null", help="Set on the access tokens of a connected app.")
    oauth_client_id = fields.Many2one(related="oauth_grant_id.client_id", string="OAuth client")
    last_used = fields.Datetime(compute="_compute_last_used", help="Last request with this key (to the minute).")
    is_expired = fields.Boolean(compute="_compute_is_expired")

    _sql_constraints = [
        ("apikey_unique", "UNIQUE(apikey_id)", "An API key has at most one MCP key row."),
        ("rate_limits_not_negative", "CHECK(calls_per_minute >= 0 AND writes_per_minute >= 0)",
         "Rate limits are numbers of calls per minute."),
    ]

    def init(self):
        # res.users.apikeys is an _auto=False table, so the ORM adds no foreign key to it: add it here so a
        # key deleted anywhere (Preferences, its autovacuum, revocation) takes its restrictions row along.
        self.env.cr.execute("""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'llm_mcp_key_apikey_id_fkey') THEN
                    ALTER TABLE llm_mcp_key ADD CONSTRAINT llm_mcp_key_apikey_id_fkey
                        FOREIGN KEY (apikey_id) REFERENCES res_users_apikeys(id) ON DELETE CASCADE;
                END IF;
            END $$;
        """)

    def _compute_last_used(self):
        used = {}
        if self.ids:
            self.env.cr.execute("SELECT key_id, last_used FROM llm_mcp_key_usage WHERE key_id IN %s", [tuple(self.ids)])
            used = dict(self.env.cr.fetchall())
        for key in self:
            key.last_used = used.get(key.id, False)

    @api.depends("calls_per_minute", "writes_per_minute")
    def _compute_effective_limits(self):
        """The limits the key works under (0: none): its own, else the settings' (llm.mcp.rate.limit)."""
        defaults = self.env["llm.mcp.config"]._mcp_rate_limits()
        for key in self:
            key.effective_calls_per_minute = key.calls_per_minute or defaults["key_calls"]
            key.effective_writes_per_minute = key.writes_per_minute or defaults["key_writes"]

    @api.depends("expiration_date")
    def _compute_is_expired(self):
        now = fields.Datetime.now()
        for key in self:
            key.is_expired = bool(key.expiration_date and key.expiration_date < now)

    @api.model
    @api.private
    def create_mcp_key(self, name, expiration_date, read_only=False, tool_ids=None, calls_per_minute=0,
                       writes_per_minute=0):
        """Create an MCP-scoped API key for the current user and return its secret (shown once).

        Not callable over RPC; from a web request it needs a password confirmation of the last ten minutes
        (the New MCP Key wizard gets it through @check_identity), like Odoo's own API keys.
        """
        if request and request.session.get("identity-check-last", 0) < time.time() - IDENTITY_CHECK_SECONDS:
            raise AccessError(_("Confirm your password before creating an MCP key."))
        return self._make_mcp_key(name, expiration_date, read_only=read_only, tool_ids=tool_ids,
                                  calls_per_minute=calls_per_minute, writes_per_minute=writes_per_minute)

    @api.model
    def _make_mcp_key(self, name, expiration_date, read_only=False, tool_ids=None, oauth_grant=None,
                      calls_per_minute=0, writes_per_minute=0):
        """The key itself, for the current user: after the wizard's identity check, or as an OAuth access token
        (the consent page is the person's confirmation; ``oauth_grant`` links the key to it).

        ``calls_per_minute``/``writes_per_minute``: the key's own limits (0: the settings'); above the settings'
        only for LLM managers. OAuth access tokens get the settings' limits, counted per grant.
        """
        name = (name or "").strip()
        if not name:
            raise UserError(_("Give the key a name, e.g. the MCP client that will use it."))
        self._check_new_limits(calls_per_minute, writes_per_minute)
        Apikeys = self.env["res.users.apikeys"]
        secret = Apikeys._generate(MCP_KEY_SCOPE, name, expiration_date)
        self.sudo().create({
            "name": name,
            "user_id": self.env.uid,
            "apikey_id": Apikeys._llm_mcp_key_id_for(secret),
            "read_only": read_only,
            "tool_ids": [fields.Command.set(list(tool_ids or []))],
            "calls_per_minute": calls_per_minute or 0,
            "writes_per_minute": writes_per_minute or 0,
            "expiration_date": expiration_date,
            "oauth_grant_id": oauth_grant.id if oauth_grant else False,
        })
        return secret

    def write(self, vals):
        """Restrictions can be tightened, never loosened: a key must not lift its own limits (over MCP or RPC).

        Loosening means a new key, made through the identity-checked New MCP Key wizard.
        """
        if self.env.su:
            return super().write(vals)
        if {"user_id", "apikey_id", "expiration_date", "name", "oauth_grant_id"} & set(vals):
            raise AccessError(_("The key, its owner, name and dates cannot be changed; revoke it and make a new one."))
        before = {key.id: (key.read_only, set(key.tool_ids.ids), _limits(key)) for key in self}
        result = super().write(vals)
        for key in self:
            was_read_only, had_tools, had_limits = before[key.id]
            loosened = (was_read_only and not key.read_only) or (
                had_tools and (not key.tool_ids or not set(key.tool_ids.ids) <= had_tools)
            ) or any(_looser(now, was) for now, was in zip(_limits(key), had_limits))
            if loosened:
                raise AccessError(_(
                    "The restrictions of MCP key %(name)s can only be tightened (read-only on, fewer tools, lower "
                    "limits). For more, make a new key with New MCP Key and revoke this one.", name=key.name,
                ))
        return result

    @api.model
    def _check_new_limits(self, calls_per_minute, writes_per_minute):
        """A new key's own limits: whole numbers; above the settings' limits only for LLM managers."""
        for value in (calls_per_minute, writes_per_minute):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise UserError(_("A rate limit is a number of calls per minute (0: the server's default)."))
        if self.env.user.has_group("llm.group_llm_manager") or self.env.su:
            return
        defaults = self.env["llm.mcp.config"]._mcp_rate_limits()
        for value, default in ((calls_per_minute, defaults["key_calls"]), (writes_per_minute, defaults["key_writes"])):
            if value and default and value > default:
                raise AccessError(_(
                    "A key's rate limits can be at most the server's (%(calls)s calls and %(writes)s writes a "
                    "minute); ask an LLM manager for a key with more.",
                    calls=defaults["key_calls"], writes=defaults["key_writes"],
                ))

    def action_revoke(self):
        """Delete the underlying API keys (and so these rows): they stop working at once."""
        self.check_access("unlink")
        apikeys = self.sudo().apikey_id
        apikeys._remove()
        self.env.invalidate_all()
        return True

    def unlink(self):
        # Deleting the restrictions must not leave an unrestricted key behind: revoke the key itself.
        apikeys = self.sudo().apikey_id
        result = super().unlink()
        apikeys.exists()._remove()
        return result

    @api.model
    @check_identity
    def action_new_mcp_key(self):
        """The New MCP Key button of the MCP Keys lists: the wizard, after Odoo's identity check."""
        return self.env["llm.mcp.key.wizard"].action_open()


def _limits(key):
    """The (calls, writes) per minute a key works under; 0: none."""
    return key.effective_calls_per_minute, key.effective_writes_per_minute


def _looser(now, was):
    """Whether a limit of ``now`` lets more through than ``was`` (0: no limit)."""
    return bool(was) and (not now or now > was)
