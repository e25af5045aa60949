"""Where Odoo's time goes in one request: ``/llm_mcp/v1/call`` against the floor's ``/web/dataset/call_kw``.

Bench-only (bench/odooProfile.ts runs it with Odoo's Python; nothing of it is in the product): an Odoo of its own,
in this process, on the stack's database, serves the requests it reads on stdin through Odoo's own WSGI
application (``odoo.http.root``, everything but the HTTP server's socket). Named phases of the call are timed by
wrapping their functions in this process only (exclusive time: a phase called inside another is not counted
twice), with the SQL statements each one sends; then the same requests run again under cProfile for the
functions with the most time of their own.

    python3 bench/profile_odoo.py -c odoo.conf -d DB --logfile LOG  < requests.json  > profile.json

stdin: {"calls": N, "warmup": W, "requests": [{"name", "path", "headers", "body"}]}; stdout: one JSON document.
"""

import contextlib
import cProfile
import functools
import io
import json
import pstats
import sys
import time

import odoo
from odoo import sql_db

# The phases of a call, by the function that does each (model, method): timed in this process only.
MODEL_PHASES = [
    ("authentication (Odoo's auth method)", "ir.http", "_authenticate"),
    ("key check", "res.users.apikeys", "_llm_mcp_authenticate"),
    ("settings and tool policy", "llm.mcp.config", "_mcp_enabled_settings"),
    ("settings and tool policy", "llm.mcp.config", "_mcp_callable_tool"),
    ("settings and tool policy", "llm.mcp.confirmation", "_gate"),
    ("rate window", "llm.mcp.rate.limit", "_check_call"),
    ("running-call registry", "llm.mcp.running.call", "_start"),
    ("running-call registry", "llm.mcp.running.call", "_finish"),
    ("the tool (its checks and ORM work)", "llm.tool", "_run_tool_entry"),
    ("audit row", "llm.mcp.call", "_log_call"),
]
OTHER = "request handling (Odoo's routing, session, JSON, response)"

totals = {}  # phase -> [seconds, statements, sql seconds]
_stack = []  # [phase, seconds spent in nested phases]


def _account(phase):
    return totals.setdefault(phase, [0.0, 0, 0.0])


def timed(phase, fn, *args, **kwargs):
    if any(frame[0] == phase for frame in _stack):
        return fn(*args, **kwargs)  # nested in the same phase: the outermost call counts
    _stack.append([phase, 0.0])
    started = time.perf_counter()
    try:
        return fn(*args, **kwargs)
    finally:
        elapsed = time.perf_counter() - started
        _, nested = _stack.pop()
        _account(phase)[0] += elapsed - nested
        if _stack:
            _stack[-1][1] += elapsed


def sql(fn, *args, **kwargs):
    """A statement, counted and timed for the phase that sends it."""
    started = time.perf_counter()
    try:
        return fn(*args, **kwargs)
    finally:
        account = _account(_stack[-1][0] if _stack else OTHER)
        account[1] += 1
        account[2] += time.perf_counter() - started


def wrap_method(cls, name, phase):
    original = getattr(cls, name)
    if isinstance(cls.__dict__.get(name), classmethod) or getattr(original, "__self__", None) is cls:
        setattr(cls, name, classmethod(lambda _cls, *a, **k: timed(phase, original, *a, **k)))
    else:
        setattr(cls, name, functools.wraps(original)(lambda self, *a, **k: timed(phase, original, self, *a, **k)))


def wrap_function(module, name, phase):
    original = getattr(module, name)
    setattr(module, name, functools.wraps(original)(lambda *a, **k: timed(phase, original, *a, **k)))


