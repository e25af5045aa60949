#!/usr/bin/env bash
# The project's test command (README: `npm test`).
#
#   always:                    typecheck (tsc) and lint (eslint) of the TypeScript, the Python lint (flake8,
#                              .flake8) of the addons and scripts, and the sidecar suite
#                              (mocha, .mocharc.json: unit tests + the sidecar against the contract stand-in)
#   with an Odoo 18 tree       the addon's Odoo tests (scripts/test-odoo.sh) and the end-to-end suite against
#   (ODOO_SRC, /opt/odoo, the  the real stack (npm run test:e2e, which starts and stops scripts/stack.sh itself)
#   cache folder):
#
# Works from a fresh clone: first it sets up what the suites need (scripts/lib/setup.sh): `npm ci` when
# node_modules is missing or stale, and the missing Debian packages (as root; otherwise it stops with the apt-get
# line). It never fetches Odoo: without a tree it skips the two Odoo suites loudly and says how to get one.
#
# Ends with one line per suite and an overall line `N passed, N failed` (suites).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh

ODOO_SRC="$(odoo_src_default)"
export ODOO_SRC # the Odoo suites and the stack the e2e suite starts use the same tree

step "Setting up what the suites need"
ensure_node_modules
if odoo_tree_ok "$ODOO_SRC"; then
    info "Odoo source: $ODOO_SRC"
    ensure_debian_packages base odoo tours
else
    ensure_debian_packages base
fi
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/llm-mcp-test.XXXXXX")"
trap 'rm -rf "$LOG_DIR"' EXIT

declare -a SUMMARY=()
passed=0
failed=0

# mocha's "N passing / N failing / N pending" of a log, as one short phrase.
mocha_counts() {
    local p f s
    p="$(grep -Eo '^ *[0-9]+ passing' "$1" | tail -n1 | grep -Eo '[0-9]+')"
    f="$(grep -Eo '^ *[0-9]+ failing' "$1" | tail -n1 | grep -Eo '[0-9]+')"
    s="$(grep -Eo '^ *[0-9]+ pending' "$1" | tail -n1 | grep -Eo '[0-9]+')"
    printf '%s tests passed, %s failed%s' "${p:-0}" "${f:-0}" "${s:+, $s pending}"
}

# Odoo's test runner summary ("N failed, N error(s) of N tests"), when it printed one.
odoo_counts() {
    grep -Eo '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$1" | tail -n1 || true
}

run_suite() { # name counts-fn command...
    local name="$1" counts="$2" log="$LOG_DIR/$1.log" rc detail
    shift 2
    printf '\n===== suite %s: %s =====\n' "$name" "$*"
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    detail="$($counts "$log")"
    if [[ $rc -eq 0 ]]; then
        passed=$((passed + 1)); SUMMARY+=("suite $name: PASSED${detail:+ ($detail)}")
    else
        failed=$((failed + 1)); SUMMARY+=("suite $name: FAILED, exit $rc${detail:+ ($detail)}")
    fi
}

no_counts() { :; }

run_suite typecheck no_counts npx tsc -p .
run_suite lint no_counts npx eslint .
run_suite python-lint no_counts flake8 odoo_addon scripts
run_suite sidecar mocha_counts npx mocha

if odoo_tree_ok "$ODOO_SRC"; then
    run_suite odoo odoo_counts bash scripts/test-odoo.sh
    run_suite e2e mocha_counts npm run --silent test:e2e
else
    SKIP="SKIPPED SUITES: odoo (scripts/test-odoo.sh) and e2e (test/e2e-real) — no Odoo 18 source tree at $ODOO_SRC (no odoo-bin). typecheck, lint and the sidecar suite ran.
To run them: \`scripts/stack.sh up\` clones Odoo 18 there (from ODOO_GIT_URL=$ODOO_GIT_URL), or set ODOO_SRC to an Odoo 18 tree."
    printf '\n%s\n' "$SKIP"
    SUMMARY+=("suite odoo: SKIPPED (no Odoo tree at $ODOO_SRC)" "suite e2e: SKIPPED (no Odoo tree at $ODOO_SRC)")
fi

printf '\n===== summary =====\n'
printf '%s\n' "${SUMMARY[@]}"
printf '%d passed, %d failed\n' "$passed" "$failed"
[[ $failed -eq 0 ]]
