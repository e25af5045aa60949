"""Confirmations: a person approves a call of a confirmed tool before it runs (docs/contract.md, Confirmations).

The first call of such a tool runs nothing: it answers with a preview in words a person checks (the tool, the
model, the target records' display names as the user reads them, the values) and a signed, opaque
confirmation state. The retry carries that state and the person's answer. The state is

    <base64url of {"v", "k": key id, "u": user id, "t": tool, "a": sha256 of the arguments, "c": channel,
                   "e": expiry, "n": nonce}>
    .<HMAC-SHA256(the key row's stored hash, "llm_mcp_confirm.<payload>.<sha256 of the key>")>

so it is bound to the user, the key, the tool, the exact arguments and the channel the person is asked through
(``c``: "elicitation" when the client asks them itself, whose answer only the sidecar relays as ``confirmation``;
"token" when the model relays their yes as ``confirmation_token``), and only whoever checked the key can
make one (the stored hash is reachable by no tool, ORM read or system parameter, as for the fast-path token).
It expires after CONFIRMATION_TTL_SECONDS, and its nonce is recorded in ``llm_mcp_confirmation`` when it is
answered, in a transaction of its own, so any Odoo worker and any sidecar replica refuses a replay.
"""

import base64
import binascii
import dataclasses
import datetime
import hashlib
import hmac
import json
import secrets
import time

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

from odoo.addons.llm_tool.errors import ToolInputError
from odoo.addons.llm_tool.schema import validate_arguments

from .llm_mcp_call import redact
from .llm_tool import TOKEN_ARGUMENT

CONFIRMATION_TTL_SECONDS = 300
STATE_HMAC_SCOPE = "llm_mcp_confirm"
ANSWERS = ("accept", "decline", "cancel")
ELICITATION = "elicitation"  # the body's confirm_with: the client asks the person itself (contract, Confirmations)
TOKEN_CHANNEL = "token"
_STATE_MAX_CHARS = 2048
_NAMES_SHOWN = 20
_VALUES_MAX_CHARS = 1500
# What the person and the model read is in the user's language (docs/contract.md, "Messages and languages"):
# the module's functions below have no environment, so they make lazy texts that the model methods translate.
_lt = LazyTranslate(__name__)


@dataclasses.dataclass
class Gate:
    """What the call route does about confirmation: run the tool with ``arguments``, or give ``answer``."""

    arguments: dict
    outcome_on_success: str = "ok"  # "confirmed" when the person accepted
    answer: dict | None = None  # a call answer (without "contract") to give instead of running the tool
    outcome: str | None = None  # the audit outcome of ``answer``
    message: str | None = None  # the audit message of ``answer``


class ConfirmationRefused(Exception):
    """A confirmation state that is not honoured; ``outcome`` is the audit outcome (invalid, expired), ``message``
    a lazy text (translated by the model method that answers)."""

    def __init__(self, outcome, message):
        super().__init__(message)
        self.outcome = outcome
        self.message = message


