"""Odoo as the OAuth 2.1 authorization server of the MCP endpoint: the flow a client runs, and every way to
misuse it (docs/security.md, OAuth). Real HTTP requests to the real routes, in the test's transaction."""

import base64
import hashlib
import http.server
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.llm_mcp_server import oauth
from odoo.addons.llm_mcp_server.models import llm_mcp_oauth_client

from .common import HEALTH, IDENTITY, McpHttpCase

AUTHORIZE, TOKEN, REGISTER, REVOKE = oauth.AUTHORIZE_PATH, oauth.TOKEN_PATH, oauth.REGISTER_PATH, oauth.REVOKE_PATH
REDIRECT = "http://127.0.0.1:33418/callback"


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class OAuthCase(McpHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.env["llm.mcp.config"].get_config()
        cls.config.public_url = "http://mcp.example.test/mcp"
        cls.resource = "http://mcp.example.test/mcp"
        cls.issuer = "http://mcp.example.test"
        cls.person = new_test_user(cls.env, login="oauth_person", password="oauth_person_pw!", name="OAuth Person",
                                   groups="base.group_user,base.group_partner_manager")

    def get(self, path, **params):
        return self.opener.get(self.base_url() + path, params=params, timeout=30, allow_redirects=False)

    def form(self, path, data, headers=None):
        return self.opener.post(self.base_url() + path, data=data, timeout=30, allow_redirects=False, headers=headers)

    def register(self, **metadata):
        body = {"client_name": "Test Client", "redirect_uris": [REDIRECT], **metadata}
        return self.opener.post(self.base_url() + REGISTER, data=json.dumps(body), timeout=30,
                                headers={"Content-Type": "application/json"})

    def client_id(self, **metadata):
        response = self.register(**metadata)
        self.assertEqual(response.status_code, 201, response.text)
        return response.json()["client_id"]

    def authorize_params(self, client_id, challenge, **extra):
        return {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "code_challenge": challenge,
                "code_challenge_method": "S256", "state": "st-Ä 1/2", "scope": "mcp", "resource": self.resource,
                **extra}

    def consent(self, params, decision="allow", **choices):
        """Log in as the person, open the consent page, answer it; the redirect's query."""
        self.authenticate("oauth_person", "oauth_person_pw!")
        page = self.get(AUTHORIZE, **params)
        self.assertEqual(page.status_code, 200, page.text[:500])
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        data = {**params, "csrf_token": csrf, "decision": decision, "duration": "7", **choices}
        answer = self.form(AUTHORIZE, data)
        self.assertEqual(answer.status_code, 303, answer.text[:500])
        return self.redirect_query(answer, params["redirect_uri"])

    def redirect_query(self, response, redirect_uri=REDIRECT):
        location = response.headers["Location"]
        self.assertTrue(location.startswith(redirect_uri.split("?")[0]), location)
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))

    def tokens_for(self, client_id, decision="allow", **choices):
        verifier, challenge = pkce()
        query = self.consent(self.authorize_params(client_id, challenge), decision, **choices)
        response = self.exchange(client_id, query["code"], verifier)
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def exchange(self, client_id, code, verifier, **extra):
        return self.form(TOKEN, {"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                                 "client_id": client_id, "redirect_uri": REDIRECT, "resource": self.resource, **extra})

    def refresh(self, client_id, refresh_token, **extra):
        return self.form(TOKEN, {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id,
                                 "resource": self.resource, **extra})

    def assertOAuthError(self, response, error, status=400):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.json()["error"], error, response.text)
        self.assertEqual(response.headers.get("Cache-Control"), "no-store")

    def assertErrorPage(self, response, error):
        """Odoo's error page naming ``error``: the browser is not sent back to the client."""
        self.assertEqual(response.status_code, 400, response.text[:300])
        self.assertNotIn("Location", response.headers)
        self.assertIn(error, response.text)

    def grant_of(self, access_token):
        apikey_id = self.post(IDENTITY, key=access_token).json()["key"]["id"]
        return self.env["llm.mcp.key"].sudo().search([("apikey_id", "=", apikey_id)]).oauth_grant_id


@tagged("post_install", "-at_install")
class TestOAuthMetadata(OAuthCase):
    def test_authorization_server_metadata_is_derived_from_the_public_url(self):
        response = self.get(oauth.AS_METADATA_PATH)
        self.assertEqual(response.status_code, 200)
        meta = response.json()
        self.assertEqual(meta["issuer"], self.issuer)
        self.assertEqual(meta["authorization_endpoint"], self.issuer + AUTHORIZE)
        self.assertEqual(meta["token_endpoint"], self.issuer + TOKEN)
        self.assertEqual(meta["registration_endpoint"], self.issuer + REGISTER)
        self.assertEqual(meta["revocation_endpoint"], self.issuer + REVOKE)
        self.assertEqual(meta["code_challenge_methods_supported"], ["S256"])
        self.assertIs(meta["client_id_metadata_document_supported"], True)
        self.assertIs(meta["authorization_response_iss_parameter_supported"], True)
        self.assertEqual(meta["token_endpoint_auth_methods_supported"], ["none"])

    def test_protected_resource_metadata_names_the_mcp_url_and_odoo(self):
        for path in (oauth.PRM_PATH + "/mcp", oauth.PRM_PATH):
            meta = self.get(path).json()
            self.assertEqual(meta["resource"], self.resource)
            self.assertEqual(meta["authorization_servers"], [self.issuer])
            self.assertEqual(meta["scopes_supported"], ["mcp"])
        self.assertEqual(self.get(oauth.PRM_PATH + "/elsewhere").status_code, 404)

    def test_health_tells_the_sidecar_its_challenge(self):
        body = self.opener.get(self.base_url() + HEALTH, timeout=20).json()
        self.assertEqual(body["oauth"], {"resource_metadata": self.issuer + oauth.PRM_PATH + "/mcp", "scope": "mcp"})
        self.config.oauth_enabled = False
        self.assertIsNone(self.opener.get(self.base_url() + HEALTH, timeout=20).json()["oauth"])

    def test_oauth_switched_off_publishes_nothing_and_issues_nothing(self):
        client_id = self.client_id()
        self.config.oauth_enabled = False
        self.assertEqual(self.get(oauth.AS_METADATA_PATH).status_code, 404)
        self.assertEqual(self.get(oauth.PRM_PATH + "/mcp").status_code, 404)
        self.assertEqual(self.register().status_code, 403)
        _verifier, challenge = pkce()
        self.authenticate("oauth_person", "oauth_person_pw!")
        page = self.get(AUTHORIZE, **self.authorize_params(client_id, challenge))
        self.assertEqual(page.status_code, 400)
        self.assertNotIn("Location", page.headers)


@tagged("post_install", "-at_install")
class TestOAuthFlow(OAuthCase):
    def test_the_whole_flow_gives_an_mcp_key_with_the_chosen_restrictions(self):
        client_id = self.client_id(client_name="Claude")
        search = self.env["llm.tool"].search([("name", "=", "odoo_search")])
        verifier, challenge = pkce()
        params = self.authorize_params(client_id, challenge)
        # not logged in: Odoo's own login, coming back to this very request
        self.opener.cookies.clear()
        login = self.get(AUTHORIZE, **params)
        self.assertEqual(login.status_code, 303)
        self.assertIn("/web/login?redirect=", login.headers["Location"])
        self.assertIn(urllib.parse.quote(AUTHORIZE, safe=""), login.headers["Location"])
        # the consent page shows who asks and where the answer goes, and cannot be framed
        self.authenticate("oauth_person", "oauth_person_pw!")
        page = self.get(AUTHORIZE, **params)
        self.assertIn("Claude", page.text)
        self.assertIn("127.0.0.1:33418", page.text)
        self.assertEqual(page.headers["X-Frame-Options"], "DENY")
        query = self.consent(params, read_only="1", tool_ids=str(search.id))
        self.assertEqual(query["state"], params["state"], "state comes back unchanged")
        self.assertEqual(query["iss"], self.issuer, "RFC 9207")
        response = self.exchange(client_id, query["code"], verifier)
        self.assertEqual(response.status_code, 200, response.text)
        tokens = response.json()
        self.assertEqual(tokens["token_type"], "Bearer")
        self.assertLessEqual(tokens["expires_in"], 3600)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        # the access token is an MCP key of that person, with the restrictions chosen on the consent page
        identity = self.post(IDENTITY, key=tokens["access_token"]).json()
        self.assertEqual(identity["user"]["login"], "oauth_person")
        self.assertEqual((identity["key"]["scope"], identity["key"]["read_only"], identity["key"]["allowed_tools"]),
                         ("mcp", True, ["odoo_search"]))
        self.assertEqual(self.tool_names(tokens["access_token"]), ["odoo_search"])
        # every call is audited as an MCP key's, with the OAuth client on the row
        answer = self.call(tokens["access_token"], "odoo_search", {"model": "res.partner", "limit": 1})
        self.assertFalse(answer.json()["isError"], answer.text)
        row = self.audit_rows()[-1]
        self.assertEqual((row.user_id, row.oauth_client_id.client_id), (self.person, client_id))
        grant = self.grant_of(tokens["access_token"])
        self.assertEqual((grant.state, grant.read_only, grant.tool_ids), ("active", True, search))
        self.assertLessEqual(grant.expires_at, fields.Datetime.now() + timedelta(days=7, minutes=1))
        # refresh: new tokens, the old access token stops working
        refreshed = self.refresh(client_id, tokens["refresh_token"])
        self.assertEqual(refreshed.status_code, 200, refreshed.text)
        new = refreshed.json()
        self.assertNotEqual(new["refresh_token"], tokens["refresh_token"])
        self.assertEqual(self.post(IDENTITY, key=new["access_token"]).status_code, 200)
        self.assertEqual(self.post(IDENTITY, key=tokens["access_token"]).status_code, 401)
        # revocation (RFC 7009) locks the client out at once
        self.assertEqual(self.form(REVOKE, {"token": new["refresh_token"], "client_id": client_id}).status_code, 200)
        self.assertEqual(self.post(IDENTITY, key=new["access_token"]).status_code, 401)
        self.assertOAuthError(self.refresh(client_id, new["refresh_token"]), "invalid_grant")
        self.assertEqual(grant.state, "revoked")

    def test_revoking_the_access_token_ends_the_grant(self):
        client_id = self.client_id()
        tokens = self.tokens_for(client_id)
        self.assertEqual(self.form(REVOKE, {"token": tokens["access_token"], "client_id": client_id}).status_code, 200)
        self.assertEqual(self.post(IDENTITY, key=tokens["access_token"]).status_code, 401)
        self.assertOAuthError(self.refresh(client_id, tokens["refresh_token"]), "invalid_grant")
        # unknown tokens get 200 too (RFC 7009 §2.2)
        self.assertEqual(self.form(REVOKE, {"token": "nothing", "client_id": client_id}).status_code, 200)

    def test_access_token_lifetime_follows_the_settings_and_never_exceeds_an_hour(self):
        self.config.oauth_access_token_minutes = 5
        tokens = self.tokens_for(self.client_id())
        self.assertLessEqual(tokens["expires_in"], 300)
        key = self.env["llm.mcp.key"].sudo().search([("oauth_grant_id", "!=", False)], limit=1)
        self.assertLessEqual(key.expiration_date, fields.Datetime.now() + timedelta(minutes=6))
        with self.assertRaises(Exception), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.config.oauth_access_token_minutes = 61
            self.config.flush_recordset()

    def test_loopback_redirect_uri_matches_on_any_port(self):
        client_id = self.client_id()
        verifier, challenge = pkce()
        other_port = "http://127.0.0.1:40001/callback"
        query = self.consent(self.authorize_params(client_id, challenge, redirect_uri=other_port))
        self.assertIn("code", query)
        response = self.exchange(client_id, query["code"], verifier, redirect_uri=other_port)
        self.assertEqual(response.status_code, 200, response.text)

    def test_a_grant_revoked_in_odoo_locks_the_client_out(self):
        tokens = self.tokens_for(self.client_id())
        grant = self.grant_of(tokens["access_token"])
        grant.with_user(self.person).action_revoke()
        self.assertEqual(self.post(IDENTITY, key=tokens["access_token"]).status_code, 401)


@tagged("post_install", "-at_install", "llm_security")
class TestOAuthAttacks(OAuthCase):
    def test_wrong_code_verifier_is_refused_and_burns_the_code(self):
        client_id = self.client_id()
        verifier, challenge = pkce()
        query = self.consent(self.authorize_params(client_id, challenge))
        self.assertOAuthError(self.exchange(client_id, query["code"], pkce()[0]), "invalid_grant")
        self.assertOAuthError(self.exchange(client_id, query["code"], verifier), "invalid_grant")

    def test_plain_pkce_and_no_pkce_are_refused(self):
        client_id = self.client_id()
        verifier, _challenge = pkce()
        for extra in ({"code_challenge_method": "plain", "code_challenge": verifier}, {"code_challenge": ""}):
            self.authenticate("oauth_person", "oauth_person_pw!")
            response = self.get(AUTHORIZE, **self.authorize_params(client_id, verifier, **extra))
            self.assertErrorPage(response, "invalid_request")

    def test_reused_code_is_refused_and_revokes_what_it_gave(self):
        client_id = self.client_id()
        verifier, challenge = pkce()
        query = self.consent(self.authorize_params(client_id, challenge))
        tokens = self.exchange(client_id, query["code"], verifier).json()
        self.assertEqual(self.post(IDENTITY, key=tokens["access_token"]).status_code, 200)
        self.assertOAuthError(self.exchange(client_id, query["code"], verifier), "invalid_grant")
        self.assertEqual(self.post(IDENTITY, key=tokens["access_token"]).status_code, 401)
        self.assertOAuthError(self.refresh(client_id, tokens["refresh_token"]), "invalid_grant")

    def test_expired_code_is_refused(self):
        client_id = self.client_id()
        verifier, challenge = pkce()
        query = self.consent(self.authorize_params(client_id, challenge))
        self.env["llm.mcp.oauth.code"].sudo().search([("code_hash", "=", oauth.secret_hash(query["code"]))]).write(
            {"expires_at": fields.Datetime.now() - timedelta(seconds=1)})
        self.assertOAuthError(self.exchange(client_id, query["code"], verifier), "invalid_grant")

    def test_code_of_another_client_is_refused(self):
        client_id, thief = self.client_id(), self.client_id()
        verifier, challenge = pkce()
        query = self.consent(self.authorize_params(client_id, challenge))
        self.assertOAuthError(self.exchange(thief, query["code"], verifier), "invalid_grant")

    def test_unregistered_redirect_uri_is_never_redirected_to(self):
        client_id = self.client_id()
        _verifier, challenge = pkce()
        self.authenticate("oauth_person", "oauth_person_pw!")
        for uri in ("https://evil.example/callback", "http://127.0.0.1:33418/other",
                    "http://evil.example:33418/callback", REDIRECT + "?x=1", None):
            params = self.authorize_params(client_id, challenge, redirect_uri=uri)
            response = self.get(AUTHORIZE, **params)
            self.assertEqual(response.status_code, 400, uri)
            self.assertNotIn("Location", response.headers)
            self.assertIn("did not register", response.text)
        # nor for an unknown client
        response = self.get(AUTHORIZE, **self.authorize_params("mcp-unknown", challenge))
        self.assertEqual(response.status_code, 400)
        self.assertNotIn("Location", response.headers)

    def test_a_token_for_another_resource_is_refused(self):
        client_id = self.client_id()
        verifier, challenge = pkce()
        self.authenticate("oauth_person", "oauth_person_pw!")
        for resource in ("https://other.example/mcp", "http://mcp.example.test/other", None):
            response = self.get(AUTHORIZE, **self.authorize_params(client_id, challenge, resource=resource))
            self.assertErrorPage(response, "invalid_target")
        query = self.consent(self.authorize_params(client_id, challenge))
        self.assertOAuthError(self.exchange(client_id, query["code"], verifier, resource="https://other.example/mcp"),
                              "invalid_target")
        tokens = self.tokens_for(client_id)
        self.assertOAuthError(self.refresh(client_id, tokens["refresh_token"], resource="https://other.example/mcp"),
                              "invalid_target")

    def test_tampered_and_expired_access_tokens_are_refused(self):
        tokens = self.tokens_for(self.client_id())
        token = tokens["access_token"]
        tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
        self.assertEqual(self.post(IDENTITY, key=tampered).status_code, 401)
        self.assertEqual(self.post(IDENTITY, key=token).status_code, 200)
        apikey_id = self.grant_of(token).key_ids.apikey_id.id
        self.env.cr.execute("UPDATE res_users_apikeys "
                            "SET expiration_date = now() at time zone 'utc' - interval '1 second' "
                            "WHERE id = %s", [apikey_id])
        self.assertEqual(self.post(IDENTITY, key=token).status_code, 401)

    def test_access_token_is_refused_by_odoos_other_doors(self):
        token = self.tokens_for(self.client_id())["access_token"]
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "service": "object", "method": "execute_kw",
            "args": [self.env.cr.dbname, self.person.id, token, "res.partner", "search_count", [[]], {}]}}
        with mute_logger("odoo.http"):
            answer = self.opener.post(self.base_url() + "/jsonrpc", data=json.dumps(payload),
                                      headers={"Content-Type": "application/json"}, timeout=30).json()
        self.assertIn("error", answer)

    def test_reused_refresh_token_revokes_the_whole_grant(self):
        client_id = self.client_id()
        tokens = self.tokens_for(client_id)
        new = self.refresh(client_id, tokens["refresh_token"]).json()
        self.assertEqual(self.post(IDENTITY, key=new["access_token"]).status_code, 200)
        self.assertOAuthError(self.refresh(client_id, tokens["refresh_token"]), "invalid_grant")
        self.assertEqual(self.post(IDENTITY, key=new["access_token"]).status_code, 401)
        self.assertOAuthError(self.refresh(client_id, new["refresh_token"]), "invalid_grant")

    def test_refresh_token_of_another_client_is_refused(self):
        tokens = self.tokens_for(self.client_id())
        self.assertOAuthError(self.refresh(self.client_id(), tokens["refresh_token"]), "invalid_grant")

    def test_tokens_are_stored_hashed(self):
        tokens = self.tokens_for(self.client_id())
        for table, column in (("llm_mcp_oauth_refresh_token", "token_hash"), ("llm_mcp_oauth_code", "code_hash")):
            self.env.cr.execute(f"SELECT {column} FROM {table}")  # noqa: S608 (fixed names)
            stored = [row[0] for row in self.env.cr.fetchall()]
            self.assertNotIn(tokens["refresh_token"], stored)
        self.env.cr.execute("SELECT token_hash FROM llm_mcp_oauth_refresh_token")
        self.assertIn(oauth.secret_hash(tokens["refresh_token"]), [row[0] for row in self.env.cr.fetchall()])
        self.env.cr.execute("SELECT key FROM res_users_apikeys")
        self.assertNotIn(tokens["access_token"], [row[0] for row in self.env.cr.fetchall()])

    def test_consent_denied_redirects_with_access_denied(self):
        client_id = self.client_id()
        _verifier, challenge = pkce()
        params = self.authorize_params(client_id, challenge)
        query = self.consent(params, decision="deny")
        self.assertEqual((query["error"], query["state"], query["iss"]),
                         ("access_denied", params["state"], self.issuer))
        self.assertNotIn("code", query)
        self.assertFalse(self.env["llm.mcp.oauth.code"].sudo().search([("client_id.client_id", "=", client_id)]))

    def test_consent_cannot_grant_more_than_new_mcp_key_would(self):
        client_id = self.client_id()
        _verifier, challenge = pkce()
        params = self.authorize_params(client_id, challenge)
        self.authenticate("oauth_person", "oauth_person_pw!")
        page = self.get(AUTHORIZE, **params)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        for choice in ({"duration": "0"}, {"duration": "365"}, {"duration": "7", "tool_ids": "999999"}):
            data = {**params, "csrf_token": csrf, "decision": "allow", **choice}
            answer = self.form(AUTHORIZE, data)
            self.assertEqual(answer.status_code, 200, choice)
            self.assertNotIn("Location", answer.headers)
        # and the consent POST needs Odoo's CSRF token (a page elsewhere cannot submit "Allow")
        with mute_logger("odoo.http"):
            answer = self.form(AUTHORIZE, {**params, "decision": "allow", "duration": "7"})
        self.assertNotEqual(answer.status_code, 303)

    def test_dcr_refuses_dangerous_redirect_uris(self):
        for uri in ("javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "http://evil.example/cb",
                    "https://ok.example/cb#frag", " https://ok.example/cb"):
            response = self.register(redirect_uris=[uri])
            self.assertOAuthError(response, "invalid_redirect_uri")
        self.assertOAuthError(self.register(redirect_uris=[]), "invalid_redirect_uri")
        self.assertOAuthError(self.register(token_endpoint_auth_method="client_secret_basic"),
                              "invalid_client_metadata")
        for ok in ("https://claude.ai/api/mcp/auth_callback", "cursor://anysphere.cursor-retrieval/oauth/callback",
                   "http://localhost:6274/oauth/callback"):
            self.assertEqual(self.register(redirect_uris=[ok]).status_code, 201, ok)

    def test_dcr_can_be_switched_off_and_is_rate_limited(self):
        self.config.oauth_dcr_enabled = False
        self.assertEqual(self.register().status_code, 403)
        self.assertNotIn("registration_endpoint", self.get(oauth.AS_METADATA_PATH).json())
        self.config.oauth_dcr_enabled = True
        self.env["ir.config_parameter"].sudo().set_param("llm_mcp_server.oauth_dcr_per_hour", "2")
        self.env["llm.mcp.oauth.client"].sudo().search([("registration", "=", "dcr")]).write(
            {"registered_from": "gone"})
        self.assertEqual(self.register().status_code, 201)
        self.assertEqual(self.register().status_code, 201)
        self.assertOAuthError(self.register(), "rate_limited", 429)

    def test_the_authorize_page_is_no_open_redirector(self):
        # an attacker registers a client whose redirect URI is their phishing page, then sends people links to
        # Odoo's authorize page that fail on purpose: no one is sent there without deciding on the consent page
        evil = "https://evil.example/phish"
        client_id = self.client_id(redirect_uris=[evil])
        _verifier, challenge = pkce()
        broken = ({"response_type": "token"}, {"code_challenge_method": "plain"},
                  {"resource": "https://other.example/mcp"}, {"code_challenge": ""})
        for logged_in in (False, True):
            if logged_in:
                self.authenticate("oauth_person", "oauth_person_pw!")
            else:
                self.authenticate(None, None)
            for extra in broken:
                params = self.authorize_params(client_id, challenge, redirect_uri=evil, **extra)
                response = self.get(AUTHORIZE, **params)
                self.assertEqual(response.status_code, 400, extra)
                self.assertNotIn("evil.example", response.headers.get("Location", ""), extra)
        # a valid request from someone not logged in goes to Odoo's login (a local path), not to the client
        self.authenticate(None, None)
        response = self.get(AUTHORIZE, **self.authorize_params(client_id, challenge, redirect_uri=evil))
        location = urllib.parse.urlsplit(response.headers["Location"])
        self.assertEqual(location.path, "/web/login")
        self.assertIn(location.netloc, ("", urllib.parse.urlsplit(self.base_url()).netloc))  # Odoo itself
        redirect = dict(urllib.parse.parse_qsl(location.query))["redirect"]
        self.assertTrue(redirect.startswith(AUTHORIZE + "?"), redirect)
        # a person who may not use MCP is told so in Odoo, not sent to the client
        new_test_user(self.env, login="oauth_portal", password="oauth_portal_pw!", groups="base.group_portal")
        self.authenticate("oauth_portal", "oauth_portal_pw!")
        self.assertErrorPage(self.get(AUTHORIZE, **self.authorize_params(client_id, challenge, redirect_uri=evil)),
                             "access_denied")

    def test_consent_post_without_the_persons_csrf_token_is_refused(self):
        client_id = self.client_id()
        _verifier, challenge = pkce()
        params = self.authorize_params(client_id, challenge)
        # the attacker's own CSRF token (from their own session), then none, in a POST the victim's browser sends
        self.authenticate("admin", "admin")
        attacker_csrf = re.search(r'name="csrf_token" value="([^"]+)"', self.get(AUTHORIZE, **params).text).group(1)
        self.authenticate("oauth_person", "oauth_person_pw!")
        codes = self.env["llm.mcp.oauth.code"].sudo().search_count([])
        for csrf in ({"csrf_token": attacker_csrf}, {}):
            with mute_logger("odoo.http"):
                answer = self.form(AUTHORIZE, {**params, **csrf, "decision": "allow", "duration": "7"})
            self.assertEqual(answer.status_code, 400, answer.text[:300])
            self.assertNotIn("Location", answer.headers)
        self.assertEqual(self.env["llm.mcp.oauth.code"].sudo().search_count([]), codes, "a code was issued")

    def test_an_unknown_client_gets_401_invalid_client_so_it_registers_again(self):
        # what claude.ai's documentation asks of servers: 401 invalid_client from the token endpoint
        for grant in ({"grant_type": "refresh_token", "refresh_token": "x"},
                      {"grant_type": "authorization_code", "code": "x", "code_verifier": "y" * 43}):
            self.assertOAuthError(self.form(TOKEN, {**grant, "client_id": "mcp-deleted", "resource": self.resource}),
                                  "invalid_client", 401)

    def test_oauth_models_are_hidden_from_the_generic_tools(self):
        """An admin key cannot read grants, codes or refresh token hashes, nor rewrite a client's redirect URIs."""
        self.tokens_for(self.client_id())
        for model in ("llm.mcp.oauth.client", "llm.mcp.oauth.grant", "llm.mcp.oauth.code",
                      "llm.mcp.oauth.refresh.token"):
            ids = self.env[model].sudo().search([], limit=1).ids
            self.assertTrue(ids, model)
            for tool, arguments in (("odoo_search", {"model": model}), ("odoo_read", {"model": model, "ids": ids}),
                                    ("odoo_update", {"model": model, "ids": ids, "values": {"name": "x"}}),
                                    ("odoo_delete", {"model": model, "ids": ids})):
                response = self.call(self.admin_key, tool, arguments)
                self.assertIs(response.json()["isError"], True, (tool, model, response.text))
            self.assertTrue(self.env[model].sudo().browse(ids).exists())

    def test_a_person_cannot_widen_a_grant_over_rpc(self):
        tokens = self.tokens_for(self.client_id(), read_only="1")
        grant = self.grant_of(tokens["access_token"])
        with self.assertRaises(Exception):
            grant.with_user(self.person).write({"read_only": False})
        key = grant.key_ids.with_user(self.person)
        with self.assertRaises(Exception):
            key.write({"read_only": False})
        with self.assertRaises(Exception):
            key.write({"oauth_grant_id": False})


