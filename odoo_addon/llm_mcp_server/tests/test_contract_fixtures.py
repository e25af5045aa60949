import base64
import copy
import json
import re
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from odoo.addons.llm_tool.tests import contract_files

from ..models import llm_mcp_confirmation, llm_mcp_resource
from .common import CALL, HEALTH, IDENTITY, TOOLS, McpHttpCase

CANCEL = "/llm_mcp/v1/cancel"
# The scope the sidecar names a 2025-era call by (its session, and the id's JSON type: text)
SCOPE = "session:3sN2d9xQmVbWkPz7LcRf0A|s"

# The headers of an answer that the contract names (the rest is Odoo's business)
CONTRACT_HEADERS = ("WWW-Authenticate", "Allow", "Retry-After")
_ABSENT = object()

# name: (key, method, path, body, values that differ from run to run, `response.body.` paths; their JSON
# type is checked, their value kept as the file has it). Keys: "mcp" is admin's MCP key "Claude Desktop",
# read-only (the identity example of docs/contract.md), "count" one allowed only odoo_count, "conformance" one
# allowed only test_llm_tool's conformance tools (their definitions for the stand-in), "bad" an unknown key.
CASES = {
    "health": (None, "GET", HEALTH, None, ["database", "oauth.resource_metadata"]),
    "health-method-not-allowed": (None, "POST", HEALTH, {}, []),
    "identity": ("mcp", "POST", IDENTITY, {}, ["database", "key.id", "tools_fingerprint", "token", "token_expires_at"]),
    "identity-unauthorized": ("bad", "POST", IDENTITY, {}, []),
    "identity-method-not-allowed": ("mcp", "GET", IDENTITY, None, []),
    "tools": ("count", "POST", TOOLS, {}, ["fingerprint"]),
    "tools-mcp-disabled": ("mcp", "POST", TOOLS, {}, []),
    "call": ("mcp", "POST", CALL, {
        "name": "odoo_search", "arguments": {"model": "res.company", "domain": [["id", "=", 1]], "fields": ["name"]},
        "client": {"name": "claude-ai", "version": "0.1.0"}, "request_id": "42", "protocol_version": "2026-07-28",
    }, []),
    "call-invalid-arguments": ("mcp", "POST", CALL, {"name": "odoo_search", "arguments": {"limit": 5}}, []),
    "call-unknown-tool": ("mcp", "POST", CALL, {"name": "no_such_tool", "arguments": {}}, []),
    "call-bad-request": ("mcp", "POST", CALL, {"arguments": {}}, []),
    "call-not-an-object": ("mcp", "POST", CALL, [], []),
    "cancel-nothing-running": ("mcp", "POST", CANCEL, {"request_id": "43", "cancel_scope": SCOPE}, []),
    "cancel-bad-request": ("mcp", "POST", CANCEL, {"request_id": 43, "cancel_scope": SCOPE}, []),
    "resource-templates": ("mcp", "POST", "/llm_mcp/v1/resource_templates", {}, []),
    "resource-unknown": ("mcp", "POST", "/llm_mcp/v1/resource", {"uri": "odoo://res.partner/999999999"}, []),
    "resource-refused": ("mcp", "POST", "/llm_mcp/v1/resource", {"uri": "odoo://ir.config_parameter/1"}, []),
    "prompt-unknown": ("mcp", "POST", "/llm_mcp/v1/prompt", {"name": "no_such_prompt", "arguments": {}}, []),
    "complete-unknown-reference": ("mcp", "POST", "/llm_mcp/v1/complete", {
        "ref": {"type": "ref/prompt", "name": "no_such_prompt"}, "argument": {"name": "customer", "value": "De"},
    }, []),
    "call-arguments-not-an-object": ("mcp", "POST", CALL, {"name": "odoo_search", "arguments": []}, []),
    "call-bad-confirm-with": ("mcp", "POST", CALL, {
        "name": "odoo_search", "arguments": {"model": "res.company"}, "confirm_with": "sms"}, []),
    "resources": ("mcp", "POST", "/llm_mcp/v1/resources", {}, []),
    "resource-bad-request": ("mcp", "POST", "/llm_mcp/v1/resource", {}, []),
    "prompt-bad-request": ("mcp", "POST", "/llm_mcp/v1/prompt", {"arguments": {}}, []),
    "complete-bad-request": ("mcp", "POST", "/llm_mcp/v1/complete", {"ref": {"type": "ref/prompt"}}, []),
    "complete-bad-ref": ("mcp", "POST", "/llm_mcp/v1/complete", {"argument": {"name": "customer", "value": ""}}, []),
    "complete-unknown-template": ("mcp", "POST", "/llm_mcp/v1/complete", {
        "ref": {"type": "ref/resource", "uri": "file:///{path}"}, "argument": {"name": "path", "value": ""}}, []),
    "resource-bad-cursor": ("mcp", "POST", "/llm_mcp/v1/resources", {"cursor": "not-a-cursor"}, []),
    "resource-tool-not-allowed": ("count", "POST", "/llm_mcp/v1/resource", {"uri": "odoo://res.partner/1"}, []),
    "prompts": ("mcp", "POST", "/llm_mcp/v1/prompts", {}, []),
    "prompt-missing-argument": ("mcp", "POST", "/llm_mcp/v1/prompt", {"name": "sales_customer_situation"}, []),
    "call-search-companies": ("mcp", "POST", CALL, {"name": "odoo_search", "arguments": {"model": "res.company"}}, []),
    "call-search-page": ("mcp", "POST", CALL, {
        "name": "odoo_search", "arguments": {"model": "res.company", "limit": 1}}, []),
    "resource-company": ("mcp", "POST", "/llm_mcp/v1/resource", {"uri": "odoo://res.company/1"}, []),
    "complete-record": ("mcp", "POST", "/llm_mcp/v1/complete", {
        "ref": {"type": "ref/prompt", "name": "sales_customer_situation"},
        "argument": {"name": "customer", "value": "Stand"}}, []),
    "complete-model": ("mcp", "POST", "/llm_mcp/v1/complete", {
        "ref": {"type": "ref/resource", "uri": "odoo://{model}/{id}"},
        "argument": {"name": "model", "value": "res.users"}}, []),
    # the tools and prompts of test_llm_tool that the MCP conformance suite asks for by name
    "tools-conformance": ("conformance", "POST", TOOLS, {}, ["fingerprint"]),
    "call-conformance-text": ("mcp", "POST", CALL, {"name": "test_simple_text", "arguments": {}}, []),
    "call-conformance-error": ("mcp", "POST", CALL, {"name": "test_error_handling", "arguments": {}}, []),
    "prompt-conformance-simple": ("mcp", "POST", "/llm_mcp/v1/prompt", {"name": "test_simple_prompt"}, []),
    "prompt-conformance-arguments": ("mcp", "POST", "/llm_mcp/v1/prompt", {
        "name": "test_prompt_with_arguments", "arguments": {"arg1": "testValue1", "arg2": "testValue2"}}, []),
    "complete-conformance-text": ("mcp", "POST", "/llm_mcp/v1/complete", {
        "ref": {"type": "ref/prompt", "name": "test_prompt_with_arguments"},
        "argument": {"name": "arg1", "value": "test"}}, []),
    "prompt-unknown-argument": ("mcp", "POST", "/llm_mcp/v1/prompt", {
        "name": "sales_customer_situation", "arguments": {"customer": "Stand-in Contact", "evil": "x"}}, []),
    "prompt-no-record": ("mcp", "POST", "/llm_mcp/v1/prompt", {
        "name": "sales_customer_situation", "arguments": {"customer": "Nobody Such Ltd"}}, []),
}

