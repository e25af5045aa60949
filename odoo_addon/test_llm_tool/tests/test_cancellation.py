"""A long-running call cancelled through the real routes, served concurrently by the real HTTP server.

HttpCase serves every request in the test's one transaction, one at a time, so a call and its cancellation
could never run side by side there. This class commits its own fixtures, talks to the server Odoo runs for the
tests with real HTTP requests (each its own transaction and database connection, as in production), and removes
what it made afterwards.
"""

import threading
import time

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from odoo.addons.llm_mcp_server.tests.concurrency import RealRequestsCase

CALL, CANCEL = "/llm_mcp/v1/call", "/llm_mcp/v1/cancel"


@tagged("post_install", "-at_install")
class TestCancelRunningCall(RealRequestsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            admin = env.ref("base.user_admin")
            demo = env.ref("base.user_demo")
            cls.admin_key = env["llm.mcp.key"].with_user(admin).create_mcp_key("cancel test", cls.expiry)
            cls.admin_other_key = env["llm.mcp.key"].with_user(admin).create_mcp_key("cancel test 2", cls.expiry)
            cls.demo_key = env["llm.mcp.key"].with_user(demo).create_mcp_key("cancel test demo", cls.expiry)
            cls.partner_id = env["res.partner"].create({"name": "Cancel Target", "ref": "before"}).id
            for name in ("test_llm_partner_slow_tag", "test_llm_partner_busy_tag"):
                tool = env["llm.tool"].with_context(active_test=False).search([("name", "=", name)])
                tool.write({"active": True, "requires_confirmation": False})
            env["llm.mcp.config"].get_config().write({"enabled": True})
            env.registry.clear_cache()
        cls.addClassCleanup(cls.remove_fixtures)

    @classmethod
    def remove_fixtures(cls):
        with cls.registry.cursor() as cr:
            cr.execute("DELETE FROM llm_mcp_call WHERE request_id LIKE 'cancel-test-%%'")
            cr.execute("DELETE FROM llm_mcp_running_call WHERE request_id LIKE 'cancel-test-%%'")
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.partner"].browse(cls.partner_id).unlink()
            env["llm.mcp.key"].search([("name", "like", "cancel test")]).apikey_id.unlink()

    def start_call(self, tool, request_id, seconds):
        answer = {}

        def run():
            started = time.monotonic()
            answer["response"] = self.post(CALL, {
                "name": tool, "request_id": request_id,
                "arguments": {"partner_id": self.partner_id, "ref": f"written by {request_id}", "seconds": seconds},
            }, self.admin_key)
            answer["seconds"] = time.monotonic() - started

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not self.running(request_id):
            time.sleep(0.05)
        self.assertTrue(self.running(request_id), "the call never registered itself")
        time.sleep(0.3)  # its write is done, it is waiting now
        return thread, answer

    def running(self, request_id):
        with self.registry.cursor() as cr:
            # calls only: a cancellation that found nothing leaves a row with no backend (a tombstone)
            cr.execute("SELECT count(*) FROM llm_mcp_running_call WHERE request_id = %s AND backend_pid IS NOT NULL",
                       [request_id])
            return cr.fetchone()[0]

    def committed(self, sql, params):
        with self.registry.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()

    def test_a_call_sleeping_in_a_query_is_stopped_rolled_back_and_audited_once(self):
        thread, answer = self.start_call("test_llm_partner_slow_tag", "cancel-test-slow", 20)
        # someone else's cancellation, and the same person's other key, reach nothing
        for key in (self.demo_key, self.admin_other_key):
            response = self.post(CANCEL, {"request_id": "cancel-test-slow"}, key)
            self.assertEqual(response.json(), {"contract": 1, "cancelled": False}, response.text)
        thread.join(1)
        self.assertTrue(thread.is_alive())
        response = self.post(CANCEL, {"request_id": "cancel-test-slow"}, self.admin_key)
        self.assertEqual(response.json(), {"contract": 1, "cancelled": True}, response.text)
        thread.join(15)
        self.assertFalse(thread.is_alive(), "the cancelled call still runs")
        self.assertLess(answer["seconds"], 10)
        response = answer["response"]
        self.assertEqual(response.status_code, 409, response.text)
        self.assertEqual(response.json()["error"]["code"], "cancelled")
        self.assertEqual(self.committed("SELECT ref FROM res_partner WHERE id = %s", [self.partner_id]),
                         [("before",)], "the cancelled call's write was kept")
        self.assertEqual(self.committed("SELECT outcome, tool_name FROM llm_mcp_call WHERE request_id = %s",
                                        ["cancel-test-slow"]), [("cancelled", "test_llm_partner_slow_tag")])
        self.assertEqual(self.running("cancel-test-slow"), 0)

    def test_a_call_busy_in_python_is_rolled_back_when_it_ends(self):
        thread, answer = self.start_call("test_llm_partner_busy_tag", "cancel-test-busy", 2)
        self.assertEqual(self.post(CANCEL, {"request_id": "cancel-test-busy"}, self.admin_key).json()["cancelled"],
                         True)
        thread.join(15)
        self.assertEqual(answer["response"].status_code, 409, answer["response"].text)
        self.assertEqual(self.committed("SELECT ref FROM res_partner WHERE id = %s", [self.partner_id]),
                         [("before",)])
        self.assertEqual(self.committed("SELECT outcome FROM llm_mcp_call WHERE request_id = %s",
                                        ["cancel-test-busy"]), [("cancelled",)])

    def test_an_uncancelled_call_keeps_its_write(self):
        thread, answer = self.start_call("test_llm_partner_slow_tag", "cancel-test-kept", 0.5)
        thread.join(15)
        self.assertEqual(answer["response"].status_code, 200, answer["response"].text)
        self.assertEqual(self.committed("SELECT ref FROM res_partner WHERE id = %s", [self.partner_id]),
                         [("written by cancel-test-kept",)])
        self.assertEqual(self.post(CANCEL, {"request_id": "cancel-test-kept"}, self.admin_key).json()["cancelled"],
                         False)
        self.assertEqual(self.committed("SELECT outcome FROM llm_mcp_call WHERE request_id = %s",
                                        ["cancel-test-kept"]), [("ok",)])
        with self.registry.cursor() as cr:
            cr.execute("UPDATE res_partner SET ref = 'before' WHERE id = %s", [self.partner_id])
