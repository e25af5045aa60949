#!/usr/bin/env bash
# The whole product on one machine: PostgreSQL, Odoo 18 with llm_mcp_server, the MCP sidecar, and nginx as the
# reverse proxy on ONE public port (/mcp -> sidecar, everything else -> Odoo).
#
#   scripts/stack.sh up        set up what is missing (Debian packages, npm ci, an Odoo 18 tree), start whatever is
#                              not running (idempotent); prints the proxy URL and an admin key
#   scripts/stack.sh down      stop everything this stack started (idempotent); keeps the data
#   scripts/stack.sh status    say what runs, where, and whether it answers
#   scripts/stack.sh stop odoo|sidecar|sidecar-N|nginx|postgres   stop one component (`sidecar`: every sidecar;
#                              `up` starts it again)
#   scripts/stack.sh shell     `odoo-bin shell` on the stack's database, script on stdin
#   scripts/stack.sh destroy   down, then delete the state folder (database included)
#   scripts/stack.sh url | nginx-config | nginx-tls-config   print the proxy URL / the nginx routes `up` uses /
#                              the TLS lines they include (empty unless STACK_TLS_CERT and STACK_TLS_KEY are set)
#
# All state (database cluster, Odoo's data dir, logs, pid files, generated configs, the admin key) lives under
# one folder, STACK_STATE_DIR (default: .state/stack in the repository; gitignored).
#
# A fresh machine needs nothing but this script and Node 20: `up` installs the missing Debian packages (as root;
# otherwise it prints the apt-get line and stops), runs `npm ci` when node_modules is missing or stale, and clones
# Odoo 18 when there is no tree (scripts/lib/setup.sh says where).
#
# PostgreSQL: a cluster of our own under the state folder (scripts/lib/postgres.sh), not Debian's shared cluster,
# so `destroy` removes every trace. Odoo and the sidecar run under a supervisor (scripts/lib/supervise.sh) that
# restarts them when they die; their pid files name the supervisors.
#
# Topology: STACK_ODOO_WORKERS=0 (default) runs Odoo threaded, one process; N>0 runs Odoo's prefork server with N
# HTTP workers and its gevent process (websocket) on STACK_ODOO_PORT+1, which nginx routes /websocket to.
# STACK_SIDECARS=K (default 1) runs K sidecars on consecutive ports from STACK_SIDECAR_PORT, each under its own
# supervisor (pid file run/sidecar.pid for the first, run/sidecar-2.pid ... for the others, logs likewise),
# behind one nginx upstream that spreads requests over them and retries on another only what never reached one.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/scripts/lib/setup.sh"
source "$REPO/scripts/lib/postgres.sh"

# ---- configuration (environment) -----------------------------------------------------------------------------
ODOO_SRC="$(odoo_src_default)"                  # ODOO_SRC, else /opt/odoo, else a cache folder (scripts/lib/setup.sh)
STATE="${STACK_STATE_DIR:-$REPO/.state/stack}"
PUBLIC_HOST="${STACK_HOST:-127.0.0.1}"          # the host name clients use in the URL (also allowed by the sidecar)
PUBLIC_PORT="${STACK_PORT:-8069}"               # nginx: the one port users and MCP clients use
LISTEN="${STACK_LISTEN:-127.0.0.1}"             # the address nginx listens on (0.0.0.0 to serve other machines)
ODOO_PORT="${STACK_ODOO_PORT:-18069}"           # Odoo itself, loopback only
SIDECAR_PORT="${STACK_SIDECAR_PORT:-8765}"      # the (first) sidecar, loopback only
ODOO_WORKERS="${STACK_ODOO_WORKERS:-0}"         # 0: threaded Odoo; N: prefork, N HTTP workers + the gevent process
SIDECARS="${STACK_SIDECARS:-1}"                 # how many sidecars, on SIDECAR_PORT, SIDECAR_PORT+1, ...
PG_PORT="${STACK_PG_PORT:-5432}"                # names the socket file only: the cluster listens on no TCP port
DB="${STACK_DB:-llm_mcp}"
MODULES="${STACK_MODULES:-llm_mcp_server,contacts,sale_management}"
PYTHON="${STACK_PYTHON:-/usr/bin/python3}"      # Debian's interpreter, which has Odoo's dependencies
NGINX="${STACK_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
LOG_LEVEL="${LOG_LEVEL:-info}"
# Optional TLS (deploy/nginx/llm_mcp_tls.inc.template): with both set, nginx serves https on TLS_PORT, redirects
# plain http to it, and the proxy URL (Odoo's web.base.url, the MCP URL) is https.
TLS_CERT="${STACK_TLS_CERT:-}"                  # certificate chain (PEM), e.g. /etc/letsencrypt/live/<name>/fullchain.pem
TLS_KEY="${STACK_TLS_KEY:-}"                    # its private key (PEM)
TLS_PORT="${STACK_TLS_PORT:-443}"               # the https port

