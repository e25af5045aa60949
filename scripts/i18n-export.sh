#!/usr/bin/env bash
# Writes each addon's translation template, odoo_addon/<addon>/i18n/<addon>.pot, as Odoo's own exporter makes it
# (Settings → Translations → Export, or `odoo-bin --i18n-export`): installs the addons in a throw-away database of
# a throw-away PostgreSQL cluster (as scripts/test-odoo.sh does), exports, and removes both.
#
# Run it after changing a user-facing string (a field label, a view, a message in _()). The Odoo test
# TestTranslationTemplates fails while a .pot misses a string the code has, or keeps one it no longer has.
# Settings (environment): ODOO_SRC (default as scripts/stack.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/lib/setup.sh"
source "$ROOT/scripts/lib/odoo-run.sh"
ODOO_SRC="$(odoo_src_default)"
PYTHON=/usr/bin/python3
ADDONS=(llm llm_tool llm_mcp_server)

odoo_tree_ok "$ODOO_SRC" || die "no Odoo 18 tree at $ODOO_SRC (scripts/stack.sh up fetches one, or set ODOO_SRC)"
ensure_debian_packages odoo

DB="llmpot_$(date +%s)_$$"
odoo_work llmpot
trap 'pg_cluster_down >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
pg_cluster_up "$WORK/postgres.log"
odoo_conf "$ODOO_SRC"

step "Installing ${ADDONS[*]} in a throw-away database (log: $WORK/odoo.log)"
odoo() { "$PYTHON" "$ODOO_SRC/odoo-bin" -c "$WORK/odoo.conf" -d "$DB" --stop-after-init --without-demo=all "$@"; }
odoo -i "$(IFS=,; echo "${ADDONS[*]}")" >"$WORK/odoo.log" 2>&1 || { tail -n 30 "$WORK/odoo.log"; die "installing the addons failed"; }
# the export's header dates change at every run: a template whose strings did not change is left as it was
without_dates() { grep -v -e '^"POT-Creation-Date: ' -e '^"PO-Revision-Date: ' "$1"; }
for addon in "${ADDONS[@]}"; do
    pot="$ROOT/odoo_addon/$addon/i18n/$addon.pot"
    mkdir -p "$(dirname "$pot")"
    odoo --i18n-export="$WORK/$addon.pot" --modules="$addon" >>"$WORK/odoo.log" 2>&1 \
        || { tail -n 30 "$WORK/odoo.log"; die "exporting $addon failed"; }
    if [[ -f "$pot" ]] && cmp -s <(without_dates "$pot") <(without_dates "$WORK/$addon.pot"); then
        info "odoo_addon/$addon/i18n/$addon.pot: unchanged"
    else
        cp "$WORK/$addon.pot" "$pot"
        info "odoo_addon/$addon/i18n/$addon.pot: $(grep -c '^msgid ' "$pot") strings"
    fi
done