@tagged("post_install", "-at_install", "llm_security")
class TestClientMetadataDocuments(OAuthCase):
    """Documents served by a real HTTPS server on loopback (a throw-away certificate Odoo is told to trust), its
    host name resolved there as /etc/hosts would; fetched through the real routes."""

    HOST = "client.cimd.test"
    CLIENT_ID = f"https://{HOST}:{{port}}/oauth/client.json"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.documents = _DocumentServer.start(cls.HOST)
        cls.addClassCleanup(cls.documents.stop)
        cls.CLIENT_ID = cls.CLIENT_ID.format(port=cls.documents.port)
        trust = patch.dict(os.environ, {"REQUESTS_CA_BUNDLE": cls.documents.cert})
        trust.start()
        cls.addClassCleanup(trust.stop)
        resolver = patch.object(oauth.socket, "getaddrinfo",
                                _hosts({cls.HOST: "127.0.0.1", "other.cimd.test": "127.0.0.1"}))
        resolver.start()
        cls.addClassCleanup(resolver.stop)

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param("llm_mcp_server.oauth_cimd_allow_private", "True")
        self.documents.reset(self.document())

    def document(self, **fields_):
        return {"client_id": self.CLIENT_ID, "client_name": "Doc Client", "redirect_uris": [REDIRECT], **fields_}

    def open_consent(self, client_id=None):
        _verifier, challenge = pkce()
        self.authenticate("oauth_person", "oauth_person_pw!")
        return self.get(AUTHORIZE, **self.authorize_params(client_id or self.CLIENT_ID, challenge))

    def client(self, client_id=None):
        self.env.invalidate_all()
        return self.env["llm.mcp.oauth.client"].sudo().search([("client_id", "=", client_id or self.CLIENT_ID)])

    def assertRefused(self, page):
        self.assertEqual(page.status_code, 400, page.text[:300])
        self.assertNotIn("Location", page.headers)

    def test_a_valid_document_registers_the_client(self):
        page = self.open_consent()
        self.assertEqual(page.status_code, 200, page.text[:300])
        self.assertIn("Doc Client", page.text)
        self.assertEqual(self.client().registration, "cimd")
        self.assertEqual(self.documents.hits, ["/oauth/client.json"])

    def test_the_whole_flow_with_a_metadata_document_client(self):
        tokens = self.tokens_for(self.CLIENT_ID)
        self.assertEqual(self.post(IDENTITY, key=tokens["access_token"]).status_code, 200)
        self.assertEqual(self.refresh(self.CLIENT_ID, tokens["refresh_token"]).status_code, 200)

    def test_a_document_whose_client_id_differs_is_refused(self):
        self.documents.reset(self.document(client_id=f"https://{self.HOST}:{self.documents.port}/other.json"))
        self.assertRefused(self.open_consent())
        self.assertFalse(self.client())

    def test_documents_on_private_or_loopback_addresses_are_not_fetched(self):
        self.env["ir.config_parameter"].sudo().set_param("llm_mcp_server.oauth_cimd_allow_private", "False")
        for address in ("127.0.0.1", "10.0.0.5", "169.254.169.254", "::1", "192.168.1.2", "::ffff:127.0.0.1",
                        "100.64.0.1"):
            with patch.object(oauth.socket, "getaddrinfo", _hosts({self.HOST: address})):
                self.assertRefused(self.open_consent())
        self.assertEqual(self.documents.hits, [])
        # unless a system parameter allows it (tests, a private deployment)
        self.env["ir.config_parameter"].sudo().set_param("llm_mcp_server.oauth_cimd_allow_private", "True")
        self.assertEqual(self.open_consent().status_code, 200)

    def test_dns_rebinding_cannot_turn_the_fetch_to_a_private_address(self):
        # the attacker's DNS answers a public address to the check, then loopback to whoever asks again
        self.env["ir.config_parameter"].sudo().set_param("llm_mcp_server.oauth_cimd_allow_private", "False")
        answers = iter(["93.184.215.14"])
        resolve = _hosts({})

        def rebinding(host, port, *args, **kwargs):
            if host == self.HOST:
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers, "127.0.0.1"), port))]
            return resolve(host, port, *args, **kwargs)

        with patch.object(oauth, "CIMD_TIMEOUT_SECONDS", 1), patch.object(oauth.socket, "getaddrinfo", rebinding):
            self.assertRefused(self.open_consent())
        self.assertEqual(self.documents.hits, [], "the fetch went to the rebound (loopback) address")

    def test_allowed_domains_limit_the_documents_accepted(self):
        self.config.oauth_cimd_domains = "claude.ai, openai.com"
        self.assertRefused(self.open_consent())
        self.assertEqual(self.documents.hits, [])
        self.config.oauth_cimd_domains = "cimd.test"
        self.assertEqual(self.open_consent().status_code, 200)

    def test_a_document_with_a_javascript_redirect_uri_is_refused(self):
        self.documents.reset(self.document(redirect_uris=["javascript:alert(1)"]))
        self.assertRefused(self.open_consent())

    def test_non_https_client_ids_are_never_fetched(self):
        for client_id in (f"http://{self.HOST}:{self.documents.port}/oauth/client.json",
                          f"https://{self.HOST}:{self.documents.port}/", f"ftp://{self.HOST}/oauth/client.json"):
            self.assertRefused(self.open_consent(client_id))
        self.assertEqual(self.documents.hits, [])

    def test_redirects_are_not_followed(self):
        self.documents.reset(self.document(), status=302, headers={"Location": "/elsewhere.json"})
        self.assertRefused(self.open_consent())
        self.assertEqual(self.documents.hits, ["/oauth/client.json"])

    def test_huge_and_compressed_documents_are_refused(self):
        self.documents.reset(self.document(padding="x" * (oauth.CIMD_MAX_BYTES + 1)))
        self.assertRefused(self.open_consent())
        self.documents.reset(self.document(), headers={"Content-Encoding": "gzip"})
        self.assertRefused(self.open_consent())
        self.documents.reset(b"not json")
        self.assertRefused(self.open_consent())
        self.assertFalse(self.client())

    def test_a_slow_document_server_is_cut_at_the_deadline(self):
        for slow in ("trickle", "silent"):  # a byte at a time, each within any socket timeout; or no answer at all
            self.documents.reset(self.document(), slow=slow)
            started = time.monotonic()
            with patch.object(oauth, "CIMD_TIMEOUT_SECONDS", 1):
                self.assertRefused(self.open_consent())
            self.assertLess(time.monotonic() - started, 3, slow)
        self.assertFalse(self.client())

    def test_an_untrusted_or_mismatched_certificate_is_refused(self):
        with patch.dict(os.environ, {"REQUESTS_CA_BUNDLE": ""}):
            self.assertRefused(self.open_consent())  # the system's authorities do not know the test's certificate
        other = f"https://other.cimd.test:{self.documents.port}/oauth/client.json"
        self.documents.reset(self.document(client_id=other))
        self.assertRefused(self.open_consent(other))  # the certificate is not for that name
        self.assertFalse(self.client(other))

    def test_fetches_are_limited_per_address_and_in_all(self):
        # no-store: every sign-in fetches the document again, as naming a new URL each time would
        self.documents.reset(self.document(), headers={"Cache-Control": "no-store"})
        self.env["ir.config_parameter"].sudo().set_param("llm_mcp_server.oauth_cimd_fetches_per_minute", "2")
        self.assertEqual([self.open_consent().status_code for _ in range(2)], [200, 200])
        refused = self.open_consent()
        self.assertRefused(refused)
        self.assertIn("Too many client metadata documents fetched", refused.text)
        self.assertEqual(len(self.documents.hits), 2, "the refused sign-in fetched nothing")
        # without a limit per address, the limit in all still holds
        self.env["ir.config_parameter"].sudo().set_param("llm_mcp_server.oauth_cimd_fetches_per_minute", "0")
        with patch.object(llm_mcp_oauth_client, "CIMD_FETCHES_PER_MINUTE", 4):
            self.assertEqual([self.open_consent().status_code for _ in range(3)], [200, 200, 400])
        self.assertEqual(len(self.documents.hits), 4)

    def test_the_cache_lifetime_follows_the_documents_caching_headers_within_bounds(self):
        lifetime = oauth.cache_lifetime
        self.assertEqual(lifetime({}), oauth.CIMD_CACHE_SECONDS)
        self.assertEqual(lifetime({"Cache-Control": "public, max-age=600"}), 600)
        self.assertEqual(lifetime({"Cache-Control": "max-age=5"}), oauth.CIMD_CACHE_MIN_SECONDS)
        self.assertEqual(lifetime({"Cache-Control": "max-age=99999999"}), oauth.CIMD_CACHE_MAX_SECONDS)
        for none in ("no-store", "no-cache", "max-age=0", "max-age=-1", "max-age=abc",
                     "private, no-store, max-age=600"):
            self.assertEqual(lifetime({"Cache-Control": none}), 0, none)
        date = "Tue, 01 Dec 2026 10:00:00 GMT"
        self.assertEqual(lifetime({"Expires": "Tue, 01 Dec 2026 12:00:00 GMT", "Date": date}), 7200)
        self.assertEqual(lifetime({"Expires": "Tue, 01 Dec 2026 09:00:00 GMT", "Date": date}), 0)
        self.assertEqual(lifetime({"Expires": "0", "Date": date}), 0)
        self.assertEqual(lifetime({"Cache-Control": "max-age=120", "Expires": "0"}), 120)  # max-age wins (RFC 9111)

    def test_a_cached_document_is_reused_until_it_expires(self):
        self.documents.reset(self.document(), headers={"Cache-Control": "max-age=600"})
        before = fields.Datetime.now()
        self.assertEqual(self.open_consent().status_code, 200)
        self.assertEqual(self.open_consent().status_code, 200)
        self.assertEqual(len(self.documents.hits), 1, "fetched again within max-age")
        expires = self.client().metadata_expires_at
        self.assertTrue(before + timedelta(seconds=590) <= expires <= fields.Datetime.now() + timedelta(seconds=610),
                        expires)

    def test_a_no_store_document_is_fetched_on_every_use(self):
        self.documents.reset(self.document(), headers={"Cache-Control": "no-store"})
        tokens = self.tokens_for(self.CLIENT_ID)  # consent page, consent POST, token request: each fetches
        self.assertEqual(len(self.documents.hits), 3)
        self.assertEqual(self.refresh(self.CLIENT_ID, tokens["refresh_token"]).status_code, 200)
        self.assertEqual(len(self.documents.hits), 4)

    def test_a_changed_document_is_seen_once_the_cache_expires_and_still_binds_its_client_id(self):
        tokens = self.tokens_for(self.CLIENT_ID)
        self.documents.reset(self.document(client_name="Renamed Client", redirect_uris=["http://127.0.0.1:1/other"]))
        self.assertIn("Doc Client", self.open_consent().text)  # cached: the old document is still the one used
        self.client().metadata_expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.env.flush_all()
        # the new document is fetched: its redirect URIs now, not the old ones
        self.assertRefused(self.open_consent())
        self.assertEqual(self.client().name, "Renamed Client")
        # a document that now names another client_id is refused, every time, and the client with it
        self.documents.reset(self.document(client_id="https://evil.example/doc.json"))
        self.client().metadata_expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.env.flush_all()
        self.assertOAuthError(self.refresh(self.CLIENT_ID, tokens["refresh_token"]), "invalid_client")
        self.assertEqual(self.client().name, "Renamed Client")


