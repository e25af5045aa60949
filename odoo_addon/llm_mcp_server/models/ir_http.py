import re

import werkzeug.exceptions

from odoo import models
from odoo.http import request

from ..contract import TOKEN_HEADER, WWW_AUTHENTICATE, ContractError, error_response

_BEARER = re.compile(r"^bearer\s+(\S+)\s*$", re.IGNORECASE)


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _auth_method_llm_mcp_key(cls):
        """Authenticate an MCP endpoint request by its ``Authorization: Bearer`` key (scope mcp or global).

        Sets the request's environment to the key's user (with their language and time zone) and
        ``request.llm_mcp_key`` to the McpKey. Refusals are contract-shaped JSON answers: 405 for a
        method other than POST (every authenticated route is POST-only), 401 for a missing or bad key.
        """
        httprequest = request.httprequest
        if httprequest.method != "POST":
            error = ContractError(405, "method_not_allowed", "Use POST.", {"Allow": "POST"})
            raise werkzeug.exceptions.MethodNotAllowed(valid_methods=["POST"], response=error_response(error))
        match = _BEARER.match(httprequest.headers.get("Authorization") or "")
        mcp_key = match and request.env["res.users.apikeys"]._llm_mcp_authenticate(
            match.group(1), httprequest.headers.get(TOKEN_HEADER), apart=True
        )
        if not mcp_key:
            error = ContractError(
                401,
                "unauthorized",
                "A valid Odoo API key is required (Authorization: Bearer <key>): an MCP key or a global key "
                "of an active user, not revoked or expired.",
                {"WWW-Authenticate": WWW_AUTHENTICATE},
            )
            raise werkzeug.exceptions.Unauthorized(response=error_response(error))
        request.update_env(user=mcp_key.user_id)
        request.update_context(**request.env["res.users"].context_get())
        request.llm_mcp_key = mcp_key
