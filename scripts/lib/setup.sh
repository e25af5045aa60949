# What a fresh machine needs before the project runs, sourced by scripts/stack.sh, scripts/test.sh,
# scripts/test-odoo.sh and scripts/screenshots.sh: the Debian packages (scripts/debian-packages.txt, the only
# list), the npm dependencies, and an Odoo 18 source tree. Each ensure_* function says what it does and either
# does it or stops with what a person has to do instead.
#
# Settings (environment): ODOO_SRC (an Odoo 18 tree; when unset /opt/odoo, else the cache folder below),
# ODOO_GIT_URL (https://github.com/odoo/odoo.git), ODOO_GIT_REF (18.0: a branch or tag), XDG_CACHE_HOME.

source "$(dirname "${BASH_SOURCE[0]}")/output.sh"

SETUP_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEBIAN_PACKAGES_FILE="$SETUP_REPO/scripts/debian-packages.txt"
ODOO_GIT_URL="${ODOO_GIT_URL:-https://github.com/odoo/odoo.git}"
ODOO_GIT_REF="${ODOO_GIT_REF:-18.0}"

# ---- Debian packages ----------------------------------------------------------------------------------------
# The packages of the given groups of scripts/debian-packages.txt, one a line.
debian_packages() { # group...
    local groups=" $* "
    awk -v groups="$groups" '!/^[[:space:]]*(#|$)/ && index(groups, " " $1 " ") { print $2 }' "$DEBIAN_PACKAGES_FILE"
}

# Those of the given packages dpkg does not have installed, one a line (one dpkg-query for all: fast enough to
# run on every `up`).
debian_missing() { # package...
    local installed
    installed="$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null | awk 'substr($1, 2, 1) == "i" { print $2 }')"
    local p
    for p in "$@"; do grep -qxF -- "$p" <<<"$installed" || echo "$p"; done
}

