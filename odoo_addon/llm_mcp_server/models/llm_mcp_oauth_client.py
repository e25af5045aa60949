import datetime
import json

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.http import request

from .. import oauth, rate_limit
from ..oauth import OAuthError

# Dynamic Client Registration: at most this many registrations per remote address per hour (system parameter
# llm_mcp_server.oauth_dcr_per_hour), and this many in all per hour.
DCR_PER_ADDRESS_PER_HOUR = 20
DCR_TOTAL_PER_HOUR = 200
# Client ID Metadata Documents: anyone may name a URL as client_id, and its fetch holds an Odoo worker for up to
# oauth.CIMD_TIMEOUT_SECONDS. At most this many fetches per remote address per minute (system parameter
# llm_mcp_server.oauth_cimd_fetches_per_minute; 0: no limit), and this many in all.
CIMD_FETCHES_PER_ADDRESS_PER_MINUTE = 10
CIMD_FETCHES_PER_MINUTE = 60
# The rate window's rows of these fetches belong to no user: user id 0, a subject per address
CIMD_FETCH_USER = 0


class LlmMcpOauthClient(models.Model):
    """An OAuth client of the MCP server: registered dynamically (RFC 7591) or by its metadata document."""

    _name = "llm.mcp.oauth.client"
    _description = "MCP OAuth Client"
    _order = "id desc"

    client_id = fields.Char(string="Client ID", required=True, readonly=True, index=True)
    name = fields.Char(readonly=True)
    logo_uri = fields.Char(readonly=True)
    client_uri = fields.Char(readonly=True)
    redirect_uris = fields.Text(readonly=True, help="JSON list of the registered redirect URIs.")
    registration = fields.Selection(
        [("dcr", "Dynamic registration"), ("cimd", "Client ID metadata document")], required=True, readonly=True)
    registered_from = fields.Char(readonly=True, help="Remote address of the registration request (rate limit).")
    metadata_fetched_at = fields.Datetime(readonly=True)
    metadata_expires_at = fields.Datetime(
        readonly=True, help="Until when the fetched metadata document is reused (its HTTP caching headers, bounded).")
    grant_ids = fields.One2many("llm.mcp.oauth.grant", "client_id", readonly=True)

    _sql_constraints = [("client_id_unique", "UNIQUE(client_id)", "A client id is registered once.")]

    def _compute_display_name(self):
        for client in self:
            client.display_name = client.name or client.client_id

    def _redirect_uri_list(self):
        self.ensure_one()
        try:
            uris = json.loads(self.redirect_uris or "[]")
        except ValueError:
            return []
        return [uri for uri in uris if isinstance(uri, str)]

    def _registered_redirect_uri(self, presented):
        """``presented`` if it is one of this client's redirect URIs (exact, loopback any port), else None."""
        self.ensure_one()
        if any(oauth.redirect_uri_matches(uri, presented) for uri in self._redirect_uri_list()):
            return presented
        return None

    def _redirect_host(self, uri):
        from urllib.parse import urlsplit
        parts = urlsplit(uri)
        return parts.netloc or f"{parts.scheme}:"

    # -- registration --------------------------------------------------------------------------------------

    @api.model
    def _register_dynamic(self, body, remote_addr):
        """RFC 7591 registration of a public client; returns the client. Raises OAuthError."""
        config = self.env["llm.mcp.config"].get_config()
        if not config.oauth_enabled or not config.oauth_dcr_enabled:
            raise OAuthError("access_denied", "Dynamic client registration is switched off on this server.", 403)
        per_address = int(self.env["ir.config_parameter"].sudo().get_param(
            "llm_mcp_server.oauth_dcr_per_hour", DCR_PER_ADDRESS_PER_HOUR) or 0)
        hour_ago = fields.Datetime.now() - datetime.timedelta(hours=1)
        Clients = self.sudo()
        if (Clients.search_count([("registration", "=", "dcr"), ("registered_from", "=", remote_addr),
                                  ("create_date", ">", hour_ago)]) >= per_address
                or Clients.search_count([("registration", "=", "dcr"),
                                         ("create_date", ">", hour_ago)]) >= DCR_TOTAL_PER_HOUR):
            raise OAuthError("rate_limited", "Too many client registrations; try again later.", 429)
        metadata = oauth.validate_client_metadata(body)
        return Clients.create({
            "client_id": "mcp-" + oauth.new_secret(),
            "name": metadata["client_name"] or _("Unnamed client"),
            "logo_uri": metadata["logo_uri"],
            "client_uri": metadata["client_uri"],
            "redirect_uris": json.dumps(metadata["redirect_uris"]),
            "registration": "dcr",
            "registered_from": remote_addr,
        })

    @api.model
    def _for_client_id(self, client_id):
        """The client named ``client_id``: registered, or fetched from its metadata document (cached).

        Raises OAuthError(invalid_client) for an unknown client or a document that does not validate.
        """
        if not isinstance(client_id, str) or not client_id or len(client_id) > 2000:
            raise OAuthError("invalid_client", "client_id is required.")
        Clients = self.sudo()
        client = Clients.search([("client_id", "=", client_id)], limit=1)
        if not oauth.is_metadata_document_client_id(client_id):
            if not client:
                raise OAuthError("invalid_client", "This client is not registered with this server.", 401)
            return client
        now = fields.Datetime.now()
        if client and client.metadata_expires_at and client.metadata_expires_at > now:
            return client
        config = self.env["llm.mcp.config"].get_config()
        domains = [d.strip().lower().lstrip(".")
                   for d in (config.oauth_cimd_domains or "").replace("\n", ",").split(",")
                   if d.strip()]
        allow_private = self.env["ir.config_parameter"].sudo().get_param(
            "llm_mcp_server.oauth_cimd_allow_private", "False").lower() in ("1", "true", "yes")
        self._count_metadata_fetch()
        metadata, lifetime = oauth.fetch_client_metadata(client_id, allowed_domains=domains,
                                                         allow_private=allow_private)
        values = {
            "name": metadata["client_name"] or client_id,
            "logo_uri": metadata["logo_uri"],
            "client_uri": metadata["client_uri"],
            "redirect_uris": json.dumps(metadata["redirect_uris"]),
            "metadata_fetched_at": now,
            # lifetime 0 (no-store): this request uses the document, the next one fetches it again
            "metadata_expires_at": now + datetime.timedelta(seconds=lifetime),
        }
        if client:
            client.write(values)
            return client
        try:
            with self.env.cr.savepoint():
                return Clients.create({"client_id": client_id, "registration": "cimd", **values})
        except psycopg2.IntegrityError:
            # a parallel request registered the same document first: use its row once this transaction sees it
            client = Clients.search([("client_id", "=", client_id)], limit=1)
            if not client:
                raise OAuthError("temporarily_unavailable", "This client is being registered; try again.",
                                 503) from None
            client.write(values)
            return client

    @api.model
    def _count_metadata_fetch(self):
        """Count the fetch about to start against the limits of this request's address, or raise OAuthError (429).

        In the calls' rate window (rate_limit.py), before the fetch: the fetches that cost most (a host that is
        slow or never answers) leave no client row that could be counted afterwards, as registrations are.
        """
        per_address = int(self.env["ir.config_parameter"].sudo().get_param(
            "llm_mcp_server.oauth_cimd_fetches_per_minute", CIMD_FETCHES_PER_ADDRESS_PER_MINUTE) or 0)
        address = request.httprequest.remote_addr if request else ""
        limits = rate_limit.Limits(key_calls=per_address, user_calls=CIMD_FETCHES_PER_MINUTE)
        refusal = self.env["llm.mcp.rate.limit"]._reserve(CIMD_FETCH_USER, f"cimd:{address}", False, limits)
        if refusal:
            raise OAuthError("rate_limited", "Too many client metadata documents fetched; try again in "
                             f"{refusal.retry_after} s.", 429)

    def unlink(self):
        if not self.env.su:
            raise UserError(_("OAuth clients are removed with their grants by revoking them."))
        self.grant_ids._revoke()
        return super().unlink()
