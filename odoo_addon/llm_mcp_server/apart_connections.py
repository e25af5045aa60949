"""Connections kept apart from Odoo's pool, for the short statements an MCP call commits on its own.

The rate-limit window's check (rate_limit.py) and the running-call registry (models/llm_mcp_running_call.py)
each run statements that must commit at once, before or beside the request's own transaction, and that are
one implicit transaction each in autocommit. Odoo's pool would serve them, but it resets a connection on every
borrow (psycopg2's reset, ``DISCARD ALL``): one more round trip on every call's hot path, three times per call,
that also throws away the session's plans of the statements (0.63 ms against 0.27 ms per rate-limit check,
docs/benchmarks.md). These connections keep their session; nothing of a session is ever left on them, since
each statement is its own transaction and its ``SET LOCAL`` ends with it.
"""

import logging
import os
import re
import threading

import psycopg2

from odoo import sql_db

_logger = logging.getLogger(__name__)
_NAMED_PARAM = re.compile(r"%\((\w+)\)s")


class _Connection(psycopg2.extensions.connection):
    """A connection that remembers the statements prepared in its session (``execute_prepared``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared = set()


def _as_prepared(query):
    """``query`` with its ``%(name)s`` parameters as ``$1, $2, ...`` (PREPARE's), and their names in order."""
    names = []

    def number(match):
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _NAMED_PARAM.sub(number, query.replace("%%", "%")).replace("%", "%%"), names


class ApartConnections:
    """Autocommit connections to each database, kept between requests, for statements that are transactions
    of their own.

    A connection is taken by one thread at a time and given back after its statement; at most IDLE_MAX stay
    open per database and process (more are opened while more threads check at once, and closed after), so
    PostgreSQL sees a few more connections per Odoo process, not one per request. Nothing of a session is ever
    left on them: the one statement is its own transaction, and SET LOCAL ends with it.
    """

    # a prefork worker uses one; a threaded Odoo's calls hold one each for a fraction of a millisecond, three
    # times per call, so a few cover the sidecar's 16 calls at once without opening new ones
    IDLE_MAX = 4

    def __init__(self):
        self._lock = threading.Lock()
        self._idle = {}  # database name -> [connection]
        self._pid = os.getpid()
        self._inherited = []  # a forked parent's connections: never used, never closed (see _take)
        self._prepared_texts = {}  # statement name -> (PREPARE's text, parameter names)

    def _take(self, db_name):
        with self._lock:
            if self._pid != os.getpid():
                # a forked process (Odoo's prefork workers) shares the parent's sockets: using or closing
                # them would break the parent's sessions, so they are kept out of reach and never finished
                self._inherited.append(self._idle)
                self._idle, self._pid = {}, os.getpid()
            idle = self._idle.get(db_name)
            return idle.pop() if idle else None

    def _give_back(self, db_name, cnx):
        with self._lock:
            idle = self._idle.setdefault(db_name, [])
            if self._pid == os.getpid() and len(idle) < self.IDLE_MAX and not cnx.closed:
                idle.append(cnx)
                return
        cnx.close()

    @staticmethod
    def _connect(db_name):
        _db, info = sql_db.connection_info_for(db_name)
        cnx = psycopg2.connect(connection_factory=_Connection, **info)
        cnx.autocommit = True
        return cnx

    def execute_prepared(self, db_name, name, query, params):
        """The rows of ``query`` (``%(name)s`` parameters, one statement) as a statement prepared once per
        connection: PostgreSQL plans it once per session instead of on every call (a query joining several
        tables costs more to plan than to run). A connection of Odoo's pool could not keep it: the pool's
        reset (``DISCARD ALL``) drops prepared statements on every borrow."""
        text, names = self._prepared_texts.get(name) or self._prepared_texts.setdefault(name, _as_prepared(query))
        execute = f"EXECUTE {name}({', '.join(['%s'] * len(names))})" if names else f"EXECUTE {name}"
        values = [params[n] for n in names]
        return self.execute(
            db_name, lambda cnx: execute if name in cnx.prepared else f"PREPARE {name} AS {text}; {execute}",
            values, prepared=name)

    def execute(self, db_name, query, params=None, prepared=None):
        """The rows of ``query``, run in autocommit on one of ``db_name``'s connections kept apart.

        An idle connection the server closed meanwhile (a restart, Odoo's drop of the database's sessions)
        fails before the statement runs: it is dropped and the statement sent once more on a new connection.
        Should a connection break after PostgreSQL committed the statement, the retry runs it twice: each
        user's statements must bear that (a rate-limit check then counts a call twice, which can only refuse a
        call early; a running call's registration leaves a second row the cron removes).
        """
        cnx = self._take(db_name)
        for last_try in (cnx is None, True):
            if cnx is None:
                cnx = self._connect(db_name)
            try:
                with cnx.cursor() as cr:
                    cr.execute(query(cnx) if callable(query) else query, params)
                    rows = cr.fetchall() if cr.description else []
                if prepared:
                    cnx.prepared.add(prepared)
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                cnx.close()
                cnx = None
                if last_try:
                    raise
                _logger.info("A connection kept apart to %s was closed; opening another", db_name)
                continue
            except Exception:
                cnx.close()
                raise
            self._give_back(db_name, cnx)
            return rows
        raise AssertionError("unreachable")  # the loop returns or raises


APART = ApartConnections()
