"""Odoo as the OAuth 2.1 authorization server of the MCP endpoint (docs/contract.md, OAuth).

Metadata (RFC 8414, RFC 9728), Dynamic Client Registration (RFC 7591), the authorization endpoint (Odoo's own
login, then a consent page), the token endpoint (authorization code + PKCE S256, refresh rotation) and
revocation (RFC 7009). Public paths, outside /llm_mcp/ (which the proxy keeps off its public port). Access
tokens are MCP keys: once issued, nothing else in the addon needs to know they came from OAuth.
"""

import datetime
import json
import logging

import urllib.parse
from types import SimpleNamespace

from odoo import _, fields, http
from odoo.http import request

from .. import oauth
from ..oauth import OAuthError

_logger = logging.getLogger(__name__)

_API = {"type": "http", "auth": "public", "csrf": False, "save_session": False, "cors": "*"}
_NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
# The consent page must not be framed by another site (clickjacking a person's "Allow").
_PAGE_HEADERS = [("X-Frame-Options", "DENY"), ("Content-Security-Policy", "frame-ancestors 'none'"), *_NO_STORE]
# The authorization request parameters carried from the consent page back to its form's POST.
_REQUEST_PARAMS = ("response_type", "client_id", "redirect_uri", "code_challenge", "code_challenge_method",
                   "state", "scope", "resource")


def _json(payload, status=200):
    return request.make_json_response(payload, status=status, headers=_NO_STORE)


def _oauth_error(error):
    headers = [("WWW-Authenticate", 'Basic realm="odoo-mcp"')] if error.status == 401 else []
    return request.make_json_response({"error": error.error, "error_description": error.description},
                                      status=error.status, headers=_NO_STORE + headers)


