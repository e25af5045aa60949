#!/usr/bin/env bash
# Odoo tests of the addons (llm, llm_tool, llm_mcp_server) against a real Odoo 18.
#
# Creates a throw-away database (llmtest_*), installs the three modules with demo data (plus `sale`, `stock` and `crm`, which
# the access-rights and prompt tests use) and runs their tests (--test-tags /llm,/llm_tool,/llm_mcp_server), then removes
# the database with its cluster. Exits non-zero on any failed test, test error or ERROR/CRITICAL log line: Odoo itself can
# exit 0 with failed tests. Without an Odoo tree it says so loudly and exits 0.
#
# Depends on nothing an earlier run or another program left on the machine: it installs the Debian packages it
# is missing (scripts/debian-packages.txt, groups odoo and tours; as root, else it stops with the apt-get line),
# and runs a throw-away PostgreSQL cluster of its own in its work folder (scripts/lib/odoo-run.sh, postgres.sh: socket
# only, no TCP, role `odoo` created there), not the system's cluster and whatever roles that may or may not have.
#
# Settings (environment): ODOO_SRC (default as scripts/stack.sh: /opt/odoo, else the cache folder),
# LLM_TEST_HTTP_PORT (default: 8170, or the next free one), LLM_TEST_EXTRA_MODULES (default sale,stock,crm:
# the apps of the built-in prompts),
# LLM_TEST_TAGS (default: all four addons' tests; e.g. "/llm_mcp_server:TestContractFixtures" for one class),
# LLM_TEST_KEEP_DB=1 keeps the work folder (cluster, database, log) for inspection.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/lib/setup.sh"
source "$ROOT/scripts/lib/odoo-run.sh"
ODOO_SRC="$(odoo_src_default)"
HTTP_PORT="${LLM_TEST_HTTP_PORT:-}"
EXTRA_MODULES="${LLM_TEST_EXTRA_MODULES-sale,stock,crm}"
PYTHON=/usr/bin/python3
MODULES="llm,llm_tool,llm_mcp_server"
TEST_ADDONS="test_llm_tool"  # test-only tool modules (odoo_addon/test_llm_tool): installed and tested here only
TEST_TAGS="${LLM_TEST_TAGS:-/llm,/llm_tool,/llm_mcp_server,/$TEST_ADDONS}"

if ! odoo_tree_ok "$ODOO_SRC"; then
  echo "SKIPPED: Odoo addon tests — no Odoo 18 tree at $ODOO_SRC (scripts/stack.sh up fetches one, or set ODOO_SRC)"
  exit 0
fi

log() { echo "test-odoo: $*"; }

ensure_debian_packages odoo tours # tours: the browser tours of llm_mcp_server (HttpCase.start_tour)

# -- a free HTTP port for HttpCase (8170 unless taken: other runs may share this machine) ---------------------
port_free() { "$PYTHON" -c 'import socket, sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null; }
pick_port() {
  local candidate
  for candidate in $(seq "${1:-8170}" 8199); do
    if port_free "$candidate"; then echo "$candidate"; return 0; fi
  done
  return 1
}

# -- throw-away PostgreSQL cluster, database, config and data dir -------------------------------------------------
DB="llmtest_$(date +%s)_$$"
odoo_work llmtest
LOG="$WORK/odoo.log"
KEEP_LOG=0
cleanup() {
  pg_cluster_down >/dev/null 2>&1 || true
  if [[ "${LLM_TEST_KEEP_DB:-}" == 1 ]]; then
    log "kept $WORK: database $DB in the cluster $PG_DATA (stopped; start it with pg_ctl -D $PG_DATA -o \"-k $PG_SOCK -c listen_addresses=\" start, as the postgres user when root)"
  elif ((KEEP_LOG)); then rm -rf "$WORK/pg"; log "kept $WORK"
  else rm -rf "$WORK"; fi
}
trap cleanup EXIT
pg_cluster_up "$WORK/postgres.log"

write_conf() { odoo_conf "$ODOO_SRC" "http_interface = 127.0.0.1" "http_port = $1" "db_filter = ^$DB\$"; }

INSTALL="llm_mcp_server,$TEST_ADDONS${EXTRA_MODULES:+,$EXTRA_MODULES}"
status=1
for attempt in 1 2 3 4 5; do
  port="$HTTP_PORT"
  if [[ -z "$port" ]]; then
    port="$(pick_port $((8170 + (attempt - 1) * 3)))" || { log "no free HTTP port in 8170-8199"; exit 1; }
  fi
  write_conf "$port"
  log "database $DB: installing $INSTALL and running the tests of $MODULES on port $port (log: $LOG)"
  set +e
  "$PYTHON" "$ODOO_SRC/odoo-bin" -c "$WORK/odoo.conf" -d "$DB" -i "$INSTALL" \
    --test-enable --test-tags "$TEST_TAGS" --stop-after-init --log-level=info >"$LOG" 2>&1
  status=$?
  set -e
  # another run on this machine may take the port between our check and Odoo's bind: pick another, retry
  if [[ -z "$HTTP_PORT" ]] && grep -q "Address already in use" "$LOG" && ! grep -q "odoo.modules.loading" "$LOG"; then
    log "port $port was taken meanwhile; retrying"
    pg_sql "DROP DATABASE IF EXISTS \"$DB\"" >/dev/null 2>&1 || true
    continue
  fi
  break
done

# -- verdict -----------------------------------------------------------------------------------------------------
grep -E "odoo\.tests\.(stats|result)|(ERROR|FAIL): |[Ss]kipped" "$LOG" | tail -n 40 || true
problems="$(grep -E "^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) " "$LOG" || true)"
summary="$(grep -E "failed, [0-9]+ error\(s\) of [0-9]+ tests" "$LOG" | tail -n 1 || true)"
ran="$(sed -nE 's/.* of ([0-9]+) tests.*/\1/p' <<<"$summary")"

fail=0
if ((status != 0)); then log "odoo-bin exited with status $status"; fail=1; fi
if [[ -n "$problems" ]]; then
  log "ERROR/CRITICAL lines in the Odoo log:"; echo "$problems" | head -n 40; fail=1
fi
if [[ -z "$summary" || -z "$ran" || "$ran" -eq 0 ]]; then log "no test summary in the log: no test ran"; fail=1; fi
# Odoo skips browser tours silently (INFO) when it finds no Chrome: a skipped tour is a failed tour here
if grep -qE "Chrome executable not found|websocket-client.*not (found|installed)" "$LOG"; then
  log "browser tours were skipped (no Chromium or no websocket module: group tours of scripts/debian-packages.txt)"; fail=1
fi
if [[ -n "$summary" && ! "$summary" =~ \ 0\ failed,\ 0\ error ]]; then fail=1; fi

if ((fail)); then
  log "FAILED — ${summary:-no summary} (full log: $LOG)"
  KEEP_LOG=1
  exit 1
fi
log "OK — ${summary##*INFO $DB }"