[[ "$ODOO_WORKERS" =~ ^[0-9]+$ ]] || { echo "stack.sh: STACK_ODOO_WORKERS must be a number (0 = threaded), not '$ODOO_WORKERS'" >&2; exit 2; }
[[ "$SIDECARS" =~ ^[1-9][0-9]*$ ]] || { echo "stack.sh: STACK_SIDECARS must be a number of at least 1, not '$SIDECARS'" >&2; exit 2; }
GEVENT_PORT=$((ODOO_PORT + 1))                  # Odoo's websocket server in prefork mode (Odoo's gevent_port)

pg_cluster_at "$STATE/postgres"
ODOO_DIR="$STATE/odoo"
ODOO_CONF="$ODOO_DIR/odoo.conf"
NGINX_DIR="$STATE/nginx"
NGINX_TEMPLATE="$REPO/deploy/nginx/llm_mcp.conf.template"
NGINX_TLS_TEMPLATE="$REPO/deploy/nginx/llm_mcp_tls.inc.template"
LOGS="$STATE/logs"
RUN="$STATE/run"
KEY_FILE="$STATE/admin-api-key"
if [[ -n "$TLS_CERT$TLS_KEY" ]]; then
    [[ -n "$TLS_CERT" && -n "$TLS_KEY" ]] || { echo "stack.sh: set both STACK_TLS_CERT and STACK_TLS_KEY, or neither" >&2; exit 2; }
    TLS_PORT_SUFFIX=""; [[ "$TLS_PORT" == 443 ]] || TLS_PORT_SUFFIX=":$TLS_PORT"
    PROXY_URL="https://$PUBLIC_HOST$TLS_PORT_SUFFIX"
else
    PROXY_URL="http://$PUBLIC_HOST:$PUBLIC_PORT"
fi

