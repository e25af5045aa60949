"""Calls running at once per user, through the real routes, served concurrently by the real HTTP server.

One user's calls beyond the settings' *Calls running at once per user* are refused before they run (429
``rate_limited``, ``Retry-After``) and audited once, ``too_many_running``; another user's calls pass meanwhile;
the slots free when calls finish, fail, time out or are cancelled. As in test_cancellation.py, each request is a
transaction and a database connection of its own, as in production (HttpCase would serve them one at a time).
"""

import threading
import time

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from odoo.addons.llm_mcp_server.tests.concurrency import RealRequestsCase

CALL, CANCEL = "/llm_mcp/v1/call", "/llm_mcp/v1/cancel"
CAP = 2
SLOW = "test_llm_partner_slow_tag"


@tagged("post_install", "-at_install")
class TestRunningCallCap(RealRequestsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            admin, demo = env.ref("base.user_admin"), env.ref("base.user_demo")
            cls.admin_keys = [env["llm.mcp.key"].with_user(admin).create_mcp_key(f"cap test {n}", cls.expiry)
                              for n in range(2)]
            cls.demo_key = env["llm.mcp.key"].with_user(demo).create_mcp_key("cap test demo", cls.expiry)
            # one contact per call: concurrent calls never wait on each other's row locks
            cls.partner_ids = env["res.partner"].create([{"name": f"Cap Target {n}", "ref": "before"}
                                                         for n in range(8)]).ids
            for name in (SLOW, "test_llm_partner_busy_tag"):
                tool = env["llm.tool"].with_context(active_test=False).search([("name", "=", name)])
                tool.write({"active": True, "requires_confirmation": False})
            settings = env["llm.mcp.config"].get_config()
            cls.saved = settings.read(["rate_key_calls_per_minute", "rate_key_writes_per_minute",
                                       "rate_user_calls_per_minute", "call_max_seconds",
                                       "running_calls_per_user"])[0]
            settings.write({"enabled": True, "rate_key_calls_per_minute": 0, "rate_key_writes_per_minute": 0,
                            "rate_user_calls_per_minute": 0, "running_calls_per_user": CAP})
        cls.registry.signal_changes()
        cls.addClassCleanup(cls.remove_fixtures)

    @classmethod
    def remove_fixtures(cls):
        with cls.registry.cursor() as cr:
            cr.execute("DELETE FROM llm_mcp_call WHERE request_id LIKE 'cap-test-%%'")
            cr.execute("DELETE FROM llm_mcp_running_call WHERE request_id LIKE 'cap-test-%%'")
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["llm.mcp.config"].get_config().write({k: v for k, v in cls.saved.items() if k != "id"})
            env["res.partner"].browse(cls.partner_ids).unlink()
            env["llm.mcp.key"].search([("name", "like", "cap test")]).apikey_id.unlink()
        cls.registry.signal_changes()

    def setUp(self):
        super().setUp()
        self.prefix = f"cap-test-{self._testMethodName[5:25]}-{time.monotonic_ns()}"

    def set_settings(self, **values):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})  # kept: the commit flushes the writes of live envs only
            env["llm.mcp.config"].get_config().write(values)
        # the server's threads may serve another registry object than this one: through the database
        self.registry.signal_changes()

    def call(self, key, request_id, seconds=0.0, partner=0, tool=SLOW):
        return self.post(CALL, {"name": tool, "request_id": request_id, "arguments": {
            "partner_id": self.partner_ids[partner], "ref": f"written by {request_id}", "seconds": seconds}}, key)

    def in_background(self, key, request_id, seconds, partner):
        """Starts a call in a thread; returns (thread, answer dict filled with its response and duration)."""
        answer = {}

        def run():
            started = time.monotonic()
            answer["response"] = self.call(key, request_id, seconds, partner)
            answer["seconds"] = time.monotonic() - started

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread, answer

    def hold(self, count, seconds, key=None):
        """``count`` of admin's calls running (registered and sleeping), started one after the other."""
        held = []
        for n in range(count):
            request_id = f"{self.prefix}-held-{n}"
            held.append((request_id, *self.in_background(key or self.admin_keys[n % 2], request_id, seconds, n)))
            self.wait_for(lambda: self.running(request_id) == 1, f"{request_id} never registered")
        time.sleep(0.3)  # inside pg_sleep by now
        self.addCleanup(self.finish, held)  # no call of one test holds a slot in the next
        return held

    def finish(self, held):
        """The answers of held calls, once they ended."""
        for _request_id, thread, _answer in held:
            thread.join(30)
        return [answer["response"] for _request_id, _thread, answer in held]

    def wait_for(self, condition, message, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not condition():
            time.sleep(0.05)
        self.assertTrue(condition(), message)

    def committed(self, sql, params):
        with self.registry.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()

    def running(self, request_id=None):
        """Registered calls (not tombstones) of this test, or of one request id."""
        return self.committed(
            "SELECT count(*) FROM llm_mcp_running_call WHERE backend_pid IS NOT NULL AND request_id LIKE %s",
            [request_id or f"{self.prefix}%"])[0][0]

    def outcomes(self):
        """{request id: [outcomes of its audit rows]} of this test's calls."""
        rows = self.committed("SELECT request_id, outcome FROM llm_mcp_call WHERE request_id LIKE %s ORDER BY id",
                              [f"{self.prefix}%"])
        found = {}
        for request_id, outcome in rows:
            found.setdefault(request_id, []).append(outcome)
        return found

    def assertRefusedOverTheCap(self, response):
        self.assertEqual(response.status_code, 429, response.text)
        self.assertEqual(response.headers.get("Retry-After"), "1")
        error = response.json()["error"]
        self.assertEqual((error["code"], error["retry_after"]), ("rate_limited", 1))
        self.assertIn(f"{CAP} calls running at once", error["message"])

    def test_one_user_beyond_the_cap_runs_exactly_the_cap_the_rest_refused_and_audited_once(self):
        # six calls of one user over two keys, sent at once: two run, four are refused before running
        barrier = threading.Barrier(6)
        answers = [{} for _n in range(6)]

        def run(n):
            barrier.wait()
            answers[n]["response"] = self.call(self.admin_keys[n % 2], f"{self.prefix}-{n}", 4, n)

        threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(6)]
        for thread in threads:
            thread.start()
        # another user, meanwhile: not counted against admin's cap
        self.wait_for(lambda: self.running() == CAP, "the capped calls never ran")
        started = time.monotonic()
        other = self.call(self.demo_key, f"{self.prefix}-demo", 0, 7)
        self.assertEqual(other.status_code, 200, other.text)
        self.assertLess(time.monotonic() - started, 3, "another user's call waited for admin's")
        for thread in threads:
            thread.join(30)
        statuses = sorted(a["response"].status_code for a in answers)
        self.assertEqual(statuses, [200] * CAP + [429] * (6 - CAP), [a["response"].text[:200] for a in answers])
        for refused in (a["response"] for a in answers if a["response"].status_code == 429):
            self.assertRefusedOverTheCap(refused)
        outcomes = self.outcomes()
        self.assertEqual(len(outcomes), 7)
        self.assertTrue(all(len(rows) == 1 for rows in outcomes.values()), outcomes)
        self.assertEqual(sorted(rows[0] for rows in outcomes.values()),
                         sorted(["ok"] * (CAP + 1) + ["too_many_running"] * (6 - CAP)))
        # a refused call ran nothing: only the ones that ran wrote their contact
        written = self.committed("SELECT count(*) FROM res_partner WHERE id IN %s AND ref LIKE 'written by %%'",
                                 [tuple(self.partner_ids[:6])])[0][0]
        self.assertEqual(written, CAP)
        self.assertEqual(self.running(), 0)

    def test_the_cap_frees_when_calls_finish(self):
        held = self.hold(CAP, 2)
        self.assertRefusedOverTheCap(self.call(self.admin_keys[0], f"{self.prefix}-over", 0, 5))
        self.assertEqual([r.status_code for r in self.finish(held)], [200] * CAP)
        self.assertEqual(self.running(), 0)
        again = self.hold(CAP, 2)  # both slots again
        self.assertEqual(self.call(self.admin_keys[0], f"{self.prefix}-after", 0, 5).status_code, 429)
        self.assertEqual([r.status_code for r in self.finish(again)], [200] * CAP)

    def test_the_cap_frees_when_a_call_is_cancelled(self):
        held = self.hold(CAP, 20)
        request_id, thread, answer = held[0]
        cancelled = self.post(CANCEL, {"request_id": request_id}, self.admin_keys[0])
        self.assertEqual(cancelled.json(), {"contract": 1, "cancelled": True}, cancelled.text)
        thread.join(10)
        self.assertEqual(answer["response"].status_code, 409, answer["response"].text)
        # the other still runs; the cancelled one's slot is free
        passed = self.call(self.admin_keys[0], f"{self.prefix}-after-cancel", 0, 5)
        self.assertEqual(passed.status_code, 200, passed.text)
        self.post(CANCEL, {"request_id": held[1][0]}, self.admin_keys[1])
        self.finish(held)
        self.assertEqual(self.running(), 0)

    def test_the_cap_frees_when_calls_time_out_or_fail(self):
        self.set_settings(call_max_seconds=1)
        try:
            for response in self.finish(self.hold(CAP, 10)):
                self.assertTrue(response.json()["isError"], response.text)
        finally:
            self.set_settings(call_max_seconds=self.saved["call_max_seconds"])
        self.assertEqual([rows for rows in self.outcomes().values()], [["timed_out"]] * CAP)
        # failures: a contact that does not exist makes the tool fail after it registered
        for n in range(CAP + 1):
            failed = self.post(CALL, {"name": SLOW, "request_id": f"{self.prefix}-fail-{n}", "arguments": {
                "partner_id": 999999999, "ref": "x", "seconds": 0}}, self.admin_keys[0])
            self.assertTrue(failed.json().get("isError"), failed.text)
        self.assertEqual(self.running(), 0)
        again = self.hold(CAP, 2)
        self.assertEqual(self.call(self.admin_keys[0], f"{self.prefix}-after", 0, 5).status_code, 429)
        self.assertEqual([r.status_code for r in self.finish(again)], [200] * CAP)

    def test_zero_lifts_the_cap(self):
        self.set_settings(running_calls_per_user=0)
        try:
            self.assertEqual([r.status_code for r in self.finish(self.hold(CAP + 2, 1))], [200] * (CAP + 2))
        finally:
            self.set_settings(running_calls_per_user=CAP)
