#!/usr/bin/env bash
# Regenerate docs/screenshots/*.png: a throw-away database with demo data and llm_mcp_server, an Odoo serving
# it on a free loopback port, scripts/screenshots.py driving headless Chromium, then everything removed.
#   ODOO_SRC (default /opt/odoo), PGHOST/PGPORT/PGUSER/PGPASSWORD (default 127.0.0.1:5432 odoo/odoo).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ODOO_SRC=${ODOO_SRC:-/opt/odoo}
PY=/usr/bin/python3
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-odoo} PGPASSWORD=${PGPASSWORD:-odoo}

[ -x "$ODOO_SRC/odoo-bin" ] || { echo "No Odoo 18 source at $ODOO_SRC (set ODOO_SRC)" >&2; exit 1; }
missing=()
command -v chromium >/dev/null || missing+=(chromium)
$PY -c 'import websocket' 2>/dev/null || missing+=(python3-websocket)
if [ ${#missing[@]} -gt 0 ]; then
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

DB=screenshots_$$_$(date +%s)
WORK=$(mktemp -d)
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
cat > "$WORK/odoo.conf" <<CONF
[options]
db_host = $PGHOST
db_port = $PGPORT
db_user = $PGUSER
db_password = $PGPASSWORD
addons_path = $ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$ROOT/odoo_addon
data_dir = $WORK/data
http_interface = 127.0.0.1
http_port = $PORT
CONF

ODOO_PID=
cleanup() {
    [ -n "$ODOO_PID" ] && kill "$ODOO_PID" 2>/dev/null && wait "$ODOO_PID" 2>/dev/null || true
    dropdb --if-exists "$DB" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

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
