#!/usr/bin/env bash
# Regenerate docs/screenshots/*.png: a throw-away database with demo data and llm_mcp_server, an Odoo serving
# it on a free loopback port, scripts/screenshots.py driving headless Chromium, then everything removed.
# The database lives in a throw-away PostgreSQL cluster of its own (scripts/lib/odoo-run.sh).
#   ODOO_SRC (default as scripts/stack.sh: /opt/odoo, else the cache folder).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/lib/setup.sh
source scripts/lib/odoo-run.sh
ODOO_SRC="$(odoo_src_default)"
PY=/usr/bin/python3

odoo_tree_ok "$ODOO_SRC" || die "no Odoo 18 source at $ODOO_SRC (scripts/stack.sh up fetches one, or set ODOO_SRC)"
ensure_debian_packages odoo tours

DB=screenshots_$$_$(date +%s)
odoo_work screenshots
# First free port of SCREENSHOTS_PORTS (default 8180-8189).
PORT=$($PY - "${SCREENSHOTS_PORTS:-8180-8189}" <<'PYEOF'
import socket, sys
low, high = map(int, sys.argv[1].split("-"))
for port in range(low, high + 1):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
else:
    sys.exit("no free port in %s" % sys.argv[1])
PYEOF
)
odoo_conf "$ODOO_SRC" "http_interface = 127.0.0.1" "http_port = $PORT"

ODOO_PID=
cleanup() {
    [ -n "$ODOO_PID" ] && kill "$ODOO_PID" 2>/dev/null && wait "$ODOO_PID" 2>/dev/null || true
    pg_cluster_down >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
pg_cluster_up "$WORK/postgres.log"

echo "Installing llm_mcp_server with demo data into $DB…"
$PY "$ODOO_SRC/odoo-bin" -c "$WORK/odoo.conf" -d "$DB" -i llm_mcp_server --stop-after-init \
    --log-level=warn >"$WORK/install.log" 2>&1 || { tail -40 "$WORK/install.log" >&2; exit 1; }

$PY "$ODOO_SRC/odoo-bin" -c "$WORK/odoo.conf" -d "$DB" --db-filter="^$DB\$" --log-level=warn \
    >"$WORK/server.log" 2>&1 &
ODOO_PID=$!
for _ in $(seq 60); do
    curl -fsS "http://127.0.0.1:$PORT/web/login" >/dev/null 2>&1 && break
    sleep 1
done

$PY scripts/screenshots.py --url "http://127.0.0.1:$PORT" --db "$DB" --login admin --password admin \
    --public-url https://odoo.example.com/mcp --out docs/screenshots "$@"
