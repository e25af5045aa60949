"""Letting other threads (the HTTP server's, a test's own) open real database connections during a test."""

import datetime

import requests

from odoo.modules.registry import DummyRLock, Registry
from odoo.tests import TransactionCase
from odoo.tools import config, mute_logger


def release_registry_lock(case_class):
    """While ``case_class`` runs, other threads may get the registry and open real cursors of their own.

    The server holds the registries' lock for as long as it runs the tests (ThreadedServer.run), so any other
    thread asking for the registry (a request served by the HTTP server, an Environment made in a thread) waits
    until the tests end. HttpCase swaps the lock for a no-op one in test mode, but then every request shares the
    test's one cursor, one request at a time: a call and its cancellation could never run side by side. This is
    the same swap without the shared cursor; the lock is put back when the class is done.
    """
    saved = Registry._lock
    Registry._lock = DummyRLock()
    case_class.addClassCleanup(setattr, Registry, "_lock", saved)


class RealRequestsCase(TransactionCase):
    """Calls through the real routes, served concurrently by the server Odoo runs for the tests: real HTTP
    requests, each its own transaction and database connection as in production (HttpCase would serve them in
    the test's one transaction, one at a time). A class commits its own fixtures (``expiry`` for its keys) and
    removes them afterwards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        release_registry_lock(cls)
        # Odoo logs every failed statement as an error ("bad query"): a cancelled or timed-out pg_sleep included
        muted = mute_logger("odoo.sql_db")
        muted.__enter__()
        cls.addClassCleanup(muted.__exit__, None, None, None)
        cls.base = f"http://127.0.0.1:{config['http_port']}"
        cls.expiry = datetime.datetime.now() + datetime.timedelta(days=1)

    def post(self, path, body, key):
        return requests.post(self.base + path, json=body, timeout=60, headers={"Authorization": f"Bearer {key}"})
