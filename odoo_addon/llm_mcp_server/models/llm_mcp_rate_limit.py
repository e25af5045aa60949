import logging

from odoo import _, api, models
from odoo.http import request

from .. import rate_limit
from ..contract import ContractError

_logger = logging.getLogger(__name__)


class RateLimited(ContractError):
    """429 ``rate_limited``: the call was not run; ``retry_after`` seconds until one would be let through."""

    outcome = "rate_limited"

    def __init__(self, message, retry_after):
        super().__init__(429, "rate_limited", message, headers={"Retry-After": str(retry_after)},
                         details={"retry_after": retry_after})
        self.retry_after = retry_after


class LlmMcpRateLimit(models.AbstractModel):
    """Calls per minute per key (or OAuth grant) and per user, writes per minute per key (rate_limit.py)."""

    _name = "llm.mcp.rate.limit"
    _description = "MCP rate limits"

    def init(self):
        rate_limit.create_table(self.env.cr)

    @api.model
    def _check_call(self, mcp_key, write):
        """Count this call against the limits of ``mcp_key`` and its user, or raise RateLimited.

        ``write``: the tool is not read-only (counts against the key's writes too). Counted once per request:
        Odoo replays a request after a serialization failure, and the replay is the same call.
        """
        if request and getattr(request, "llm_mcp_rate_counted", False):
            return
        limits, subject = self._limits_of(mcp_key)
        if not limits.any():
            return
        refusal = self._reserve(mcp_key.user_id, subject, write, limits)
        if refusal:
            raise RateLimited(self._message(refusal, subject), refusal.retry_after)
        if request:
            request.llm_mcp_rate_counted = True

    @api.model
    def _reserve(self, user_id, subject, write, limits):
        """rate_limit.reserve_apart: one count of ``subject`` in the window, committed at once; the Refusal or None."""
        if self.env.registry.in_test_mode():
            # HttpCase: every request shares the test's transaction (and holds the lock re-entrantly)
            return rate_limit.reserve(self.env.cr, user_id, subject, write, limits)
        return rate_limit.reserve_apart(self.env.registry, user_id, subject, write, limits)

    @api.model
    def _limits_of(self, mcp_key):
        """(Limits, subject) of a request's key: its own limits, else the settings' defaults.

        The subject whose calls a key's limits count: the OAuth grant for an app's access tokens (a refresh
        makes a new key, and must not restart the count), else the API key itself.
        """
        defaults = self.env["llm.mcp.config"]._mcp_rate_limits()
        limits = rate_limit.Limits(
            key_calls=mcp_key.calls_per_minute or defaults["key_calls"],
            key_writes=mcp_key.writes_per_minute or defaults["key_writes"],
            user_calls=defaults["user_calls"],
        )
        return limits, f"grant:{mcp_key.oauth_grant_id}" if mcp_key.oauth_grant_id else f"key:{mcp_key.apikey_id}"

    @api.model
    def _message(self, refusal, subject):
        who = _("This app") if subject.startswith("grant:") else _("This key")
        if refusal.limit == "key_calls":
            what = _("%(who)s may make %(n)s calls a minute", who=who, n=refusal.allowed)
        elif refusal.limit == "key_writes":
            what = _("%(who)s may make %(n)s calls of tools that change data a minute", who=who, n=refusal.allowed)
        else:
            what = _("You may make %(n)s calls a minute over all your keys and apps", n=refusal.allowed)
        return _(
            "Rate limit reached: %(what)s. Nothing was run. Retry in %(seconds)s s; if a loop is calling, stop it.",
            what=what, seconds=refusal.retry_after,
        )

    @api.model
    def _describe_limits(self):
        """The settings' limits in words, for New MCP Key and the OAuth consent page."""
        limits = self.env["llm.mcp.config"]._mcp_rate_limits()
        unlimited = _("unlimited")
        return _(
            "Per key or app: %(calls)s calls and %(writes)s writes a minute. For all your keys and apps: %(user)s "
            "calls a minute.",
            calls=limits["key_calls"] or unlimited, writes=limits["key_writes"] or unlimited,
            user=limits["user_calls"] or unlimited,
        )

    @api.model
    def _gc_rate_window(self):
        """Cron: drop the window's rows of users who stopped calling (callers prune their own)."""
        rate_limit.prune(self.env.cr)
