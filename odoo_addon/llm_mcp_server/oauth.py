"""OAuth 2.1 building blocks of the authorization server (docs/contract.md, OAuth), free of Odoo models.

Redirect URI rules (exact match; loopback any port, RFC 8252 §7.3), PKCE S256 (RFC 7636), hashed secrets, the
public URLs derived from the MCP settings' public URL, and the guarded fetch of Client ID Metadata Documents.
"""

import base64
import email.utils
import hashlib
import hmac
import http.client
import ipaddress
import json
import os
import re
import secrets
import socket
import ssl
import threading
import time
import urllib.parse

import requests

# Authorization codes live this long and are single-use (OAuth 2.1 §4.1.2 recommends at most 10 minutes).
CODE_TTL_SECONDS = 60
# Access tokens never live longer than this, whatever the settings say.
ACCESS_TOKEN_MAX_MINUTES = 60
SCOPE = "mcp"
# The OAuth routes on Odoo's public side (the proxy refuses /llm_mcp/ on its public port).
OAUTH_PREFIX = "/llm_mcp_oauth"
AUTHORIZE_PATH = OAUTH_PREFIX + "/authorize"
TOKEN_PATH = OAUTH_PREFIX + "/token"
REGISTER_PATH = OAUTH_PREFIX + "/register"
REVOKE_PATH = OAUTH_PREFIX + "/revoke"
AS_METADATA_PATH = "/.well-known/oauth-authorization-server"
PRM_PATH = "/.well-known/oauth-protected-resource"

CIMD_MAX_BYTES = 64 * 1024
# The whole fetch of a metadata document (connect, headers, body) ends within this many seconds.
CIMD_TIMEOUT_SECONDS = 5
# How long a fetched document is trusted: the document's own Cache-Control max-age or Expires, kept within these
# bounds (a minimum, so a client cannot make every request a fetch by asking for 1 s; a maximum, so a changed
# document is seen within a day); this long when it says nothing. no-store, no-cache or max-age=0: not kept.
CIMD_CACHE_SECONDS = 3600
CIMD_CACHE_MIN_SECONDS = 60
CIMD_CACHE_MAX_SECONDS = 24 * 3600

_LOOPBACK_HOSTS = {"127.0.0.1", "[::1]", "localhost"}
# Schemes a browser must never be sent to with a code (script, local files, inline documents).
_FORBIDDEN_SCHEMES = {
    "javascript", "data", "vbscript", "file", "about", "blob", "filesystem", "view-source", "ws", "wss",
}
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*$")
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


