#!/usr/bin/env bash
# `npm run bench`: bring the dev stack up (scripts/stack.sh, same environment variables), make sure there is a
# global API key for the /jsonrpc baseline, then run bench/run.ts. JSON figures on stdout, a table on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

STATE="${STACK_STATE_DIR:-$PWD/.state/stack}"
ODOO_URL="http://127.0.0.1:${STACK_ODOO_PORT:-18069}"
DB="${STACK_DB:-llm_mcp}"
RPC_KEY_FILE="$STATE/bench-rpc-key"

echo "==> scripts/stack.sh up" >&2
bash scripts/stack.sh up >&2

# The /jsonrpc baseline needs a key Odoo's own RPC accepts: a global key (scope NULL), not an MCP key.
rpc_key_works() {
    [[ -s "$RPC_KEY_FILE" ]] || return 1
    curl -sS --max-time 10 -H 'Content-Type: application/json' "$ODOO_URL/jsonrpc" \
        --data "{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"id\":1,\"params\":{\"service\":\"common\",\"method\":\"login\",\"args\":[\"$DB\",\"admin\",\"$(cat "$RPC_KEY_FILE")\"]}}" \
        | grep -q '"result": *[1-9]'
}
if ! rpc_key_works; then
    echo "==> Creating a global API key for the /jsonrpc baseline (admin, 30 days)" >&2
    key="$(bash scripts/stack.sh shell <<'PY' | sed -n 's/^BENCH_RPC_KEY=//p' | tail -n1
import datetime
admin = env.ref('base.user_admin')
key = env['res.users.apikeys'].with_user(admin)._generate(None, 'bench: /jsonrpc baseline', datetime.datetime.now() + datetime.timedelta(days=30))
env.cr.commit()
print('BENCH_RPC_KEY=' + key)
PY
)"
    [[ -n "$key" ]] || { echo "bench.sh: could not create the baseline key" >&2; exit 1; }
    (umask 077; printf '%s' "$key" >"$RPC_KEY_FILE")
    rpc_key_works || { echo "bench.sh: Odoo's /jsonrpc refuses the new baseline key" >&2; exit 1; }
fi

# Rate limits (120 calls a minute per key, 300 per user by default) would refuse most of the benchmark's calls:
# it gets an MCP key of its own without a key limit worth the name, and the per-user limit is off while it runs
# (put back on exit). The check itself still runs on every call, so its cost is in the figures.
echo "==> Rate limits for the benchmark: its own key (1,000,000 calls a minute), the per-user limit off until the end" >&2
limits="$(bash scripts/stack.sh shell <<'PY' | sed -n 's/^BENCH_LIMITS=//p' | tail -n1
import datetime
admin = env.ref('base.user_admin')
config = env['llm.mcp.config'].get_config()
before = config.rate_user_calls_per_minute
config.rate_user_calls_per_minute = 0
key = env['llm.mcp.key'].with_user(admin)._make_mcp_key(
    'bench: rate limits apart', datetime.datetime.now() + datetime.timedelta(days=1),
    calls_per_minute=1000000, writes_per_minute=1000000)
env.cr.commit()
env.registry.signal_changes()
print('BENCH_LIMITS=%d %s' % (before, key))
PY
)"
[[ -n "$limits" ]] || { echo "bench.sh: could not set up the benchmark's rate limits" >&2; exit 1; }
USER_LIMIT_BEFORE="${limits%% *}"
BENCH_KEY="${limits#* }"
restore_user_limit() {
    bash scripts/stack.sh shell >/dev/null 2>&1 <<PY || echo "bench.sh: could not put the per-user rate limit back to $USER_LIMIT_BEFORE" >&2
env['llm.mcp.config'].get_config().rate_user_calls_per_minute = $USER_LIMIT_BEFORE
env.cr.commit()
env.registry.signal_changes()
PY
}
trap restore_user_limit EXIT

export BENCH_ENV_FILE=/dev/null
export BENCH_PROXY_URL="$(bash scripts/stack.sh url)"
export BENCH_SIDECAR_URL="http://127.0.0.1:${STACK_SIDECAR_PORT:-8765}"
export BENCH_ODOO_URL="$ODOO_URL"
export BENCH_DB="$DB"
export BENCH_MCP_KEY="$BENCH_KEY"
export BENCH_RPC_KEY="$(cat "$RPC_KEY_FILE")"
export BENCH_SIDECAR_PID_FILE="$STATE/run/sidecar.pid"
node --import tsx bench/run.ts  # not exec: the trap puts the per-user limit back
