"""The endpoints the sidecar calls (docs/contract.md, version 1).

Every authenticated route is ``type='http'`` (``type='json'`` would answer a refused key with HTTP 200),
``csrf=False`` and ``save_session=False``: the only credential is the Authorization header, no cookie is
read or set. Authentication is ``auth='llm_mcp_key'`` (models/ir_http.py).

A route parses the request, hands it to the models (policy, execution and audit live there) and answers:
errors become contract answers in contract.py (``answers_errors``, ``refusal``), nowhere else.
"""

import datetime
import json

from odoo import http, release
from odoo.http import request
from odoo.modules.module import get_manifest

from .. import json_input, oauth
from ..contract import ContractError, answers_errors, error_response, json_response, respond
from ..models.llm_mcp_running_call import REQUEST_ID_MAX_CHARS, SCOPE_MAX_CHARS

_ROUTE = {"type": "http", "csrf": False, "save_session": False}


def json_body():
    """The request's body, a JSON object, or a 400 ``bad_request`` saying what is wrong with it."""
    try:
        body = json.loads(request.httprequest.get_data() or b"")
    except RecursionError:
        raise ContractError(400, "bad_request", "The body is nested too deep.") from None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        message = "The body must be a JSON object."
        if request.httprequest.mimetype != "application/json":
            message += " Send it with Content-Type: application/json."
        raise ContractError(400, "bad_request", message)
    return body


def enabled_body():
    """The body of a request the settings serve: ``json_body()``, then 403 ``mcp_disabled`` if MCP is off."""
    body = json_body()
    request.env["llm.mcp.config"]._mcp_enabled_settings()
    return body


class McpEndpoints(http.Controller):
    @http.route("/llm_mcp/v1/health", auth="none", **_ROUTE)
    def health(self):
        if request.httprequest.method not in ("GET", "HEAD"):
            return error_response(ContractError(405, "method_not_allowed", "Use GET.", {"Allow": "GET, HEAD"}))
        return json_response({
            "status": "ok",
            "odoo_version": release.serie,
            "addon_version": get_manifest("llm_mcp_server").get("version"),
            "database": request.db,
            "oauth": self._oauth_challenge(),
        })

    def _oauth_challenge(self):
        """What the sidecar puts in its 401 challenge, or None when OAuth is off (docs/contract.md, OAuth)."""
        config = request.env(su=True)["llm.mcp.config"].get_config()
        if not config.oauth_enabled:
            return None
        return {"resource_metadata": config._oauth_urls()["resource_metadata"], "scope": oauth.SCOPE}

    @http.route("/llm_mcp/v1/identity", auth="llm_mcp_key", **_ROUTE)
    @answers_errors
    def identity(self):
        Config = request.env["llm.mcp.config"]
        settings = Config._mcp_enabled_settings()
        mcp_key = request.llm_mcp_key
        user = request.env.user
        visible = Config._mcp_visible_tools(mcp_key)
        token, expires = request.env["res.users.apikeys"]._llm_mcp_make_token(mcp_key)
        return json_response({
            "user": {
                "id": user.id,
                "login": user.login,
                "name": user.name,
                "lang": user.lang or None,
                "tz": user.tz or None,
                "company": {"id": user.company_id.id, "name": user.company_id.name},
                "companies": [{"id": c.id, "name": c.name} for c in user.company_ids],
            },
            "database": request.db,
            "odoo_version": release.serie,
            "key": {
                "id": mcp_key.apikey_id,
                "name": mcp_key.name,
                "scope": mcp_key.scope,
                "read_only": mcp_key.read_only,
                "allowed_tools": list(mcp_key.allowed_tools) if mcp_key.allowed_tools is not None else None,
            },
            "server": {"name": settings["server_name"], "instructions": settings["instructions"]},
            "tools_fingerprint": Config._mcp_fingerprint(visible),
            # the cap in force (bounded by the workers), so the sidecar queues a user's calls beyond it
            # instead of relaying them to be refused (docs/contract.md, "Calls running at once")
            "running_calls_per_user": Config._running_calls_cap(),
            "token": token,
            "token_expires_at": datetime.datetime.fromtimestamp(expires, datetime.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
        })

    @http.route("/llm_mcp/v1/tools", auth="llm_mcp_key", **_ROUTE)
    @answers_errors
    def tools(self):
        Config = request.env["llm.mcp.config"]
        Config._mcp_enabled_settings()
        visible = Config._mcp_visible_tools(request.llm_mcp_key)
        return json_response({"fingerprint": Config._mcp_fingerprint(visible),
                              "tools": Config._mcp_tool_definitions(visible)})

    @http.route("/llm_mcp/v1/call", auth="llm_mcp_key", **_ROUTE)
    def call(self):
        # the body is read inside the audited call: a refused body is audited too
        return respond(request.env["llm.mcp.call"]._mcp_call(request.llm_mcp_key, json_body))

    @http.route("/llm_mcp/v1/cancel", auth="llm_mcp_key", **_ROUTE)
    @answers_errors
    def cancel(self):
        """Cancel the caller's own running call with this JSON-RPC id (docs/contract.md, cancel)."""
        body = json_body()
        request_id, scope = body.get("request_id"), body.get("cancel_scope")
        if not isinstance(request_id, str) or not 0 < len(request_id) <= REQUEST_ID_MAX_CHARS \
                or not json_input.storable(request_id) == request_id:
            raise ContractError(400, "bad_request", "'request_id' must be the JSON-RPC id of the call as text "
                                                    f"(1 to {REQUEST_ID_MAX_CHARS} characters).")
        if scope is not None and (not isinstance(scope, str) or not 0 < len(scope) <= SCOPE_MAX_CHARS
                                  or not json_input.storable(scope) == scope):
            raise ContractError(400, "bad_request", "'cancel_scope' must be the call's cancel_scope as text "
                                                    f"(1 to {SCOPE_MAX_CHARS} characters) or absent.")
        found = request.env["llm.mcp.running.call"]._cancel(request.llm_mcp_key, request_id, scope)
        return json_response({"cancelled": bool(found)})
