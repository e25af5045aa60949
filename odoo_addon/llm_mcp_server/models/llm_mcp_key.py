import time

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.http import request

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
    expiration_date = fields.Datetime(readonly=True)
    # set null, not cascade: a database-level cascade would delete restriction rows and leave their keys
    # unrestricted; a grant revokes its keys itself before it goes (llm.mcp.oauth.grant._revoke)
    oauth_grant_id = fields.Many2one("llm.mcp.oauth.grant", string="OAuth grant", readonly=True, index="btree_not_null",
                                     ondelete="set null", help="Set on the access tokens of a connected app.")
    oauth_client_id = fields.Many2one(related="oauth_grant_id.client_id", string="OAuth client")
    last_used = fields.Datetime(compute="_compute_last_used", help="Last request with this key (to the minute).")
    is_expired = fields.Boolean(compute="_compute_is_expired")

    _sql_constraints = [("apikey_unique", "UNIQUE(apikey_id)", "An API key has at most one MCP key row.")]

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
        # Kept apart from llm_mcp_key on purpose: see res.users.apikeys._llm_mcp_touch.
        self.env.cr.execute("""
            CREATE TABLE IF NOT EXISTS llm_mcp_key_usage (
                key_id integer PRIMARY KEY REFERENCES llm_mcp_key(id) ON DELETE CASCADE,
                last_used timestamp without time zone NOT NULL
            )
        """)

    def _compute_last_used(self):
        used = {}
        if self.ids:
            self.env.cr.execute("SELECT key_id, last_used FROM llm_mcp_key_usage WHERE key_id IN %s", [tuple(self.ids)])
            used = dict(self.env.cr.fetchall())
        for key in self:
            key.last_used = used.get(key.id, False)

    @api.depends("expiration_date")
    def _compute_is_expired(self):
        now = fields.Datetime.now()
        for key in self:
            key.is_expired = bool(key.expiration_date and key.expiration_date < now)

    @api.model
    @api.private
    def create_mcp_key(self, name, expiration_date, read_only=False, tool_ids=None):
        """Create an MCP-scoped API key for the current user and return its secret (shown once).

        Not callable over RPC; from a web request it needs a password confirmation of the last ten minutes
        (the New MCP Key wizard gets it through @check_identity), like Odoo's own API keys.
        """
        if request and request.session.get("identity-check-last", 0) < time.time() - IDENTITY_CHECK_SECONDS:
            raise AccessError(_("Confirm your password before creating an MCP key."))
        return self._make_mcp_key(name, expiration_date, read_only=read_only, tool_ids=tool_ids)

    @api.model
    def _make_mcp_key(self, name, expiration_date, read_only=False, tool_ids=None, oauth_grant=None):
        """The key itself, for the current user: after the wizard's identity check, or as an OAuth access token
        (the consent page is the person's confirmation; ``oauth_grant`` links the key to it)."""
        name = (name or "").strip()
        if not name:
            raise UserError(_("Give the key a name, e.g. the MCP client that will use it."))
        Apikeys = self.env["res.users.apikeys"]
        secret = Apikeys._generate(MCP_KEY_SCOPE, name, expiration_date)
        self.sudo().create({
            "name": name,
            "user_id": self.env.uid,
            "apikey_id": Apikeys._llm_mcp_key_id_for(secret),
            "read_only": read_only,
            "tool_ids": [fields.Command.set(list(tool_ids or []))],
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
        before = {key.id: (key.read_only, set(key.tool_ids.ids)) for key in self}
        result = super().write(vals)
        for key in self:
            was_read_only, had_tools = before[key.id]
            loosened = (was_read_only and not key.read_only) or (
                had_tools and (not key.tool_ids or not set(key.tool_ids.ids) <= had_tools)
            )
            if loosened:
                raise AccessError(_(
                    "The restrictions of MCP key %(name)s can only be tightened (read-only on, fewer tools). For "
                    "more, make a new key with New MCP Key and revoke this one.", name=key.name,
                ))
        return result

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