class McpOAuth(http.Controller):
    # -- metadata --------------------------------------------------------------------------------------------

    @http.route(oauth.AS_METADATA_PATH, methods=["GET"], **_API)
    def authorization_server_metadata(self, **_params):
        config = self._config()
        if not config.oauth_enabled:
            raise request.not_found()
        urls = config._oauth_urls()
        metadata = {
            "issuer": urls["issuer"],
            "authorization_endpoint": urls["authorization_endpoint"],
            "token_endpoint": urls["token_endpoint"],
            "revocation_endpoint": urls["revocation_endpoint"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "revocation_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": [oauth.SCOPE],
            "client_id_metadata_document_supported": True,
            "authorization_response_iss_parameter_supported": True,
        }
        if config.oauth_dcr_enabled:
            metadata["registration_endpoint"] = urls["registration_endpoint"]
        return _json(metadata)

    @http.route([oauth.PRM_PATH, oauth.PRM_PATH + "/<path:resource_path>"], methods=["GET"], **_API)
    def protected_resource_metadata(self, resource_path=None, **_params):
        config = self._config()
        if not config.oauth_enabled:
            raise request.not_found()
        urls = config._oauth_urls()
        if resource_path is not None and not urls["resource_metadata"].endswith("/" + resource_path.strip("/")):
            raise request.not_found()
        return _json({
            "resource": urls["resource"],
            "authorization_servers": [urls["issuer"]],
            "scopes_supported": [oauth.SCOPE],
            "bearer_methods_supported": ["header"],
            "resource_name": config.server_name or "Odoo MCP",
        })

    # -- registration (RFC 7591) -----------------------------------------------------------------------------

    @http.route(oauth.REGISTER_PATH, methods=["POST"], **_API)
    def register(self, **_params):
        try:
            try:
                body = json.loads(request.httprequest.get_data() or b"")
            except (ValueError, RecursionError):
                raise OAuthError("invalid_client_metadata", "The body must be a JSON object.") from None
            client = request.env["llm.mcp.oauth.client"]._register_dynamic(body, request.httprequest.remote_addr)
        except OAuthError as error:
            return _oauth_error(error)
        return _json({
            "client_id": client.client_id,
            "client_id_issued_at": int(client.create_date.replace(tzinfo=datetime.timezone.utc).timestamp()),
            "client_name": client.name,
            "redirect_uris": client._redirect_uri_list(),
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }, status=201)

    # -- authorization endpoint ------------------------------------------------------------------------------

    @http.route(oauth.AUTHORIZE_PATH, type="http", auth="public", methods=["GET", "POST"], csrf=True)
    def authorize(self, **params):
        """GET: Odoo's login if needed, then the consent page. POST: the person's decision from that page."""
        config = self._config()
        if not config.oauth_enabled:
            return self._error_page(_("Signing in with OAuth is switched off on this server."))
        urls = config._oauth_urls()
        # Until the client and its redirect URI are known to be genuine, nothing is ever redirected to.
        try:
            client = request.env["llm.mcp.oauth.client"]._for_client_id(params.get("client_id"))
        except OAuthError as error:
            return self._error_page(error.description)
        redirect_uri = client._registered_redirect_uri(params.get("redirect_uri"))
        if not redirect_uri:
            return self._error_page(_("The application asked to return to an address it did not register: %(uri)s",
                                      uri=params.get("redirect_uri") or _("(none)")))
        state = params.get("state")

        def back(**answer):
            # RFC 9207: iss on every response, errors included; state returned exactly as received
            location = oauth.with_query(redirect_uri, {**answer, "state": state, "iss": urls["issuer"]})
            return request.redirect(location, code=303, local=False)

        # A request that fails before the person decided anything is answered here, never by a redirect: anyone can
        # register a client with a redirect URI of their choice (DCR), so an automatic error redirect would make
        # this page an open redirector to it (RFC 9700 §4.11.2). Only the person's own decision goes back.
        if params.get("response_type") != "code":
            return self._error_page(_("Only response_type=code is supported (unsupported_response_type)."))
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return self._error_page(_("PKCE with code_challenge_method=S256 is required (invalid_request)."))
        if not oauth.same_resource(params.get("resource"), urls["resource"]):
            return self._error_page(_("resource must be %(resource)s (invalid_target).", resource=urls["resource"]))
        user = request.env.user
        if user._is_public():
            return request.redirect("/web/login?" + urllib.parse.urlencode({"redirect": request.httprequest.full_path}))
        if not user._is_internal() or not user.has_group("llm.group_llm_user"):
            return self._error_page(
                _("Your Odoo user may not use the MCP server (access_denied). Ask an administrator."))
        if request.httprequest.method == "POST":
            return self._decide(params, client, redirect_uri, urls, back)
        return self._consent_page(params, client, redirect_uri)

    def _consent_page(self, params, client, redirect_uri, error=None):
        wizard = request.env["llm.mcp.key.wizard"]
        values = {
            "client": client,
            "client_name": client.display_name,
            "logo_uri": client.logo_uri if (client.logo_uri or "").startswith("https://") else None,
            "redirect_host": client._redirect_host(redirect_uri),
            "registration": dict(client._fields["registration"].selection).get(client.registration),
            "user": request.env.user,
            # a connection always ends (its refresh tokens with it): no "No expiry", even for administrators
            "durations": [choice for choice in wizard._selection_duration() if choice[0] != "0"],
            "default_duration": wizard._default_duration(),
            "tools": self._offered_tools(),
            # an app works under the settings' rate limits, counted per grant (models/llm_mcp_rate_limit.py)
            "rate_limits": request.env["llm.mcp.rate.limit"]._describe_limits(),
            "hidden": {name: params[name] for name in _REQUEST_PARAMS if isinstance(params.get(name), str)},
            "error": error,
        }
        response = request.render("llm_mcp_server.oauth_consent", values)
        response.headers.extend(_PAGE_HEADERS)
        return response

    def _offered_tools(self):
        """The tools the person may limit the grant to: theirs, after the settings (as New MCP Key offers)."""
        config = request.env["llm.mcp.config"]
        settings = config._mcp_settings()
        unrestricted = SimpleNamespace(read_only=False, allowed_tools=None)
        entries = request.env["llm.tool"]._available_tool_entries().values()
        ids = [entry.id for entry in entries if config._mcp_allows(settings, unrestricted, entry)]
        return request.env["llm.tool"].browse(ids).sorted("name")

    def _decide(self, params, client, redirect_uri, urls, back):
        if params.get("decision") != "allow":
            return back(error="access_denied", error_description="The person declined.")
        wizard = request.env["llm.mcp.key.wizard"]
        duration = params.get("duration")
        if duration not in dict(wizard._selection_duration()) or duration == "0":
            return self._consent_page(params, client, redirect_uri, error=_("Choose how long the connection lasts."))
        offered = self._offered_tools()
        try:
            wanted = {int(t) for t in request.httprequest.form.getlist("tool_ids")}
        except ValueError:
            wanted = None
        if wanted is None or not wanted <= set(offered.ids):
            return self._consent_page(params, client, redirect_uri, error=_("Choose among the tools offered."))
        code = oauth.new_secret()
        request.env["llm.mcp.oauth.code"].sudo().create({
            "code_hash": oauth.secret_hash(code),
            "user_id": request.env.uid,
            "client_id": client.id,
            "redirect_uri": redirect_uri,
            "code_challenge": params["code_challenge"],
            "resource": urls["resource"],
            "read_only": params.get("read_only") in ("1", "on", "true"),
            "tool_ids": [fields.Command.set(sorted(wanted))],
            "grant_days": int(duration),
            "expires_at": fields.Datetime.now() + datetime.timedelta(seconds=oauth.CODE_TTL_SECONDS),
        })
        _logger.info("OAuth: %s allowed client %s (#%s)", request.env.user.login, client.display_name, client.id)
        return back(code=code)

    def _error_page(self, message):
        response = request.render("llm_mcp_server.oauth_error", {"message": message}, status=400)
        response.headers.extend(_PAGE_HEADERS)
        return response

    # -- token endpoint --------------------------------------------------------------------------------------

    @http.route(oauth.TOKEN_PATH, methods=["POST"], **_API)
    def token(self, **_form):
        form = request.httprequest.form
        try:
            config = self._config()
            if not config.oauth_enabled:
                raise OAuthError("access_denied", "OAuth is switched off on this server.", 403)
            if "client_secret" in form or request.httprequest.headers.get("Authorization"):
                raise OAuthError("invalid_client", "Clients of this server are public: send client_id only.", 401)
            client = request.env["llm.mcp.oauth.client"]._for_client_id(form.get("client_id"))
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                grant = self._redeem_code(form, client, config._oauth_urls())
            elif grant_type == "refresh_token":
                grant = request.env["llm.mcp.oauth.grant"]._refresh(form.get("refresh_token"), client)
                if form.get("resource") and not oauth.same_resource(form.get("resource"), grant.resource):
                    raise OAuthError("invalid_target", "This refresh token is for another resource.")
            else:
                raise OAuthError("unsupported_grant_type", "Use authorization_code or refresh_token.")
            if not grant.user_id.active:
                raise OAuthError("invalid_grant", "The user of this grant is no longer active.")
            return _json(grant._issue_tokens())
        except OAuthError as error:
            # answered, not raised: what an error path revoked (a reused code or refresh token) is committed
            return _oauth_error(error)

    def _redeem_code(self, form, client, urls):
        Codes = request.env["llm.mcp.oauth.code"].sudo()
        code = Codes.search([("code_hash", "=", oauth.secret_hash(form.get("code") or ""))], limit=1)
        if not code or code.client_id != client:
            raise OAuthError("invalid_grant", "The authorization code is not valid.")
        # single use, even under concurrent redemptions: only one UPDATE finds it unused
        request.env.cr.execute(
            "UPDATE llm_mcp_oauth_code SET used = TRUE WHERE id = %s AND used IS NOT TRUE RETURNING id", [code.id])
        if not request.env.cr.fetchone():
            if code.grant_id:  # RFC 6749 §4.1.2: a code used twice revokes what it was exchanged for
                code.grant_id._revoke("authorization code reused")
            raise OAuthError("invalid_grant", "The authorization code was already used.")
        code.invalidate_recordset(["used"])
        if code.expires_at < fields.Datetime.now():
            raise OAuthError("invalid_grant", "The authorization code has expired.")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri is not the one of the authorization request.")
        if not oauth.pkce_s256_matches(form.get("code_verifier"), code.code_challenge):
            raise OAuthError("invalid_grant", "The code_verifier does not match the code_challenge.")
        if (not oauth.same_resource(form.get("resource"), code.resource)
                or not oauth.same_resource(code.resource, urls["resource"])):
            raise OAuthError("invalid_target", f"resource must be {code.resource}.")
        grant = request.env["llm.mcp.oauth.grant"].sudo().create({
            "user_id": code.user_id.id,
            "client_id": client.id,
            "resource": code.resource,
            "read_only": code.read_only,
            "tool_ids": [fields.Command.set(code.tool_ids.ids)],
            "expires_at": fields.Datetime.now() + datetime.timedelta(days=code.grant_days),
        })
        code.grant_id = grant
        return grant

    # -- revocation (RFC 7009) -------------------------------------------------------------------------------

    @http.route(oauth.REVOKE_PATH, methods=["POST"], **_API)
    def revoke(self, **_form):
        form = request.httprequest.form
        token, client_id = form.get("token") or "", form.get("client_id")
        grant = request.env["llm.mcp.oauth.refresh.token"].sudo().search(
            [("token_hash", "=", oauth.secret_hash(token))], limit=1).grant_id
        if not grant:
            mcp_key = request.env["res.users.apikeys"].sudo()._llm_mcp_authenticate(token)
            if mcp_key and mcp_key.mcp_key_id:
                grant = request.env["llm.mcp.key"].sudo().browse(mcp_key.mcp_key_id).oauth_grant_id
        if grant and (not client_id or grant.client_id.client_id == client_id):
            grant._revoke("revoked by the client")
        # RFC 7009 §2.2: 200 whether or not the token was known
        return _json({})

    # -- helpers ---------------------------------------------------------------------------------------------

    def _config(self):
        return request.env["llm.mcp.config"].get_config()
