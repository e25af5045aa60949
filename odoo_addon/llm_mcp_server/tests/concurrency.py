"""Letting other threads (the HTTP server's, a test's own) open real database connections during a test."""

from odoo.modules.registry import DummyRLock, Registry


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
