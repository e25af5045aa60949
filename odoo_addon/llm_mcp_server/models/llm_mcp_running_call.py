"""The tool calls running now, so their caller can cancel them from any Odoo worker, host or sidecar replica.

A call registers itself before its tool runs, in a transaction of its own committed at once: who called (user
and subject: the key, or the OAuth grant whose access tokens count together), the JSON-RPC id, and the
PostgreSQL backend that runs the tool (its pid), plus the Odoo host and process for people reading the table.
The PostgreSQL backend is what every Odoo worker (prefork, threaded, gevent) and every Odoo host on the same
database can reach: ``cancel`` (the contract route ``cancel``) marks the caller's matching rows and sends
``pg_cancel_backend`` to their backends, so the tool's running query fails and its transaction rolls back. A
tool busy in Python rather than in a query is stopped at its end instead: ``finish`` (the same row deleted)
says the call was cancelled, and the call route then rolls everything back, whatever the tool returned.

Stale rows (a worker killed mid-call) never cancel anything: a backend is signalled only while it still runs
the very transaction that registered the row, the one whose ``xact_start`` in ``pg_stat_activity`` is not
later than the row's ``started_at`` (a later transaction on that backend, or a new backend given the same pid,
started after the call ended), and never the canceller's own backend; the cron removes them.

A call is named by its caller, its JSON-RPC id and its **scope**: what the sidecar says the id is unique within
(an MCP session, or one 2026-07-28 call's own token; ``cancel_scope`` of the contract). Request ids are only
unique per session (clients start at 0 or 1), so two sessions of one key never reach each other's calls.

A cancellation that finds no running call leaves a **tombstone** (a row with no backend, expiring after
``TOMBSTONE_SECONDS``): the call it names may not have reached a free Odoo worker yet. ``_start`` consumes a
tombstone of its own scope and id in the same statement as its INSERT, and the call then runs nothing (audited
``cancelled``). Only scoped cancellations leave one that a call can meet: an id is never reused within a scope,
so a tombstone cannot stop another, legitimate call; an unscoped cancellation's row only counts it. A
cancellation and a start of the same (caller, scope, id) are serialised by an advisory lock taken in the same
round trip, so either the cancellation sees the registered call or the call sees the tombstone. Fruitless
cancellations are bounded per key by those rows (``_cancellation_budget``).

The same rows bound the **calls one user runs at once** (the settings' ``running_calls_per_user``; each holds an
Odoo worker, so with prefork workers at most one less than their number: ``running_calls_cap``): ``_start``
counts the user's rows whose backend still runs the transaction that registered them (so a dead worker's rows
count no more) and refuses the call (TooManyRunning) at the cap, in the statement that would register it, after
a per-user advisory lock: two workers registering calls of one user in the same instant are counted one after
the other. Per user, not per key: a user can make keys (and each OAuth refresh makes one), which would multiply
a cap per key.
"""

import os
import socket

from odoo import api, fields, models

from .. import json_input
from ..apart_connections import APART
from ..contract import ContractError

# The registry's own writes need not wait for the disk: a row lives as long as its call, and after a database
# crash there is no call left to cancel. Sent in the same round trip as the statement.
NOT_DURABLE = "SET LOCAL synchronous_commit TO OFF; "
# A JSON-RPC id as text, as the call's audit row keeps it (llm_mcp_call.request_id).
REQUEST_ID_MAX_CHARS = 128
# A cancellation scope as the sidecar sends it (docs/contract.md, call and cancel: ``cancel_scope``).
SCOPE_MAX_CHARS = 128
# How long a cancellation that found nothing waits for its call (a call queued for a busy Odoo worker).
TOMBSTONE_SECONDS = 120
# Advisory lock class of the registry (the rate limits lock per user with one bigint key: no overlap).
_LOCK_CLASS = 7305
_HOST = socket.gethostname()[:64]
# Serialises a cancellation and a start of one (caller, scope, request id); held to the implicit transaction's end.
_LOCK = "SELECT pg_advisory_xact_lock(%s, hashtext(%s))"
# Serialises the starts of one user's calls (the cap counts them); taken before _LOCK, which nothing holds while
# waiting for this one, so the two never deadlock. Another class than the rate limits' per-user lock.
_USER_LOCK_CLASS = 7306
_USER_LOCK = "SELECT pg_advisory_xact_lock(%s, %s); "
# What _start returns for a call whose caller cancelled it before it started.
CANCELLED_BEFORE_START = "cancelled before start"
# What a call over the cap is told to wait: most calls end within a second, and none is known to end sooner.
RETRY_AFTER_SECONDS = 1
# A key with no calls limit still has a budget of fruitless cancellations.
UNLIMITED_CALLS_PER_MINUTE = 600


