# The scripts' output, one style for all: "==> a step", "    a detail", and "<script>: ERROR: why" on stderr.
# Sourced by scripts/lib/setup.sh and scripts/lib/postgres.sh (and so by every script that uses them).

step() { printf '==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf '%s: ERROR: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }
# Print the last lines of a log to stderr, to explain a failure.
tail_log() { [[ -f "$1" ]] && { printf -- '---- last lines of %s ----\n' "$1" >&2; tail -n "${2:-25}" "$1" >&2; }; return 0; }
