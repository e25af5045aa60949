"""Confirmations (docs/contract.md): a confirmed tool runs only on the retry that carries the person's yes."""

import base64
import json
from unittest.mock import patch

from odoo.tests import TransactionCase, new_test_user, tagged

from ..models import llm_mcp_confirmation
from .common import TOOLS, McpHttpCase


@tagged("post_install", "-at_install")
class TestConfirmations(McpHttpCase):
    confirmations = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_key_2 = cls.make_key(cls.user, "second key")
        cls.env["llm.tool"].search([("name", "in", ("odoo_delete", "odoo_update"))]).requires_confirmation = True

    def setUp(self):
        super().setUp()
        self.partner = self.env["res.partner"].create({"name": "Confirm Target Ltd"})
        self.delete = {"model": "res.partner", "ids": [self.partner.id]}

    def ask(self, key, name, arguments):
        """The first call: answered with a preview and a state, nothing done."""
        response = self.call(key, name, arguments)
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertIs(body["isError"], True, body)
        self.assertIn("Confirmation needed", body["content"][0]["text"])
        self.assertIn("confirmation_token", body["content"][0]["text"])
        self.assertEqual(self.audit_rows()[-1].outcome, "confirmation_requested")
        return body

    def answer(self, key, name, arguments, state, answer="accept"):
        response = self.call(key, name, arguments, confirmation={"state": state, "answer": answer})
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def assertStillThere(self):
        self.env.invalidate_all()
        self.assertTrue(self.partner.exists(), "the record must not have been deleted")

    def assertRefused(self, body, outcome, words):
        self.assertIs(body["isError"], True, body)
        self.assertIn(words, body["content"][0]["text"])
        self.assertNotIn("confirmation", body)
        self.assertEqual(self.audit_rows()[-1].outcome, outcome)
        self.assertStillThere()

    def test_delete_asks_first_and_runs_once_accepted(self):
        before = len(self.audit_rows())
        asked = self.ask(self.user_key, "odoo_delete", self.delete)
        self.assertStillThere()
        preview = asked["confirmation"]["message"]
        self.assertIn("Delete 1 record of Contact (res.partner)", preview)
        self.assertIn("“Confirm Target Ltd”", preview)
        self.assertTrue(asked["confirmation"]["expires_at"].endswith("Z"))
        done = self.answer(self.user_key, "odoo_delete", self.delete, asked["confirmation"]["state"])
        self.assertIs(done["isError"], False, done)
        self.assertEqual(done["structuredContent"], {"deleted": 1, "ids": [self.partner.id]})
        self.env.invalidate_all()
        self.assertFalse(self.partner.exists())
        rows = self.audit_rows()[before:]
        self.assertEqual(rows.mapped("outcome"), ["confirmation_requested", "confirmed"])
        self.assertIn("Confirm Target Ltd", rows[0].message)

    def test_the_token_argument_confirms_for_clients_without_elicitation(self):
        asked = self.ask(self.user_key, "odoo_delete", self.delete)
        state = asked["confirmation"]["state"]
        self.assertIn(f'"confirmation_token": "{state}"', asked["content"][0]["text"])
        done = self.call(self.user_key, "odoo_delete", {**self.delete, "confirmation_token": state}).json()
        self.assertIs(done["isError"], False, done)
        self.env.invalidate_all()
        self.assertFalse(self.partner.exists())
        row = self.audit_rows()[-1]
        self.assertEqual(row.outcome, "confirmed")
        self.assertNotIn(state, row.arguments, "the token is not stored in the audit")

    def ask_by_elicitation(self, arguments, **extra):
        """A first call from a client that asks the person itself (the sidecar's confirm_with)."""
        body = self.call(self.user_key, "odoo_delete", arguments, confirm_with="elicitation", **extra).json()
        self.assertIs(body["isError"], True, body)
        self.assertNotIn("confirmation_token", body["content"][0]["text"], "the model is not told to relay a token")
        self.assertEqual(self.audit_rows()[-1].outcome, "confirmation_requested")
        self.assertStillThere()
        return body["confirmation"]["state"]

    def test_the_person_answers_a_question_their_client_asks(self):
        state = self.ask_by_elicitation(self.delete)
        done = self.call(self.user_key, "odoo_delete", self.delete, confirm_with="elicitation",
                         confirmation={"state": state, "answer": "accept"}).json()
        self.assertIs(done["isError"], False, done)
        self.env.invalidate_all()
        self.assertFalse(self.partner.exists())
        self.assertEqual(self.audit_rows()[-1].outcome, "confirmed")

    def test_a_question_for_the_person_is_no_confirmation_token(self):
        """F3: the model copies the elicitation's requestState into its arguments, with no answer from the person."""
        state = self.ask_by_elicitation(self.delete)
        body = self.call(self.user_key, "odoo_delete", {**self.delete, "confirmation_token": state}).json()
        self.assertRefused(body, "invalid", "answered only by the person")
        # nor inside a request whose client asks the person: the token is ignored and the person is asked again
        self.ask_by_elicitation({**self.delete, "confirmation_token": state})
        self.assertIn("confirmation_token argument was ignored", self.audit_rows()[-1].message)
        # neither attempt used the question up: the person's own answer still counts
        done = self.answer(self.user_key, "odoo_delete", self.delete, state)
        self.assertIs(done["isError"], False, done)

    def test_a_token_does_not_skip_the_person_whose_client_asks_them(self):
        """F3: a valid token (issued to the model) inside a request whose client asks the person runs nothing."""
        token = self.ask(self.user_key, "odoo_delete", self.delete)["confirmation"]["state"]
        question = self.ask_by_elicitation({**self.delete, "confirmation_token": token})
        self.assertNotEqual(question, token)
        # the token is still the model's to use where the model relays the yes
        done = self.call(self.user_key, "odoo_delete", {**self.delete, "confirmation_token": token}).json()
        self.assertIs(done["isError"], False, done)

    def test_confirm_with_takes_only_elicitation(self):
        for wrong in ("token", "", 1, ["elicitation"]):
            self.assertContractError(self.call(self.user_key, "odoo_delete", self.delete, confirm_with=wrong),
                                     400, "bad_request")
        self.assertStillThere()

    def test_decline_and_cancel_run_nothing_and_use_the_state_up(self):
        for answer in ("decline", "cancel"):
            state = self.ask(self.user_key, "odoo_delete", self.delete)["confirmation"]["state"]
            body = self.answer(self.user_key, "odoo_delete", self.delete, state, answer)
            self.assertRefused(body, "declined", "nothing was done")
            # a declined state cannot be accepted afterwards
            self.assertRefused(self.answer(self.user_key, "odoo_delete", self.delete, state), "invalid", "already used")

    def test_a_replayed_state_is_refused(self):
        asked = self.ask(self.user_key, "odoo_update", {**self.delete, "values": {"phone": "1"}})
        state = asked["confirmation"]["state"]
        args = {**self.delete, "values": {"phone": "1"}}
        self.assertIs(self.answer(self.user_key, "odoo_update", args, state)["isError"], False)
        self.assertRefused(self.answer(self.user_key, "odoo_update", args, state), "invalid", "already used")
        self.assertRefused(self.call(self.user_key, "odoo_update", {**args, "confirmation_token": state}).json(),
                           "invalid", "already used")

    def test_the_state_is_bound_to_arguments_tool_key_and_user(self):
        other = self.env["res.partner"].create({"name": "Other Partner Ltd"})
        state = self.ask(self.user_key, "odoo_delete", self.delete)["confirmation"]["state"]
        altered_args = {"model": "res.partner", "ids": [other.id]}
        self.assertRefused(self.answer(self.user_key, "odoo_delete", altered_args, state), "invalid", "other arguments")
        self.assertTrue(other.exists())
        self.assertRefused(self.answer(self.user_key, "odoo_update", {**self.delete, "values": {"name": "x"}}, state),
                           "invalid", "another tool")
        self.assertRefused(self.answer(self.user_key_2, "odoo_delete", self.delete, state),
                           "invalid", "not valid for this key")
        self.assertRefused(self.answer(self.admin_key, "odoo_delete", self.delete, state),
                           "invalid", "not valid for this key")
        # none of the refusals used it up: the right key, tool and arguments still go through
        self.assertIs(self.answer(self.user_key, "odoo_delete", self.delete, state)["isError"], False)

    def test_an_altered_or_forged_state_is_refused(self):
        state = self.ask(self.user_key, "odoo_delete", self.delete)["confirmation"]["state"]
        payload, signature = state.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["e"] += 3600  # a longer life, same signature
        longer = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
        for forged in (f"{longer}.{signature}", f"{payload}.{'0' * 64}", "not-a-state", "", "a.b.c", None, 42,
                       "x" * 5000):
            body = self.answer(self.user_key, "odoo_delete", self.delete, forged)
            self.assertRefused(body, "invalid", "not valid")
        self.assertRefused(self.call(self.user_key, "odoo_delete", self.delete,
                                     confirmation={"state": state, "answer": "yes"}).json(),
                           "invalid", "must be")

    def test_an_expired_state_is_refused(self):
        with patch.object(llm_mcp_confirmation, "CONFIRMATION_TTL_SECONDS", -1):
            state = self.ask(self.user_key, "odoo_delete", self.delete)["confirmation"]["state"]
        self.assertRefused(self.answer(self.user_key, "odoo_delete", self.delete, state), "expired", "expired")

    def test_the_preview_never_names_a_record_the_user_cannot_read(self):
        company = self.env["res.company"].create({"name": "Elsewhere Co"})
        hidden = self.env["res.partner"].create({"name": "Secret Elsewhere Partner", "company_id": company.id})
        for ids in ([hidden.id], [self.partner.id, hidden.id]):
            response = self.call(self.user_key, "odoo_delete", {"model": "res.partner", "ids": ids})
            body = response.json()
            self.assertIs(body["isError"], True)
            self.assertNotIn("confirmation", body)
            self.assertNotIn("Secret Elsewhere", response.text)
            self.assertIn("or you may not see it", body["content"][0]["text"])
            row = self.audit_rows()[-1]
            self.assertEqual(row.outcome, "tool_error")
            self.assertNotIn("Secret Elsewhere", row.message or "")
        self.assertTrue(hidden.exists())
        # a model no tool reaches is refused before anyone is asked, with no names read
        body = self.call(self.admin_key, "odoo_delete", {"model": "llm.mcp.key", "ids": [1]}).json()
        self.assertIs(body["isError"], True)
        self.assertNotIn("confirmation", body)

    def test_the_preview_shows_the_values_without_secrets(self):
        asked = self.ask(self.user_key, "odoo_update", {**self.delete, "values": {"phone": "+32 555", "comment": "hi"}})
        preview = asked["confirmation"]["message"]
        self.assertIn("Change 1 record of Contact (res.partner): “Confirm Target Ltd”", preview)
        self.assertIn("+32 555", preview)
        self.env.invalidate_all()
        self.assertFalse(self.partner.phone)

    def test_bad_arguments_are_refused_before_anyone_is_asked(self):
        body = self.call(self.user_key, "odoo_delete", {"model": "res.partner"}).json()
        self.assertIs(body["isError"], True)
        self.assertNotIn("confirmation", body)
        self.assertEqual(self.audit_rows()[-1].outcome, "invalid")
        # a method the tool never calls is refused at once, not after the person said yes
        self.env["llm.tool"].search([("name", "=", "odoo_call_method")]).requires_confirmation = True
        for method in ("action_reset_password", "write", "no_such_method"):
            body = self.call(self.admin_key, "odoo_call_method", {"model": "res.partner", "method": method,
                                                                  "ids": [self.partner.id]}).json()
            self.assertIs(body["isError"], True, method)
            self.assertNotIn("confirmation", body, method)
            self.assertEqual(self.audit_rows()[-1].outcome, "tool_error", method)
        asked = self.ask(self.admin_key, "odoo_call_method", {"model": "res.partner", "method": "action_archive",
                                                              "ids": [self.partner.id]})
        self.assertIn("Call the method action_archive on 1 record of Contact (res.partner): “Confirm Target Ltd”",
                      asked["confirmation"]["message"])

    def test_confirmed_tools_say_how_in_their_definition(self):
        tools = {tool["name"]: tool for tool in self.post(TOOLS, key=self.user_key).json()["tools"]}
        delete = tools["odoo_delete"]
        self.assertIn("confirmation_token", delete["inputSchema"]["properties"])
        self.assertNotIn("confirmation_token", delete["inputSchema"].get("required", []))
        self.assertIn("confirmation_token", delete["description"])
        self.assertNotIn("confirmation_token", tools["odoo_search"]["inputSchema"]["properties"])
        # a tool without confirmation refuses the argument like any unknown one
        body = self.call(self.user_key, "odoo_search", {"model": "res.partner", "confirmation_token": "x"}).json()
        self.assertIs(body["isError"], True)
        self.assertIn("'confirmation_token'", body["content"][0]["text"])


