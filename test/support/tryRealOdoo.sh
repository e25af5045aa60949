#!/usr/bin/env bash
# TEST CODE ONLY (not part of `npm test`). The sidecar against a REAL Odoo 18 with the addon, end to end:
# makes a throw-away database (sidecartest_*), installs contacts + llm_mcp_server, makes keys through the ORM,
# serves Odoo (port 8185) and the sidecar (port 8186), runs test/support/realOdooFlow.ts, then stops both and
# drops the database. Needs an Odoo 18 tree at ODOO_SRC (default /opt/odoo) and PostgreSQL as in shared/ODOO.md.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
ODOO_SRC="${ODOO_SRC:-/opt/odoo}"
ODOO_PORT="${ODOO_PORT:-8185}" SIDECAR_PORT="${SIDECAR_PORT:-8186}"
export PGHOST="${PGHOST:-127.0.0.1}" PGUSER="${PGUSER:-odoo}" PGPASSWORD="${PGPASSWORD:-odoo}"
DB="sidecartest_$(date +%s)"
WORK="$(mktemp -d /tmp/sidecartest.XXXXXX)"
ODOO_PID="" SIDECAR_PID=""
cleanup() {
  [[ -n "$SIDECAR_PID" ]] && kill "$SIDECAR_PID" 2>/dev/null || true
  [[ -n "$ODOO_PID" ]] && kill "$ODOO_PID" 2>/dev/null || true
  sleep 2
  dropdb --if-exists "$DB" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/odoo.conf" <<CONF
[options]
addons_path = $ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$ROOT/odoo_addon
data_dir = $WORK/data
db_host = $PGHOST
db_user = $PGUSER
db_password = $PGPASSWORD
http_interface = 127.0.0.1
http_port = $ODOO_PORT
CONF
echo "== installing contacts,llm_mcp_server into $DB"
/usr/bin/python3 "$ODOO_SRC/odoo-bin" -c "$WORK/odoo.conf" -d "$DB" -i contacts,llm_mcp_server --stop-after-init --log-level=warn
echo "== making keys through the ORM"
/usr/bin/python3 "$ODOO_SRC/odoo-bin" shell -c "$WORK/odoo.conf" -d "$DB" --log-level=warn >/dev/null <<PY
import datetime, json
exp = datetime.datetime.now() + datetime.timedelta(days=30)
admin, demo = env.ref('base.user_admin'), env.ref('base.user_demo')
keys = {
    'admin': env['llm.mcp.key'].with_user(admin).create_mcp_key('sidecar test (admin)', exp),
    'demo_ro': env['llm.mcp.key'].with_user(demo).create_mcp_key('sidecar test (demo, read-only)', exp, read_only=True),
    'demo_global': env['res.users.apikeys'].with_user(demo)._generate(None, 'demo global key', exp),
}
env.cr.commit()
open('$WORK/keys.json', 'w').write(json.dumps(keys))
PY
echo "== serving Odoo on $ODOO_PORT and the sidecar on $SIDECAR_PORT"
/usr/bin/python3 "$ODOO_SRC/odoo-bin" -c "$WORK/odoo.conf" -d "$DB" --db-filter="^$DB\$" --log-level=warn >"$WORK/odoo.log" 2>&1 &
ODOO_PID=$!
(cd "$ROOT" && ODOO_URL="http://127.0.0.1:$ODOO_PORT" ODOO_DB="$DB" PORT="$SIDECAR_PORT" LOG_LEVEL=warn exec node --import tsx sidecar/src/main.ts) >"$WORK/sidecar.log" 2>&1 &
SIDECAR_PID=$!
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$SIDECAR_PORT/readyz" >/dev/null && break; sleep 1; done
curl -s "http://127.0.0.1:$SIDECAR_PORT/readyz"; echo
echo "== the MCP flow"
cd "$ROOT" && MCP_URL="http://127.0.0.1:$SIDECAR_PORT/mcp" KEYS_JSON="$WORK/keys.json" npx tsx test/support/realOdooFlow.ts
echo "== sidecar warnings:"; cat "$WORK/sidecar.log"