# Cases that need steps before their request (a limit reached, a confirmation asked for): name → the test's
# method that makes those steps and returns the case as CASES holds it, plus {text: stand-in} replacements that
# take out what depends on the run or the database (a state, a record's id, seconds to wait).
STEPPED = {
    "resources-next-page": "_resources_next_page",
    "resource-record": "_resource_record",
    "resource-attachment": "_resource_attachment",
    "call-report": "_call_report",
    "prompt": "_prompt_get",
    "resource-too-large": "_resource_too_large",
    "call-rate-limited-key": "_rate_limited_key",
    "call-rate-limited-writes": "_rate_limited_writes",
    "call-rate-limited-user": "_rate_limited_user",
    "call-too-many-running": "_too_many_running",
    "cancel": "_cancel_running",
    "call-cancelled": "_call_cancelled",
    "call-cancelled-before-start": "_call_cancelled_before_start",
    "call-tool-refused": "_call_tool_refused",
    "resource-report-refused": "_resource_report_refused",
    "confirmation-requested": "_confirmation_requested",
    "confirmation-requested-elicitation": "_confirmation_requested_elicitation",
    "confirmation-missing-record": "_confirmation_missing_record",
    "confirmation-accepted": "_confirmation_accepted",
    "confirmation-declined": "_confirmation_declined",
    "confirmation-cancelled": "_confirmation_cancelled",
    "confirmation-malformed": "_confirmation_malformed",
    "confirmation-used": "_confirmation_used",
    "confirmation-other-arguments": "_confirmation_other_arguments",
    "confirmation-other-key": "_confirmation_other_key",
    "confirmation-expired": "_confirmation_expired",
    "confirmation-person-only": "_confirmation_person_only",
}
# The contact the stepped cases work on, as the stand-in knows it (odooStandIn.ts: Carol's first contact)
CONTACT_NAME, CONTACT_ID = "Stand-in Contact", 41
STATE = "<state>"
NEXT_PAGE = "<next-page>"
# Resource lists are recorded in pages of this many, so that the fixtures hold a next page to follow
RESOURCE_PAGE_SIZE = 3
# A 1x1 PNG, the file of the attachment fixture
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")