# ---- helpers ------------------------------------------------------------------------------------------------
# curl, told how to reach and trust the proxy when it is https: its certificate (a self-signed one is its own
# authority; a chain is trusted up to itself), and the public name pinned to this machine.
curl_url() { # curl arguments... (the URL among them)
    if [[ -n "$TLS_CERT" ]]; then
        curl --cacert "$TLS_CERT" --resolve "$PUBLIC_HOST:$TLS_PORT:127.0.0.1" "$@"
    else
        curl "$@"
    fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# (One read of the file: nginx deletes its pid file as it exits, maybe between a test and a read.)
pid_alive() { local pid; pid="$(cat "$1" 2>/dev/null)" && [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; }

# Whether any process of the group a pid file names is left (a pid file names a group leader: see supervise).
group_alive() { local pid; pid="$(cat "$1" 2>/dev/null)" && [[ -n "$pid" ]] && { kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null; }; }

# Runs a command under scripts/lib/supervise.sh, which restarts it when it dies, in a process group of its own
# (setsid, so `stop` ends the supervisor and everything under it by the group), output appended to a log; the pid
# file names the supervisor. From a background subshell setsid needs no fork, so $! is the supervisor's pid.
supervise() { # name pidfile log command...
    local name="$1" pidfile="$2" log="$3"
    shift 3
    setsid bash "$REPO/scripts/lib/supervise.sh" "$name" -- "$@" >>"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
}

# A supervisor killed on its own leaves its group running, holding the port: end what is left before a start.
stop_leftovers() { # name pidfile
    if ! pid_alive "$2" && group_alive "$2"; then stop_pidfile "what is left of $1 (its supervisor died)" "$2"; fi
}

# Wait until a URL answers 2xx, or the process (pid file) dies, or the timeout passes.
wait_http() { # url seconds pidfile log what
    local url="$1" secs="$2" pidfile="$3" log="$4" what="$5" i
    for ((i = 0; i < secs * 4; i++)); do
        curl_url -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
        if [[ -n "$pidfile" ]] && ! pid_alive "$pidfile"; then
            tail_log "$log"; die "$what exited during start-up (log: $log)"
        fi
        sleep 0.25
    done
    tail_log "$log"; die "$what did not answer $url within ${secs}s (log: $log)"
}

# Whatever a fresh machine lacks, set up here, each step saying what it does (scripts/lib/setup.sh): the Debian
# packages, npm's node_modules, an Odoo 18 tree. Then the checks that no installation can fix.
prepare_machine() {
    step "Checking what this machine has"
    [[ -f "$NGINX_TEMPLATE" ]] || die "nginx config $NGINX_TEMPLATE missing"
    ensure_debian_packages base odoo
    ensure_node_modules
    ensure_odoo_src "$ODOO_SRC"
    NGINX="${STACK_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}" # now that nginx is installed
    [[ -x "$PYTHON" ]] || die "Python interpreter $PYTHON not found (set STACK_PYTHON)"
    "$PYTHON" -c 'import psycopg2, werkzeug, lxml, babel, passlib' 2>/dev/null \
        || die "$PYTHON cannot import Odoo's dependencies although Debian's packages are installed: set STACK_PYTHON to Debian's /usr/bin/python3"
    [[ -x "$NGINX" ]] || die "nginx not found at $NGINX (set STACK_NGINX)"
    pg_check_dir
    info "Odoo: $ODOO_SRC   PostgreSQL: $PG_BIN   nginx: $NGINX   state: $STATE"
}

# ---- Odoo ---------------------------------------------------------------------------------------------------
write_odoo_conf() {
    mkdir -p "$ODOO_DIR/data"
    local master
    if [[ -f "$ODOO_DIR/master-password" ]]; then master="$(cat "$ODOO_DIR/master-password")"; else
        master="$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
        (umask 077; printf '%s' "$master" >"$ODOO_DIR/master-password")
    fi
    local prefork=""
    ((ODOO_WORKERS == 0)) || prefork="$(odoo_prefork_options)"
    (umask 077; cat >"$ODOO_CONF" <<EOF
; generated by scripts/stack.sh — edits are overwritten by the next 'up'
[options]
addons_path = $ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$REPO/odoo_addon
data_dir = $ODOO_DIR/data
db_host = $PG_SOCK
db_port = $PG_PORT
db_user = odoo
db_password = False
db_name = $DB
list_db = False
admin_passwd = $master
http_interface = 127.0.0.1
http_port = $ODOO_PORT
gevent_port = $GEVENT_PORT
proxy_mode = True
logfile = $LOGS/odoo.log
log_level = info
$prefork
EOF
    )
}

# Odoo's prefork settings for STACK_ODOO_WORKERS=N, sized for this machine:
# - time: a worker is killed after limit_time_real; it must outlive the sidecar's own timeout for one tool call
#   (TOOL_CALL_TIMEOUT_MS, 120 s) so that the client hears the sidecar's clear "Odoo did not answer", not a cut;
# - memory: the processes (N workers, the cron worker, the gevent process) share 3/4 of the machine's memory,
#   each at most Odoo's own default (2.5 GiB hard) and at least 768 MiB; soft (recycle after the request) is 4/5;
# - database: each process keeps its own pool of db_maxconn connections, and a prefork worker serves one request
#   at a time (a few cursors: the request's, the audit and rate-limit commits), so the pools are kept small enough
#   that all of them fit PostgreSQL's max_connections (100 in the stack's cluster) with room for shells and psql.
odoo_prefork_options() {
    local tool_s=$(( (${TOOL_CALL_TIMEOUT_MS:-120000} + 999) / 1000 )) mem_kb processes hard_mb maxconn
    mem_kb="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null)"; mem_kb="${mem_kb:-4194304}"
    processes=$((ODOO_WORKERS + 2))
    hard_mb=$((mem_kb * 3 / 4 / 1024 / processes))
    ((hard_mb <= 2560)) || hard_mb=2560
    ((hard_mb >= 768)) || hard_mb=768
    maxconn=$((80 / processes))
    ((maxconn <= 16)) || maxconn=16
    ((maxconn >= 4)) || maxconn=4
    ((processes * maxconn <= 90)) || info "warning: $processes Odoo processes x db_maxconn $maxconn exceed the stack's PostgreSQL max_connections (100)" >&2
    cat <<EOF
; prefork (STACK_ODOO_WORKERS=$ODOO_WORKERS): $ODOO_WORKERS HTTP workers, one cron worker, the gevent process on gevent_port
workers = $ODOO_WORKERS
max_cron_threads = 1
limit_time_cpu = $tool_s
limit_time_real = $((tool_s + 30))
limit_memory_hard = $((hard_mb * 1024 * 1024))
limit_memory_soft = $((hard_mb * 4 / 5 * 1024 * 1024))
db_maxconn = $maxconn
EOF
}

odoo_bin() { "$PYTHON" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" "$@"; }
# `odoo-bin shell` on the stack's database, script on stdin; Odoo's own chatter goes to the shell log.
odoo_shell() { "$PYTHON" "$ODOO_SRC/odoo-bin" shell -c "$ODOO_CONF" -d "$DB" --no-http --logfile "$LOGS/odoo-shell.log" "$@" 2>>"$LOGS/odoo-shell.log"; }

module_state() { pg_sql "SELECT state FROM ir_module_module WHERE name='llm_mcp_server'" "$DB" 2>/dev/null || true; }

# A fingerprint of odoo_addon/ (file names and contents): when it changes, the installed modules are updated.
addon_fingerprint() {
    (cd "$REPO" && find odoo_addon -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z \
        | xargs -0 sha1sum | sha1sum | cut -d' ' -f1)
}

ensure_database() {
    [[ -d "$REPO/odoo_addon/llm_mcp_server" ]] || die "odoo_addon/llm_mcp_server is missing from this checkout: nothing to install"
    local exists fingerprint
    exists="$(pg_sql "SELECT 1 FROM pg_database WHERE datname='$DB'")"
    fingerprint="$(addon_fingerprint)"
    if [[ "$exists" == 1 && "$(module_state)" == installed ]]; then
        if [[ "$(cat "$ODOO_DIR/addon.fingerprint" 2>/dev/null)" == "$fingerprint" ]]; then
            info "Database '$DB' has llm_mcp_server installed"
            return 0
        fi
        local ours
        ours="$(cd "$REPO/odoo_addon" && ls -d */ | tr -d / | grep -v '^test_' | paste -sd,)"  # test_*: test-only
        step "odoo_addon/ changed since the last install: updating $ours in '$DB'"
        if pid_alive "$RUN/odoo.pid"; then stop_pidfile Odoo "$RUN/odoo.pid"; fi # it must load the new code
        odoo_bin -d "$DB" -u "$ours" --stop-after-init --no-http --logfile "$LOGS/odoo-install.log" 2>>"$LOGS/odoo-install.log" \
            || { tail_log "$LOGS/odoo-install.log" 40; die "updating $ours failed (log: $LOGS/odoo-install.log)"; }
    else
        step "Installing $MODULES into database '$DB' with demo data (about a minute on 2 cores)"
        odoo_bin -d "$DB" -i "$MODULES" --stop-after-init --no-http --logfile "$LOGS/odoo-install.log" 2>>"$LOGS/odoo-install.log" \
            || { tail_log "$LOGS/odoo-install.log" 40; die "installing $MODULES failed (log: $LOGS/odoo-install.log)"; }
    fi
    [[ "$(module_state)" == installed ]] \
        || { tail_log "$LOGS/odoo-install.log" 40; die "llm_mcp_server is not installed after the run (log: $LOGS/odoo-install.log)"; }
    printf '%s' "$fingerprint" >"$ODOO_DIR/addon.fingerprint"
    info "Done."
}

start_odoo() {
    local conf_fingerprint
    conf_fingerprint="$(sha1sum <"$ODOO_CONF" | cut -d' ' -f1)"
    stop_leftovers Odoo "$RUN/odoo.pid"
    if pid_alive "$RUN/odoo.pid" && [[ "$(cat "$RUN/odoo.conf.fingerprint" 2>/dev/null)" != "$conf_fingerprint" ]]; then
        step "Odoo's configuration changed since it started (e.g. STACK_ODOO_WORKERS): restarting it"
        stop_pidfile Odoo "$RUN/odoo.pid"
    fi
    if pid_alive "$RUN/odoo.pid"; then
        info "Odoo already running (pid $(cat "$RUN/odoo.pid"), http://127.0.0.1:$ODOO_PORT)"
    else
        port_in_use "$ODOO_PORT" && die "port $ODOO_PORT (Odoo) is already in use by another program: set STACK_ODOO_PORT"
        ((ODOO_WORKERS == 0)) || ! port_in_use "$GEVENT_PORT" \
            || die "port $GEVENT_PORT (Odoo's websocket server, STACK_ODOO_PORT+1) is already in use by another program: set STACK_ODOO_PORT"
        if ((ODOO_WORKERS == 0)); then step "Starting Odoo (threaded) on http://127.0.0.1:$ODOO_PORT (database '$DB' only)"
        else step "Starting Odoo (prefork: $ODOO_WORKERS workers, websocket on :$GEVENT_PORT) on http://127.0.0.1:$ODOO_PORT (database '$DB' only)"; fi
        # One database, by -d alone: no --db-filter (docs/contract.md: with a filter Odoo lists the databases,
        # a fresh PostgreSQL connection, on every session-less request such as the addon's routes).
        # Odoo's own log lines (logfile in odoo.conf) and the supervisor's go to the same file.
        supervise Odoo "$RUN/odoo.pid" "$LOGS/odoo.log" "$PYTHON" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$DB"
        printf '%s' "$conf_fingerprint" >"$RUN/odoo.conf.fingerprint"
    fi
    wait_http "http://127.0.0.1:$ODOO_PORT/web/health" 90 "$RUN/odoo.pid" "$LOGS/odoo.log" "Odoo"
}

# ---- sidecar ------------------------------------------------------------------------------------------------
# A fingerprint of the sidecar's code and locked dependencies: a running sidecar with other code is restarted.
sidecar_fingerprint() {
    (cd "$REPO" && find sidecar/src package-lock.json -type f -print0 | LC_ALL=C sort -z | xargs -0 sha1sum | sha1sum | cut -d' ' -f1)
}

# Sidecar i of STACK_SIDECARS (1-based): its name (the supervisor's, and its pid, log and fingerprint files: the
# first keeps the single sidecar's names) and its port.
sidecar_name() { if (($1 == 1)); then echo sidecar; else echo "sidecar-$1"; fi; }
sidecar_port() { echo $((SIDECAR_PORT + $1 - 1)); }
sidecar_ports() { local i; for ((i = 1; i <= SIDECARS; i++)); do sidecar_port "$i"; done; }
# Every sidecar pid file present, whatever STACK_SIDECARS says now (a stack may have been started with more).
sidecar_pidfiles() { local f; for f in "$RUN/sidecar.pid" "$RUN"/sidecar-*.pid; do [[ -e "$f" ]] && echo "$f"; done; return 0; }

start_sidecar() { # index
    local i="$1" name port pidfile log fingerprint
    name="$(sidecar_name "$i")"; port="$(sidecar_port "$i")"
    pidfile="$RUN/$name.pid"; log="$LOGS/$name.log"
    fingerprint="$(sidecar_fingerprint)"
    stop_leftovers "$name" "$pidfile"
    if pid_alive "$pidfile" && [[ "$(cat "$RUN/$name.fingerprint" 2>/dev/null)" != "$fingerprint" ]]; then
        step "The code of $name changed since it started: restarting it"
        stop_pidfile "$name" "$pidfile"
    fi
    if pid_alive "$pidfile"; then
        info "$name already running (pid $(cat "$pidfile"), http://127.0.0.1:$port)"
    else
        [[ -f "$REPO/sidecar/src/main.ts" ]] || die "sidecar/src/main.ts is missing from this checkout"
        port_in_use "$port" && die "port $port ($name) is already in use by another program: set STACK_SIDECAR_PORT (sidecars use $SIDECARS consecutive ports from it)"
        step "Starting the MCP $name on http://127.0.0.1:$port (npm start, ODOO_URL=http://127.0.0.1:$ODOO_PORT)"
        local hosts="$PUBLIC_HOST,localhost,127.0.0.1,[::1]"
        (
            cd "$REPO"
            export ODOO_URL="http://127.0.0.1:$ODOO_PORT" ODOO_DB="$DB" HOST=127.0.0.1 PORT="$port" \
                MCP_ALLOWED_HOSTS="${MCP_ALLOWED_HOSTS:-$hosts}" LOG_LEVEL="$LOG_LEVEL"
            # prefork: cancellations to the gevent process, served while every HTTP worker is busy
            ((ODOO_WORKERS == 0)) || export ODOO_CANCEL_URL="http://127.0.0.1:$GEVENT_PORT"
            [[ -z "${MCP_ALLOWED_ORIGINS:-}" ]] || export MCP_ALLOWED_ORIGINS
            supervise "$name" "$pidfile" "$log" npm start --silent
        )
        printf '%s' "$fingerprint" >"$RUN/$name.fingerprint"
    fi
}

wait_sidecar() { # index
    local name port
    name="$(sidecar_name "$1")"; port="$(sidecar_port "$1")"
    wait_http "http://127.0.0.1:$port/healthz" 30 "$RUN/$name.pid" "$LOGS/$name.log" "$name"
    wait_http "http://127.0.0.1:$port/readyz" 30 "$RUN/$name.pid" "$LOGS/$name.log" "the readiness of $name (Odoo reachable)"
}

# All STACK_SIDECARS sidecars, one after the other (`npm start` bundles sidecar/dist/main.mjs first: two builds at
# once would write the same file while a node reads it); sidecars beyond the count (a stack started with more)
# are stopped.
start_sidecars() {
    local i f n
    for f in $(sidecar_pidfiles); do
        n="$(basename "$f" .pid)"; n="${n#sidecar}"; n="${n#-}"; n="${n:-1}"
        if ((n > SIDECARS)); then stop_pidfile "sidecar-$n (beyond STACK_SIDECARS=$SIDECARS)" "$f"; fi
    done
    for ((i = 1; i <= SIDECARS; i++)); do start_sidecar "$i"; wait_sidecar "$i"; done
}

stop_sidecars() { local f; for f in $(sidecar_pidfiles); do stop_pidfile "$(basename "$f" .pid)" "$f"; done; }

# ---- nginx --------------------------------------------------------------------------------------------------
# Substitute exactly the template's variables (what the nginx image's envsubst entrypoint does in docker-compose).
# The upstream's `server ${SIDECAR_UPSTREAM} ...;` line is written once per sidecar (under compose, one service
# name that resolves to every replica does the same).
render_nginx_template() { # odoo_upstream odoo_websocket_upstream "sidecar_upstream..." port tls_include
    awk -v servers="$3" '/^[ \t]*server \$\{SIDECAR_UPSTREAM\}/ {
            n = split(servers, s, " ")
            for (i = 1; i <= n; i++) { line = $0; sub(/\$\{SIDECAR_UPSTREAM\}/, s[i], line); print line }
            next
        } { print }' "$NGINX_TEMPLATE" \
        | sed -e "s|\${ODOO_UPSTREAM}|$1|g" -e "s|\${ODOO_WEBSOCKET_UPSTREAM}|$2|g" -e "s|\${NGINX_PORT}|$4|g" \
            -e "s|\${NGINX_TLS_INCLUDE}|$5|g"
}

# The TLS lines of the server block: the rendered TLS template when a certificate is configured, else nothing
# (what deploy/nginx/llm-mcp-tls.envsh does in the nginx container).
render_tls_include() {
    if [[ -z "$TLS_CERT" ]]; then echo "# TLS off (scripts/stack.sh: STACK_TLS_CERT and STACK_TLS_KEY unset)"; return 0; fi
    sed -e "s|\${NGINX_TLS_PORT}|$LISTEN:$TLS_PORT|g" -e "s|\${NGINX_TLS_CERT}|$TLS_CERT|g" -e "s|\${NGINX_TLS_KEY}|$TLS_KEY|g" \
        -e "s|\${NGINX_TLS_REDIRECT_PORT}|$TLS_PORT_SUFFIX|g" "$NGINX_TLS_TEMPLATE"
}

# The routes exactly as `up` hands them to nginx.
# Threaded Odoo serves /websocket on its HTTP port; prefork Odoo on its gevent port.
nginx_routes() {
    local websocket="127.0.0.1:$ODOO_PORT" sidecars="" port
    ((ODOO_WORKERS == 0)) || websocket="127.0.0.1:$GEVENT_PORT"
    for port in $(sidecar_ports); do sidecars+="127.0.0.1:$port "; done
    render_nginx_template "127.0.0.1:$ODOO_PORT" "$websocket" "$sidecars" "$LISTEN:$PUBLIC_PORT" "$NGINX_DIR/conf.d/llm_mcp_tls.inc"
}

write_nginx_conf() {
    mkdir -p "$NGINX_DIR/conf.d" "$NGINX_DIR/temp" "$LOGS"
    nginx_routes >"$NGINX_DIR/conf.d/llm_mcp.conf"
    render_tls_include >"$NGINX_DIR/conf.d/llm_mcp_tls.inc"
    local user_line=""
    if [[ $EUID -eq 0 ]]; then
        # Workers must not run as root; they need to write the temp folders (buffered Odoo responses).
        local worker=nobody; id www-data >/dev/null 2>&1 && worker=www-data
        user_line="user $worker;"
        chown -R "$worker" "$NGINX_DIR/temp"
    fi
    cat >"$NGINX_DIR/nginx.conf" <<EOF
# generated by scripts/stack.sh: process settings only; the routes are deploy/nginx/llm_mcp.conf.template
$user_line
worker_processes 1;
pid $RUN/nginx.pid;
error_log $LOGS/nginx-error.log warn;
events { worker_connections 1024; }
http {
    # Which upstream served each request, and how it answered: with several sidecars, a failed request in the
    # log names the replica that failed it (and a retried one both: "127.0.0.1:A, 127.0.0.1:B").
    log_format llm_mcp '\$remote_addr [\$time_local] "\$request" \$status \$body_bytes_sent \$request_time '
                       'upstream=\$upstream_addr upstream_status=\$upstream_status upstream_time=\$upstream_response_time';
    access_log $LOGS/nginx-access.log llm_mcp;
    client_body_temp_path $NGINX_DIR/temp/client_body;
    proxy_temp_path $NGINX_DIR/temp/proxy;
    fastcgi_temp_path $NGINX_DIR/temp/fastcgi;
    uwsgi_temp_path $NGINX_DIR/temp/uwsgi;
    scgi_temp_path $NGINX_DIR/temp/scgi;
    default_type application/octet-stream;
    include $NGINX_DIR/conf.d/llm_mcp.conf;
}
EOF
}

nginx_cmd() { "$NGINX" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$LOGS/nginx-error.log" "$@"; }

start_nginx() {
    write_nginx_conf
    nginx_cmd -t -q 2>"$LOGS/nginx-test.log" || { tail_log "$LOGS/nginx-test.log"; die "nginx rejected the configuration"; }
    if pid_alive "$RUN/nginx.pid"; then
        step "Reloading nginx on $PROXY_URL"
        nginx_cmd -s reload
    else
        port_in_use "$PUBLIC_PORT" && die "port $PUBLIC_PORT (the public proxy port) is already in use by another program: set STACK_PORT"
        [[ -z "$TLS_CERT" ]] || ! port_in_use "$TLS_PORT" || die "port $TLS_PORT (https) is already in use by another program: set STACK_TLS_PORT"
        [[ -z "$TLS_CERT" ]] || [[ -r "$TLS_CERT" && -r "$TLS_KEY" ]] || die "cannot read STACK_TLS_CERT=$TLS_CERT or STACK_TLS_KEY=$TLS_KEY"
        step "Starting nginx on $PROXY_URL (/mcp -> sidecar :$(sidecar_ports | paste -sd,), everything else -> Odoo :$ODOO_PORT)"
        nginx_cmd 2>>"$LOGS/nginx-error.log" || { tail_log "$LOGS/nginx-error.log"; die "nginx did not start"; }
    fi
    wait_http "$PROXY_URL/web/health" 15 "" "$LOGS/nginx-error.log" "nginx (proxy to Odoo)"
}

# ---- Odoo settings that depend on this stack's URLs ----------------------------------------------------------
# web.base.url is the proxy (so the New MCP Key wizard shows <proxy>/mcp), and the MCP settings' sidecar URL is
# where this stack runs the sidecar (their "Test connection" button). Applied when they change.
configure_odoo() {
    local wanted="$PROXY_URL|http://127.0.0.1:$SIDECAR_PORT"
    [[ "$(cat "$ODOO_DIR/settings.applied" 2>/dev/null)" == "$wanted" ]] && return 0
    step "Setting web.base.url=$PROXY_URL and the MCP settings' sidecar URL=http://127.0.0.1:$SIDECAR_PORT"
    odoo_shell >/dev/null <<PY || { tail_log "$LOGS/odoo-shell.log"; die "odoo-bin shell failed to apply the settings (log: $LOGS/odoo-shell.log)"; }
env['ir.config_parameter'].set_param('web.base.url', '$PROXY_URL')
env['llm.mcp.config'].get_config().write({'sidecar_url': 'http://127.0.0.1:$SIDECAR_PORT'})
env.cr.commit()
env.registry.signal_changes()
PY
    printf '%s' "$wanted" >"$ODOO_DIR/settings.applied"
}

# ---- the admin key ------------------------------------------------------------------------------------------
# A key is checked against the addon's identity route, which accepts MCP-scoped and global keys.
key_works() {
    [[ -s "$KEY_FILE" ]] || return 1
    local code
    code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $(cat "$KEY_FILE")" --data '{}' "http://127.0.0.1:$ODOO_PORT/llm_mcp/v1/identity")" || return 1
    [[ "$code" == 200 ]]
}

ensure_admin_key() {
    if key_works; then
        info "Admin key in $KEY_FILE still valid"
        return 0
    fi
    step "Creating an admin API key for local use (Odoo ORM via odoo-bin shell)"
    local out key
    # The key is printed once by the shell script and captured here; it never goes to a log.
    out="$(odoo_shell <<'PY'
import datetime
admin = env.ref('base.user_admin')
expiry = datetime.datetime.now() + datetime.timedelta(days=90)
name = 'stack.sh local admin key'
if 'llm.mcp.key' in env and hasattr(env['llm.mcp.key'], 'create_mcp_key'):
    key = env['llm.mcp.key'].with_user(admin).create_mcp_key(name, expiry)
    kind = 'mcp'
else:
    key = env['res.users.apikeys'].with_user(admin)._generate(None, name, expiry)
    kind = 'global'
env.cr.commit()
env.registry.signal_changes()
print('LLM_MCP_STACK_KEY=%s:%s' % (kind, key))
PY
    )" || { tail_log "$LOGS/odoo-shell.log"; die "odoo-bin shell failed to create the key (log: $LOGS/odoo-shell.log)"; }
    key="$(printf '%s\n' "$out" | sed -n 's/^LLM_MCP_STACK_KEY=//p' | tail -n1)"
    [[ -n "$key" ]] || { tail_log "$LOGS/odoo-shell.log"; die "odoo-bin shell printed no key (log: $LOGS/odoo-shell.log)"; }
    info "Created a ${key%%:*}-scoped key for user admin (expires in 90 days)"
    (umask 077; printf '%s' "${key#*:}" >"$KEY_FILE")
    chmod 600 "$KEY_FILE"
    key_works || die "the new key is refused by Odoo's /llm_mcp/v1/identity"
}

# ---- check through the proxy --------------------------------------------------------------------------------
# One MCP 2026-07-28 request (stateless: no initialize) through nginx, as a client would send it.
proxy_tools_list() {
    curl_url -sS --max-time 30 -X POST "$PROXY_URL/mcp" \
        -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
        -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/list' \
        -H "Authorization: Bearer $(cat "$KEY_FILE")" \
        --data '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'
}

check_proxy_mcp() {
    step "Listing tools through $PROXY_URL/mcp"
    local body names
    body="$(proxy_tools_list)" || die "POST $PROXY_URL/mcp failed"
    names="$(printf '%s' "$body" | node -e '
        let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
            const m = JSON.parse(s.replace(/^(event|id):.*$/gm, "").replace(/^data: /gm, "").trim());
            if (!m.result || !Array.isArray(m.result.tools)) { console.error(JSON.stringify(m)); process.exit(1); }
            console.log(m.result.tools.map((t) => t.name).join(", "));
        });')" || die "tools/list through the proxy did not return tools: $body"
    info "tools: $names"
}