class LlmMcpConfirmation(models.Model):
    """The nonces of answered confirmations (a state is honoured once), kept until a day after they expire."""

    _name = "llm.mcp.confirmation"
    _description = "MCP Answered Confirmation"
    _log_access = False

    nonce = fields.Char(required=True, readonly=True)
    user_id = fields.Many2one("res.users", required=True, readonly=True, ondelete="cascade")
    expires_at = fields.Datetime(required=True, readonly=True, index=True)
    answered_at = fields.Datetime(required=True, readonly=True)

    _sql_constraints = [("nonce_unique", "UNIQUE(nonce)", "A confirmation is answered once.")]

    # -- the call route's hook ----------------------------------------------------------------------------

    @api.model
    def _gate(self, mcp_key, entry, arguments, confirmation, confirm_with=None):
        """Decide whether the call of ``entry`` runs now (see Gate); ``confirmation`` and ``confirm_with`` are
        the body's fields (``confirm_with`` ELICITATION or None, checked by the caller).

        Raises ContractError-free: a malformed ``confirmation`` is refused as an answer with outcome invalid.
        """
        if not entry.requires_confirmation:
            return Gate(arguments)
        arguments = dict(arguments)
        token = arguments.pop(TOKEN_ARGUMENT, None)
        channel = ELICITATION if confirm_with == ELICITATION else TOKEN_CHANNEL
        ignored = None
        if channel == ELICITATION and token is not None:
            # the arguments are the model's: when the client asks the person, only their answer (``confirmation``,
            # built by the sidecar from the client's inputResponses) counts, so the person is asked
            token, ignored = None, self.env._("The %(argument)s argument was ignored: this client asks the person.",
                                              argument=TOKEN_ARGUMENT)
        if confirmation is None and token is None:
            return self._ask(mcp_key, entry, arguments, channel, note=ignored)
        if confirmation is not None:
            if not isinstance(confirmation, dict) or confirmation.get("answer") not in ANSWERS:
                return _refusal("invalid", "'confirmation' must be {\"state\": …, \"answer\": \"accept\", \"decline\" "
                                           "or \"cancel\"}. Nothing was done.")  # the sidecar's mistake: not translated
            state, answer, channels = confirmation.get("state"), confirmation["answer"], (ELICITATION, TOKEN_CHANNEL)
        else:
            # a token stands for the person's yes only where the model was asked to relay it
            state, answer, channels = token, "accept", (TOKEN_CHANNEL,)
        try:
            claims = _verify(state, mcp_key, entry.name, arguments, channels)
            self._record_answer(claims, mcp_key)
        except ConfirmationRefused as refused:
            return _refusal(refused.outcome, self.env._(refused.message))
        if answer != "accept":
            if answer == "decline":
                message = self.env._("The person declined the call of %(tool)s: nothing was done. Do not retry it "
                                     "unless they ask you to.", tool=entry.name)
            else:
                message = self.env._("The person cancelled the call of %(tool)s: nothing was done. Do not retry it "
                                     "unless they ask you to.", tool=entry.name)
            return _refusal("declined", message)
        return Gate(arguments, outcome_on_success="confirmed")

    @api.model
    def _ask(self, mcp_key, entry, arguments, channel, note=None):
        """The first call: check the call could run, then answer with the preview and a new state for
        ``channel``; ``note`` (why an argument was ignored) goes into the audit message."""
        try:
            validate_arguments(entry.input_schema, arguments)
        except ToolInputError as exc:
            return _refusal("invalid", str(exc))
        try:
            preview = self._preview(entry, arguments)
        except UserError as exc:  # AccessError, MissingError: the tool would refuse it, so nobody is asked
            return _refusal("tool_error", str(exc.args[0]) if exc.args else self.env._("The operation was refused."))
        state, expires = _sign_new_state(mcp_key, entry.name, arguments, channel)
        expires_at = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if channel == ELICITATION:
            how = self.env._("The person is asked in their client; only their answer there runs it.")
        else:
            how = self.env._(
                "Show this to the person and ask whether to go ahead. Only if they agree, call %(tool)s again with "
                "exactly the same arguments plus \"%(argument)s\": \"%(state)s\" (valid %(minutes)s minutes, once). "
                "If they do not agree, do not call it again.",
                tool=entry.name, argument=TOKEN_ARGUMENT, state=state, minutes=CONFIRMATION_TTL_SECONDS // 60,
            )
        text = self.env._("Confirmation needed — nothing was done yet.") + f"\n\n{preview}\n\n{how}"
        return Gate(
            arguments,
            answer={
                "content": [{"type": "text", "text": text}],
                "isError": True,
                "confirmation": {"state": state, "message": preview, "expires_at": expires_at},
            },
            outcome="confirmation_requested",
            message=f"{note}\n\n{preview}" if note else preview,
        )

    # -- the preview: what a person checks ----------------------------------------------------------------

    @api.model
    def _preview(self, entry, arguments):
        """What the call would do, in words, read as the user (UserError when the tool would refuse it)."""
        if entry.model == "llm.tool.builtin" and entry.method in _BUILTIN_PREVIEWS:
            return _BUILTIN_PREVIEWS[entry.method](self.env["llm.tool.builtin"], arguments)
        title = entry.definition.get("title") or entry.name
        return self.env._("Run the tool “%(title)s” (%(tool)s) with these arguments:\n%(values)s",
                          title=title, tool=entry.name, values=_values_text(arguments))

    # -- single use ---------------------------------------------------------------------------------------

    @api.model
    def _record_answer(self, claims, mcp_key):
        """Record that the state ``claims`` was answered; ConfirmationRefused when it already was.

        The row is committed apart from the call's transaction (a failed tool must not make its state usable
        again), except in tests, whose requests share one transaction. Odoo's replay of this very request
        after a serialization failure is recognised and let through.
        """
        nonce = claims["n"]
        if request and getattr(request, "llm_mcp_answered_nonce", None) == nonce:
            return
        insert = SQL(
            """INSERT INTO llm_mcp_confirmation (nonce, user_id, expires_at, answered_at)
               VALUES (%s, %s, %s, now() AT TIME ZONE 'utc') ON CONFLICT (nonce) DO NOTHING RETURNING id""",
            nonce, mcp_key.user_id,
            datetime.datetime.fromtimestamp(claims["e"], datetime.timezone.utc).replace(tzinfo=None),
        )
        if self.env.registry.in_test_mode():
            self.env.cr.execute(insert)
            recorded = bool(self.env.cr.fetchall())
        else:
            with self.env.registry.cursor() as cr:
                # a concurrent answer of the same state then waits and meets the conflict, rather than a
                # serialization failure (repeatable read) that would make Odoo replay the request
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                cr.execute(insert)
                recorded = bool(cr.fetchall())
        if not recorded:
            raise ConfirmationRefused("invalid", _lt("This confirmation was already used: a confirmation counts "
                                                     "once. Nothing was done; call the tool again to get a new one."))
        if request:
            request.llm_mcp_answered_nonce = nonce

    @api.model
    def _gc_answered(self):
        """Cron: forget answered nonces a day after their state expired (an expired state is refused anyway)."""
        self.env.cr.execute(
            "DELETE FROM llm_mcp_confirmation WHERE expires_at < (now() AT TIME ZONE 'utc') - INTERVAL '1 day'"
        )


