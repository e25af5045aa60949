# A PostgreSQL cluster of our own under a folder (initdb + pg_ctl, socket only, no TCP port), sourced by
# scripts/stack.sh and scripts/lib/odoo-run.sh (so by test-odoo.sh, i18n-export.sh and screenshots.sh). Not Debian's
# shared cluster: it needs no root, no pg_hba edits, no role or database in anybody else's cluster, cannot clash
# with another run on the same machine, and does not depend on what an earlier run left there. As root its commands run as the `postgres`
# system user (PostgreSQL refuses to run as root).
#
# pg_cluster_at DIR sets the layout (DIR/data, the socket folder DIR/run); then pg_cluster_up, pg_sql, pg_running,
# pg_cluster_down. Odoo connects with db_host = $PG_SOCK, db_port = $PG_PORT, db_user = odoo, no password.

source "$(dirname "${BASH_SOURCE[0]}")/output.sh"

# libpq reads these from the environment for anything a command does not name: a PGHOSTADDR or PGPASSWORD left
# by the caller would send Odoo or psql to another server or user (`su` keeps them; that is how a role-creating
# step once logged in as the wrong user). Every connection here names its own socket, port and user.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGDATABASE PGSERVICE PGSERVICEFILE PGPASSFILE

PG_PORT="${PG_PORT:-5432}" # names the socket file only: the cluster listens on no TCP port

pg_cluster_at() { # dir
    PG_DIR="$1"
    PG_DATA="$PG_DIR/data"
    PG_SOCK="$PG_DIR/run"
}

pg_find_bin() {
    local d
    for d in "${STACK_PG_BIN:-}" /usr/lib/postgresql/*/bin; do
        [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/psql" ]] && { echo "$d"; return 0; }
    done
    d="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"
    [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && { echo "$d"; return 0; }
    return 1
}

# PostgreSQL will not run as root: as root, run its commands as the `postgres` system user.
as_pg() {
    if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_sql() { # sql [database] -> unaligned tuples
    "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d "${2:-postgres}" -XqAt -v ON_ERROR_STOP=1 -c "$1"
}

pg_running() { [[ -f "$PG_DATA/PG_VERSION" ]] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

# Problems with the folder that would make initdb or the socket fail later with a less clear message.
pg_check_dir() {
    PG_BIN="$(pg_find_bin)" || die "PostgreSQL server binaries (initdb, pg_ctl, psql) not found (group odoo of scripts/debian-packages.txt)"
    [[ $EUID -ne 0 ]] || id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user (made by PostgreSQL's Debian package: group odoo of scripts/debian-packages.txt)"
    local sock_path="$PG_SOCK/.s.PGSQL.$PG_PORT"
    ((${#sock_path} < 100)) || die "folder path too long for a Unix socket ($sock_path): use a shorter state folder"
}

# Creates the cluster when there is none, starts it when it is not running, and makes the role `odoo`.
pg_cluster_up() { # logfile
    local log="$1"
    pg_check_dir
    mkdir -p "$PG_DIR" "$(dirname "$log")"
    if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
        step "Creating a PostgreSQL cluster in $PG_DATA"
        mkdir -p "$PG_DATA" "$PG_SOCK"
        if [[ $EUID -eq 0 ]]; then
            chown -R postgres: "$PG_DIR"
            runuser -u postgres -- test -w "$PG_DATA" \
                || die "the postgres user cannot reach $PG_DATA (a parent folder is not traversable); use a folder under /tmp or /var/tmp"
        fi
        # trust on the socket only; the socket lives in a folder only its owner can enter, and there is no TCP.
        as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
            || { tail_log "$PG_DIR/initdb.log"; die "initdb failed"; }
        chmod 700 "$PG_SOCK"
    fi
    if pg_running; then
        info "PostgreSQL already running (socket $PG_SOCK, port $PG_PORT)"
    else
        step "Starting PostgreSQL (socket in $PG_SOCK, no TCP)"
        [[ $EUID -ne 0 ]] || { touch "$log"; chown postgres: "$log"; }
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$log" -w -t 60 \
            -o "-k $PG_SOCK -p $PG_PORT -c listen_addresses=''" start >/dev/null \
            || { tail_log "$log"; die "PostgreSQL did not start"; }
    fi
    if [[ "$(pg_sql "SELECT 1 FROM pg_roles WHERE rolname='odoo'")" != 1 ]]; then
        step "Creating database role 'odoo' (LOGIN CREATEDB, not superuser)"
        pg_sql "CREATE ROLE odoo LOGIN CREATEDB" >/dev/null
    fi
}

pg_cluster_down() {
    PG_BIN="$(pg_find_bin)" || { info "PostgreSQL binaries not found; nothing to stop"; return 0; }
    if pg_running; then
        step "Stopping PostgreSQL"
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
    else info "PostgreSQL not running"; fi
}