# Installs the missing packages of the given groups with apt-get (as root), or stops with the exact line to run.
ensure_debian_packages() { # group...
    local wanted missing log
    mapfile -t wanted < <(debian_packages "$@")
    ((${#wanted[@]})) || die "no packages in groups '$*' of $DEBIAN_PACKAGES_FILE"
    if ! command -v dpkg-query >/dev/null; then
        info "Not a Debian system (no dpkg-query): cannot check the packages; install the equivalents of: ${wanted[*]}"
        return 0
    fi
    mapfile -t missing < <(debian_missing "${wanted[@]}")
    if ((${#missing[@]} == 0)); then
        info "Debian packages: all ${#wanted[@]} present (groups: $*)"
        return 0
    fi
    if [[ $EUID -ne 0 ]]; then
        die "missing Debian packages (${#missing[@]}): ${missing[*]}
    Not root, so not installing them. Run:
    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
    fi
    step "Installing ${#missing[@]} missing Debian packages (apt-get, --no-install-recommends): ${missing[*]}"
    log="$(mktemp "${TMPDIR:-/tmp}/llm-mcp-apt.XXXXXX")"
    if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
        tail -n 25 "$log" >&2
        die "apt-get could not install ${missing[*]} (full output: $log)"
    fi
    rm -f "$log"
    mapfile -t missing < <(debian_missing "${wanted[@]}")
    ((${#missing[@]} == 0)) || die "still missing after apt-get: ${missing[*]}"
    info "Installed."
}

# ---- npm dependencies ---------------------------------------------------------------------------------------
# `npm ci` when node_modules is missing or older than package-lock.json. npm writes node_modules/.package-lock.json
# on every install, so its time is the install's; a pull that changes the lock file makes it the older one.
ensure_node_modules() {
    local marker="$SETUP_REPO/node_modules/.package-lock.json" why
    command -v npm >/dev/null || die "npm not found: install Node.js 20 or later (with npm)"
    if [[ ! -f "$marker" ]]; then why="node_modules missing"
    elif [[ "$SETUP_REPO/package-lock.json" -nt "$marker" ]]; then why="package-lock.json is newer than node_modules"
    else
        info "node_modules: up to date with package-lock.json"
        return 0
    fi
    step "npm ci ($why)"
    (cd "$SETUP_REPO" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed (see its output above)"
}

# ---- the Odoo 18 source tree --------------------------------------------------------------------------------
odoo_tree_ok() { [[ -f "$1/odoo-bin" && -d "$1/odoo/addons/base" ]]; }

# Where a tree is fetched when neither ODOO_SRC nor /opt/odoo gives one: a cache folder per branch or tag.
odoo_cache_dir() { echo "${XDG_CACHE_HOME:-$HOME/.cache}/llm_mcp_server/odoo-${ODOO_GIT_REF//\//_}"; }

# The Odoo tree to use: ODOO_SRC when set (even if it holds none yet), else /opt/odoo when it holds one (the
# conventional place of a source install), else the cache folder.
odoo_src_default() {
    if [[ -n "${ODOO_SRC:-}" ]]; then echo "$ODOO_SRC"
    elif odoo_tree_ok /opt/odoo; then echo /opt/odoo
    else odoo_cache_dir
    fi
}

# Makes sure DEST holds an Odoo tree: keeps one that is there; clones ODOO_GIT_REF of ODOO_GIT_URL into a missing
# or empty folder; refuses to write into a folder that holds something else.
ensure_odoo_src() { # dest
    local dest="${1%/}"
    if odoo_tree_ok "$dest"; then
        info "Odoo source: $dest"
        return 0
    fi
    if [[ -e "$dest" && ! -d "$dest" ]] || [[ -d "$dest" && -n "$(ls -A "$dest" 2>/dev/null)" ]]; then
        die "$dest holds no Odoo 18 tree (no odoo-bin, odoo/addons/base) and is not empty, so it is left alone.
    Point ODOO_SRC at an Odoo 18 tree, or at a missing or empty folder to have Odoo $ODOO_GIT_REF cloned there."
    fi
    clone_odoo "$dest"
}

# A shallow clone (one commit, about 1 GB checked out) into a hidden sibling, renamed into place when complete, so
# an interrupted clone never looks like a tree.
clone_odoo() { # dest
    local dest="$1" url="$ODOO_GIT_URL" partial err progress=--quiet
    # git clones a plain path with hard links and ignores --depth (it says so); a file:// URL gets a real shallow clone.
    if [[ "$url" != *://* && -d "$url" ]]; then url="file://$(cd "$url" && pwd)"; fi
    step "No Odoo tree at $dest: cloning Odoo $ODOO_GIT_REF from $url (shallow, about 1 GB on disk)"
    ensure_debian_packages fetch
    [[ -t 2 ]] && progress=--progress # git's progress on a terminal; in a log, thousands of \r-joined updates
    err="$(mktemp "${TMPDIR:-/tmp}/llm-mcp-git.XXXXXX")"
    # Ask first, with a time limit: an unreachable host then fails in seconds with git's reason, not mid-clone.
    local rc=0
    GIT_TERMINAL_PROMPT=0 timeout 60 git ls-remote --exit-code "$url" "refs/heads/$ODOO_GIT_REF" "refs/tags/$ODOO_GIT_REF" \
        >/dev/null 2>"$err" || rc=$?
    if ((rc == 2)); then
        rm -f "$err"; die "$url has no branch or tag '$ODOO_GIT_REF' (set ODOO_GIT_REF, or ODOO_GIT_URL to a repository that has it)"
    elif ((rc != 0)); then
        local why # git's own reason: its "fatal:" line (what follows is advice)
        why="$(grep -m1 '^fatal:' "$err" || grep -v '^\s*$' "$err" | tail -n 1)"; rm -f "$err"
        [[ $rc -eq 124 ]] && why="no answer within 60 s"
        die "cannot reach $url to fetch Odoo's source: ${why:-git ls-remote exited $rc}
    This machine may not reach it. Set ODOO_GIT_URL to a mirror it can reach (a URL or a local path to a git
    repository with branch $ODOO_GIT_REF), or ODOO_SRC to an Odoo 18 tree you already have."
    fi
    rm -f "$err"
    partial="$(dirname "$dest")/.$(basename "$dest").clone-in-progress"
    mkdir -p "$(dirname "$dest")" || die "cannot create $(dirname "$dest")"
    rm -rf -- "$partial"
    # low-speed limits: a stalled HTTP transfer ends after a minute instead of hanging the start.
    GIT_TERMINAL_PROMPT=0 git -c advice.detachedHead=false -c http.lowSpeedLimit=1000 -c http.lowSpeedTime=60 \
        clone "$progress" --depth 1 --branch "$ODOO_GIT_REF" --single-branch --no-tags "$url" "$partial" \
        || { rm -rf -- "$partial"; die "git clone of $url ($ODOO_GIT_REF) failed (see git's message above)"; }
    odoo_tree_ok "$partial" \
        || { rm -rf -- "$partial"; die "$url ($ODOO_GIT_REF) is not an Odoo source tree (no odoo-bin, odoo/addons/base)"; }
    if [[ -d "$dest" ]]; then rmdir -- "$dest" || die "cannot replace the empty folder $dest"; fi
    mv -- "$partial" "$dest"
    info "Odoo $ODOO_GIT_REF at $dest (commit $(git -C "$dest" rev-parse --short HEAD))"
}
