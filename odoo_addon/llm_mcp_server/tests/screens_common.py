"""Users, keys and a stand-in HTTP request for the screens tests (test_wizard, test_ui)."""

import contextlib
import datetime
import time
from types import SimpleNamespace
from unittest.mock import patch

from odoo import fields
from odoo.tests.common import new_test_user

PASSWORD = "mcp_user_pw"


def make_users(env):
    """An internal user, another internal user, an LLM manager and a portal user, all with PASSWORD."""
    return SimpleNamespace(
        user=new_test_user(env, "mcp_user", groups="base.group_user", password=PASSWORD, name="MCP User"),
        other=new_test_user(env, "mcp_other", groups="base.group_user", password=PASSWORD, name="MCP Other"),
        manager=new_test_user(env, "mcp_manager", groups="base.group_user,llm.group_llm_manager",
                              password=PASSWORD, name="MCP Manager"),
        portal=new_test_user(env, "mcp_portal", groups="base.group_portal", password=PASSWORD,
                             name="MCP Portal"),
    )


@contextlib.contextmanager
def http_request(identity_checked=True):
    """Stand in for the HTTP request @check_identity and the API-key code look at.

    ``identity_checked`` says whether the session passed the password check within the last 10 minutes.
    """
    session = {"identity-check-last": time.time()} if identity_checked else {}
    fake = SimpleNamespace(session=session, httprequest=SimpleNamespace(environ={"REMOTE_ADDR": "127.0.0.1"}))
    with patch("odoo.addons.base.models.res_users.request", fake):
        yield fake


def create_key(env, user, name, days=30, **restrictions):
    """An MCP key for ``user`` made through the addon's API; returns (clear key, llm.mcp.key record)."""
    expiration = datetime.datetime.combine(fields.Date.today(), datetime.time.min) + datetime.timedelta(days=days)
    keys = env["llm.mcp.key"].with_user(user)
    with http_request():
        clear = keys.create_mcp_key(name, expiration, **restrictions)
    record = keys.sudo().search([("user_id", "=", user.id), ("name", "=", name)])
    return clear, record
