"""Rate limits of MCP calls: a sliding window of the last 60 seconds, shared by every Odoo worker and replica.

Each call that is let through leaves one row in ``llm_mcp_rate_event`` (user, subject, write or not, time);
a call is refused when the rows of the last 60 seconds already reach a limit. The counting and the row are
one call of the SQL function ``llm_mcp_rate_reserve``, in a short READ COMMITTED transaction of its own that
takes a transaction-scoped advisory lock per user, so:

- parallel calls of one user (any of their keys, on any worker or replica) are counted one after the other
  and never overshoot a limit; other users never wait on that lock;
- the count runs after the lock is granted with a snapshot of its own (READ COMMITTED, each statement of a
  volatile function sees what was committed when it started), and the transaction commits before the tool
  runs: the next caller sees every call let through before it, even calls still running. Counting the audit
  rows instead would miss those (a call's audit row is committed when it ends) and, in Odoo's REPEATABLE READ
  request transaction, whatever was committed after the request's first query.
- one round trip does the work: the statement runs in autocommit, so PostgreSQL wraps it in a transaction of
  its own (begun and committed in that round trip), and the lock is released when it ends. It runs on a
  connection kept apart from Odoo's pool (apart_connections.py): the pool resets a connection on
  every borrow (psycopg2's reset, ``DISCARD ALL``), one more round trip that also throws away the session's
  plans of the function's statements, so that every call planned them again (0.63 ms against 0.27 ms per
  check, measured on the development machine).

Refused calls leave no row, so they do not count: a loop that keeps calling is let through at the limit's
rate (never more), and nothing is locked out for longer than the window.
"""

import dataclasses

from .apart_connections import APART

WINDOW_SECONDS = 60
# First key of the two-int advisory lock (the second is the user id): a namespace of ours ("LMRL").
LOCK_NAMESPACE = 0x4C4D524C


@dataclasses.dataclass(frozen=True)
class Limits:
    """Calls allowed per window; 0: no limit."""

    key_calls: int = 0
    key_writes: int = 0
    user_calls: int = 0

    def any(self):
        return bool(self.key_calls or self.key_writes or self.user_calls)


@dataclasses.dataclass(frozen=True)
class Refusal:
    """Which limit a call met, and how long until a call would be let through again."""

    limit: str  # "key_calls", "key_writes" or "user_calls"
    allowed: int
    retry_after: int  # whole seconds, at least 1


_FUNCTION = """
CREATE OR REPLACE FUNCTION llm_mcp_rate_reserve(
    p_user integer, p_subject varchar, p_write boolean,
    p_key_calls integer, p_key_writes integer, p_user_calls integer, p_window integer, p_namespace integer)
RETURNS TABLE (limit_name text, allowed integer, retry_after integer)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    since timestamptz;
    used_key integer;
    used_writes integer;
    used_user integer;
    oldest timestamptz;
    wait integer;
BEGIN
    PERFORM pg_advisory_xact_lock(p_namespace, p_user);
    -- clock_timestamp(), not now(): the time after the lock was granted
    since := clock_timestamp() - make_interval(secs => p_window);
    SELECT count(*) FILTER (WHERE subject = p_subject),
           count(*) FILTER (WHERE subject = p_subject AND is_write),
           count(*)
      INTO used_key, used_writes, used_user
      FROM llm_mcp_rate_event
     WHERE user_id = p_user AND at > since;
    retry_after := 0;
    -- for each limit met, the call that must leave the window first: the (used - allowed)-th oldest
    IF p_key_calls > 0 AND used_key >= p_key_calls THEN
        SELECT at INTO oldest FROM llm_mcp_rate_event
         WHERE user_id = p_user AND subject = p_subject AND at > since
         ORDER BY at OFFSET used_key - p_key_calls LIMIT 1;
        wait := greatest(1, ceil(extract(epoch FROM oldest - since)));
        IF wait > retry_after THEN limit_name := 'key_calls'; allowed := p_key_calls; retry_after := wait; END IF;
    END IF;
    IF p_write AND p_key_writes > 0 AND used_writes >= p_key_writes THEN
        SELECT at INTO oldest FROM llm_mcp_rate_event
         WHERE user_id = p_user AND subject = p_subject AND is_write AND at > since
         ORDER BY at OFFSET used_writes - p_key_writes LIMIT 1;
        wait := greatest(1, ceil(extract(epoch FROM oldest - since)));
        IF wait > retry_after THEN limit_name := 'key_writes'; allowed := p_key_writes; retry_after := wait; END IF;
    END IF;
    IF p_user_calls > 0 AND used_user >= p_user_calls THEN
        SELECT at INTO oldest FROM llm_mcp_rate_event
         WHERE user_id = p_user AND at > since
         ORDER BY at OFFSET used_user - p_user_calls LIMIT 1;
        wait := greatest(1, ceil(extract(epoch FROM oldest - since)));
        IF wait > retry_after THEN limit_name := 'user_calls'; allowed := p_user_calls; retry_after := wait; END IF;
    END IF;
    IF retry_after > 0 THEN
        RETURN NEXT;  -- refused: nothing recorded
        RETURN;
    END IF;
    INSERT INTO llm_mcp_rate_event (user_id, subject, is_write, at)
         VALUES (p_user, p_subject, p_write, clock_timestamp());
    DELETE FROM llm_mcp_rate_event WHERE user_id = p_user AND at <= since;
END
$fn$;
"""