# -- the state --------------------------------------------------------------------------------------------


def _as_json_numbers(value):
    """``value`` with whole floats as ints: 1.0 and 1 are one JSON number (and one integer, validate_arguments)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_as_json_numbers(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_json_numbers(item) for key, item in value.items()}
    return value


def arguments_digest(arguments):
    """SHA-256 of the canonical JSON of ``arguments`` (sorted keys, no spaces, whole numbers without a
    fraction): what a state is bound to, whether the retry sends 1 or 1.0."""
    canonical = json.dumps(_as_json_numbers(arguments), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _signature(payload, mcp_key):
    message = f"{STATE_HMAC_SCOPE}.{payload}.{mcp_key.key_sha256}".encode()
    return hmac.new(mcp_key.key_hash.encode(), message, hashlib.sha256).hexdigest()


def _sign_new_state(mcp_key, tool_name, arguments, channel):
    expires = int(time.time()) + CONFIRMATION_TTL_SECONDS
    claims = {"v": 1, "k": mcp_key.apikey_id, "u": mcp_key.user_id, "t": tool_name,
              "a": arguments_digest(arguments), "c": channel, "e": expires, "n": secrets.token_urlsafe(18)}
    payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{payload}.{_signature(payload, mcp_key)}", expires


def _verify(state, mcp_key, tool_name, arguments, channels):
    """The claims of ``state`` if it is this key's, for this tool and these arguments, answered through one of
    ``channels``, and not expired."""
    if not isinstance(state, str) or len(state) > _STATE_MAX_CHARS or state.count(".") != 1:
        raise ConfirmationRefused("invalid", _lt("The confirmation is not valid: nothing was done. Call the tool "
                                                 "again without it to get a new one."))
    payload, signature = state.split(".")
    if not hmac.compare_digest(_signature(payload, mcp_key), signature):
        # altered, forged, or made for another key (its signing secret is that key's stored hash)
        raise ConfirmationRefused("invalid", _lt("The confirmation is not valid for this key: nothing was done. "
                                                 "Call the tool again without it to get a new one."))
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        raise ConfirmationRefused("invalid", _lt("The confirmation is not valid: nothing was done.")) from None
    if claims.get("u") != mcp_key.user_id or claims.get("k") != mcp_key.apikey_id:
        raise ConfirmationRefused("invalid", _lt("The confirmation was given to another user or key: nothing was "
                                                 "done."))
    if claims.get("t") != tool_name:
        raise ConfirmationRefused("invalid", _lt("The confirmation was given for another tool (%(other)s), not "
                                                 "%(tool)s: nothing was done.", other=claims.get("t"), tool=tool_name))
    if claims.get("a") != arguments_digest(arguments):
        raise ConfirmationRefused("invalid", _lt("The confirmation was given for other arguments: nothing was "
                                                 "done. Call the tool again without a token to have these confirmed."))
    if claims.get("c") not in channels:
        if claims.get("c") == ELICITATION:
            # the question's requestState, copied into the arguments: the person has not answered
            raise ConfirmationRefused("invalid", _lt("This confirmation is answered only by the person, in the "
                                                     "question their client shows; it cannot be passed as "
                                                     "%(argument)s. Nothing was done.", argument=TOKEN_ARGUMENT))
        raise ConfirmationRefused("invalid", _lt("The confirmation is not valid: nothing was done."))
    if not isinstance(claims.get("e"), int) or claims["e"] < time.time():
        raise ConfirmationRefused("expired", _lt("The confirmation expired: nothing was done. Call the tool again "
                                                 "without a token to ask the person again."))
    if not isinstance(claims.get("n"), str):
        raise ConfirmationRefused("invalid", _lt("The confirmation is not valid: nothing was done."))
    return claims


def _refusal(outcome, message):
    return Gate({}, answer={"content": [{"type": "text", "text": message}], "isError": True},
                outcome=outcome, message=message)


# -- previews of the built-in write tools ---------------------------------------------------------------


def _model_label(Model):
    return f"{Model._description or Model._name} ({Model._name})"


def _records_text(records):
    """“Name” (#id), … of ``records``, every one of which the user may read (the tools check it first)."""
    readable = records._filtered_access("read")
    shown = [f"“{record.display_name}” (#{record.id})" if record in readable else f"#{record.id}"
             for record in records[:_NAMES_SHOWN]]
    more = len(records) - _NAMES_SHOWN
    return ", ".join(shown) + (records.env._(" and %(more)s more", more=more) if more > 0 else "")


def _count(env, n):
    return env._("%(n)s record", n=n) if n == 1 else env._("%(n)s records", n=n)


def _values_text(values):
    text = json.dumps(redact(values), ensure_ascii=False, indent=1, default=str)
    return text if len(text) <= _VALUES_MAX_CHARS else text[: _VALUES_MAX_CHARS - 15] + "…[shortened]"


def _preview_delete(builtin, arguments):
    Model = builtin._tool_model(arguments["model"], write=True)
    records = builtin._tool_existing(Model, arguments["ids"], "unlink")
    return builtin.env._("Delete %(count)s of %(model)s: %(records)s.", count=_count(builtin.env, len(records)),
                         model=_model_label(Model), records=_records_text(records))


def _preview_update(builtin, arguments):
    Model = builtin._tool_model(arguments["model"], write=True)
    builtin._tool_check_values(Model, arguments["values"])
    records = builtin._tool_existing(Model, arguments["ids"], "write")
    return builtin.env._("Change %(count)s of %(model)s: %(records)s.\nNew values:\n%(values)s",
                         count=_count(builtin.env, len(records)), model=_model_label(Model),
                         records=_records_text(records), values=_values_text(arguments["values"]))


def _preview_create(builtin, arguments):
    Model = builtin._tool_model(arguments["model"], write=True)
    values = arguments["values"]
    vals_list = [values] if isinstance(values, dict) else values
    for vals in vals_list:
        builtin._tool_check_values(Model, vals)
    return builtin.env._("Create %(count)s of %(model)s with these values:\n%(values)s",
                         count=_count(builtin.env, len(vals_list)), model=_model_label(Model),
                         values=_values_text(values))


def _preview_call_method(builtin, arguments):
    Model = builtin._tool_model(arguments["model"], write=True)
    method = arguments["method"]
    # what the tool would refuse, refused now
    builtin._tool_callable_method(Model, method, arguments.get("kwargs"), arguments.get("args"))
    env = builtin.env
    if arguments.get("ids"):
        records = builtin._tool_existing(Model, arguments["ids"])
        text = env._("Call the method %(method)s on %(count)s of %(model)s: %(records)s.", method=method,
                     count=_count(env, len(records)), model=_model_label(Model), records=_records_text(records))
    else:
        text = env._("Call the method %(method)s on %(model)s.", method=method, model=_model_label(Model))
    extra = {key: arguments[key] for key in ("args", "kwargs") if arguments.get(key)}
    return text + (env._("\nWith:\n%(values)s", values=_values_text(extra)) if extra else "")


_BUILTIN_PREVIEWS = {
    "odoo_delete": _preview_delete,
    "odoo_update": _preview_update,
    "odoo_create": _preview_create,
    "odoo_call_method": _preview_call_method,
}
