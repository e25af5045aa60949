"""How long one MCP request's SQL may run, and how its stopped statements are logged.

A request (a tool call, a resource read) runs with a PostgreSQL ``statement_timeout`` of the settings' *Longest
call* for its transaction (``SET LOCAL``: gone with its commit or rollback), so one key's slow searches cannot
hold an Odoo worker until Odoo's ``limit_time_real``. A statement stopped that way, or by its caller's
cancellation (``pg_cancel_backend``, llm_mcp_running_call.py), fails with SQLSTATE 57014 (query_canceled);
Odoo logs every failed statement at ERROR ("bad query"), though neither is a fault of the server. While a
request runs, its stopped statements are logged at WARNING (a timeout) or INFO (a cancellation), naming the
request; every other failed statement, ours included, stays an ERROR.
"""

import contextlib
import contextvars
import logging
import time

from psycopg2 import errorcodes

_logger = logging.getLogger(__name__)

# What this thread (or greenlet) is running now: (subject, seconds allowed, monotonic start), or None.
_RUNNING = contextvars.ContextVar("llm_mcp_bounded_request", default=None)
# A timed-out statement ran at least the timeout; one stopped clearly sooner was someone's cancellation.
_TIMEOUT_SLACK = 0.95


@contextlib.contextmanager
def bounded(cr, seconds, subject):
    """Within: ``cr``'s transaction stops any statement after ``seconds``, and this thread's stopped statements
    are logged as ``subject``'s ("call 'odoo_search' (request 42)")."""
    cr.execute(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")
    token = _RUNNING.set((subject, seconds, time.monotonic()))
    try:
        yield
    finally:
        _RUNNING.reset(token)


def ran_out_of_time(started, seconds):
    """Whether a request that began at ``started`` (time.monotonic) and whose statement was stopped has run
    into its timeout of ``seconds``, rather than been cancelled."""
    return time.monotonic() - started >= seconds * _TIMEOUT_SLACK


def is_stopped_statement(exc):
    return getattr(exc, "pgcode", None) == errorcodes.QUERY_CANCELED


class StoppedStatementFilter(logging.Filter):
    """On ``odoo.sql_db``: a "bad query" record whose error is a stopped statement of a bounded request becomes
    a WARNING (timeout) or INFO (cancellation) naming the request; everything else passes unchanged."""

    def filter(self, record):
        running = _RUNNING.get()
        if running is None or record.levelno != logging.ERROR or not str(record.msg).startswith("bad query"):
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        if len(args) != 2 or not is_stopped_statement(args[1]):
            return True
        subject, seconds, started = running
        if ran_out_of_time(started, seconds):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "MCP %s stopped at the longest call (%s s): %s"
            record.args = (subject, seconds, str(args[1]).strip())
        else:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg = "MCP %s: statement stopped (cancelled by its caller): %s"
            record.args = (subject, str(args[1]).strip())
        return True


def install_log_filter():
    """Add the filter to ``odoo.sql_db`` once per process (a module reload must not add a second)."""
    sql_logger = logging.getLogger("odoo.sql_db")
    if not any(type(f).__name__ == StoppedStatementFilter.__name__ for f in sql_logger.filters):
        sql_logger.addFilter(StoppedStatementFilter())
