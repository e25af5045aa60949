import datetime

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from .. import oauth
from ..oauth import OAuthError


class LlmMcpOauthGrant(models.Model):
    """What a person allowed an OAuth client: this user, this resource, these restrictions, until a date.

    Its access tokens are MCP keys (``llm.mcp.key`` rows with ``oauth_grant_id``) that live at most an hour, so
    the auth method, restrictions, audit and revocation of MCP keys apply unchanged; its refresh tokens rotate.
    Restrictions are fixed at consent: nobody changes a grant, it is revoked and a new one consented to.
    """

    _name = "llm.mcp.oauth.grant"
    _description = "MCP OAuth Grant (Connected App)"
    _order = "id desc"

    user_id = fields.Many2one("res.users", required=True, readonly=True, index=True, ondelete="cascade")
    client_id = fields.Many2one("llm.mcp.oauth.client", string="Application", required=True, readonly=True,
                                index=True, ondelete="cascade")
    resource = fields.Char(required=True, readonly=True)
    read_only = fields.Boolean(readonly=True)
    tool_ids = fields.Many2many("llm.tool", "llm_mcp_oauth_grant_llm_tool_rel", "grant_id", "tool_id",
                                string="Allowed Tools", readonly=True)
    expires_at = fields.Datetime(string="Valid until", required=True, readonly=True)
    revoked_at = fields.Datetime(readonly=True)
    revoked_reason = fields.Char(readonly=True)
    last_token_at = fields.Datetime(readonly=True, help="When the client last got an access token.")
    key_ids = fields.One2many("llm.mcp.key", "oauth_grant_id", string="Access tokens", readonly=True)
    last_used = fields.Datetime(compute="_compute_last_used")
    state = fields.Selection([("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")],
                             compute="_compute_state", search="_search_state")

    def _compute_last_used(self):
        for grant in self:
            used = [t for t in [*grant.sudo().key_ids.mapped("last_used"), grant.last_token_at] if t]
            grant.last_used = max(used) if used else False

    @api.depends("revoked_at", "expires_at")
    def _compute_state(self):
        now = fields.Datetime.now()
        for grant in self:
            grant.state = "revoked" if grant.revoked_at else ("expired" if grant.expires_at < now else "active")

    def _search_state(self, operator, value):
        if operator not in ("=", "!=") or value not in ("active", "expired", "revoked"):
            raise NotImplementedError(_("Unsupported search on state."))
        now = fields.Datetime.now()
        domain = {
            "active": [("revoked_at", "=", False), ("expires_at", ">=", now)],
            "expired": [("revoked_at", "=", False), ("expires_at", "<", now)],
            "revoked": [("revoked_at", "!=", False)],
        }[value]
        return domain if operator == "=" else ["!", *domain] if len(domain) == 1 else ["!", "&", *domain]

    # -- tokens ----------------------------------------------------------------------------------------------

    def _issue_tokens(self):
        """A new access token (an MCP key of at most an hour) and a new refresh token: the token response."""
        self.ensure_one()
        grant = self.sudo()
        config = self.env["llm.mcp.config"].get_config()
        minutes = max(1, min(config.oauth_access_token_minutes or oauth.ACCESS_TOKEN_MAX_MINUTES,
                             oauth.ACCESS_TOKEN_MAX_MINUTES))
        now = fields.Datetime.now()
        expiry = min(now + datetime.timedelta(minutes=minutes), grant.expires_at)
        # the previous access tokens of this grant end here: the client holds the new one
        grant.key_ids.action_revoke()
        secret = self.env["llm.mcp.key"].with_user(grant.user_id)._make_mcp_key(
            _("%(client)s (OAuth)", client=grant.client_id.display_name)[:120], expiry,
            read_only=grant.read_only, tool_ids=grant.tool_ids.ids, oauth_grant=grant)
        refresh = oauth.new_secret()
        self.env["llm.mcp.oauth.refresh.token"].sudo().create({
            "grant_id": grant.id, "token_hash": oauth.secret_hash(refresh)})
        grant.last_token_at = now
        return {
            "access_token": secret,
            "token_type": "Bearer",
            "expires_in": max(1, int((expiry - now).total_seconds())),
            "refresh_token": refresh,
            "scope": oauth.SCOPE,
        }

    @api.model
    def _refresh(self, refresh_token, client):
        """Rotate ``refresh_token`` of ``client``: new tokens; a token already used revokes its grant."""
        row = self.env["llm.mcp.oauth.refresh.token"].sudo().search(
            [("token_hash", "=", oauth.secret_hash(refresh_token or ""))], limit=1)
        if not row or row.grant_id.client_id != client:
            raise OAuthError("invalid_grant", "The refresh token is not valid.")
        grant = row.grant_id
        if row.used_at:
            # RFC 9700 §4.14.2: a rotated-out refresh token presented again means it leaked; end the grant
            # (the token endpoint answers this error as a response, so the revocation is committed)
            grant._revoke("refresh token reused")
            raise OAuthError("invalid_grant", "The refresh token was already used; the grant is revoked.")
        if grant.state != "active":
            raise OAuthError("invalid_grant", "The grant was revoked or has expired.")
        row.used_at = fields.Datetime.now()
        return grant

    # -- revocation ------------------------------------------------------------------------------------------

    def _revoke(self, reason="revoked"):
        """End these grants: their access tokens are deleted (refused at once) and refresh tokens dropped."""
        grants = self.sudo().filtered(lambda g: not g.revoked_at)
        grants.key_ids.action_revoke()
        self.env["llm.mcp.oauth.refresh.token"].sudo().search([("grant_id", "in", grants.ids)]).unlink()
        grants.write({"revoked_at": fields.Datetime.now(), "revoked_reason": reason})
        return True

    def action_revoke(self):
        """Revoke (Connected apps, the managers' list): own grants, or any for LLM managers (record rules)."""
        self.check_access("read")
        if (not self.env.su and any(g.user_id != self.env.user for g in self)
                and not self.env.user.has_group("llm.group_llm_manager")):
            raise AccessError(_("You can only revoke your own connected apps."))
        return self._revoke(_("revoked by %(user)s", user=self.env.user.name))

    def write(self, vals):
        if not self.env.su:
            raise AccessError(_("A connected app cannot be changed; revoke it and connect it again."))
        return super().write(vals)

    def unlink(self):
        self._revoke()
        return super().unlink()