# ---- commands -----------------------------------------------------------------------------------------------
cmd_up() {
    prepare_machine
    # 711: other users may traverse (the postgres user must reach its data folder) but not list it.
    mkdir -p "$STATE" "$LOGS" "$RUN" && chmod 711 "$STATE"
    pg_cluster_up "$LOGS/postgres.log"
    write_odoo_conf
    ensure_database
    start_odoo
    start_sidecars
    start_nginx
    configure_odoo
    ensure_admin_key
    check_proxy_mcp
    echo
    echo "Stack is up."
    echo "  Odoo (web):   $PROXY_URL/odoo   (login admin / admin, demo data)"
    echo "  MCP endpoint: $PROXY_URL/mcp"
    if [[ "${STACK_SHOW_KEY:-1}" == 0 ]]; then
        echo "  Admin key:    in $KEY_FILE (mode 600; local use only)"
    else
        echo "  Admin key:    $(cat "$KEY_FILE")   (also in $KEY_FILE, mode 600; local use only)"
    fi
    echo "  Logs:         $LOGS"
    echo "  Stop with:    scripts/stack.sh down"
}

# Stops the process group a pid file names (a supervisor and the program under it) and waits until none of it is
# left: the supervisor may exit before a child that is still closing, and that child holds the port.
stop_pidfile() { # name pidfile
    local name="$1" pidfile="$2" pid i
    if ! group_alive "$pidfile"; then rm -f "$pidfile"; info "$name not running"; return 0; fi
    pid="$(cat "$pidfile")"
    step "Stopping $name (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do group_alive "$pidfile" || break; sleep 0.25; done
    if group_alive "$pidfile"; then
        info "$name did not stop within 15 s: killing it"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

stop_nginx() {
    if pid_alive "$RUN/nginx.pid"; then
        step "Stopping nginx (pid $(cat "$RUN/nginx.pid"))"
        nginx_cmd -s quit 2>/dev/null || kill -TERM "$(cat "$RUN/nginx.pid")" 2>/dev/null || true
        local i; for ((i = 0; i < 40; i++)); do pid_alive "$RUN/nginx.pid" || break; sleep 0.25; done
    else info "nginx not running"; fi
}

cmd_down() {
    stop_nginx
    stop_sidecars
    stop_pidfile Odoo "$RUN/odoo.pid"
    pg_cluster_down
    echo "Stack is down (data kept in $STATE)."
}

cmd_stop() {
    case "${1:-}" in
        odoo) stop_pidfile Odoo "$RUN/odoo.pid" ;;
        sidecar) stop_sidecars ;;
        sidecar-[1-9]*) [[ -e "$RUN/$1.pid" ]] || die "no $1 in this stack"; stop_pidfile "$1" "$RUN/$1.pid" ;;
        nginx) stop_nginx ;;
        postgres) pg_cluster_down ;;
        *) die "usage: stack.sh stop odoo|sidecar|sidecar-N|nginx|postgres" ;;
    esac
}

