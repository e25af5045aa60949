#!/usr/bin/env bash
# `npm run bench`: bring the dev stack up (scripts/stack.sh, same environment variables), make sure there is a
# global API key for the /jsonrpc baseline, then run bench/run.ts. JSON figures on stdout, a table on stderr.
# Then the topology table: throughput again for each Odoo worker count and sidecar count in BENCH_TOPOLOGIES
# (WORKERSxSIDECARS, default "1x1 2x1 4x1 1x2 2x2 4x2"; empty: none), each cell a `stack.sh up` with
# STACK_ODOO_WORKERS/STACK_SIDECARS and bench/run.ts --topology; the stack is put back as it was asked for after.
#
# BENCH_SOAK_SECONDS=600 npm run bench: the soak instead (bench/soak.ts) on the multi-replica stack
# (STACK_ODOO_WORKERS=2 and STACK_SIDECARS=2 unless set).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh

SOAK="${BENCH_SOAK_SECONDS:-}"
if [[ -n "$SOAK" ]]; then
    export STACK_ODOO_WORKERS="${STACK_ODOO_WORKERS:-2}" STACK_SIDECARS="${STACK_SIDECARS:-2}"
fi

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
KEY_NAME="bench $(date -u +%Y%m%dT%H%M%SZ) $$"  # unique: the soak counts the audit rows of its key by name
# tools/call throughput is also measured as many people use it: BENCH_USERS (8) internal users "bench user N"
# (made once, kept), each with a key of their own, the calls spread over them (a sidecar lets one key hold only
# ODOO_MAX_CONCURRENCY_PER_KEY calls at Odoo, so one key cannot show what a deployment serves).
BENCH_USERS="${BENCH_USERS:-8}"
[[ "$BENCH_USERS" =~ ^[0-9]+$ ]] || { echo "bench.sh: BENCH_USERS must be a number (0: one key only), not '$BENCH_USERS'" >&2; exit 2; }
limits="$(BENCH_KEY_NAME="$KEY_NAME" BENCH_USERS="$BENCH_USERS" bash scripts/stack.sh shell <<'PY' | sed -n 's/^BENCH_LIMITS=//p' | tail -n1
import datetime
import os
admin = env.ref('base.user_admin')
config = env['llm.mcp.config'].get_config()
# the per-user rate limit and calls running at once, as they were (put back afterwards): the benchmark is one
# heavy user, or a few
before = '%d,%d' % (config.rate_user_calls_per_minute, config.running_calls_per_user)
config.write({'rate_user_calls_per_minute': 0, 'running_calls_per_user': 0})
expires = datetime.datetime.now() + datetime.timedelta(days=1)
key = env['llm.mcp.key'].with_user(admin)._make_mcp_key(
    os.environ['BENCH_KEY_NAME'], expires, calls_per_minute=1000000, writes_per_minute=1000000)
users_keys = []
groups = [env.ref('base.group_user').id, env.ref('llm.group_llm_user').id]
for n in range(1, int(os.environ['BENCH_USERS']) + 1):
    login = 'bench-user-%d' % n
    user = env['res.users'].with_context(active_test=False).search([('login', '=', login)], limit=1) \
        or env['res.users'].create({'name': 'bench user %d' % n, 'login': login, 'groups_id': [(6, 0, groups)]})
    user.active = True
    # sudo: a key's own limits above the settings' are for LLM managers; the benchmark's users are not
    users_keys.append(env['llm.mcp.key'].with_user(user).sudo()._make_mcp_key(
        '%s user %d' % (os.environ['BENCH_KEY_NAME'], n), expires, calls_per_minute=1000000, writes_per_minute=1000000))
env.cr.commit()
env.registry.signal_changes()
print('BENCH_LIMITS=%s %s %s' % (before, key, ','.join(users_keys) or '-'))
PY
)"
[[ -n "$limits" ]] || { echo "bench.sh: could not set up the benchmark's rate limits" >&2; exit 1; }
USER_LIMIT_BEFORE="${limits%% *}"
rest="${limits#* }"
BENCH_KEY="${rest%% *}"
BENCH_USER_KEYS="${rest#* }"; [[ "$BENCH_USER_KEYS" != - ]] || BENCH_USER_KEYS=""
restore_user_limit() {
    bash scripts/stack.sh shell >/dev/null 2>&1 <<PY || echo "bench.sh: could not put the per-user rate limit back to $USER_LIMIT_BEFORE" >&2
calls, running = '$USER_LIMIT_BEFORE'.split(',')
env['llm.mcp.config'].get_config().write({'rate_user_calls_per_minute': int(calls), 'running_calls_per_user': int(running)})
env.cr.commit()
env.registry.signal_changes()
PY
}
trap restore_user_limit EXIT

