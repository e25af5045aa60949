#!/usr/bin/env bash
# Odoo tests of the addons (llm, llm_tool, llm_mcp_server) against a real Odoo 18.
#
# Creates a throw-away database (llmtest_*), installs the three modules with demo data (plus `sale`, which
# the access-rights tests use) and runs their tests (--test-tags /llm,/llm_tool,/llm_mcp_server), then drops
# the database. Exits non-zero on any failed test, test error or ERROR/CRITICAL log line: Odoo itself can
# exit 0 with failed tests. Prepares a clean machine (as root): starts PostgreSQL, creates the `odoo` role,
# installs the missing Debian packages Odoo needs. Without an Odoo tree it says so loudly and exits 0.
#
# Settings (environment): ODOO_SRC (default /opt/odoo), LLM_TEST_HTTP_PORT (default: 8170, or the next free one),
# LLM_TEST_EXTRA_MODULES (default sale), PGHOST/PGPORT/PGUSER/PGPASSWORD (default 127.0.0.1/5432/odoo/odoo),
# LLM_TEST_KEEP_DB=1 keeps the database for inspection.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ODOO_SRC="${ODOO_SRC:-/opt/odoo}"
HTTP_PORT="${LLM_TEST_HTTP_PORT:-}"
EXTRA_MODULES="${LLM_TEST_EXTRA_MODULES-sale}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-odoo}" PGPASSWORD="${PGPASSWORD:-odoo}"
PYTHON=/usr/bin/python3
MODULES="llm,llm_tool,llm_mcp_server"
TEST_ADDONS="test_llm_tool"  # test-only tool modules (odoo_addon/test_llm_tool): installed and tested here only

if [[ ! -f "$ODOO_SRC/odoo-bin" || ! -d "$ODOO_SRC/odoo/addons/base" ]]; then
  echo "SKIPPED: Odoo addon tests — no Odoo 18 tree at $ODOO_SRC (set ODOO_SRC; see shared/ODOO.md)"
  exit 0
fi

log() { echo "test-odoo: $*"; }

# -- Debian packages Odoo 18 needs (only the missing ones) ------------------------------------------------
DEBS=(python3-asn1crypto python3-babel python3-cbor2 python3-chardet python3-cryptography python3-dateutil
  python3-decorator python3-docutils python3-freezegun python3-geoip2 python3-gevent python3-greenlet
  python3-idna python3-pil python3-jinja2 python3-libsass python3-lxml python3-markupsafe python3-num2words
  python3-ofxparse python3-openpyxl python3-openssl python3-passlib python3-polib python3-psutil
  python3-psycopg2 python3-pydot python3-pypdf2 python3-qrcode python3-renderpm python3-reportlab
  python3-requests python3-rjsmin python3-stdnum python3-tz python3-urllib3 python3-vobject
  python3-werkzeug python3-xlrd python3-xlsxwriter python3-xlwt python3-zeep python3-phonenumbers
  postgresql-client python3-packaging
  chromium python3-websocket)  # the browser tours of llm_mcp_server (HttpCase.start_tour)
missing=()
for deb in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" || missing+=("$deb")
done
if ((${#missing[@]})); then
  log "installing missing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# -- PostgreSQL and the odoo role ----------------------------------------------------------------------------
if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
  log "starting PostgreSQL"
  pg_ctlcluster 15 main start
  for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
fi
if ! psql -d postgres -tAc "SELECT 1" >/dev/null 2>&1; then
  log "creating the PostgreSQL role $PGUSER"
  su postgres -c "psql -v ON_ERROR_STOP=1 -qc \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PGUSER') THEN CREATE ROLE \\\"$PGUSER\\\" LOGIN CREATEDB PASSWORD '$PGPASSWORD'; END IF; END\\\$\\\$\""
fi

# -- a free HTTP port for HttpCase (8170 unless taken: other runs may share this machine) ---------------------
port_free() { "$PYTHON" -c 'import socket, sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null; }
pick_port() {
  local candidate
  for candidate in $(seq "${1:-8170}" 8199); do
    if port_free "$candidate"; then echo "$candidate"; return 0; fi
  done
  return 1
}

# -- throw-away database, config and data dir ------------------------------------------------------------------
DB="llmtest_$(date +%s)_$$"
WORK="$(mktemp -d /tmp/llmtest.XXXXXX)"
LOG="$WORK/odoo.log"
KEEP_LOG=0
cleanup() {
  if [[ "${LLM_TEST_KEEP_DB:-}" == 1 ]]; then log "kept database $DB"; else dropdb --if-exists "$DB" 2>/dev/null || true; fi
  if ((KEEP_LOG)); then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

write_conf() {
  cat >"$WORK/odoo.conf" <<CONF
[options]
addons_path = $ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$ROOT/odoo_addon
data_dir = $WORK/data
db_host = $PGHOST
db_port = $PGPORT
db_user = $PGUSER
db_password = $PGPASSWORD
http_interface = 127.0.0.1
http_port = $1
db_filter = ^$DB\$
list_db = False
CONF
}

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
    --test-enable --test-tags "/llm,/llm_tool,/llm_mcp_server,/$TEST_ADDONS" --stop-after-init --log-level=info >"$LOG" 2>&1
  status=$?
  set -e
  # another run on this machine may take the port between our check and Odoo's bind: pick another, retry
  if [[ -z "$HTTP_PORT" ]] && grep -q "Address already in use" "$LOG" && ! grep -q "odoo.modules.loading" "$LOG"; then
    log "port $port was taken meanwhile; retrying"
    dropdb --if-exists "$DB" 2>/dev/null || true
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
  log "browser tours were skipped (no chromium / python3-websocket)"; fail=1
fi
if [[ -n "$summary" && ! "$summary" =~ \ 0\ failed,\ 0\ error ]]; then fail=1; fi

if ((fail)); then
  log "FAILED — ${summary:-no summary} (full log: $LOG)"
  KEEP_LOG=1
  exit 1
fi
log "OK — ${summary##*INFO $DB }"