def _split(path):
    return path.split(".") if path else []


def _get(value, path):
    for part in _split(path):
        if not isinstance(value, dict) or part not in value:
            return _ABSENT
        value = value[part]
    return value


def _set(value, path, new):
    *parents, last = _split(path)
    for part in parents:
        value = value[part]
    value[last] = new


def _json_type(value):
    return "null" if value is None else "boolean" if isinstance(value, bool) else type(value).__name__


@tagged("post_install", "-at_install")
class TestContractFixtures(McpHttpCase):
    """docs/contract/fixtures/<case>.json: what the real routes answer to the contract's example requests.

    The sidecar's suite reads the same files (its unit tests of the contract's reader, the contract stand-in,
    docs/contract.md's examples): a change of an answer is a diff of a file in review. Values that change from
    run to run (tokens, ids, the database) are listed in the file's ``volatile``: their type is checked.
    """

    def test_the_routes_answer_as_the_fixtures_say(self):
        folder = contract_files.contract_dir(self) / "fixtures"
        keys = self.keys = {
            "mcp": self.make_key(self.admin, "Claude Desktop", read_only=True),
            "count": self.make_key(self.admin, "Only counts",
                                   tool_ids=self.env["llm.tool"].search([("name", "=", "odoo_count")]).ids),
            "conformance": self.make_key(self.admin, "Conformance tools", tool_ids=self.env["llm.tool"].search(
                [("name", "in", ["test_simple_text", "test_error_handling"])]).ids),
            "bad": "0" * 40,
        }
        config = self.env["llm.mcp.config"].get_config()
        # the settings' own limits (on by default) would refuse some of this test's many calls
        config.write({"rate_key_calls_per_minute": 0, "rate_key_writes_per_minute": 0, "rate_user_calls_per_minute": 0})
        self.contact = self.env["res.partner"].create({"name": CONTACT_NAME})
        self._keep_admin_companies()
        self.enterContext(patch.object(llm_mcp_resource, "LIST_PAGE_SIZE", RESOURCE_PAGE_SIZE))
        for name in [*CASES, *STEPPED]:
            with self.subTest(case=name):
                config.enabled = name != "tools-mcp-disabled"
                replace = {}
                if name in CASES:
                    key, method, path, body, volatile = CASES[name]
                    actual = self._exchange(keys.get(key), method, path, body)
                else:
                    key, method, path, body, volatile, replace = getattr(self, STEPPED[name])()
                    actual = self._exchange(key, method, path, body)
                config.write({"rate_key_calls_per_minute": 0, "rate_key_writes_per_minute": 0,
                              "rate_user_calls_per_minute": 0})
                actual = self._replaced(actual, {**replace, **self._run_texts(actual["response"])})
                file = folder / f"{name}.json"
                stored = contract_files.load(file) if file.is_file() else None
                actual["volatile"] = [f"response.body.{v}" for v in volatile]
                for place in volatile:
                    now = _get(actual["response"]["body"], place)
                    self.assertIsNot(now, _ABSENT, f"{name}: {place} missing")
                    kept = _get(stored["response"]["body"], place) if stored else _ABSENT
                    if kept is not _ABSENT and _json_type(kept) == _json_type(now):
                        _set(actual["response"]["body"], place, kept)
                contract_files.check_or_write(self, file, actual, f"the answer to {name}")
        stale = sorted(p.stem for p in folder.glob("*.json") if p.stem not in CASES and p.stem not in STEPPED)
        self.assertFalse(stale, f"fixtures no test writes: {stale}")

    def _keep_admin_companies(self):
        """Admin works in the two companies of the demo data of scripts/test-odoo.sh, which the fixtures name
        (identity, call, resources): a database whose demo data made more (another country's demo company) gives
        admin those too, and would answer with another list."""
        kept = self.env.ref("base.main_company") | self.env["res.company"].search(
            [("name", "=", "My Company (Chicago)")], limit=1)
        self.admin.write({"company_ids": [Command.set(kept.ids)], "company_id": kept[0].id})

    @staticmethod
    def _run_texts(response):
        """{text: stand-in} for what an answer holds that changes from run to run: a new confirmation's state,
        the seconds a rate-limited call is to wait (put as the window's whole 60 s)."""
        body = response["body"]
        found = {}
        # a list's cursor names the list's fingerprint, which depends on the database's names
        if isinstance(body.get("nextCursor"), str):
            found[body["nextCursor"]] = NEXT_PAGE
        if isinstance(body.get("confirmation"), dict) and body["confirmation"].get("state"):
            found[body["confirmation"]["state"]] = STATE
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        wait = error.get("retry_after")
        # a rate limit's wait depends on when the window's calls were made; the cap's is always the same
        if isinstance(wait, int) and f"Retry in {wait} s" in error.get("message", ""):
            found.update({f"Retry in {wait} s": "Retry in 60 s", f'"retry_after": {wait}': '"retry_after": 60',
                          f'"Retry-After": "{wait}"': '"Retry-After": "60"'})
        return found

    def _replaced(self, exchange, replace):
        """``exchange`` with each text of ``replace`` put as its stand-in (whole numbers only as whole numbers)."""
        text = json.dumps(exchange, ensure_ascii=False)
        # the longest first: a state's letters may hold a record's id, which must not be put in before the state
        for old, new in sorted(replace.items(), key=lambda item: -len(item[0])):
            assert not old.isdigit() or len(old) > 1, f"an id of one digit ({old}) is not told apart in a text"
            pattern = rf"(?<![0-9]){re.escape(old)}(?![0-9])" if old.isdigit() else re.escape(old)
            text = re.sub(pattern, new.replace("\\", "\\\\"), text)
        # an access error lists the groups that may: which depends on the apps installed, not on the contract
        text = re.sub(r"(allowed for the following groups:)((?:\\n\\t- [^\\\"]*)+)", r"\1\\n\\t- <groups>", text)
        return json.loads(text)

    # -- the stepped cases (STEPPED) ------------------------------------------------------------------------

    def _contact_ids(self):
        return {str(self.contact.id): str(CONTACT_ID)}

    def _resources_next_page(self):
        """The page after the first (``resources``), asked for with the cursor the first answered."""
        first = self._exchange(self.keys["mcp"], "POST", "/llm_mcp/v1/resources", {})["response"]["body"]
        cursor = first["nextCursor"]
        return self.keys["mcp"], "POST", "/llm_mcp/v1/resources", {"cursor": cursor}, [], {cursor: NEXT_PAGE}

    def _resource_record(self):
        body = {"uri": f"odoo://res.partner/{self.contact.id}"}
        return self.keys["mcp"], "POST", "/llm_mcp/v1/resource", body, [], self._contact_ids()

    def _resource_attachment(self):
        attachment = self.env["ir.attachment"].create({"name": "pixel.png", "raw": PIXEL_PNG})
        body = {"uri": f"odoo://ir.attachment/{attachment.id}"}
        return self.keys["mcp"], "POST", "/llm_mcp/v1/resource", body, [], {str(attachment.id): "1"}

    def _quotation(self):
        """A quotation (made once; not the contact's, which the confirmation cases delete), and {text: stand-in} for
        its id."""
        if not getattr(self, "quotation", None):
            customer = self.env["res.partner"].create({"name": "Quotation Customer"})
            self.quotation = self.env["sale.order"].create({"partner_id": customer.id})
        return self.quotation, {str(self.quotation.id): "1"}

    def _call_report(self):
        order, replace = self._quotation()
        body = {"name": "odoo_report", "arguments": {"report": "sale.report_saleorder", "ids": [order.id]}}
        return self.keys["mcp"], "POST", CALL, body, [], replace

    def _prompt_get(self):
        body = {"name": "sales_customer_situation", "arguments": {"customer": CONTACT_NAME}}
        today = {fields.Date.context_today(self.admin).isoformat(): "<today>"}
        return self.keys["mcp"], "POST", "/llm_mcp/v1/prompt", body, [], {**self._contact_ids(), **today}

    def _resource_too_large(self):
        self.env["llm.mcp.config"].get_config().resource_max_bytes = 1024
        attachment = self.env["ir.attachment"].create({"name": "big.txt", "raw": b"x" * 1025})
        body = {"uri": f"odoo://ir.attachment/{attachment.id}"}
        return self.keys["mcp"], "POST", "/llm_mcp/v1/resource", body, [], {str(attachment.id): "2"}

    def _clerk_key(self):
        """A key of a user with no Sales rights (made once)."""
        if not getattr(self, "clerk_key", None):
            clerk = new_test_user(self.env, login="fixture_clerk", name="Fixture Clerk", groups="base.group_user")
            self.clerk_key = self.make_key(clerk, "Clerk's key")
        return self.clerk_key

    def _call_tool_refused(self):
        body = {"name": "odoo_search", "arguments": {"model": "sale.order"}}
        return self._clerk_key(), "POST", CALL, body, [], {}

    def _resource_report_refused(self):
        order = self.env["sale.order"].create({"partner_id": self.env["res.partner"].create({"name": "Customer"}).id})
        body = {"uri": f"odoo://report/sale.report_saleorder/{order.id}"}
        return self._clerk_key(), "POST", "/llm_mcp/v1/resource", body, [], {str(order.id): "1"}

    def _rate_limited(self, key, tool, arguments, first_arguments=None):
        """The second call of ``key`` within a minute (the wait it names is put as the window's 60 s)."""
        self.call(key, tool, first_arguments or arguments)
        return key, "POST", CALL, {"name": tool, "arguments": arguments}, [], {}

    def _rate_limited_key(self):
        key = self.make_key(self.admin, "One call a minute", calls_per_minute=1)
        return self._rate_limited(key, "odoo_count", {"model": "res.partner"})

    def _rate_limited_writes(self):
        key = self.make_key(self.admin, "One write a minute", writes_per_minute=1)
        values = {"model": "res.partner", "values": {"name": "Rate-limited Contact"}}
        return self._rate_limited(key, "odoo_create", values, {"model": "res.partner", "values": {"name": "First"}})

    def _rate_limited_user(self):
        self.env["llm.mcp.config"].get_config().rate_user_calls_per_minute = 1  # the loop sets it back
        return self._rate_limited(self.make_key(self.admin, "Another app"), "odoo_count", {"model": "res.partner"})

    def _too_many_running(self):
        """A call of a user who already runs the settings' most calls at once (2): those two are registered as the
        call route registers its calls, in this test's transaction and on its backend, so they count as running."""
        runner = new_test_user(self.env, login="fixture_runner", name="Fixture Runner", groups="base.group_user")
        key = self.make_key(runner, "Runner's key")
        mcp_key = self.env["res.users.apikeys"]._llm_mcp_authenticate(key, None)
        for request_id in ("40", "41"):
            self.env["llm.mcp.running.call"]._start(mcp_key, request_id)
        body = {"name": "odoo_count", "arguments": {"model": "res.partner"}, "request_id": "42"}
        return key, "POST", CALL, body, [], {}

    def _canceller(self):
        """A key of a user of its own (made once) and its MCP key: the running call the cancellation cases leave
        marked counts among that user's calls running at once, and must not among admin's."""
        if not getattr(self, "canceller_key", None):
            canceller = new_test_user(self.env, login="fixture_canceller", name="Fixture Canceller",
                                      groups="base.group_user")
            self.canceller_key = self.make_key(canceller, "Canceller's key")
        return self.canceller_key, self.env["res.users.apikeys"]._llm_mcp_authenticate(self.canceller_key, None)

    def _cancel_running(self):
        """A cancellation of the caller's running call: the call registered as the call route registers it, in
        this test's transaction and on its backend (which a cancellation never signals: its own)."""
        key, mcp_key = self._canceller()
        self.env["llm.mcp.running.call"]._start(mcp_key, "42", SCOPE)
        return key, "POST", CANCEL, {"request_id": "42", "cancel_scope": SCOPE}, [], {}

    def _call_cancelled(self):
        """A call whose caller cancels it while its tool runs: the cancel route's own work (the caller's call
        marked) done as the tool starts, as another Odoo worker serving ``cancel`` meanwhile would do it."""
        key, mcp_key = self._canceller()
        Tools = type(self.env["llm.tool"])
        run = Tools._run_tool_entry

        def cancelled_meanwhile(tools, *args, **kwargs):
            meanwhile.stop()  # this call only
            tools.env["llm.mcp.running.call"]._cancel(mcp_key, "44", SCOPE)
            return run(tools, *args, **kwargs)

        meanwhile = patch.object(Tools, "_run_tool_entry", cancelled_meanwhile)
        meanwhile.start()
        self.addCleanup(meanwhile.stop)
        body = {"name": "odoo_count", "arguments": {"model": "res.partner"}, "request_id": "44", "cancel_scope": SCOPE}
        return key, "POST", CALL, body, [], {}

    def _call_cancelled_before_start(self):
        """A call whose cancellation reached Odoo first (the call still waited for a free Odoo worker): it met
        the tombstone its cancellation left, and ran nothing."""
        key, _mcp_key = self._canceller()
        cancelled = self.post(CANCEL, {"request_id": "45", "cancel_scope": SCOPE}, key=key)
        self.assertEqual(cancelled.json(), {"contract": 1, "cancelled": False}, cancelled.text)
        body = {"name": "odoo_count", "arguments": {"model": "res.partner"}, "request_id": "45", "cancel_scope": SCOPE}
        return key, "POST", CALL, body, [], {}

    def _confirming_key(self, name="Confirms"):
        self.env["llm.tool"].search([("name", "=", "odoo_delete")]).requires_confirmation = True
        return self.make_key(self.admin, name)

    def _delete(self):
        return {"model": "res.partner", "ids": [self.contact.id]}

    def _ask(self, key, **extra):
        """The first call of odoo_delete: its answer's state."""
        answer = self.call(key, "odoo_delete", self._delete(), **extra).json()
        return answer["confirmation"]["state"]

    def _confirmation_requested(self, **extra):
        body = {"name": "odoo_delete", "arguments": self._delete(), **extra}
        return self._confirming_key(), "POST", CALL, body, ["confirmation.expires_at"], self._contact_ids()

    def _confirmation_missing_record(self):
        body = {"name": "odoo_delete", "arguments": {"model": "res.partner", "ids": [999999999]}}
        return self._confirming_key(), "POST", CALL, body, [], {}

    def _confirmation_requested_elicitation(self):
        return self._confirmation_requested(confirm_with="elicitation")

    def _answer(self, answer, state_of=None, arguments=None, key=None, **extra):
        """A retry that answers a state asked for with Carol's key; the answer that a later step replays."""
        asker = self._confirming_key()
        state = state_of(asker) if state_of else self._ask(asker, confirm_with="elicitation")
        body = {"name": "odoo_delete", "arguments": arguments or self._delete(), **extra}
        if answer is not None:
            body["confirmation"] = {"state": state, "answer": answer}
        else:
            body["arguments"] = {**body["arguments"], "confirmation_token": state}
        return key or asker, "POST", CALL, body, [], {state: STATE, **self._contact_ids()}

    def _confirmation_accepted(self):
        case = self._answer(None, state_of=self._ask)
        self.contact = self.env["res.partner"].create({"name": CONTACT_NAME})  # the next cases delete it again
        return case

    def _confirmation_declined(self):
        return self._answer("decline")

    def _confirmation_cancelled(self):
        return self._answer("cancel")

    def _confirmation_malformed(self):
        return self._answer("maybe")

    def _confirmation_used(self):
        def answered(key):
            state = self._ask(key, confirm_with="elicitation")
            self.call(key, "odoo_delete", self._delete(), confirmation={"state": state, "answer": "decline"})
            return state
        return self._answer("accept", state_of=answered)

    def _confirmation_other_arguments(self):
        other = self.env["res.partner"].create({"name": "Other Stand-in Contact"})
        key, method, path, body, volatile, replace = self._answer(
            "accept", arguments={"model": "res.partner", "ids": [other.id]})
        return key, method, path, body, volatile, {**replace, str(other.id): "42"}

    def _confirmation_other_key(self):
        return self._answer("accept", key=self._confirming_key("Another key"))

    def _confirmation_expired(self):
        def stale(key):
            with patch.object(llm_mcp_confirmation, "CONFIRMATION_TTL_SECONDS", -1):
                return self._ask(key, confirm_with="elicitation")
        return self._answer("accept", state_of=stale)

    def _confirmation_person_only(self):
        return self._answer(None, state_of=lambda key: self._ask(key, confirm_with="elicitation"))

    def _exchange(self, key, method, path, body):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        request = {"method": method, "path": path}
        if key:
            headers["Authorization"] = f"Bearer {key}"
            request["headers"] = {"Authorization": "Bearer <key>"}
        if body is not None:
            request["body"] = copy.deepcopy(body)
        url = self.base_url() + path
        if method == "GET":
            response = self.opener.get(url, headers=headers, timeout=30)
        else:
            response = self.opener.post(url, json=body, headers=headers, timeout=30)
        answer = {"status": response.status_code, "body": response.json()}
        named = {h: response.headers[h] for h in CONTRACT_HEADERS if h in response.headers}
        if named:
            answer["headers"] = named
        return {"request": request, "response": answer}
