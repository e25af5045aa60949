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
"""

import os
import socket

from odoo import api, fields, models

from .. import json_input

# The registry's own writes need not wait for the disk: a row lives as long as its call, and after a database
# crash there is no call left to cancel. Sent in the same round trip as the statement.
NOT_DURABLE = "SET LOCAL synchronous_commit TO OFF; "
# A JSON-RPC id as text, as the call's audit row keeps it (llm_mcp_call.request_id).
REQUEST_ID_MAX_CHARS = 128
_HOST = socket.gethostname()[:64]


class LlmMcpRunningCall(models.Model):
    """One row per tool call while it runs; written and read in SQL only, reachable by no tool or ORM user."""

    _name = "llm.mcp.running.call"
    _description = "MCP call running now"
    _log_access = False

    user_id = fields.Integer(required=True, readonly=True)
    subject = fields.Char(required=True, readonly=True, help="key:<api key id> or grant:<OAuth grant id>")
    request_id = fields.Char(required=True, readonly=True)
    backend_pid = fields.Integer(required=True, readonly=True)
    odoo_host = fields.Char(readonly=True)
    odoo_pid = fields.Integer(readonly=True)
    started_at = fields.Datetime(required=True, readonly=True, help="After the start of the call's transaction.")
    cancel_requested = fields.Boolean(readonly=True)

    def init(self):
        # a cancellation finds the caller's calls by this; nothing else is ever looked up
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS llm_mcp_running_call_caller "
            "ON llm_mcp_running_call (user_id, subject, request_id)"
        )

    # -- the call route ----------------------------------------------------------------------------------------

    @api.model
    def _start(self, mcp_key, request_id):
        """Register the call that this request's transaction is about to run; returns its row id (or None).

        Committed before the tool runs, so a cancellation served by any other worker sees it. A call without a
        request id cannot be named by a cancellation and is not registered.
        """
        if not isinstance(request_id, str) or not request_id:
            return None
        # the call's own backend, known to the connection without a round trip
        pid = self.env.cr.connection.info.backend_pid
        with self._apart() as cr:
            cr.execute(
                NOT_DURABLE + """
                INSERT INTO llm_mcp_running_call (user_id, subject, request_id, backend_pid, odoo_host, odoo_pid,
                                                  started_at, cancel_requested)
                VALUES (%s, %s, %s, %s, %s, %s, now() AT TIME ZONE 'UTC', false)
                RETURNING id
                """,
                [mcp_key.user_id, _subject(mcp_key), json_input.storable(request_id[:REQUEST_ID_MAX_CHARS]), pid,
                 _HOST, os.getpid()],
            )
            return cr.fetchone()[0]

    @api.model
    def _finish(self, row_id):
        """Remove the call's row; True when its caller cancelled it meanwhile (its work must not be kept)."""
        if not row_id:
            return False
        with self._apart() as cr:
            cr.execute(NOT_DURABLE + "DELETE FROM llm_mcp_running_call WHERE id = %s RETURNING cancel_requested",
                       [row_id])
            row = cr.fetchone()
        return bool(row and row[0])

    # -- the cancel route --------------------------------------------------------------------------------------

    @api.model
    def _cancel(self, mcp_key, request_id):
        """Cancel the calls of this key (or grant) and user with this request id; returns how many were running.

        Only the caller's own calls are ever matched (user and subject are the authenticated key's, never the
        body's), and a call is signalled once: a repeated cancellation finds it marked and does nothing.
        """
        with self._apart() as cr:
            cr.execute(
                """
                UPDATE llm_mcp_running_call SET cancel_requested = true
                 WHERE user_id = %s AND subject = %s AND request_id = %s AND NOT cancel_requested
             RETURNING backend_pid, started_at
                """,
                [mcp_key.user_id, _subject(mcp_key), request_id],
            )
            targets = cr.fetchall()
        # the mark is committed first: a call that ends between here and the signal still sees it in _finish
        if targets:
            with self._apart() as cr:
                for pid, started_at in targets:
                    cr.execute(
                        """
                        SELECT pg_cancel_backend(pid) FROM pg_stat_activity
                         WHERE pid = %s AND pid <> pg_backend_pid() AND xact_start AT TIME ZONE 'UTC' <= %s
                        """,
                        [pid, started_at],
                    )
        return len(targets)

    @api.model
    def _gc_stale(self):
        """Cron: drop the rows of calls whose transaction no longer runs (a worker killed mid-call)."""
        self.env.cr.execute(
            """
            DELETE FROM llm_mcp_running_call r
             WHERE r.started_at < (now() AT TIME ZONE 'UTC') - interval '1 minute'
               AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                                WHERE a.pid = r.backend_pid AND a.xact_start AT TIME ZONE 'UTC' <= r.started_at)
            """
        )
        return self.env.cr.rowcount

    def _apart(self):
        """A connection of its own in autocommit; the request's own transaction in a test's shared one.

        Each statement (with its ``SET LOCAL``, sent in the same query string) is then one implicit READ
        COMMITTED transaction, begun and committed in its own round trip: no BEGIN and COMMIT round trips on
        every call's hot path (as the rate limits' window, rate_limit.reserve_apart). READ COMMITTED: a finish
        that meets a concurrent cancellation's mark waits for it and returns it, where REPEATABLE READ would
        fail with a serialization error. The pool's next borrower gets the connection out of autocommit (Odoo's
        cursor sets its isolation level when it is made).
        """
        if self.env.registry.in_test_mode():
            return _Shared(self.env.cr)
        cr = self.env.registry.cursor()
        cr.connection.autocommit = True
        return cr


class _Shared:
    """HttpCase: every request shares the test's transaction, so 'apart' is that transaction (nothing commits)."""

    def __init__(self, cr):
        self.cr = cr

    def __enter__(self):
        return self.cr

    def __exit__(self, *exc):
        return False


def _subject(mcp_key):
    """Whose calls a key may cancel: those of the same key, or of the same OAuth grant (as rate_limit counts)."""
    return f"grant:{mcp_key.oauth_grant_id}" if mcp_key.oauth_grant_id else f"key:{mcp_key.apikey_id}"