class OAuthError(Exception):
    """An OAuth error answer: the RFC 6749 ``error`` code, a description, and the HTTP status."""

    def __init__(self, error, description, status=400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def new_secret():
    """A 256-bit random value, URL-safe."""
    return secrets.token_urlsafe(32)


def secret_hash(value):
    """SHA-256 hex of a code or refresh token: what is stored, never the value itself."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def pkce_s256_matches(verifier, challenge):
    """RFC 7636 §4.6 with S256: BASE64URL(SHA256(verifier)) == challenge, compared in constant time."""
    if not isinstance(verifier, str) or not _VERIFIER.match(verifier) or not isinstance(challenge, str):
        return False
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    return hmac.compare_digest(digest, challenge)


# -- redirect URIs ---------------------------------------------------------------------------------------------

def redirect_uri_problem(uri):
    """Why ``uri`` cannot be registered as a redirect URI, or None.

    https anywhere; http only on a loopback host (RFC 8252 §7.3); a private-use scheme of a native app
    (``cursor://…``, ``com.example.app:/cb``); never script, data or file schemes, never a fragment.
    """
    if not isinstance(uri, str) or not uri or len(uri) > 2000 or any(c.isspace() or ord(c) < 32 for c in uri):
        return "a redirect URI must be a non-empty string without spaces"
    parsed = urllib.parse.urlsplit(uri)
    scheme = parsed.scheme.lower()
    if not scheme or not _SCHEME.match(scheme):
        return f"{uri!r} is not an absolute URI"
    if scheme in _FORBIDDEN_SCHEMES:
        return f"the scheme {scheme}: is not allowed for redirect URIs"
    if parsed.fragment or "#" in uri:
        return "a redirect URI must not have a fragment"
    if scheme == "http" and _host_of(parsed) not in _LOOPBACK_HOSTS:
        return "http redirect URIs are allowed on loopback hosts only (127.0.0.1, [::1], localhost); use https"
    if scheme in ("http", "https") and not parsed.hostname:
        return f"{uri!r} has no host"
    return None


def _host_of(parsed):
    host = (parsed.hostname or "").lower()
    return f"[{host}]" if ":" in host else host


def redirect_uri_matches(registered, presented):
    """Exact string match, except that a loopback http URI matches on any port (RFC 8252 §7.3)."""
    if not isinstance(presented, str):
        return False
    if presented == registered:
        return True
    a, b = urllib.parse.urlsplit(registered), urllib.parse.urlsplit(presented)
    loopback = a.scheme == b.scheme == "http" and _host_of(a) in _LOOPBACK_HOSTS and _host_of(a) == _host_of(b)
    no_userinfo = "@" not in a.netloc and "@" not in b.netloc
    return loopback and no_userinfo and (a.path, a.query, a.fragment) == (b.path, b.query, b.fragment)


def with_query(uri, params):
    """``uri`` with ``params`` (None values left out) added to its query."""
    parts = urllib.parse.urlsplit(uri)
    extra = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


# -- public URLs -------------------------------------------------------------------------------------------------

def public_urls(public_mcp_url):
    """The OAuth URLs of this server, all derived from the public MCP URL of the settings.

    The issuer is the origin users reach Odoo and the sidecar by (the same proxy); the resource is the MCP URL
    itself; the protected-resource metadata sits at the RFC 9728 well-known path for that URL.
    """
    parsed = urllib.parse.urlsplit(public_mcp_url)
    issuer = f"{parsed.scheme}://{parsed.netloc}"
    path = parsed.path.rstrip("/")
    return {
        "issuer": issuer,
        "resource": f"{issuer}{path}",
        "resource_metadata": f"{issuer}{PRM_PATH}{path}",
        "authorization_endpoint": issuer + AUTHORIZE_PATH,
        "token_endpoint": issuer + TOKEN_PATH,
        "registration_endpoint": issuer + REGISTER_PATH,
        "revocation_endpoint": issuer + REVOKE_PATH,
    }


def same_resource(requested, resource):
    """RFC 8707 resource match: scheme and host compared case-insensitively, a trailing slash ignored."""
    if not isinstance(requested, str) or not requested:
        return False
    a, b = urllib.parse.urlsplit(requested), urllib.parse.urlsplit(resource)
    if a.fragment or a.query != b.query:
        return False
    return ((a.scheme.lower(), a.netloc.lower(), a.path.rstrip("/"))
            == (b.scheme.lower(), b.netloc.lower(), b.path.rstrip("/")))


# -- Client ID Metadata Documents ------------------------------------------------------------------------------

def is_metadata_document_client_id(client_id):
    """A client_id that is an https URL with a path: a Client ID Metadata Document."""
    if not isinstance(client_id, str) or not client_id.startswith("https://"):
        return False
    parsed = urllib.parse.urlsplit(client_id)
    return bool(parsed.hostname) and parsed.path not in ("", "/") and not parsed.fragment


def _public_address(address):
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def fetch_client_metadata(client_id, allowed_domains=(), allow_private=False):
    """The validated Client ID Metadata Document at ``client_id`` and how long it may be cached (seconds).

    Raises OAuthError(invalid_client). Refuses hosts outside ``allowed_domains`` (when set), hosts resolving to
    private, loopback or link-local addresses unless ``allow_private`` (a system parameter, for tests), redirects,
    compressed or oversized bodies (64 KB), fetches that take longer than CIMD_TIMEOUT_SECONDS in all, and
    documents whose ``client_id`` is not exactly the URL fetched. The connection goes to the address that was
    checked (no second DNS lookup a rebinding answer could change), with the certificate checked for the host.
    """
    parsed = urllib.parse.urlsplit(client_id)
    host = (parsed.hostname or "").lower()
    if allowed_domains and not any(host == d or host.endswith("." + d) for d in allowed_domains):
        raise OAuthError("invalid_client", f"Clients from {host} are not allowed on this server.")
    port = parsed.port or 443
    try:
        addresses = [info[4][0].split("%")[0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    except (OSError, UnicodeError, ValueError):
        raise OAuthError("invalid_client", f"The client's host {host} cannot be resolved.") from None
    if not addresses:
        raise OAuthError("invalid_client", f"The client's host {host} cannot be resolved.")
    if not allow_private and not all(_public_address(a) for a in addresses):
        raise OAuthError("invalid_client", "The client's metadata document is on a private or loopback address.")
    connection = _PinnedHTTPSConnection(host, addresses[0], port, timeout=CIMD_TIMEOUT_SECONDS)
    # One deadline for the whole fetch (connect, TLS, headers, body): a server trickling bytes, each within a
    # socket timeout, would otherwise hold an Odoo worker as long as it likes. The watchdog cuts the socket.
    watchdog = threading.Timer(CIMD_TIMEOUT_SECONDS, connection.abort)
    watchdog.start()
    try:
        connection.request("GET", urllib.parse.urlunsplit(("", "", parsed.path, parsed.query, "")), headers={
            "Accept": "application/json", "Accept-Encoding": "identity", "User-Agent": "Odoo-MCP-authorization-server"})
        response = connection.getresponse()
        if response.status != 200:  # a redirect too: never followed
            raise OAuthError("invalid_client", f"The client's metadata document answered HTTP {response.status}.")
        if (response.getheader("Content-Encoding") or "identity").lower() != "identity":
            raise OAuthError("invalid_client", "The client's metadata document must not be compressed.")
        body = b""
        while len(body) <= CIMD_MAX_BYTES:
            piece = response.read1(8192)
            if not piece:
                break
            body += piece
        headers = {name: response.getheader(name) for name in ("Cache-Control", "Expires", "Date")}
    except (OSError, http.client.HTTPException, ValueError):
        if connection.aborted:
            raise _too_slow() from None
        raise OAuthError("invalid_client", "The client's metadata document could not be fetched.") from None
    finally:
        watchdog.cancel()
        connection.release()
    if connection.aborted:  # cut while the body was read: what arrived is incomplete
        raise _too_slow()
    if len(body) > CIMD_MAX_BYTES:
        raise OAuthError("invalid_client", "The client's metadata document is larger than 64 KB.")
    try:
        document = json.loads(body)
    except ValueError:
        raise OAuthError("invalid_client", "The client's metadata document is not JSON.") from None
    return validate_client_metadata(document, client_id=client_id), cache_lifetime(headers)


def _too_slow():
    return OAuthError("invalid_client", f"The client's metadata document took longer than {CIMD_TIMEOUT_SECONDS} s.")


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ``host`` at the one ``address`` already checked; the certificate is verified for ``host``."""

    def __init__(self, host, address, port, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context(cafile=_ca_bundle()))
        self._address = address
        self._cutter = None  # a duplicate of the socket's descriptor: shutdown(2) through it ends the connection
        self.aborted = False

    def connect(self):
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self._cutter = raw.dup()  # (wrap_socket takes over raw's descriptor)
        if self.aborted:  # the watchdog fired while connecting, before it could see the socket
            raw.close()
            raise TimeoutError
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)

    def abort(self):
        """Ends the connection from another thread: a blocked read or handshake returns at once."""
        self.aborted = True
        if self._cutter is not None:
            try:
                self._cutter.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def release(self):
        """Closes the connection and the watchdog's descriptor (not close(): http.client calls that early)."""
        self.close()
        if self._cutter is not None:
            self._cutter.close()


def _ca_bundle():
    """The certificate authorities Odoo's HTTP library trusts (REQUESTS_CA_BUNDLE honoured, as requests does)."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or requests.certs.where()


def cache_lifetime(headers):
    """Seconds a metadata document may be reused, from its HTTP caching headers (RFC 9111), within bounds.

    0 for no-store, no-cache or max-age=0 (fetched again on every use); max-age, else Expires (relative to the
    response's Date, else now), kept within CIMD_CACHE_MIN_SECONDS..CIMD_CACHE_MAX_SECONDS; CIMD_CACHE_SECONDS
    when neither is given. An Expires that cannot be read counts as already expired (RFC 9111 §5.3).
    """
    directives = {}
    for part in (headers.get("Cache-Control") or "").split(","):
        name, _sep, value = part.strip().partition("=")
        if name:
            directives.setdefault(name.strip().lower(), value.strip().strip('"'))
    if "no-store" in directives or "no-cache" in directives:
        return 0
    if "max-age" in directives:
        seconds = int(directives["max-age"]) if directives["max-age"].isdigit() else 0
    elif headers.get("Expires") is not None:
        seconds = _seconds_until(headers.get("Expires"), headers.get("Date"))
    else:
        return CIMD_CACHE_SECONDS
    if seconds <= 0:
        return 0
    return max(CIMD_CACHE_MIN_SECONDS, min(CIMD_CACHE_MAX_SECONDS, seconds))


def _seconds_until(expires, date):
    try:
        expires_at = email.utils.parsedate_to_datetime(expires).timestamp()
    except (TypeError, ValueError, IndexError):
        return 0
    try:
        now = email.utils.parsedate_to_datetime(date).timestamp() if date else time.time()
    except (TypeError, ValueError, IndexError):
        now = time.time()
    return int(expires_at - now)


def validate_client_metadata(document, client_id=None):
    """The client metadata (RFC 7591 §2) we keep, validated; raises OAuthError.

    With ``client_id`` (a metadata document), the document's client_id must be exactly that URL.
    """
    error = "invalid_client" if client_id else "invalid_client_metadata"
    if not isinstance(document, dict):
        raise OAuthError(error, "Client metadata must be a JSON object.")
    if client_id is not None and document.get("client_id") != client_id:
        raise OAuthError("invalid_client", "The metadata document's client_id is not the URL it was fetched from.")
    uris = document.get("redirect_uris")
    if not isinstance(uris, list) or not uris or len(uris) > 20:
        raise OAuthError("invalid_redirect_uri", "redirect_uris must be a list of 1 to 20 URIs.")
    for uri in uris:
        problem = redirect_uri_problem(uri)
        if problem:
            raise OAuthError("invalid_redirect_uri", problem)
    method = document.get("token_endpoint_auth_method", "none")
    if method != "none":
        raise OAuthError(error, "Only public clients (token_endpoint_auth_method \"none\") are supported.")
    grant_types = document.get("grant_types", ["authorization_code"])
    if not isinstance(grant_types, list) or "authorization_code" not in grant_types:
        raise OAuthError(error, "grant_types must include authorization_code.")
    name = document.get("client_name")
    if name is not None and not isinstance(name, str):
        raise OAuthError(error, "client_name must be a string.")
    urls = {}
    for field in ("logo_uri", "client_uri"):
        value = document.get(field)
        if value is not None and not (isinstance(value, str) and value.startswith("https://") and len(value) < 2000):
            value = None  # an optional decoration: an unusable one is dropped rather than refused
        urls[field] = value
    return {
        "client_name": (name or "").strip()[:128] or None,
        "redirect_uris": list(dict.fromkeys(uris)),
        "grant_types": [g for g in grant_types if g in ("authorization_code", "refresh_token")],
        **urls,
    }
