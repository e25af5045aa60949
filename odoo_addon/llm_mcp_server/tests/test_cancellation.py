"""Cancellation (docs/contract.md, cancel): the route's rules, and the registry of running calls on real backends."""

import threading
import time
import types
from unittest.mock import patch

import psycopg2.errors

from odoo import api, sql_db
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import McpHttpCase
from .concurrency import release_registry_lock

CANCEL = "/llm_mcp/v1/cancel"


def fake_key(user_id, apikey_id, oauth_grant_id=None):
    """What the registry reads of an authenticated MCP key (the settings' rate limits: none of its own)."""
    return types.SimpleNamespace(user_id=user_id, apikey_id=apikey_id, oauth_grant_id=oauth_grant_id,
                                 calls_per_minute=0, writes_per_minute=0)


@tagged("post_install", "-at_install")
class TestCancelRoute(McpHttpCase):
    def running_rows(self, calls_only=False):
        """The registry's rows; ``calls_only``: without the tombstones (cancellations that found nothing)."""
        self.env.cr.execute("SELECT user_id, subject, request_id, cancel_requested FROM llm_mcp_running_call "
                            + ("WHERE backend_pid IS NOT NULL " if calls_only else "") + "ORDER BY id")
        return self.env.cr.fetchall()

    def register(self, key_plain, request_id):
        """A row as the call route writes it for this key (in the test's shared transaction)."""
        mcp_key = self.env["res.users.apikeys"]._llm_mcp_authenticate(key_plain, None)
        return self.env["llm.mcp.running.call"]._start(mcp_key, request_id)

    def test_refuses_malformed_request_ids_with_400(self):
        for body in ({}, {"request_id": 42}, {"request_id": ""}, {"request_id": "x" * 129},
                     {"request_id": "a\u0000b"}, {"request_id": ["1"]}, {"request_id": None}):
            with self.subTest(body=body):
                self.assertContractError(self.post(CANCEL, body, key=self.admin_key), 400, "bad_request")
        self.assertContractError(self.post(CANCEL, raw="not json", key=self.admin_key), 400, "bad_request")

    def test_needs_a_valid_key_and_post(self):
        self.assertContractError(self.post(CANCEL, {"request_id": "1"}), 401, "unauthorized")
        self.assertContractError(self.post(CANCEL, {"request_id": "1"}, key="0" * 40), 401, "unauthorized")
        response = self.opener.get(self.base_url() + CANCEL, headers={"Authorization": f"Bearer {self.admin_key}"})
        self.assertContractError(response, 405, "method_not_allowed")

    def test_an_id_that_runs_nothing_is_answered_false(self):
        response = self.post(CANCEL, {"request_id": "no-such-call"}, key=self.admin_key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json(), {"contract": 1, "cancelled": False})

    def test_cancels_only_the_callers_own_call(self):
        other_admin_key = self.make_key(self.admin, "admin's other key")
        self.register(self.admin_key, "r-1")
        # another user, and the same user's other key, name the same id: they reach nothing
        for key in (self.user_key, other_admin_key):
            response = self.post(CANCEL, {"request_id": "r-1"}, key=key)
            self.assertEqual(response.json()["cancelled"], False, response.text)
        self.assertEqual([row[3] for row in self.running_rows(calls_only=True)], [False])
        # the caller's own key: marked (its backend is this test's own, which is never signalled)
        self.assertEqual(self.post(CANCEL, {"request_id": "r-1"}, key=self.admin_key).json()["cancelled"], True)
        self.assertEqual([row[3] for row in self.running_rows(calls_only=True)], [True])
        # a repeat finds it already marked: one signal per call, however many cancellations come
        self.assertEqual(self.post(CANCEL, {"request_id": "r-1"}, key=self.admin_key).json()["cancelled"], False)

    def test_sessions_of_one_key_never_cancel_each_others_calls(self):
        # two sessions of one key both start at request id 1: the scope (the session) tells their calls apart
        mcp_key = self.env["res.users.apikeys"]._llm_mcp_authenticate(self.admin_key, None)
        self.env["llm.mcp.running.call"]._start(mcp_key, "1", "session:A|n")
        for scope in ("session:B|n", "session:A|s", None):
            response = self.post(CANCEL, {"request_id": "1", **({"cancel_scope": scope} if scope else {})},
                                 key=self.admin_key)
            self.assertEqual(response.json()["cancelled"], False, f"{scope} reached session A's call 1")
        self.env.cr.execute("SELECT cancel_requested FROM llm_mcp_running_call WHERE backend_pid IS NOT NULL")
        self.assertEqual(self.env.cr.fetchall(), [(False,)])
        response = self.post(CANCEL, {"request_id": "1", "cancel_scope": "session:A|n"}, key=self.admin_key)
        self.assertEqual(response.json()["cancelled"], True, response.text)

    def test_a_call_cancelled_before_it_started_runs_nothing_and_is_audited_once(self):
        partner = self.env["res.partner"].create({"name": "Tombstone target", "phone": "before"})
        before = len(self.audit_rows())
        # the cancellation reaches Odoo first (the call still waits for a free Odoo worker): a tombstone
        response = self.post(CANCEL, {"request_id": "5", "cancel_scope": "session:T|n"}, key=self.admin_key)
        self.assertEqual(response.json(), {"contract": 1, "cancelled": False}, response.text)
        # another session's call 5, and an unscoped one, are not touched by it
        other = self.call(self.admin_key, "odoo_update", {"model": "res.partner", "ids": [partner.id],
                                                          "values": {"phone": "other session"}},
                          request_id="5", cancel_scope="session:U|n")
        self.assertEqual(other.status_code, 200, other.text)
        self.assertFalse(other.json()["isError"], other.text)
        # the call itself: runs nothing, answered 409 cancelled, one audit row
        response = self.call(self.admin_key, "odoo_update", {"model": "res.partner", "ids": [partner.id],
                                                             "values": {"phone": "cancelled call"}},
                             request_id="5", cancel_scope="session:T|n")
        self.assertContractError(response, 409, "cancelled")
        partner.invalidate_recordset()
        self.assertEqual(partner.phone, "other session")
        rows = self.audit_rows()[before:]
        self.assertEqual([(r.outcome, r.request_id) for r in rows], [("ok", "5"), ("cancelled", "5")])
        # the tombstone was used up: nothing is left behind
        self.assertEqual(self.running_rows(), [])

    def test_an_unscoped_or_expired_cancellation_stops_no_later_call(self):
        # without a scope the id may be any session-less conversation's: the cancellation only counts
        self.post(CANCEL, {"request_id": "8"}, key=self.admin_key)
        response = self.call(self.admin_key, "odoo_count", {"model": "res.partner"}, request_id="8")
        self.assertEqual(response.status_code, 200, response.text)
        # a tombstone older than its life stops nothing
        self.post(CANCEL, {"request_id": "9", "cancel_scope": "session:old|n"}, key=self.admin_key)
        self.env.cr.execute("UPDATE llm_mcp_running_call SET started_at = started_at - interval '10 minutes'")
        response = self.call(self.admin_key, "odoo_count", {"model": "res.partner"}, request_id="9",
                             cancel_scope="session:old|n")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self.env["llm.mcp.running.call"]._gc_stale(), 2)

    def test_fruitless_cancellations_are_bounded_per_key_but_a_running_call_is_still_cancelled(self):
        limited = self.make_key(self.admin, "few calls", calls_per_minute=2)  # budget: 2 a minute, 4 in 2 minutes
        for n in range(4):
            response = self.post(CANCEL, {"request_id": f"f-{n}", "cancel_scope": "s|s"}, key=limited)
            self.assertEqual(response.json()["cancelled"], False, response.text)
        for body in ({"request_id": "f-4", "cancel_scope": "s|s"}, {"request_id": "f-5"}):
            refused = self.assertContractError(self.post(CANCEL, body, key=limited), 429, "rate_limited")
            self.assertGreater(refused["error"]["retry_after"], 0)
        # another key is not bounded by it
        self.assertEqual(self.post(CANCEL, {"request_id": "f-4"}, key=self.admin_key).status_code, 200)
        # a cancellation that finds its running call is never refused
        mcp_key = self.env["res.users.apikeys"]._llm_mcp_authenticate(limited, None)
        self.env["llm.mcp.running.call"]._start(mcp_key, "r-9", "s|s")
        response = self.post(CANCEL, {"request_id": "r-9", "cancel_scope": "s|s"}, key=limited)
        self.assertEqual(response.json()["cancelled"], True, response.text)

    def test_refuses_a_malformed_scope_with_400(self):
        for scope in (7, "", "x" * 129, "a\u0000b", ["s"]):
            with self.subTest(scope=scope):
                self.assertContractError(self.post(CANCEL, {"request_id": "1", "cancel_scope": scope},
                                                   key=self.admin_key), 400, "bad_request")
        response = self.call(self.admin_key, "odoo_count", {"model": "res.partner"}, request_id="1", cancel_scope=7)
        self.assertContractError(response, 400, "bad_request")

    def test_a_call_leaves_no_running_row_and_one_audit_row(self):
        before = len(self.audit_rows())
        response = self.call(self.admin_key, "odoo_search", {"model": "res.partner", "limit": 1}, request_id="7")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self.running_rows(), [])
        rows = self.audit_rows()
        self.assertEqual(len(rows), before + 1)
        self.assertEqual((rows[-1].outcome, rows[-1].request_id), ("ok", "7"))

    def test_the_registry_is_hidden_from_the_tools(self):
        response = self.call(self.admin_key, "odoo_search", {"model": "llm.mcp.running.call"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.json()["isError"], response.text)


@tagged("post_install", "-at_install")
class TestRunningCallRegistry(TransactionCase):
    """Real PostgreSQL backends: a 'call' sleeping in a query on a connection of its own, cancelled from another."""

    caller = fake_key(user_id=2, apikey_id=900001, oauth_grant_id=None)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        release_registry_lock(cls)

    def setUp(self):
        super().setUp()
        self.addCleanup(self._clear)
        # Odoo logs every failed statement as an error ("bad query"), the cancelled pg_sleep included
        muted = mute_logger("odoo.sql_db")
        muted.__enter__()
        self.addCleanup(muted.__exit__, None, None, None)

    def _clear(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM llm_mcp_running_call WHERE request_id LIKE 'reg-%%'")

    def sleeping_call(self, request_id, seconds=20):
        """Starts a registered call that sleeps in a query; returns (thread, outcome dict)."""
        outcome = {}
        ready = threading.Event()

        def run():
            with self.registry.cursor() as cr:
                env = api.Environment(cr, 1, {})
                cr.execute("SELECT 1")  # the call's transaction is open when it registers, as in the call route
                row = env["llm.mcp.running.call"]._start(self.caller, request_id)
                outcome["row"] = row
                ready.set()
                started = time.monotonic()
                try:
                    cr.execute("SELECT pg_sleep(%s)", [seconds])
                    outcome["error"] = None
                except psycopg2.errors.QueryCanceled as exc:
                    outcome["error"] = exc
                    cr.rollback()
                outcome["seconds"] = time.monotonic() - started
                outcome["cancelled"] = env["llm.mcp.running.call"]._finish(row)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.assertTrue(ready.wait(10))
        time.sleep(0.3)  # inside pg_sleep by now
        return thread, outcome

    def cancel(self, caller, request_id):
        with self.registry.cursor() as cr:
            return api.Environment(cr, 1, {})["llm.mcp.running.call"]._cancel(caller, request_id)

    def test_cancel_stops_the_callers_running_query_and_finish_reports_it(self):
        thread, outcome = self.sleeping_call("reg-1")
        other_user = fake_key(user_id=1, apikey_id=self.caller.apikey_id, oauth_grant_id=None)
        other_key = fake_key(user_id=2, apikey_id=900002, oauth_grant_id=None)
        self.assertEqual(self.cancel(other_user, "reg-1"), 0)
        self.assertEqual(self.cancel(other_key, "reg-1"), 0)
        self.assertEqual(self.cancel(self.caller, "reg-2"), 0)
        thread.join(1.0)
        self.assertTrue(thread.is_alive(), "a cancellation by someone else stopped the call")
        self.assertEqual(self.cancel(self.caller, "reg-1"), 1)
        thread.join(10)
        self.assertFalse(thread.is_alive())
        self.assertIsInstance(outcome["error"], psycopg2.errors.QueryCanceled)
        self.assertLess(outcome["seconds"], 5)
        self.assertTrue(outcome["cancelled"])
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM llm_mcp_running_call "
                       "WHERE request_id = 'reg-1' AND backend_pid IS NOT NULL")
            self.assertEqual(cr.fetchone()[0], 0)

    def test_a_stale_row_never_signals_the_backend_it_names(self):
        # a call whose worker died: its backend pid now runs another transaction (here: a live sleeping call)
        thread, outcome = self.sleeping_call("reg-live", seconds=3)
        with self.registry.cursor() as cr:
            cr.execute("""
                INSERT INTO llm_mcp_running_call (user_id, subject, request_id, scope, backend_pid, started_at,
                                                  cancel_requested)
                SELECT user_id, subject, 'reg-stale', scope, backend_pid, started_at - interval '2 hours', false
                  FROM llm_mcp_running_call WHERE request_id = 'reg-live'""")
        self.assertEqual(self.cancel(self.caller, "reg-stale"), 1)
        thread.join(10)
        self.assertIsNone(outcome["error"], "the stale row's cancellation hit the transaction now on its backend")
        self.assertFalse(outcome["cancelled"])
        with self.registry.cursor() as cr:
            env = api.Environment(cr, 1, {})
            self.assertGreaterEqual(env["llm.mcp.running.call"]._gc_stale(), 1)
            cr.execute("SELECT count(*) FROM llm_mcp_running_call WHERE request_id LIKE 'reg-%%'")
            self.assertEqual(cr.fetchone()[0], 0)

    def test_an_oauth_grants_tokens_cancel_each_others_calls(self):
        # a refresh gives the app a new access token (a new key): the grant is the caller, as for rate limits
        self.caller = fake_key(user_id=2, apikey_id=900003, oauth_grant_id=77)
        thread, outcome = self.sleeping_call("reg-grant")
        refreshed = fake_key(user_id=2, apikey_id=900004, oauth_grant_id=77)
        self.assertEqual(self.cancel(refreshed, "reg-grant"), 1)
        thread.join(10)
        self.assertTrue(outcome["cancelled"])

    def test_the_registry_borrows_no_connection_of_odoos_pool(self):
        # Odoo's pool resets a connection on every borrow (DISCARD ALL, a round trip): the registry's three
        # statements per call run on connections kept apart instead (apart_connections.py)
        borrow = sql_db.ConnectionPool.borrow
        borrowed = []

        def counting_borrow(pool, *args, **kwargs):
            borrowed.append(args)
            return borrow(pool, *args, **kwargs)

        with self.registry.cursor() as cr:
            env = api.Environment(cr, 1, {})
            cr.execute("SELECT 1")
            with patch.object(sql_db.ConnectionPool, "borrow", counting_borrow):
                registry = env["llm.mcp.running.call"]
                row = registry._start(self.caller, "reg-apart")
                self.assertEqual(registry._cancel(self.caller, "reg-apart-none"), 0)
                self.assertFalse(registry._finish(row))
        self.assertEqual(borrowed, [])
        # and what they committed was committed: another connection sees the row gone and the tombstone
        with self.registry.cursor() as cr:
            cr.execute("SELECT request_id FROM llm_mcp_running_call WHERE request_id LIKE 'reg-apart%%'")
            self.assertEqual(cr.fetchall(), [("reg-apart-none",)])
