"""The cap of calls running at once per user, in the running-call registry, on real PostgreSQL backends.

Each 'call' is a transaction of its own (a cursor of its own, as each Odoo worker's request), registering through
``_start`` as the call route does: what two sidecar replicas and two Odoo workers starting one user's calls in the
same millisecond amount to, and what a worker killed mid-call leaves behind.
"""

import threading
from unittest.mock import patch

import psycopg2

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged
from odoo.tools import config

from ..contract import ContractError
from ..models.llm_mcp_config import running_calls_cap
from .concurrency import release_registry_lock
from .test_cancellation import fake_key

CAP = 2


@tagged("post_install", "-at_install")
class TestRunningCallCapRegistry(TransactionCase):
    user = fake_key(user_id=2, apikey_id=910001)
    same_user_other_key = fake_key(user_id=2, apikey_id=910002)
    other_user = fake_key(user_id=1, apikey_id=910003)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        release_registry_lock(cls)
        with cls.registry.cursor() as cr:
            settings = api.Environment(cr, SUPERUSER_ID, {})["llm.mcp.config"].get_config()
            saved = settings.running_calls_per_user
            settings.running_calls_per_user = CAP
        cls.addClassCleanup(cls.restore, saved)

    @classmethod
    def restore(cls, saved):
        with cls.registry.cursor() as cr:
            cr.execute("DELETE FROM llm_mcp_running_call WHERE subject LIKE 'key:91000%%'")
            env = api.Environment(cr, SUPERUSER_ID, {})  # kept: the commit flushes the writes of live envs only
            env["llm.mcp.config"].get_config().running_calls_per_user = saved

    def setUp(self):
        super().setUp()
        self.open = []
        self.addCleanup(self.end_all)

    def end_all(self):
        for cr in self.open:
            try:
                cr.rollback()
                cr.close()
            except psycopg2.Error:
                pass  # the backend a test terminated
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM llm_mcp_running_call WHERE subject LIKE 'key:91000%%'")

    def begin(self):
        """A request's cursor with its transaction open, as when the call route registers its call."""
        cr = self.registry.cursor()
        self.open.append(cr)
        cr.execute("SELECT 1")
        return cr

    def start(self, cr, caller, request_id):
        """The registry's answer to this call: its row id, or the ContractError it refuses it with."""
        try:
            return api.Environment(cr, SUPERUSER_ID, {})["llm.mcp.running.call"]._start(caller, request_id, "s|s")
        except ContractError as refused:
            return refused

    def test_starts_of_one_user_in_the_same_instant_never_overshoot_the_cap(self):
        # twelve workers register calls of one user (two keys) at the same moment, each on its own connection
        count = 12
        cursors = [self.begin() for _n in range(count)]
        barrier = threading.Barrier(count)
        results = [None] * count

        def run(n):
            barrier.wait()
            results[n] = self.start(cursors[n], self.user if n % 2 else self.same_user_other_key, f"cap-same-{n}")

        threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        registered = [r for r in results if isinstance(r, int)]
        refused = [r for r in results if isinstance(r, ContractError)]
        self.assertEqual((len(registered), len(refused)), (CAP, count - CAP), results)
        for error in refused:
            self.assertEqual((error.status, error.code, error.outcome), (429, "rate_limited", "too_many_running"))
        # another user is not counted against it
        self.assertIsInstance(self.start(self.begin(), self.other_user, "cap-other"), int)

    def test_a_dead_workers_calls_never_hold_the_cap(self):
        # a worker killed mid-call: its connection is gone, its row stays (it never reached _finish)
        dying = [self.begin() for _n in range(CAP)]
        for n, cr in enumerate(dying):
            self.assertIsInstance(self.start(cr, self.user, f"cap-dead-{n}"), int)
        self.assertIsInstance(self.start(self.begin(), self.user, "cap-dead-over"), ContractError)
        with self.registry.cursor() as cr:
            cr.execute("SELECT pg_terminate_backend(%s)", [dying[0]._cnx.info.backend_pid])
        self.wait_for_backend_to_end(dying[0])
        self.assertIsInstance(self.start(self.begin(), self.user, "cap-dead-after"), int)
        # a call whose transaction ended without removing its row (its backend now idle, or serving another
        # request of the pool): no longer counted either
        dying[1].commit()
        dying[1].execute("SELECT 1")  # a later transaction on the same backend
        self.assertIsInstance(self.start(self.begin(), self.user, "cap-dead-later"), int)
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM llm_mcp_running_call WHERE request_id LIKE 'cap-dead-%%'")
            self.assertEqual(cr.fetchone()[0], 4, "the stale rows are there, only not counted")

    def test_one_user_always_leaves_a_prefork_worker_free(self):
        # Odoo in prefork with 2 workers and the cap at 2: a user's two slow calls would hold both, and every
        # other request would wait (red team 2026-12-02: another user's call got the proxy's 504)
        with patch.dict(config.options, {"workers": 2}):
            self.assertIsInstance(self.start(self.begin(), self.user, "cap-workers-0"), int)
            refused = self.start(self.begin(), self.same_user_other_key, "cap-workers-1")
            self.assertIsInstance(refused, ContractError)
            self.assertEqual((refused.status, refused.code, refused.outcome), (429, "rate_limited", "too_many_running"))
            self.assertIn("1 calls running at once", refused.message)
            # the worker left free serves another user
            self.assertIsInstance(self.start(self.begin(), self.other_user, "cap-workers-other"), int)
        # with a third worker the setting itself is in force again
        with patch.dict(config.options, {"workers": 3}):
            self.assertIsInstance(self.start(self.begin(), self.same_user_other_key, "cap-workers-2"), int)
            self.assertIsInstance(self.start(self.begin(), self.user, "cap-workers-3"), ContractError)

    def test_the_cap_in_force_is_the_setting_bounded_by_the_workers(self):
        # (setting, workers) → cap: threaded Odoo (0 workers) has no fixed count; 0 stays no cap
        cases = {(2, 0): 2, (2, 2): 1, (2, 3): 2, (2, 5): 2, (4, 3): 2, (1, 1): 1, (3, 1): 1, (0, 2): 0, (0, 0): 0}
        self.assertEqual({case: running_calls_cap(*case) for case in cases}, cases)

    def test_the_settings_form_warns_when_the_setting_reaches_the_workers(self):
        settings = self.env["llm.mcp.config"].get_config()
        warnings = {}
        for setting, workers in ((2, 0), (2, 3), (2, 2), (0, 4), (1, 1)):
            with patch.dict(config.options, {"workers": workers}):
                settings.running_calls_per_user = setting
                settings.invalidate_recordset(["running_calls_warning"])
                warnings[setting, workers] = settings.running_calls_warning
        self.assertEqual([key for key, warning in warnings.items() if not warning], [(2, 0), (2, 3)])
        self.assertIn("at most 1 calls at once", warnings[2, 2])
        self.assertIn("not 2", warnings[2, 2])
        self.assertIn("No limit", warnings[0, 4])
        self.assertIn("one worker", warnings[1, 1])

    def wait_for_backend_to_end(self, cr):
        pid = cr._cnx.info.backend_pid
        with self.registry.cursor() as check:
            for _n in range(100):
                check.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                if not check.fetchone()[0]:
                    break
                check.rollback()
                threading.Event().wait(0.05)
        try:
            cr.rollback()
        except psycopg2.Error:
            pass
