#!/usr/bin/env bash
# Keeps one program running: scripts/stack.sh starts the sidecar and Odoo under it.
#
#   scripts/lib/supervise.sh NAME -- COMMAND [ARG...]
#
# Runs COMMAND and starts it again whenever it exits, for whatever reason (a crash, an OOM kill, a stray
# `kill`): only a signal to the supervisor itself stops it. Each start and exit is a line on stdout, which
# stack.sh points at the program's log, so a restart shows next to the program's own last words.
#
# Pauses 1 s before a restart; after runs shorter than SUPERVISE_STABLE_S (60 s) in a row, 1, 2, 4, 8 s, and gives up
# at the fifth, so a program that keeps failing does not spin forever. A first run that ends within SUPERVISE_STARTUP_S (10 s) is a start-up failure, not a crash: no
# restart; the supervisor exits with the program's status, and `stack.sh up`, which watches the supervisor's pid,
# reports it with the log at once.
#
# SIGTERM or SIGINT: passes SIGTERM to the program, waits for it, exits 0, no restart. Started under `setsid` the
# supervisor leads a process group holding the program and its children, and `stack.sh stop` signals that group.
set -uo pipefail

name="${1:?usage: supervise.sh NAME -- COMMAND [ARG...]}"
shift
[[ "${1:-}" == -- ]] && shift
(($#)) || { echo "usage: supervise.sh NAME -- COMMAND [ARG...]" >&2; exit 2; }

STARTUP_S="${SUPERVISE_STARTUP_S:-10}"
STABLE_S="${SUPERVISE_STABLE_S:-60}"
MAX_SHORT_RUNS=5

say() { printf '%s supervise.sh[%d] %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$$" "$name" "$*"; }

stopping=0
child=""
on_stop() {
    stopping=1
    [[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null
}
trap on_stop TERM INT

# How a child's exit reads: "status N", or "SIGNAME, status N" for 128+N (a shell's way of saying a signal ended it).
describe() {
    if (($1 > 128)) && kill -l "$(($1 - 128))" >/dev/null 2>&1; then echo "SIG$(kill -l "$(($1 - 128))"), status $1"
    else echo "status $1"; fi
}

runs=0
short_runs=0
while :; do
    started=$SECONDS
    "$@" </dev/null &
    child=$!
    runs=$((runs + 1))
    if ((runs == 1)); then say "started (pid $child): $*"; else say "restarted (pid $child, restart $((runs - 1)))"; fi
    # `wait` returns early when a trapped signal arrives; wait again until the child is really gone. (2>/dev/null:
    # bash's own "Killed" notice; the exit line below says it.)
    wait "$child" 2>/dev/null; status=$?
    while kill -0 "$child" 2>/dev/null; do wait "$child" 2>/dev/null; status=$?; done
    child=""
    ran=$((SECONDS - started))
    if ((stopping)); then say "stopped ($(describe "$status"))"; exit 0; fi
    if ((runs == 1 && ran < STARTUP_S)); then
        say "exited ($(describe "$status")) ${ran}s after starting: a start-up failure, not restarting"
        exit "$status"
    fi
    if ((ran < STABLE_S)); then short_runs=$((short_runs + 1)); else short_runs=0; fi
    if ((short_runs >= MAX_SHORT_RUNS)); then
        say "exited ($(describe "$status")) after ${ran}s, the ${short_runs}th run in a row shorter than ${STABLE_S}s: giving up"
        exit "$status"
    fi
    pause=$((short_runs > 1 ? 1 << (short_runs - 1) : 1))
    say "exited ($(describe "$status")) after ${ran}s; restarting in ${pause}s"
    sleep "$pause" &
    child=$!
    wait "$child" # a trapped signal interrupts this wait, not a foreground sleep (and on_stop ends the sleep)
    child=""
    if ((stopping)); then say "stopped while waiting to restart"; exit 0; fi
done
