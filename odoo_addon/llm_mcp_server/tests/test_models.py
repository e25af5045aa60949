import re
import time
from datetime import timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.exceptions import AccessError
from odoo.service.model import get_public_method
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.llm_mcp_server.apart_connections import APART
from odoo.addons.llm_mcp_server.models.res_users_apikeys import McpKey


@tagged("post_install", "-at_install")
class TestMcpKeys(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.expiry = fields.Datetime.now() + timedelta(days=30)
        cls.ann = new_test_user(cls.env, login="mcp_ann", groups="base.group_user")
        cls.bob = new_test_user(cls.env, login="mcp_bob", groups="base.group_user")
        cls.manager = new_test_user(cls.env, login="mcp_manager", groups="base.group_user,llm.group_llm_manager")
        cls.Key = cls.env["llm.mcp.key"]

    def make_key(self, user, name, **restrictions):
        return self.Key.with_user(user).create_mcp_key(name, self.expiry, **restrictions)

    def test_create_mcp_key_makes_an_mcp_scoped_key_with_its_restrictions(self):
        tool = self.env["llm.tool"].search([("name", "=", "odoo_search")])
        secret = self.make_key(self.ann, "Claude Desktop", read_only=True, tool_ids=tool.ids)
        self.assertRegex(secret, r"^[0-9a-f]{40}$")
        row = self.Key.search([("name", "=", "Claude Desktop")])
        self.assertEqual((row.user_id, row.read_only, row.tool_ids, row.apikey_id.scope),
                         (self.ann, True, tool, "mcp"))
        self.assertEqual(row.expiration_date, row.apikey_id.expiration_date)
        mcp_key = self.env["res.users.apikeys"]._llm_mcp_authenticate(secret)
        self.assertEqual(mcp_key, McpKey(row.apikey_id.id, self.ann.id, "Claude Desktop", "mcp", row.id, True,
                                         ("odoo_search",), mcp_key.key_sha256, mcp_key.key_hash))

    def test_a_keys_allowed_tool_cannot_be_deleted_from_under_it(self):
        tool = self.env["llm.tool"].create({"name": "llm_short_lived", "implementation": "function"})
        secret = self.make_key(self.ann, "limited", tool_ids=tool.ids)
        with mute_logger("odoo.sql_db"), self.assertRaises(Exception), self.env.cr.savepoint():
            tool.unlink()
        mcp_key = self.env["res.users.apikeys"]._llm_mcp_authenticate(secret)
        self.assertEqual(mcp_key.allowed_tools, ("llm_short_lived",), "the restriction must survive")

    def test_create_mcp_key_is_not_reachable_over_rpc(self):
        with self.assertRaises(AccessError):
            get_public_method(self.Key, "create_mcp_key")

    def test_users_see_and_revoke_only_their_own_keys(self):
        self.make_key(self.ann, "ann key")
        self.make_key(self.bob, "bob key")
        self.assertEqual(self.Key.with_user(self.ann).search([]).mapped("name"), ["ann key"])
        self.assertLessEqual({"ann key", "bob key"}, set(self.Key.with_user(self.manager).search([]).mapped("name")))
        bob_row = self.Key.search([("name", "=", "bob key")])
        with self.assertRaises(AccessError):
            bob_row.with_user(self.ann).action_revoke()
        apikey = bob_row.apikey_id
        bob_row.with_user(self.manager).action_revoke()
        self.assertFalse(apikey.exists())
        self.assertFalse(bob_row.exists())

    def test_deleting_the_row_revokes_the_key(self):
        secret = self.make_key(self.ann, "to delete")
        row = self.Key.search([("name", "=", "to delete")])
        row.with_user(self.ann).unlink()
        self.assertIsNone(self.env["res.users.apikeys"]._llm_mcp_authenticate(secret))

    def test_deleting_the_api_key_removes_the_row(self):
        self.make_key(self.ann, "via preferences")
        row = self.Key.search([("name", "=", "via preferences")])
        row.apikey_id.with_user(self.ann)._remove()
        self.env.invalidate_all()
        self.assertFalse(row.exists())

    def test_key_binding_cannot_be_changed(self):
        self.make_key(self.ann, "bound")
        self.make_key(self.ann, "other")
        row, other = self.Key.search([("name", "=", "bound")]), self.Key.search([("name", "=", "other")])
        with self.assertRaises(AccessError):
            row.with_user(self.ann).write({"apikey_id": other.apikey_id.id})
        row.with_user(self.ann).write({"read_only": True})
        self.assertTrue(row.read_only)

    def test_key_duration_is_capped_for_users(self):
        with self.assertRaises(Exception):
            self.Key.with_user(self.ann).create_mcp_key("too long", fields.Datetime.now() + timedelta(days=400))


@tagged("post_install", "-at_install")
class TestAuditLog(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ann = new_test_user(cls.env, login="audit_ann", groups="base.group_user")
        cls.bob = new_test_user(cls.env, login="audit_bob", groups="base.group_user")
        cls.manager = new_test_user(cls.env, login="audit_manager", groups="base.group_user,llm.group_llm_manager")
        cls.portal = new_test_user(cls.env, login="audit_portal", groups="base.group_portal")
        Call = cls.env["llm.mcp.call"]
        for user in (cls.ann, cls.bob):
            key = McpKey(0, user.id, f"{user.login} key", None, None, False, None, "", "")
            Call._log_call(key, tool_name="odoo_search", outcome="ok", arguments={"model": "res.partner"})

    def test_users_read_only_their_own_calls_managers_all(self):
        self.assertEqual(self.env["llm.mcp.call"].with_user(self.ann).search([]).user_id, self.ann)
        manager_seen = set(self.env["llm.mcp.call"].with_user(self.manager).search([]).user_id.ids)
        self.assertEqual(manager_seen >= {self.ann.id, self.bob.id}, True)

    def test_portal_users_read_nothing(self):
        with self.assertRaises(AccessError):
            self.env["llm.mcp.call"].with_user(self.portal).search([])

    def test_nobody_writes_calls_through_the_orm(self):
        with self.assertRaises(AccessError):
            self.env["llm.mcp.call"].with_user(self.ann).create({"user_id": self.ann.id, "outcome": "ok"})
        row = self.env["llm.mcp.call"].search([("user_id", "=", self.ann.id)])
        with self.assertRaises(AccessError):
            row.with_user(self.manager).write({"outcome": "denied"})

    def test_retention_cron_prunes_old_calls(self):
        old = self.env["llm.mcp.call"].search([("user_id", "=", self.ann.id)])
        self.env.cr.execute("UPDATE llm_mcp_call SET create_date = now() - interval '100 days' WHERE id = %s", [old.id])
        cron = self.env.ref("llm_mcp_server.ir_cron_llm_mcp_call_gc")
        self.assertTrue(cron.active)
        self.env["llm.mcp.config"].get_config().audit_retention_days = 0
        self.env["llm.mcp.call"]._gc_old_calls()
        self.assertTrue(old.exists(), "0 days keeps everything")
        self.env["llm.mcp.config"].get_config().audit_retention_days = 90
        cron.method_direct_trigger()
        self.env.invalidate_all()
        self.assertFalse(old.exists())
        self.assertTrue(self.env["llm.mcp.call"].search([("user_id", "=", self.bob.id)]))


@tagged("post_install", "-at_install")
class TestSettings(TransactionCase):
    def test_one_settings_record_with_defaults(self):
        config = self.env["llm.mcp.config"].get_config()
        self.assertEqual(config, self.env.ref("llm_mcp_server.mcp_config"))
        self.assertEqual((config.enabled, config.server_name, config.tool_exposure, config.allow_write_tools,
                          config.allow_consent_tools, config.audit_retention_days),
                         (True, "Odoo MCP", "all", True, False, 90))

    def test_public_url_defaults_to_the_base_url(self):
        config = self.env["llm.mcp.config"].get_config()
        self.env["ir.config_parameter"].set_param("web.base.url", "https://erp.example.com")
        self.assertEqual(config.get_public_url(), "https://erp.example.com/mcp")
        config.public_url = "https://mcp.example.com/mcp"
        self.assertEqual(config.get_public_url(), "https://mcp.example.com/mcp")

    def test_settings_cache_follows_writes(self):
        Config = self.env["llm.mcp.config"]
        self.assertTrue(Config._mcp_settings()["enabled"])
        Config.get_config().enabled = False
        self.assertFalse(Config._mcp_settings()["enabled"])
        self.assertTrue(re.match(r"^[0-9a-f]{64}$", Config._mcp_fingerprint({})))


@tagged("post_install", "-at_install")
class TestSettingsCommitted(TransactionCase):
    """Settings changed in transactions that commit: after the install, whose settings record is committed then
    (at install time another transaction would find none and make its own)."""

    def test_settings_another_request_cached_before_the_commit_are_cleared_by_it(self):
        # real transactions (this test's own never commits): the writer, and a request served meanwhile
        def settings(cr):
            return api.Environment(cr, SUPERUSER_ID, {})["llm.mcp.config"]._mcp_settings()["server_name"]

        with self.registry.cursor() as cr:
            config = api.Environment(cr, SUPERUSER_ID, {})["llm.mcp.config"].get_config()
            before = config.server_name
            self.addCleanup(self._commit_server_name, before)
            config.write({"server_name": "Renamed by the writer"})
            with self.registry.cursor() as meanwhile:
                self.assertEqual(settings(meanwhile), before, "the other request sees the committed settings")
        with self.registry.cursor() as after:
            self.assertEqual(settings(after), "Renamed by the writer")

    def _commit_server_name(self, name):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})  # kept: the commit flushes the writes of live envs only
            env["llm.mcp.config"].get_config().write({"server_name": name})