def instrument(registry):
    for phase, model, method in MODEL_PHASES:
        wrap_method(registry[model], method, phase)
    from odoo.addons.llm_mcp_server import call_bounds
    from odoo.addons.llm_mcp_server.apart_connections import APART
    from odoo.addons.llm_mcp_server.controllers import main as controllers
    from odoo.addons.llm_mcp_server.models import llm_mcp_call
    from odoo.addons.web.controllers import dataset

    wrap_function(dataset, "call_kw", "the tool (its checks and ORM work)")  # the floor's search_read
    wrap_function(llm_mcp_call.json_input, "problem_of", "settings and tool policy")
    wrap_function(llm_mcp_call, "fit", "answer (result budget, JSON)")
    wrap_function(controllers, "respond", "answer (result budget, JSON)")

    bounded = call_bounds.bounded

    @contextlib.contextmanager
    def timed_bounded(*args, **kwargs):
        manager = bounded(*args, **kwargs)
        timed("Longest call bound (SET LOCAL)", manager.__enter__)
        try:
            yield
        finally:
            timed("Longest call bound (SET LOCAL)", manager.__exit__, None, None, None)

    call_bounds.bounded = timed_bounded
    commit = sql_db.Cursor.commit
    sql_db.Cursor.commit = lambda self: timed("commit", sql, commit, self)
    execute = sql_db.Cursor.execute
    sql_db.Cursor.execute = functools.wraps(execute)(lambda self, *a, **k: sql(execute, self, *a, **k))
    apart = APART.execute
    APART.execute = lambda *a, **k: sql(apart, *a, **k)


def serve(spec):
    """One request through Odoo's WSGI application; its status."""
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=spec["path"], method="POST", headers=spec["headers"],
                             data=spec["body"].encode()).get_environ()
    environ["REMOTE_ADDR"] = "127.0.0.1"
    status = []
    body = b"".join(odoo.http.root(environ, lambda s, h, e=None: status.append(s)))
    if not status or not status[0].startswith("200") or b'"error"' in body[:200]:
        raise SystemExit(f"profile_odoo: {spec['name']} answered {status[:1]}: {body[:300]!r}")


def profile_one(spec, calls, warmup):
    for _ in range(warmup):
        serve(spec)
    totals.clear()
    started = time.perf_counter()
    for _ in range(calls):
        _stack.append([OTHER, 0.0])
        begun = time.perf_counter()
        serve(spec)
        elapsed = time.perf_counter() - begun
        _, nested = _stack.pop()
        _account(OTHER)[0] += elapsed - nested
    wall = time.perf_counter() - started
    phases = [{"phase": p, "ms": round(s * 1000 / calls, 3), "statements": round(n / calls, 2),
               "sql_ms": round(q * 1000 / calls, 3)} for p, (s, n, q) in totals.items()]
    phases.sort(key=lambda x: -x["ms"])

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        serve(spec)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    top = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:12]
    return {
        "calls": calls,
        "ms_per_call": round(wall * 1000 / calls, 3),
        "statements_per_call": round(sum(p["statements"] for p in phases), 2),
        "sql_ms_per_call": round(sum(p["sql_ms"] for p in phases), 3),
        "phases": phases,
        "cprofile_self_time": [
            {"function": f"{_short(file)}:{line}({func})", "self_ms": round(tt * 1000 / calls, 3),
             "cumulative_ms": round(ct * 1000 / calls, 3), "calls": round(nc / calls, 2)}
            for (file, line, func), (_cc, nc, tt, ct, _callers) in top
        ],
    }


def _short(path):
    for marker in ("/odoo_addon/", "/odoo/addons/", "/addons/", "/odoo/", "/site-packages/", "/dist-packages/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def main():
    odoo.tools.config.parse_config(sys.argv[1:])
    job = json.load(sys.stdin)
    db = odoo.tools.config["db_name"]
    registry = odoo.modules.registry.Registry(db)
    instrument(registry)
    out = {spec["name"]: profile_one(spec, job["calls"], job["warmup"]) for spec in job["requests"]}
    if registry is not odoo.modules.registry.Registry(db):
        raise SystemExit("profile_odoo: the registry was reloaded while profiling (a settings change?): run again")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