STATE_RUN="$STATE/run"
export BENCH_ENV_FILE=/dev/null
export BENCH_PROXY_URL="$(bash scripts/stack.sh url)"
export BENCH_ODOO_URL="$ODOO_URL"
export BENCH_DB="$DB"
export BENCH_MCP_KEY="$BENCH_KEY"
export BENCH_MCP_KEY_NAME="$KEY_NAME"
export BENCH_MCP_KEYS="$BENCH_USER_KEYS"
export BENCH_RPC_KEY="$(cat "$RPC_KEY_FILE")"
export BENCH_ODOO_LOG="$STATE/logs/odoo.log"
export BENCH_ODOO_PID_FILE="$STATE_RUN/odoo.pid"
export BENCH_NGINX_PID_FILE="$STATE_RUN/nginx.pid"
pg_cluster_at "$STATE/postgres"
export BENCH_PG_PID_FILE="$PG_DATA/postmaster.pid"
BENCH_PSQL="$(pg_find_bin)/psql -h $PG_SOCK -p $PG_PORT -U postgres"
export BENCH_PSQL

# The sidecars of the topology `stack.sh up` just started: the first one's URL, every one's pid file.
topology_env() { # sidecars
    local i files="$STATE_RUN/sidecar.pid"
    for ((i = 2; i <= $1; i++)); do files+=",$STATE_RUN/sidecar-$i.pid"; done
    export BENCH_SIDECAR_URL="http://127.0.0.1:${STACK_SIDECAR_PORT:-8765}"
    export BENCH_SIDECAR_PID_FILE="$STATE_RUN/sidecar.pid" BENCH_SIDECAR_PID_FILES="$files"
}

if [[ -n "$SOAK" ]]; then
    topology_env "$STACK_SIDECARS"
    echo "==> Soak: ${SOAK} s on Odoo with $STACK_ODOO_WORKERS workers and $STACK_SIDECARS sidecars" >&2
    node --import tsx bench/soak.ts  # not exec: the trap puts the per-user limit back
    exit
fi

# Odoo's profile (bench/profile.ts): an Odoo of its own in bench/profile_odoo.py, with the stack's configuration
# and Python, its log apart from the stack's (whose lines the latency rounds read).
ODOO_SRC_OF_STACK="$(sed -n 's/^addons_path = \([^,]*\)\/addons,.*/\1/p' "$STATE/odoo/odoo.conf")"
export BENCH_ODOO_PROFILE="PYTHONPATH='$ODOO_SRC_OF_STACK' '${STACK_PYTHON:-/usr/bin/python3}' bench/profile_odoo.py -c '$STATE/odoo/odoo.conf' -d '$DB' --logfile='$STATE/logs/odoo-profile.log'"

topology_env "${STACK_SIDECARS:-1}"
if [[ "${1:-}" == --profile ]]; then  # the profiles alone, for an A/B of one change
    node --import tsx bench/run.ts --profile
    exit
fi
MAIN_REPORT="$STATE/bench-report.json"
TOPOLOGY_CELLS="$STATE/bench-topology.jsonl"
node --import tsx bench/run.ts >"$MAIN_REPORT"
: >"$TOPOLOGY_CELLS"
TOPOLOGIES="${BENCH_TOPOLOGIES-1x1 2x1 4x1 1x2 2x2 4x2}"
if [[ -n "$TOPOLOGIES" ]]; then
    # the stack as it was asked for, restored after the table (also when a cell fails)
    ASKED_WORKERS="${STACK_ODOO_WORKERS-}" ASKED_SIDECARS="${STACK_SIDECARS-}"
    restore_topology() {
        echo "==> Putting the stack back: STACK_ODOO_WORKERS=${ASKED_WORKERS:-0} STACK_SIDECARS=${ASKED_SIDECARS:-1}" >&2
        STACK_ODOO_WORKERS="${ASKED_WORKERS:-0}" STACK_SIDECARS="${ASKED_SIDECARS:-1}" bash scripts/stack.sh up >/dev/null 2>&1 \
            || echo "bench.sh: could not put the stack back; run scripts/stack.sh up" >&2
        restore_user_limit
    }
    trap restore_topology EXIT
    for cell in $TOPOLOGIES; do
        [[ "$cell" =~ ^([0-9]+)x([1-9][0-9]*)$ ]] || { echo "bench.sh: BENCH_TOPOLOGIES: '$cell' is not WORKERSxSIDECARS" >&2; exit 2; }
        workers="${BASH_REMATCH[1]}" sidecars="${BASH_REMATCH[2]}"
        echo "==> Topology $workers Odoo workers x $sidecars sidecars" >&2
        STACK_ODOO_WORKERS="$workers" STACK_SIDECARS="$sidecars" STACK_SHOW_KEY=0 bash scripts/stack.sh up >/dev/null
        topology_env "$sidecars"
        BENCH_SWEEP="${BENCH_TOPOLOGY_CLIENTS:-32,128}" node --import tsx bench/run.ts --topology \
            | sed "s/^{/{\"odoo_workers\":$workers,\"sidecars\":$sidecars,/" >>"$TOPOLOGY_CELLS"
    done
fi
node --import tsx bench/topology.ts "$MAIN_REPORT" "$TOPOLOGY_CELLS"