def _hosts(table):
    """A resolver answering ``table``'s names as /etc/hosts would, the rest as the system does."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in table:
            family = socket.AF_INET6 if ":" in table[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (table[host], port))]
        return real(host, port, *args, **kwargs)
    return getaddrinfo


class _DocumentServer:
    """An HTTPS server on loopback answering every GET with the configured document, status and headers."""

    @classmethod
    def start(cls, host):
        self = cls()
        self.folder = tempfile.mkdtemp(prefix="llm-mcp-cimd-")
        self.cert, key = os.path.join(self.folder, "cert.pem"), os.path.join(self.folder, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", f"/CN={host}", "-addext", f"subjectAltName=DNS:{host},DNS:localhost,IP:127.0.0.1",
                        "-keyout", key, "-out", self.cert],
                       check=True, capture_output=True)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits.append(self.path)
                if server.slow == "silent":
                    time.sleep(3)
                    return
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                for name, value in server.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                if server.slow == "trickle":
                    for byte in server.body[:30]:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.2)
                    return
                self.wfile.write(server.body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda *_args: None  # a client cut off mid-answer is what some tests do
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def reset(self, document, status=200, headers=None, slow=None):
        self.body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.status, self.headers, self.slow, self.hits = status, headers or {}, slow, []

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        shutil.rmtree(self.folder, ignore_errors=True)
