"""Rate limits per key, per OAuth grant and per user (rate_limit.py, llm.mcp.rate.limit)."""

import threading
import time
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.llm_mcp_server import rate_limit
from odoo.addons.llm_mcp_server.apart_connections import APART, ApartConnections

from .screens_common import http_request, make_users
from .test_security import SecurityCase

COUNT = ("odoo_count", {"model": "res.partner"})


def create_partner(name):
    return "odoo_create", {"model": "res.partner", "values": {"name": name}}


@tagged("post_install", "-at_install", "llm_security")
class TestRateLimits(SecurityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.env["llm.mcp.config"].get_config()
        cls.other = new_test_user(cls.env, login="mcp_rate_other", name="Other MCP User",
                                  groups="base.group_user,base.group_partner_manager")
        cls.other_key = cls.make_key(cls.other, "other user's key")

    def window(self, user):
        self.env.cr.execute("SELECT count(*) FROM llm_mcp_rate_event WHERE user_id = %s", [user.id])
        return self.env.cr.fetchone()[0]

    def age_window(self, user, seconds):
        """Moves the user's calls ``seconds`` into the past, as if that much time had gone by."""
        self.env.cr.execute("UPDATE llm_mcp_rate_event SET at = at - make_interval(secs => %s) WHERE user_id = %s",
                            [seconds, user.id])

    def assertRateLimited(self, response):
        body = self.assertContractError(response, 429, "rate_limited")
        retry_after = body["error"]["retry_after"]
        self.assertIsInstance(retry_after, int)
        self.assertTrue(1 <= retry_after <= rate_limit.WINDOW_SECONDS, retry_after)
        self.assertEqual(response.headers["Retry-After"], str(retry_after))
        self.assertIn(f"Retry in {retry_after} s", body["error"]["message"])
        return body

    def test_a_key_over_its_limit_gets_429_and_runs_nothing(self):
        key = self.make_key(self.user, "three writes", calls_per_minute=3)
        for i in range(3):
            self.assertEqual(self.call(key, *create_partner(f"Rate {i}")).status_code, 200)
        before = self.audit_rows()
        body = self.assertRateLimited(self.call(key, *create_partner("Rate 3")))
        self.assertIn("This key may make 3 calls a minute", body["error"]["message"])
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Rate 3")]), "a refused call ran the tool")
        rows = self.audit_rows() - before
        self.assertEqual((len(rows), rows.outcome, rows.tool_name, rows.user_id),
                         (1, "rate_limited", "odoo_create", self.user))
        self.assertIn("Rate limit reached", rows.message)
        # another user's key, in the same second, is not affected
        for _i in range(3):
            self.assertEqual(self.call(self.other_key, *COUNT).status_code, 200)

    def test_refused_calls_do_not_count_and_the_window_slides(self):
        key = self.make_key(self.user, "two calls", calls_per_minute=2)
        for _i in range(2):
            self.assertEqual(self.call(key, *COUNT).status_code, 200)
        for _i in range(5):  # hammering adds nothing to the window…
            self.assertRateLimited(self.call(key, *COUNT))
        self.assertEqual(self.window(self.user), 2)
        # …so once the first call is older than the window, one call passes again, and only one
        self.age_window(self.user, 45)
        self.assertTrue(10 <= self.assertRateLimited(self.call(key, *COUNT))["error"]["retry_after"] <= 15)
        self.age_window(self.user, 20)
        self.assertEqual(self.call(key, *COUNT).status_code, 200)
        self.assertEqual(self.call(key, *COUNT).status_code, 200)
        self.assertRateLimited(self.call(key, *COUNT))
        self.assertEqual(self.window(self.user), 2, "the calls that left the window are pruned")

    def test_the_user_limit_counts_every_key_of_the_user(self):
        self.config.rate_user_calls_per_minute = 4
        first, second = self.make_key(self.user, "first"), self.make_key(self.user, "second")
        global_key = self.make_raw_key(self.user, None, "global")
        for key in (first, second, global_key, first):
            self.assertEqual(self.call(key, *COUNT).status_code, 200)
        for key in (first, second, global_key):
            body = self.assertRateLimited(self.call(key, *COUNT))
            self.assertIn("You may make 4 calls a minute over all your keys and apps", body["error"]["message"])
        self.assertEqual(self.call(self.other_key, *COUNT).status_code, 200)

    def test_writes_are_limited_apart_from_calls(self):
        key = self.make_key(self.user, "two writes", writes_per_minute=2)
        for i in range(2):
            self.assertEqual(self.call(key, *create_partner(f"Write {i}")).status_code, 200)
        body = self.assertRateLimited(self.call(key, *create_partner("Write 2")))
        self.assertIn("2 calls of tools that change data a minute", body["error"]["message"])
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Write 2")]))
        for _i in range(5):  # reading goes on
            self.assertEqual(self.call(key, *COUNT).status_code, 200)

    def test_the_settings_limits_apply_to_keys_without_their_own_and_0_lifts_them(self):
        self.config.write({"rate_key_calls_per_minute": 2, "rate_key_writes_per_minute": 0})
        key, global_key = self.make_key(self.user, "defaults"), self.make_raw_key(self.user, None, "global")
        for candidate in (key, global_key):
            self.call(candidate, *COUNT)
            self.call(candidate, *COUNT)
            self.assertRateLimited(self.call(candidate, *COUNT))
        self.config.rate_key_calls_per_minute = 0
        self.assertEqual(self.call(key, *COUNT).status_code, 200)

    def test_an_apps_access_tokens_share_one_window_across_refreshes(self):
        """A refresh makes a new key: the count must go on, or a loop would refresh its way past the limit."""
        self.config.rate_key_calls_per_minute = 2
        client = self.env["llm.mcp.oauth.client"].sudo().create({
            "client_id": "mcp-rate-test", "name": "Rate app", "registration": "dcr",
            "redirect_uris": "http://127.0.0.1/cb"})
        grant = self.env["llm.mcp.oauth.grant"].sudo().create({
            "user_id": self.user.id, "client_id": client.id, "resource": self.config.get_public_url(),
            "expires_at": fields.Datetime.now() + timedelta(days=1)})
        first = grant._issue_tokens()["access_token"]
        self.assertEqual(self.call(first, *COUNT).status_code, 200)
        self.assertEqual(self.call(first, *COUNT).status_code, 200)
        body = self.assertRateLimited(self.call(first, *COUNT))
        self.assertIn("This app may make 2 calls a minute", body["error"]["message"])
        self.assertRateLimited(self.call(grant._issue_tokens()["access_token"], *COUNT))

    def test_a_key_cannot_reach_the_counter_through_the_tools(self):
        """Admin's key included: the rate limits' model is a hidden model, its window no model at all."""
        for tool, arguments in [
            ("odoo_call_method", {"model": "llm.mcp.rate.limit", "method": "init", "ids": []}),
            ("odoo_call_method", {"model": "llm.mcp.rate.limit", "method": "_gc_rate_window", "ids": []}),
            ("odoo_describe_model", {"model": "llm.mcp.rate.limit"}),
        ]:
            self.assertIn("llm.mcp.rate.limit", self.tool_error(self.call(self.admin_key, tool, arguments)))

    def test_a_replayed_request_is_counted_once(self):
        """Odoo replays a request after a serialization failure: the replay is the same call."""
        key = self.make_key(self.user, "replayed", calls_per_minute=5)
        Limit = self.env["llm.mcp.rate.limit"]
        identity = self.env["res.users.apikeys"]._llm_mcp_authenticate(key)
        request = type("Request", (), {})()
        with patch("odoo.addons.llm_mcp_server.models.llm_mcp_rate_limit.request", request):
            Limit._check_call(identity, write=False)
            Limit._check_call(identity, write=False)
        self.assertEqual(self.window(self.user), 1)


@tagged("post_install", "-at_install", "llm_security")
class TestRateLimitsOnlyTighten(SecurityCase):
    def test_the_owner_may_lower_a_keys_limits_never_raise_them(self):
        self.make_key(self.user, "tighten", calls_per_minute=50, writes_per_minute=10)
        row = self.mcp_key_row("tighten").with_user(self.user)
        row.write({"calls_per_minute": 40, "writes_per_minute": 5})
        for values in ({"calls_per_minute": 41}, {"calls_per_minute": 0}, {"writes_per_minute": 6},
                       {"writes_per_minute": 0}):
            with self.assertRaisesRegex(AccessError, "only be tightened"):
                row.write(values)
        # a key on the settings' default (120) may go below it, not back
        self.make_key(self.user, "default")
        default = self.mcp_key_row("default").with_user(self.user)
        self.assertEqual(default.effective_calls_per_minute, 120)
        with self.assertRaisesRegex(AccessError, "only be tightened"):
            default.write({"calls_per_minute": 121})
        default.write({"calls_per_minute": 60})
        self.assertEqual(default.effective_calls_per_minute, 60)

    @mute_logger("odoo.http")
    def test_limits_cannot_be_raised_over_jsonrpc_or_xmlrpc(self):
        self.make_key(self.user, "rpc limited", calls_per_minute=5)
        row = self.mcp_key_row("rpc limited")
        global_key = self.make_raw_key(self.user, None, "global for rpc")
        for values in ({"calls_per_minute": 500}, {"calls_per_minute": 0}, {"writes_per_minute": 1000}):
            self.assertIn("error", self.jsonrpc(global_key, self.user.id, "llm.mcp.key", "write", row.ids, values))
            self.assertIn("only be tightened",
                          self.xmlrpc(global_key, self.user.id, "llm.mcp.key", "write", row.ids, values) or "")
        self.assertIs(self.jsonrpc(global_key, self.user.id, "llm.mcp.key", "write", row.ids,
                                   {"calls_per_minute": 3}).get("result"), True)
        self.env.invalidate_all()
        self.assertEqual(row.calls_per_minute, 3)
        # the settings are the managers': a user cannot lift the defaults
        config = self.env["llm.mcp.config"].get_config()
        self.assertIn("error", self.jsonrpc(global_key, self.user.id, "llm.mcp.config", "write", config.ids,
                                            {"rate_user_calls_per_minute": 0}))
        self.assertEqual(config.rate_user_calls_per_minute, 300)

    def test_the_key_form_lowers_and_refuses_raising(self):
        self.make_key(self.user, "form", calls_per_minute=20)
        row = self.mcp_key_row("form").with_user(self.user)
        with Form(row) as form:
            form.calls_per_minute = 10
        self.assertEqual(row.calls_per_minute, 10)
        form = Form(row)
        form.calls_per_minute = 30
        with self.assertRaisesRegex(AccessError, "only be tightened"):
            form.save()

    def test_only_managers_make_keys_above_the_settings_limits(self):
        with self.assertRaisesRegex(AccessError, "at most the server's"):
            self.make_key(self.user, "too many", calls_per_minute=121)
        with self.assertRaisesRegex(AccessError, "at most the server's"):
            self.make_key(self.user, "too many writes", writes_per_minute=31)
        self.make_key(self.user, "at the limit", calls_per_minute=120, writes_per_minute=30)
        self.make_key(self.admin, "automation", calls_per_minute=10000)
        self.assertEqual(self.mcp_key_row("automation").effective_calls_per_minute, 10000)


@tagged("post_install", "-at_install")
class TestRateLimitsInTheWizard(TransactionCase):
    def test_the_new_key_wizard_shows_and_sets_the_limits(self):
        users = make_users(self.env)
        wizard = self.env["llm.mcp.key.wizard"].with_user(users.user).create(
            {"name": "wizard limits", "calls_per_minute": 12, "writes_per_minute": 3})
        self.assertEqual(wizard.server_limits,
                         "Per key or app: 120 calls and 30 writes a minute. "
                         "For all your keys and apps: 300 calls a minute.")
        with http_request():
            wizard.action_create_key()
        key = self.env["llm.mcp.key"].sudo().search([("name", "=", "wizard limits")])
        self.assertEqual((key.calls_per_minute, key.writes_per_minute), (12, 3))
        too_many = self.env["llm.mcp.key.wizard"].with_user(users.user).create(
            {"name": "greedy", "calls_per_minute": 500})
        with http_request(), self.assertRaisesRegex(AccessError, "at most the server's"):
            too_many.action_create_key()
        self.assertFalse(self.env["llm.mcp.key"].sudo().search([("name", "=", "greedy")]))


@tagged("post_install", "-at_install", "llm_security")
class TestRateLimitConcurrency(TransactionCase):
    """Real PostgreSQL connections in parallel threads, as separate Odoo workers or replicas would open them."""

    USER = -7001  # no such user: the window's table has no foreign keys, so nothing needs committing first

    def reserve_apart(self, subject, write, limits):
        return rate_limit.reserve_apart(self.registry, self.USER, subject, write, limits)

    def clean(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM llm_mcp_rate_event WHERE user_id = %s", [self.USER])

    def setUp(self):
        super().setUp()
        self.clean()
        self.addCleanup(self.clean)

    def run_parallel(self, count, work):
        barrier, results = threading.Barrier(count), []

        def one(i):
            barrier.wait()
            results.append(work(i))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return results

    def test_parallel_calls_of_one_key_never_overshoot(self):
        limits = rate_limit.Limits(key_calls=5, key_writes=2, user_calls=7)
        results = self.run_parallel(16, lambda i: self.reserve_apart("key:1", i % 2 == 0, limits))
        passed = [r for r in results if r is None]
        self.assertEqual((len(results), len(passed)), (16, 5))
        # the writes of key 1 stopped at 2, and another key of the user still has the user's last 2 calls
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FILTER (WHERE is_write) FROM llm_mcp_rate_event WHERE user_id = %s",
                       [self.USER])
            self.assertLessEqual(cr.fetchone()[0], 2)
        results = self.run_parallel(8, lambda i: self.reserve_apart("key:2", False, limits))
        self.assertEqual(len([r for r in results if r is None]), 2)
        refusal = next(r for r in results if r is not None)
        self.assertEqual(refusal.limit, "user_calls")

    def test_the_check_leaves_the_pooled_connection_as_odoo_expects(self):
        # reserve_apart runs in autocommit (no BEGIN/COMMIT round trips); the pool's next borrower, on the same
        # connection, must get Odoo's usual REPEATABLE READ transaction, not autocommit
        limits = rate_limit.Limits(key_calls=100)
        for _i in range(3):
            self.assertIsNone(self.reserve_apart("key:pool", False, limits))
            with self.registry.cursor() as cr:
                cr.execute("SHOW transaction_isolation")
                self.assertEqual(cr.fetchone()[0], "repeatable read")
                self.assertFalse(cr.connection.autocommit)
        # and the calls let through were committed: another connection counts them
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM llm_mcp_rate_event WHERE user_id = %s AND subject = 'key:pool'",
                       [self.USER])
            self.assertEqual(cr.fetchone()[0], 3)

    def window(self, query, params=None):
        return APART.execute(self.registry.db_name, query, params)

    def test_the_window_keeps_its_connection_between_checks_without_a_reset(self):
        # Odoo's pool resets a connection on every borrow (DISCARD ALL: one more round trip, and the function's
        # plans thrown away); the window's connection keeps its session, so a marker set on it survives a check
        limits = rate_limit.Limits(key_calls=100)
        self.assertIsNone(self.reserve_apart("key:keep", False, limits))
        self.window("SET llm_mcp.test_marker = 'kept'")
        self.addCleanup(self.window, "RESET llm_mcp.test_marker")
        (pid,), = self.window("SELECT pg_backend_pid()")
        self.assertIsNone(self.reserve_apart("key:keep", False, limits))
        self.assertEqual(self.window("SELECT current_setting('llm_mcp.test_marker', true), pg_backend_pid()"),
                         [("kept", pid)])
        # and what it commits is seen at once from any other connection, as before
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM llm_mcp_rate_event WHERE user_id = %s AND subject = 'key:keep'",
                       [self.USER])
            self.assertEqual(cr.fetchone()[0], 2)

    def test_a_window_connection_the_server_closed_is_replaced_and_the_call_counted_once(self):
        limits = rate_limit.Limits(key_calls=100)
        (pid,), = self.window("SELECT pg_backend_pid()")
        with self.registry.cursor() as cr:  # what a PostgreSQL restart or Odoo's drop of the database does
            cr.execute("SELECT pg_terminate_backend(%s)", [pid])
            self.assertTrue(cr.fetchone()[0])
        time.sleep(0.2)
        self.assertIsNone(self.reserve_apart("key:dead", False, limits))
        (new_pid,), = self.window("SELECT pg_backend_pid()")
        self.assertNotEqual(new_pid, pid)
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM llm_mcp_rate_event WHERE user_id = %s AND subject = 'key:dead'",
                       [self.USER])
            self.assertEqual(cr.fetchone()[0], 1)

    def test_parallel_checks_leave_only_a_few_connections_open(self):
        limits = rate_limit.Limits(key_calls=1000)
        results = self.run_parallel(16, lambda i: self.reserve_apart("key:many", False, limits))
        self.assertEqual(results, [None] * 16)
        idle = APART._idle.get(self.registry.db_name, [])
        self.assertLessEqual(len(idle), ApartConnections.IDLE_MAX)
        self.assertTrue(all(not cnx.closed and cnx.autocommit for cnx in idle))

    def test_the_check_is_cheap_and_prints_its_cost(self):
        limits = rate_limit.Limits(key_calls=100000, key_writes=100000, user_calls=100000)
        for _i in range(20):  # warm the window's connection and the plans
            self.reserve_apart("key:warm", False, limits)
        self.clean()
        rounds = 300  # a full per-user window of the default limit
        started = time.perf_counter()
        for _i in range(rounds):
            self.assertIsNone(self.reserve_apart("key:3", False, limits))
        per_call_us = (time.perf_counter() - started) / rounds * 1e6
        # printed for the record (docs/security.md quotes it); the bound only catches a regression
        print(f"rate limit check: {per_call_us:.0f} µs per call (own connection, lock, count, insert, commit), "
              f"{rounds} calls in the window")
        self.assertLess(per_call_us, 5000)