def create_table(cr):
    """The window's table (no foreign keys: rows live a minute, the cron prunes the rest) and its function."""
    cr.execute("""
        CREATE TABLE IF NOT EXISTS llm_mcp_rate_event (
            user_id integer NOT NULL,
            subject varchar NOT NULL,
            is_write boolean NOT NULL,
            at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS llm_mcp_rate_event_user_at ON llm_mcp_rate_event (user_id, at)
            INCLUDE (subject, is_write);
    """)
    cr.execute(_FUNCTION)


_RESERVE = "SELECT limit_name, allowed, retry_after FROM llm_mcp_rate_reserve(%s, %s, %s, %s, %s, %s, %s, %s)"
# apart: the window's rows are rebuilt within a minute after a crash, so its commit needs no disk wait (in the
# same round trip; only that transaction's commit)
_RESERVE_APART = "SET LOCAL synchronous_commit TO OFF; " + _RESERVE


def _reserve_params(user_id, subject, write, limits):
    return [user_id, subject, bool(write), limits.key_calls or 0, limits.key_writes or 0, limits.user_calls or 0,
            WINDOW_SECONDS, LOCK_NAMESPACE]


def reserve(cr, user_id, subject, write, limits):
    """Count one call of ``subject`` (a key or an OAuth grant) of ``user_id`` against ``limits``.

    Returns None and records the call when it is within every limit, else the Refusal (nothing recorded).
    Holds the user's advisory lock until ``cr``'s transaction ends: call reserve_apart (a transaction of its
    own that commits at once), or this in a test's shared transaction.
    """
    cr.execute(_RESERVE, _reserve_params(user_id, subject, write, limits))
    row = cr.fetchone()
    return Refusal(*row) if row else None


def reserve_apart(registry, user_id, subject, write, limits):
    """reserve() in a READ COMMITTED transaction of its own, committed before this returns.

    The statement (SET LOCAL and the function call) runs in autocommit on a connection kept apart (APART):
    PostgreSQL runs it as one implicit transaction, begun and committed in the same round trip, with the
    default READ COMMITTED level (no BEGIN, no COMMIT, no reset of the connection).
    """
    rows = APART.execute(registry.db_name, _RESERVE_APART, _reserve_params(user_id, subject, write, limits))
    return Refusal(*rows[0]) if rows else None


def prune(cr):
    """Drop the rows that left the window (the cron: rows of users who stopped calling)."""
    cr.execute(
        "DELETE FROM llm_mcp_rate_event WHERE at <= clock_timestamp() - make_interval(secs => %s)",
        [WINDOW_SECONDS],
    )
    return cr.rowcount