# "; restarted N times" when the running supervisor (pid file) has restarted its program: its lines in the log.
restarts() { # name log
    local pidfile n
    pidfile="$RUN/$(tr '[:upper:]' '[:lower:]' <<<"$1").pid"
    n="$(grep -c "supervise.sh\[$(cat "$pidfile")\] $1: restarted" "$2" 2>/dev/null)" || true
    [[ "${n:-0}" -gt 0 ]] && printf '; restarted %s by its supervisor (log: %s)' "$( ((n == 1)) && echo once || echo "$n times")" "$2"
    return 0
}

cmd_status() {
    local rc=0 line
    report() { # name ok detail
        if [[ "$2" == 1 ]]; then line="up  "; else line="DOWN"; rc=1; fi
        printf '  %-11s %s  %s\n' "$1" "$line" "$3"
    }
    echo "Stack state: $STATE"
    PG_BIN="$(pg_find_bin)" || PG_BIN=/nonexistent
    if pg_running; then report postgres 1 "socket $PG_SOCK port $PG_PORT"; else report postgres 0 "(scripts/stack.sh up)"; fi
    if pid_alive "$RUN/odoo.pid" && curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$ODOO_PORT/web/health"; then
        local mode="threaded" workers  # as it runs: the configuration it was started with
        workers="$(sed -n 's/^workers = //p' "$ODOO_CONF" 2>/dev/null)"
        [[ -z "$workers" ]] || mode="prefork, $workers workers, websocket :$GEVENT_PORT"
        report odoo 1 "http://127.0.0.1:$ODOO_PORT ($mode) database $DB$(restarts Odoo "$LOGS/odoo.log")"
    elif pid_alive "$RUN/odoo.pid"; then report odoo 0 "http://127.0.0.1:$ODOO_PORT (supervisor pid $(cat "$RUN/odoo.pid") runs, Odoo does not answer: $LOGS/odoo.log)"
    else report odoo 0 "http://127.0.0.1:$ODOO_PORT"; fi
    local i name port count="$SIDECARS" f n
    for f in $(sidecar_pidfiles); do  # sidecars a stack started with a larger STACK_SIDECARS still runs
        n="$(basename "$f" .pid)"; n="${n#sidecar}"; n="${n#-}"; n="${n:-1}"; ((n <= count)) || count="$n"
    done
    for ((i = 1; i <= count; i++)); do
        name="$(sidecar_name "$i")"; port="$(sidecar_port "$i")"
        if pid_alive "$RUN/$name.pid" && curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$port/readyz"; then
            report "$name" 1 "http://127.0.0.1:$port (ready)$(restarts "$name" "$LOGS/$name.log")"
        elif pid_alive "$RUN/$name.pid"; then report "$name" 0 "http://127.0.0.1:$port (supervisor pid $(cat "$RUN/$name.pid") runs, the sidecar does not answer: $LOGS/$name.log)"
        else report "$name" 0 "http://127.0.0.1:$port"; fi
    done
    if pid_alive "$RUN/nginx.pid" && curl_url -fsS -o /dev/null --max-time 3 "$PROXY_URL/web/health"; then
        report nginx 1 "$PROXY_URL  (MCP: $PROXY_URL/mcp)"
    else report nginx 0 "$PROXY_URL"; fi
    if [[ -s "$KEY_FILE" ]]; then echo "  admin key in $KEY_FILE"; fi
    return $rc
}

cmd_shell() {
    PG_BIN="$(pg_find_bin)" || die "PostgreSQL binaries not found"
    pg_running || die "PostgreSQL is not running: scripts/stack.sh up"
    [[ -f "$ODOO_CONF" ]] || die "no Odoo configuration yet: scripts/stack.sh up"
    mkdir -p "$LOGS"
    odoo_shell "$@"
}

cmd_destroy() {
    cmd_down
    step "Deleting $STATE"
    rm -rf -- "$STATE"
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    stop) shift; cmd_stop "$@" ;;
    shell) shift; cmd_shell "$@" ;;
    destroy) cmd_destroy ;;
    url) echo "$PROXY_URL" ;;
    # The routes exactly as `up` hands them to nginx (tests start nginx with this).
    nginx-config) nginx_routes ;;
    # What `up` writes to the TLS include file the routes name ($STACK_STATE_DIR/nginx/conf.d/llm_mcp_tls.inc).
    nginx-tls-config) render_tls_include ;;
    *) echo "usage: scripts/stack.sh up|down|status|stop COMPONENT|shell|destroy|url|nginx-config|nginx-tls-config" >&2; exit 2 ;;
esac
