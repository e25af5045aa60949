from odoo import fields, models


class LlmMcpOauthRefreshToken(models.Model):
    """A refresh token of a grant. Rotated on every use; presenting a used one revokes the whole grant.

    Only the SHA-256 of the token is stored.
    """

    _name = "llm.mcp.oauth.refresh.token"
    _description = "MCP OAuth Refresh Token"

    token_hash = fields.Char(required=True, readonly=True, index=True)
    grant_id = fields.Many2one("llm.mcp.oauth.grant", required=True, readonly=True, index=True, ondelete="cascade")
    used_at = fields.Datetime(readonly=True)

    _sql_constraints = [("token_hash_unique", "UNIQUE(token_hash)", "Refresh tokens are unique.")]