@tagged("post_install", "-at_install")
class TestConfirmationSettings(TransactionCase):
    def test_destructive_tools_ask_by_default_and_a_managers_choice_survives_reloading(self):
        Tool = self.env["llm.tool"].with_context(active_test=False)
        flags = {tool.name: tool.requires_confirmation for tool in Tool.search([("name", "like", "odoo_")])}
        self.assertEqual({name for name, on in flags.items() if on}, {"odoo_delete", "odoo_update", "odoo_call_method"})
        delete = Tool.search([("name", "=", "odoo_delete")])
        search = Tool.search([("name", "=", "odoo_search")])
        delete.requires_confirmation = False
        search.requires_confirmation = True
        Tool._sync_decorated_tools(Tool._find_decorated_methods())
        self.assertEqual((delete.requires_confirmation, search.requires_confirmation), (False, True))

    def test_consent_flagged_tools_are_offered_when_they_ask(self):
        user = new_test_user(self.env, login="consent_user", groups="base.group_user,base.group_partner_manager")
        mcp_key = self.env["res.users.apikeys"]._llm_mcp_authenticate(
            self.env["llm.mcp.key"].with_user(user).create_mcp_key("consent key", self.expiry())
        )
        create = self.env["llm.tool"].search([("name", "=", "odoo_create")])
        create.write({"requires_user_consent": True, "requires_confirmation": True})
        config = self.env["llm.mcp.config"].get_config()
        config.allow_consent_tools = False
        Config = self.env["llm.mcp.config"].with_user(user)
        self.assertIn("odoo_create", Config._mcp_visible_tools(mcp_key))
        create.requires_confirmation = False
        self.assertNotIn("odoo_create", Config._mcp_visible_tools(mcp_key))
        config.allow_consent_tools = True
        self.assertIn("odoo_create", Config._mcp_visible_tools(mcp_key))

    def test_the_settings_screen_lists_the_tools_that_ask(self):
        config = self.env["llm.mcp.config"].get_config()
        self.assertIn("odoo_delete", config.confirmed_tool_ids.mapped("name"))
        self.assertNotIn("odoo_search", config.confirmed_tool_ids.mapped("name"))

    def expiry(self):
        from datetime import timedelta

        from odoo import fields
        return fields.Datetime.now() + timedelta(days=5)
