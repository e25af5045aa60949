"""Checking the key an MCP request carries: full pbkdf2 check, or the signed fast-path token of the contract."""

import dataclasses
import functools
import hashlib
import hmac
import logging
import time

import psycopg2

from odoo import api, models
from odoo.addons.base.models.res_users import INDEX_SIZE, KEY_CRYPT_CONTEXT
from odoo.tools import SQL

from ..apart_connections import APART
from ..contract import MCP_KEY_SCOPE, TOKEN_HMAC_SCOPE, TOKEN_TTL_SECONDS

_logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class McpKey:
    """The authenticated key of a request and the restrictions stored with it."""

    apikey_id: int
    user_id: int
    name: str
    scope: str | None  # "mcp", or None for a global key
    mcp_key_id: int | None  # the llm.mcp.key row; None for global keys and bare mcp-scoped keys
    read_only: bool
    allowed_tools: tuple | None  # None: no limit
    key_sha256: str = dataclasses.field(repr=False)
    # the stored pbkdf2 hash of the key (res_users_apikeys.key): the token's signing secret
    key_hash: str = dataclasses.field(repr=False)
    # the OAuth client whose access token this key is (llm.mcp.oauth.client id), for the audit row
    oauth_client_id: int | None = None
    # the key's own rate limits (calls per minute; 0: the settings') and the OAuth grant its calls count for
    calls_per_minute: int = 0
    writes_per_minute: int = 0
    oauth_grant_id: int | None = None


# One indexed query gives the key, its user's state and its restrictions (same conditions as Odoo's own
# res.users.apikeys._check_credentials: active user, scope NULL or ours, not expired).
_KEY_SELECT = """
    SELECT k.id, k.user_id, k.name, k.scope, m.id, COALESCE(m.read_only, FALSE),
           ARRAY(SELECT t.name FROM llm_mcp_key_llm_tool_rel r JOIN llm_tool t ON t.id = r.tool_id
                  WHERE r.key_id = m.id ORDER BY t.name),
           m.id IS NOT NULL AND (g.last_used IS NULL
                                 OR g.last_used < (now() AT TIME ZONE 'utc') - INTERVAL '1 minute'),
           k.key, og.client_id, COALESCE(m.calls_per_minute, 0), COALESCE(m.writes_per_minute, 0), og.id
      FROM res_users_apikeys k
      JOIN res_users u ON u.id = k.user_id
 LEFT JOIN llm_mcp_key m ON m.apikey_id = k.id
 LEFT JOIN llm_mcp_key_usage g ON g.key_id = m.id
 LEFT JOIN llm_mcp_oauth_grant og ON og.id = m.oauth_grant_id
     WHERE u.active
       AND (k.scope IS NULL OR k.scope = %(scope)s)
       AND (k.expiration_date IS NULL OR k.expiration_date >= now() AT TIME ZONE 'utc')
"""


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    @api.model
    def _llm_mcp_authenticate(self, key, token=None, apart=False):
        """The McpKey for ``key`` (an MCP-scoped or global key of an active user), or None.

        A valid fast-path ``token`` for this very key skips the pbkdf2 hash; the key row is still looked
        up, so revocation, expiry and user deactivation apply at once.

        ``apart``: look the key up on a connection kept apart from Odoo's pool, as a statement prepared once
        per connection (apart_connections.py), for the check that begins every MCP request (ir_http.py): the
        lookup joins five tables, and planning it cost more than running it on every call (docs/benchmarks.md).
        It reads what is committed, as the request's own first statement would; callers that look up a key
        their own transaction may have just made (OAuth) keep the default.
        """
        if not key or not isinstance(key, str) or len(key) > 256:
            return None
        key_sha256 = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        claimed = _token_claims(token) if token else None
        rows = []
        apart = apart and not self.env.registry.in_test_mode()
        select = self._llm_mcp_key_rows if apart else self._llm_mcp_key_rows_here
        if claimed:
            rows = [row for row in select("llm_mcp_key_by_token",
                                          _KEY_SELECT + " AND k.id = %(id)s AND k.user_id = %(uid)s",
                                          {"scope": MCP_KEY_SCOPE, "id": claimed[0], "uid": claimed[1]})
                    if _token_valid(token, claimed, row[8], key_sha256)]
        if not rows:
            rows = [row for row in select("llm_mcp_key_by_index", _KEY_SELECT + " AND k.index = %(index)s",
                                          {"scope": MCP_KEY_SCOPE, "index": key[:INDEX_SIZE]})
                    if KEY_CRYPT_CONTEXT.verify(key, row[8])]
        if not rows:
            return None
        (apikey_id, user_id, name, scope, mcp_key_id, read_only, allowed, stale, key_hash, oauth_client_id,
         calls_per_minute, writes_per_minute, oauth_grant_id) = rows[0]
        if stale:
            self._llm_mcp_touch(mcp_key_id)
        return McpKey(
            apikey_id=apikey_id,
            user_id=user_id,
            name=name,
            scope=scope,
            mcp_key_id=mcp_key_id,
            read_only=bool(read_only),
            allowed_tools=tuple(allowed) if allowed else None,
            key_sha256=key_sha256,
            key_hash=key_hash,
            oauth_client_id=oauth_client_id,
            calls_per_minute=calls_per_minute,
            writes_per_minute=writes_per_minute,
            oauth_grant_id=oauth_grant_id,
        )

    def _llm_mcp_key_rows_here(self, _name, query, params):
        self.env.cr.execute(query, params)
        return self.env.cr.fetchall()

    def _llm_mcp_key_rows(self, name, query, params):
        return APART.execute_prepared(self.env.cr.dbname, name, query, params)

    @api.model
    def _llm_mcp_touch(self, mcp_key_id):
        """Record that the key was used (the caller checked it was not in the last minute).

        The time goes to its own table (llm.mcp.key.usage), after the request's commit, in a separate
        READ COMMITTED transaction: updating the llm_mcp_key row inside requests would make concurrent
        requests of the same key, whose audit rows reference that row, fail with serialization errors
        (and Odoo would replay them).
        """
        if self.env.registry.in_test_mode():
            _record_key_use(self.env.cr, mcp_key_id)  # HttpCase: one shared test transaction, no post-commit
        else:
            self.env.cr.postcommit.add(functools.partial(_record_key_use_apart, self.env.registry, mcp_key_id))

    @api.model
    def _llm_mcp_make_token(self, mcp_key):
        """A fast-path token for ``mcp_key`` and its expiry (epoch seconds), as the contract defines it."""
        expires = int(time.time()) + TOKEN_TTL_SECONDS
        claims = f"{mcp_key.apikey_id}.{mcp_key.user_id}.{expires}"
        return f"{claims}.{_token_signature(claims, mcp_key.key_hash, mcp_key.key_sha256)}", expires

    @api.model
    def _llm_mcp_key_id_for(self, key):
        """Id of the key row ``_generate`` just made for ``key`` (``_generate`` only returns the secret)."""
        self.env.cr.execute(
            SQL(
                "SELECT id, key FROM res_users_apikeys WHERE user_id = %s AND index = %s ORDER BY id DESC",
                self.env.uid, key[:INDEX_SIZE],
            )
        )
        for apikey_id, hashed in self.env.cr.fetchall():
            if KEY_CRYPT_CONTEXT.verify(key, hashed):
                return apikey_id
        return None