class CancellationsRefused(ContractError):
    """429 ``rate_limited`` on ``cancel``: the key's fruitless cancellations are over its budget."""

    outcome = "rate_limited"

    def __init__(self, message, retry_after):
        super().__init__(429, "rate_limited", message, headers={"Retry-After": str(retry_after)},
                         details={"retry_after": retry_after})


class TooManyRunning(ContractError):
    """429 ``rate_limited`` on ``call``: its user already runs the most calls at once the settings allow (any
    key, any sidecar, any Odoo worker); nothing ran. A slot frees when one of those calls ends."""

    outcome = "too_many_running"

    def __init__(self, message):
        super().__init__(429, "rate_limited", message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                         details={"retry_after": RETRY_AFTER_SECONDS})


class LlmMcpRunningCall(models.Model):
    """One row per tool call while it runs; written and read in SQL only, reachable by no tool or ORM user."""

    _name = "llm.mcp.running.call"
    _description = "MCP call running now"
    _log_access = False

    user_id = fields.Integer(required=True, readonly=True)
    subject = fields.Char(required=True, readonly=True, help="key:<api key id> or grant:<OAuth grant id>")
    request_id = fields.Char(required=True, readonly=True)
    scope = fields.Char(
        readonly=True,
        help="What the request id is unique within (an MCP session, one call's token); empty when the sidecar "
             "named none.",
    )
    backend_pid = fields.Integer(readonly=True, help="Empty for a tombstone: a cancellation that found no call.")
    odoo_host = fields.Char(readonly=True)
    odoo_pid = fields.Integer(readonly=True)
    started_at = fields.Datetime(required=True, readonly=True, help="After the start of the call's transaction.")
    cancel_requested = fields.Boolean(readonly=True)

    def init(self):
        # a cancellation finds the caller's calls by this; nothing else is ever looked up
        self.env.cr.execute("DROP INDEX IF EXISTS llm_mcp_running_call_caller")
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS llm_mcp_running_call_scoped "
            "ON llm_mcp_running_call (user_id, subject, request_id, scope)"
        )

    # -- the call route ----------------------------------------------------------------------------------------

    @api.model
    def _start(self, mcp_key, request_id, scope=None):
        """Register the call that this request's transaction is about to run; returns its row id, None (not
        registered) or CANCELLED_BEFORE_START (its caller cancelled it before it got here: run nothing); raises
        TooManyRunning when its user already runs the most calls at once allowed here (run nothing).

        Committed before the tool runs, so a cancellation served by any other worker sees it, and so does the
        next call of the user (the cap). A call without a request id cannot be named by a cancellation and is
        not registered (nor counted: the sidecar sends every call's JSON-RPC id). One round trip: the locks, the
        tombstone's removal, the count and the INSERT are one implicit transaction.
        """
        if not isinstance(request_id, str) or not request_id:
            return None
        request_id = json_input.storable(request_id[:REQUEST_ID_MAX_CHARS])
        scope = _scope(scope)
        # the call's own backend, known to the connection without a round trip
        pid = self.env.cr.connection.info.backend_pid
        subject = _subject(mcp_key)
        cap = self.env["llm.mcp.config"]._running_calls_cap()
        rows = self._apart(
            NOT_DURABLE + (_USER_LOCK if cap else "") + _LOCK + """;
            WITH tombstone AS (
                DELETE FROM llm_mcp_running_call
                 WHERE user_id = %s AND subject = %s AND request_id = %s AND scope = %s AND backend_pid IS NULL
                   AND started_at > (now() AT TIME ZONE 'UTC') - make_interval(secs => %s)
             RETURNING id
            ), running AS (
                -- the user's calls whose backend still runs the transaction that registered them: the rows of a
                -- worker killed mid-call (its backend gone, or serving a later request) count no more
                SELECT count(*) AS n FROM llm_mcp_running_call r
                 WHERE %s > 0 AND r.user_id = %s AND r.backend_pid IS NOT NULL
                   AND EXISTS (SELECT 1 FROM pg_stat_get_activity(r.backend_pid) a
                                WHERE a.xact_start AT TIME ZONE 'UTC' <= r.started_at)
            ), registered AS (
                INSERT INTO llm_mcp_running_call (user_id, subject, request_id, scope, backend_pid, odoo_host,
                                                  odoo_pid, started_at, cancel_requested)
                SELECT %s, %s, %s, %s, %s, %s, %s, now() AT TIME ZONE 'UTC', false
                 WHERE NOT EXISTS (SELECT 1 FROM tombstone) AND (%s = 0 OR (SELECT n FROM running) < %s)
                RETURNING id
            )
            SELECT (SELECT id FROM registered), EXISTS (SELECT 1 FROM tombstone)
            """,
            [*([_USER_LOCK_CLASS, mcp_key.user_id] if cap else []),
             *_lock_args(mcp_key.user_id, subject, scope, request_id),
             mcp_key.user_id, subject, request_id, scope, TOMBSTONE_SECONDS,
             cap, mcp_key.user_id,
             mcp_key.user_id, subject, request_id, scope, pid, _HOST, os.getpid(), cap, cap],
        )
        row_id, cancelled = rows[0]
        if row_id:
            return row_id
        if cancelled:
            return CANCELLED_BEFORE_START
        raise TooManyRunning(self.env._(
            "You already have %(n)s calls running at once, the most allowed here: this call was not run. Retry "
            "when one of them has finished.", n=cap,
        ))

    @api.model
    def _finish(self, row_id):
        """Remove the call's row; True when its caller cancelled it meanwhile (its work must not be kept)."""
        if not row_id:
            return False
        rows = self._apart(NOT_DURABLE + "DELETE FROM llm_mcp_running_call WHERE id = %s RETURNING cancel_requested",
                           [row_id])
        return bool(rows and rows[0][0])

    # -- the cancel route --------------------------------------------------------------------------------------

    @api.model
    def _cancel(self, mcp_key, request_id, scope=None):
        """Cancel the calls of this key (or grant) and user with this request id and scope; returns how many
        were running, or raises CancellationsRefused (429) past the key's budget of fruitless ones.

        Only the caller's own calls are ever matched (user and subject are the authenticated key's, never the
        body's), and a call is signalled once: a repeated cancellation finds it marked and does nothing. One
        that finds nothing running leaves a tombstone (see the module's docstring), within its key's budget.
        """
        scope = _scope(scope)
        subject = _subject(mcp_key)
        budget = self._cancellation_budget(mcp_key)
        rows = self._apart(
            NOT_DURABLE + _LOCK + """;
            WITH marked AS (
                UPDATE llm_mcp_running_call SET cancel_requested = true
                 WHERE user_id = %s AND subject = %s AND request_id = %s AND scope IS NOT DISTINCT FROM %s
                   AND backend_pid IS NOT NULL AND NOT cancel_requested
             RETURNING backend_pid, started_at
            ), expired AS (
                DELETE FROM llm_mcp_running_call
                 WHERE user_id = %s AND subject = %s AND backend_pid IS NULL
                   AND started_at <= (now() AT TIME ZONE 'UTC') - make_interval(secs => %s)
            ), fruitless AS (
                SELECT count(*) AS n FROM llm_mcp_running_call
                 WHERE user_id = %s AND subject = %s AND backend_pid IS NULL
                   AND started_at > (now() AT TIME ZONE 'UTC') - make_interval(secs => %s)
            ), tombstone AS (
                INSERT INTO llm_mcp_running_call (user_id, subject, request_id, scope, odoo_host, odoo_pid,
                                                  started_at, cancel_requested)
                SELECT %s, %s, %s, %s, %s, %s, now() AT TIME ZONE 'UTC', true
                 WHERE NOT EXISTS (SELECT 1 FROM marked) AND (SELECT n FROM fruitless) < %s
             RETURNING id
            )
            SELECT backend_pid, started_at FROM marked
             UNION ALL
            SELECT NULL, NULL WHERE NOT EXISTS (SELECT 1 FROM marked) AND NOT EXISTS (SELECT 1 FROM tombstone)
            """,
            # an unscoped cancellation's row has scope NULL: it counts, and no call's start ever matches it
            [*_lock_args(mcp_key.user_id, subject, scope, request_id),
             mcp_key.user_id, subject, request_id, scope,
             mcp_key.user_id, subject, TOMBSTONE_SECONDS,
             mcp_key.user_id, subject, TOMBSTONE_SECONDS,
             mcp_key.user_id, subject, request_id, scope or None, _HOST, os.getpid(), budget],
        )
        if rows == [(None, None)]:
            raise CancellationsRefused(self.env._(
                "Too many cancellations of calls that are not running: this key may send %(n)s in %(minutes)s "
                "minutes. Nothing was cancelled.", n=budget, minutes=TOMBSTONE_SECONDS // 60,
            ), TOMBSTONE_SECONDS // 4)
        targets = rows
        # the mark is committed first: a call that ends between here and the signal still sees it in _finish
        for pid, started_at in targets:
            self._apart(
                """
                SELECT pg_cancel_backend(pid) FROM pg_stat_activity
                 WHERE pid = %s AND pid <> pg_backend_pid() AND xact_start AT TIME ZONE 'UTC' <= %s
                """,
                [pid, started_at],
            )
        return len(targets)

    @api.model
    def _cancellation_budget(self, mcp_key):
        """Fruitless cancellations a key may send per TOMBSTONE_SECONDS: its calls in that time (a client
        cancels each call at most once; one that ended or has not started yet is fruitless)."""
        limits, _subject_of_limits = self.env["llm.mcp.rate.limit"]._limits_of(mcp_key)
        per_minute = limits.key_calls or limits.user_calls or UNLIMITED_CALLS_PER_MINUTE
        return per_minute * TOMBSTONE_SECONDS // 60

    @api.model
    def _gc_stale(self):
        """Cron: drop the rows of calls whose transaction no longer runs (a worker killed mid-call)."""
        self.env.cr.execute(
            """
            DELETE FROM llm_mcp_running_call r
             WHERE r.started_at < (now() AT TIME ZONE 'UTC') - make_interval(secs => %s)
               AND r.backend_pid IS NULL
            """, [TOMBSTONE_SECONDS]
        )
        removed = self.env.cr.rowcount
        self.env.cr.execute(
            """
            DELETE FROM llm_mcp_running_call r
             WHERE r.started_at < (now() AT TIME ZONE 'UTC') - interval '1 minute'
               AND r.backend_pid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                                WHERE a.pid = r.backend_pid AND a.xact_start AT TIME ZONE 'UTC' <= r.started_at)
            """
        )
        return removed + self.env.cr.rowcount

    def _apart(self, query, params):
        """The rows of ``query`` run apart from the request's transaction, committed at once; in a test's shared
        transaction (HttpCase: every request shares it, nothing commits), in that transaction.

        On a connection kept apart from Odoo's pool, in autocommit (apart_connections.py): each statement (with
        its ``SET LOCAL``, sent in the same query string) is one implicit READ COMMITTED transaction, begun and
        committed in its own round trip, with no BEGIN, COMMIT or connection reset on every call's hot path (as
        the rate limits' window). READ COMMITTED: a finish that meets a concurrent cancellation's mark waits for
        it and returns it, where REPEATABLE READ would fail with a serialization error.
        """
        if self.env.registry.in_test_mode():
            self.env.cr.execute(query, params)
            return self.env.cr.fetchall() if self.env.cr.description else []
        return APART.execute(self.env.cr.dbname, query, params)


def _scope(scope):
    """The scope as stored: the sidecar's text (checked by the route), '' when it named none."""
    return json_input.storable(scope[:SCOPE_MAX_CHARS]) if isinstance(scope, str) else ""


def _lock_args(user_id, subject, scope, request_id):
    return [_LOCK_CLASS, f"{user_id}\x1f{subject}\x1f{scope}\x1f{request_id}"]


def _subject(mcp_key):
    """Whose calls a key may cancel: those of the same key, or of the same OAuth grant (as rate_limit counts)."""
    return f"grant:{mcp_key.oauth_grant_id}" if mcp_key.oauth_grant_id else f"key:{mcp_key.apikey_id}"
