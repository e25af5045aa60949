from odoo import api, fields, models


class LlmMcpOauthCode(models.Model):
    """An authorization code: what the person consented to, until the client redeems it (once, within a minute).

    Only the SHA-256 of the code is stored.
    """

    _name = "llm.mcp.oauth.code"
    _description = "MCP OAuth Authorization Code"

    code_hash = fields.Char(required=True, readonly=True, index=True)
    user_id = fields.Many2one("res.users", required=True, readonly=True, ondelete="cascade")
    client_id = fields.Many2one("llm.mcp.oauth.client", required=True, readonly=True, ondelete="cascade")
    redirect_uri = fields.Char(required=True, readonly=True)
    code_challenge = fields.Char(required=True, readonly=True)
    resource = fields.Char(required=True, readonly=True)
    read_only = fields.Boolean(readonly=True)
    tool_ids = fields.Many2many("llm.tool", "llm_mcp_oauth_code_llm_tool_rel", "code_id", "tool_id", readonly=True)
    grant_days = fields.Integer(required=True, readonly=True)
    expires_at = fields.Datetime(required=True, readonly=True)
    used = fields.Boolean(readonly=True)
    grant_id = fields.Many2one("llm.mcp.oauth.grant", readonly=True, ondelete="cascade",
                               help="The grant this code was redeemed for (revoked if the code is presented again).")

    _sql_constraints = [("code_hash_unique", "UNIQUE(code_hash)", "Codes are unique.")]

    @api.autovacuum
    def _gc_old_codes(self):
        self.env.cr.execute(
            "DELETE FROM llm_mcp_oauth_code WHERE expires_at < (now() AT TIME ZONE 'utc') - INTERVAL '1 day'")