@tagged("post_install", "-at_install")
class TestKeyCheckApart(TransactionCase):
    """The check that begins every MCP request (``apart=True``) on a connection kept apart from Odoo's pool, as
    a statement prepared once per connection; a key and its revocation are seen once committed."""

    def setUp(self):
        super().setUp()
        expiry = fields.Datetime.now() + timedelta(days=1)
        # committed: the connections kept apart see only what is (the test's own transaction is not)
        with self.registry.cursor() as cr:
            env = self.env(cr=cr, user=self.env.ref("base.user_admin"))
            self.secret = env["llm.mcp.key"]._make_mcp_key("apart", expiry)
            self.apikey_id = env["res.users.apikeys"]._llm_mcp_key_id_for(self.secret)
        self.assertTrue(self.apikey_id)
        self.addCleanup(self.revoke)

    def revoke(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM res_users_apikeys WHERE id = %s", [self.apikey_id])

    def check(self, token=None):
        return self.env["res.users.apikeys"]._llm_mcp_authenticate(self.secret, token, apart=True)

    def test_the_check_is_prepared_once_per_connection_and_borrows_nothing_from_odoos_pool(self):
        borrow = sql_db.ConnectionPool.borrow
        borrowed, sent = [], []
        execute = APART.execute

        def counting_borrow(pool, *args, **kwargs):
            borrowed.append(args)
            return borrow(pool, *args, **kwargs)

        def recording_execute(db_name, query, params=None, prepared=None):
            sent.append(query)
            return execute(db_name, query, params, prepared)

        with patch.object(sql_db.ConnectionPool, "borrow", counting_borrow), \
                patch.object(APART, "execute", recording_execute):
            first = self.check()
            token, _expires = self.env["res.users.apikeys"]._llm_mcp_make_token(first)
            by_token = [self.check(token) for _i in range(3)]
        self.assertEqual(first.apikey_id, self.apikey_id)
        self.assertEqual({k.apikey_id for k in by_token}, {self.apikey_id})
        self.assertEqual(borrowed, [])
        # the same connection is taken back each time, so the token's statement is prepared on its first use only
        cnx = APART._idle[self.registry.db_name][-1]
        self.assertIn("llm_mcp_key_by_token", cnx.prepared)
        texts = [q(cnx) if callable(q) else q for q in sent]
        self.assertEqual([t.startswith("EXECUTE llm_mcp_key_by_token") for t in texts[1:]], [True, True, True])

    def test_a_revoked_key_is_refused_at_once_even_with_a_valid_token(self):
        token, _expires = self.env["res.users.apikeys"]._llm_mcp_make_token(self.check())
        self.assertIsNotNone(self.check(token))
        self.revoke()
        self.assertIsNone(self.check(token))
        self.assertIsNone(self.check())

    def test_a_bad_key_or_forged_token_is_refused(self):
        self.assertIsNone(self.env["res.users.apikeys"]._llm_mcp_authenticate("0" * 40, None, apart=True))
        forged = f"{self.apikey_id}.2.{int(time.time()) + 60}.{'0' * 64}"
        self.assertIsNone(self.env["res.users.apikeys"]._llm_mcp_authenticate("0" * 40, forged, apart=True))

    def test_a_closed_connection_prepares_the_statement_again_on_the_next(self):
        self.assertIsNotNone(self.check())
        cnx = APART._idle[self.registry.db_name][-1]
        with self.registry.cursor() as cr:
            cr.execute("SELECT pg_terminate_backend(%s)", [cnx.info.backend_pid])
        time.sleep(0.2)
        self.assertEqual(self.check().apikey_id, self.apikey_id)

    def test_a_key_of_the_callers_own_uncommitted_transaction_is_seen_by_the_default_check_only(self):
        secret = self.env["llm.mcp.key"].with_user(self.env.ref("base.user_admin"))._make_mcp_key(
            "uncommitted", fields.Datetime.now() + timedelta(days=1))
        self.assertIsNotNone(self.env["res.users.apikeys"]._llm_mcp_authenticate(secret))
        self.assertIsNone(self.env["res.users.apikeys"]._llm_mcp_authenticate(secret, None, apart=True))