def _token_signature(claims, key_hash, key_sha256):
    """HMAC-SHA256 of the claims and the presented key's SHA-256, keyed by the key's stored hash.

    The stored hash is per key, random-salted, and reachable by no ORM read, no tool and no system
    parameter: a token can only be made by whoever checked the key itself (docs/contract.md, Fast path).
    """
    message = f"{TOKEN_HMAC_SCOPE}.{claims}.{key_sha256}".encode()
    return hmac.new(key_hash.encode(), message, hashlib.sha256).hexdigest()


def _token_claims(token):
    """(key id, user id, expiry) of a well-formed, unexpired token, or None (never raises)."""
    parts = token.split(".") if isinstance(token, str) and len(token) < 256 else ()
    if len(parts) != 4 or not all(part.isascii() and part.isdigit() for part in parts[:3]):
        return None
    apikey_id, user_id, expires = (int(part) for part in parts[:3])
    now = time.time()
    # the lifetime is capped here too: a token claiming a later expiry than Odoo ever issues is no token
    if not now < expires <= now + TOKEN_TTL_SECONDS:
        return None
    return apikey_id, user_id, expires


def _token_valid(token, claims, key_hash, key_sha256):
    expected = _token_signature(".".join(map(str, claims)), key_hash, key_sha256)
    return hmac.compare_digest(expected, token.rsplit(".", 1)[1])


def _record_key_use(cr, mcp_key_id):
    cr.execute("""
        INSERT INTO llm_mcp_key_usage (key_id, last_used) VALUES (%s, now() AT TIME ZONE 'utc')
        ON CONFLICT (key_id) DO UPDATE SET last_used = EXCLUDED.last_used
         WHERE llm_mcp_key_usage.last_used < EXCLUDED.last_used - INTERVAL '1 minute'
    """, [mcp_key_id])


def _record_key_use_apart(registry, mcp_key_id):
    try:
        with registry.cursor() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            _record_key_use(cr, mcp_key_id)
    except psycopg2.Error:
        _logger.warning("Could not record the use of MCP key %s", mcp_key_id, exc_info=True)
