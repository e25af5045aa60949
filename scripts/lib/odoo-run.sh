# A throw-away Odoo run of this checkout's addons, sourced by scripts/test-odoo.sh, scripts/i18n-export.sh and
# scripts/screenshots.sh: a work folder with its own PostgreSQL cluster (postgres.sh), and the odoo.conf that
# points Odoo at that cluster and at odoo_addon/. (scripts/stack.sh keeps a long-lived one of its own.)
#
# odoo_work PREFIX sets WORK (a new folder under /tmp) and the cluster's layout in WORK/pg; the caller sets its
# trap, then pg_cluster_up "$WORK/postgres.log". odoo_conf ODOO_SRC [LINE…] writes $WORK/odoo.conf, the given
# "key = value" lines last.

source "$(dirname "${BASH_SOURCE[0]}")/postgres.sh"

ODOO_RUN_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

odoo_work() { # prefix
    WORK="$(mktemp -d "/tmp/$1.XXXXXX")"
    chmod 711 "$WORK" # as root the cluster runs as `postgres`, which must traverse to its folder
    pg_cluster_at "$WORK/pg"
}

odoo_conf() { # odoo_src [line]...
    local src="$1"
    shift
    {
        echo "[options]"
        echo "addons_path = $src/addons,$src/odoo/addons,$ODOO_RUN_REPO/odoo_addon"
        echo "data_dir = $WORK/data"
        echo "db_host = $PG_SOCK"
        echo "db_port = $PG_PORT"
        echo "db_user = odoo"
        echo "db_password = False"
        echo "list_db = False"
        local line
        for line in "$@"; do echo "$line"; done
    } >"$WORK/odoo.conf"
}
