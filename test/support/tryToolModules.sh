#!/usr/bin/env bash
# TEST CODE ONLY (not part of `npm test`). Tool modules through the whole path, as a user would meet them:
# makes a throw-away database (tooltest_*) with llm_mcp_server and the tool modules MODULES, keys for admin
# and for an employee with no other rights (made through the ORM), serves Odoo (ODOO_PORT, 8187) and the
# sidecar (SIDECAR_PORT, 8188), then test/support/toolModulesFlow.ts lists and calls every tool of those
# modules for both users through the sidecar's /mcp and prints, per module, tools listed / called / failing
# with the reasons. Stops both and drops the database.
#
#   test/support/tryToolModules.sh                                     # our test_llm_tool (default)
#   EXTRA_ADDONS=/var/tmp/apexive-tools MODULES=llm_tool_demo,llm_tool_account,llm_tool_website \
#     ARGS_JSON=my-arguments.json test/support/tryToolModules.sh       # third-party modules, unmodified
#
# EXTRA_ADDONS: more addons folders (comma-separated) beside odoo_addon/; ARGS_JSON: {"tool": {arguments}} for
# the calls (otherwise each required argument gets a placeholder of its type); KEEP_DB=1 keeps the database.
# Needs an Odoo 18 tree at ODOO_SRC (default /opt/odoo) and PostgreSQL as in shared/ODOO.md (PGHOST may be
# a socket folder). Third-party code stays outside this repository.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
ODOO_SRC="${ODOO_SRC:-/opt/odoo}"
ODOO_PORT="${ODOO_PORT:-8187}" SIDECAR_PORT="${SIDECAR_PORT:-8188}"
MODULES="${MODULES:-test_llm_tool}"
EXTRA_ADDONS="${EXTRA_ADDONS:-}"
export PGHOST="${PGHOST:-127.0.0.1}" PGUSER="${PGUSER:-odoo}" PGPASSWORD="${PGPASSWORD:-odoo}" PGPORT="${PGPORT:-5432}"
DB="tooltest_$(date +%s)"
WORK="$(mktemp -d /tmp/tooltest.XXXXXX)"
ODOO_PID="" SIDECAR_PID=""
cleanup() {
  [[ -n "$SIDECAR_PID" ]] && kill "$SIDECAR_PID" 2>/dev/null || true
  [[ -n "$ODOO_PID" ]] && kill "$ODOO_PID" 2>/dev/null || true
  sleep 2
  [[ "${KEEP_DB:-}" == 1 ]] && echo "== kept database $DB" || dropdb --if-exists "$DB" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/odoo.conf" <<CONF
[options]
addons_path = $ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$ROOT/odoo_addon${EXTRA_ADDONS:+,$EXTRA_ADDONS}
data_dir = $WORK/data
db_host = $PGHOST
db_port = $PGPORT
db_user = $PGUSER
db_password = $PGPASSWORD
http_interface = 127.0.0.1
http_port = $ODOO_PORT
gevent_port = $((ODOO_PORT + 1000))
CONF
echo "== installing llm_mcp_server,$MODULES into $DB (demo data)"
/usr/bin/python3 "$ODOO_SRC/odoo-bin" -c "$WORK/odoo.conf" -d "$DB" -i "llm_mcp_server,$MODULES" --stop-after-init \
  --log-level=warn >"$WORK/install.log" 2>&1 || { tail -n 40 "$WORK/install.log"; exit 1; }
grep -E " (ERROR|CRITICAL) " "$WORK/install.log" | head -n 20 || true
echo "== keys through the ORM, and which module each tool comes from"
/usr/bin/python3 "$ODOO_SRC/odoo-bin" shell -c "$WORK/odoo.conf" -d "$DB" --log-level=warn >/dev/null <<PY
import datetime, json
modules = "$MODULES".split(",")
exp = datetime.datetime.now() + datetime.timedelta(days=1)
admin = env.ref('base.user_admin')
employee = env['res.users'].with_context(no_reset_password=True).create({
    'name': 'Tool Test Employee', 'login': 'tooltest_employee',
    'groups_id': [(6, 0, [env.ref('base.group_user').id])]})
Key = env['llm.mcp.key']
keys = {'admin': Key.with_user(admin).create_mcp_key('tooltest admin', exp),
        'employee': Key.with_user(employee).create_mcp_key('tooltest employee', exp)}
by_module = {module: [] for module in modules}
for tool in env['llm.tool'].with_context(active_test=False).search([]):
    func = tool._get_implementation_function()
    source = (func.__module__ or '').split('.') if tool.implementation == 'function' and func else []
    module = source[2] if len(source) > 2 and source[:2] == ['odoo', 'addons'] else \
        (tool.get_external_id().get(tool.id) or '.').split('.')[0]
    if module in by_module:
        by_module[module].append({'name': tool.name, 'active': tool.active})
env.cr.commit()
open('$WORK/keys.json', 'w').write(json.dumps(keys))
open('$WORK/modules.json', 'w').write(json.dumps(by_module))
PY
echo "== serving Odoo on $ODOO_PORT and the sidecar on $SIDECAR_PORT"
/usr/bin/python3 "$ODOO_SRC/odoo-bin" -c "$WORK/odoo.conf" -d "$DB" --db-filter="^$DB\$" --log-level=warn >"$WORK/odoo.log" 2>&1 &
ODOO_PID=$!
(cd "$ROOT" && ODOO_URL="http://127.0.0.1:$ODOO_PORT" ODOO_DB="$DB" PORT="$SIDECAR_PORT" LOG_LEVEL=warn exec node --import tsx sidecar/src/main.ts) >"$WORK/sidecar.log" 2>&1 &
SIDECAR_PID=$!
for _ in $(seq 1 90); do curl -sf "http://127.0.0.1:$SIDECAR_PORT/readyz" >/dev/null && break; sleep 1; done
curl -sf "http://127.0.0.1:$SIDECAR_PORT/readyz" >/dev/null || { echo "the sidecar is not ready"; tail -n 20 "$WORK/odoo.log" "$WORK/sidecar.log"; exit 1; }
echo "== the tools through /mcp"
cd "$ROOT" && MCP_URL="http://127.0.0.1:$SIDECAR_PORT/mcp" KEYS_JSON="$WORK/keys.json" MODULES_JSON="$WORK/modules.json" \
  ARGS_JSON="${ARGS_JSON:-}" npx tsx test/support/toolModulesFlow.ts
echo "== Odoo tracebacks during the calls: $(grep -c Traceback "$WORK/odoo.log" || true)"
