#!/usr/bin/env bash
# TEST CODE ONLY (not part of `npm test`). The sidecar against a REAL Odoo 18 with the addon, end to end:
# makes a throw-away database (sidecartest_*), installs contacts + llm_mcp_server, makes keys through the ORM,
# serves Odoo (port 8185) and the sidecar (port 8186), runs test/support/realOdooFlow.ts, then stops both and
# removes the database with its throw-away PostgreSQL cluster (scripts/lib/postgres.sh). Needs an Odoo 18 tree
# (ODOO_SRC, default as scripts/stack.sh) and the Debian packages of scripts/stack.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/scripts/lib/setup.sh"
source "$ROOT/scripts/lib/postgres.sh"
ODOO_SRC="$(odoo_src_default)"
odoo_tree_ok "$ODOO_SRC" || die "no Odoo 18 tree at $ODOO_SRC (scripts/stack.sh up fetches one, or set ODOO_SRC)"
ODOO_PORT="${ODOO_PORT:-8185}" SIDECAR_PORT="${SIDECAR_PORT:-8186}"
DB="sidecartest_$(date +%s)"
WORK="$(mktemp -d /tmp/sidecartest.XXXXXX)"
chmod 711 "$WORK" # as root the cluster runs as `postgres`, which must traverse to its folder
pg_cluster_at "$WORK/pg"
ODOO_PID="" SIDECAR_PID=""
cleanup() {
  [[ -n "$SIDECAR_PID" ]] && kill "$SIDECAR_PID" 2>/dev/null || true
  [[ -n "$ODOO_PID" ]] && kill "$ODOO_PID" 2>/dev/null || true
  sleep 2
  pg_cluster_down >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
pg_cluster_up "$WORK/postgres.log"

cat >"$WORK/odoo.conf" <<CONF
[options]
addons_path = $ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$ROOT/odoo_addon
data_dir = $WORK/data
db_host = $PG_SOCK
db_port = $PG_PORT
db_user = odoo
db_password = False
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
