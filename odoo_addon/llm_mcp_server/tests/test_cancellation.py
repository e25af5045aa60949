"""Cancellation (docs/contract.md, cancel): the route's rules, and the registry of running calls on real backends."""

import threading
import time
import types

import psycopg2.errors

from odoo import api
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import McpHttpCase
from .concurrency import release_registry_lock

CANCEL = "/llm_mcp/v1/cancel"


@tagged("post_install", "-at_install")
class TestCancelRoute(McpHttpCase):
    def running_rows(self):
        self.env.cr.execute("SELECT user_id, subject, request_id, cancel_requested FROM llm_mcp_running_call "
                            "ORDER BY id")
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
        self.assertEqual([row[3] for row in self.running_rows()], [False])
        # the caller's own key: marked (its backend is this test's own, which is never signalled)
        self.assertEqual(self.post(CANCEL, {"request_id": "r-1"}, key=self.admin_key).json()["cancelled"], True)
        self.assertEqual([row[3] for row in self.running_rows()], [True])
        # a repeat finds it already marked: one signal per call, however many cancellations come
        self.assertEqual(self.post(CANCEL, {"request_id": "r-1"}, key=self.admin_key).json()["cancelled"], False)

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

    caller = types.SimpleNamespace(user_id=2, apikey_id=900001, oauth_grant_id=None)

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
        other_user = types.SimpleNamespace(user_id=1, apikey_id=self.caller.apikey_id, oauth_grant_id=None)
        other_key = types.SimpleNamespace(user_id=2, apikey_id=900002, oauth_grant_id=None)
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
            cr.execute("SELECT count(*) FROM llm_mcp_running_call WHERE request_id = 'reg-1'")
            self.assertEqual(cr.fetchone()[0], 0)

    def test_a_stale_row_never_signals_the_backend_it_names(self):
        # a call whose worker died: its backend pid now runs another transaction (here: a live sleeping call)
        thread, outcome = self.sleeping_call("reg-live", seconds=3)
        with self.registry.cursor() as cr:
            cr.execute("""
                INSERT INTO llm_mcp_running_call (user_id, subject, request_id, backend_pid, started_at,
                                                  cancel_requested)
                SELECT user_id, subject, 'reg-stale', backend_pid, started_at - interval '2 hours', false
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
        self.caller = types.SimpleNamespace(user_id=2, apikey_id=900003, oauth_grant_id=77)
        thread, outcome = self.sleeping_call("reg-grant")
        refreshed = types.SimpleNamespace(user_id=2, apikey_id=900004, oauth_grant_id=77)
        self.assertEqual(self.cancel(refreshed, "reg-grant"), 1)
        thread.join(10)
        self.assertTrue(outcome["cancelled"])
