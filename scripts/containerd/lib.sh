# Sourced by setup.sh and stop.sh: shared paths and helpers. Not an interface; use env.sh.
# shellcheck shell=bash disable=SC2034

KC_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KC_REPO="$(cd "$KC_HERE/../.." && pwd)"
# shellcheck source=env.sh
. "$KC_HERE/env.sh"

KC_DIR="$KERNELET_CONTAINERD_DIR"
KC_SOCK="$KERNELET_CONTAINERD_SOCKET"
KC_CONFIG="$KC_DIR/config.toml"
KC_PIDFILE="$KC_DIR/containerd.pid"
KC_LOG="$KC_DIR/containerd.log"
KC_CONFIG_STAMP="$KC_DIR/containerd.config-sha256" # sha256 of the config the running daemon read
KC_BRIDGE="kernelet0"

kc_log() { echo "kernelet-containerd: $*" >&2; }
kc_die() {
  kc_log "error: $*"
  exit 1
}

kc_require_root() {
  [ "$(id -u)" = 0 ] || kc_die "must run as root (containerd, runc and mounts need it); uid is $(id -u)"
}

# Serialises setup.sh and stop.sh runs on one directory. fd 9 must not leak into containerd (9>&-).
kc_lock() {
  mkdir -p "$KC_DIR"
  exec 9>"$KC_DIR/lock"
  flock -w 900 9 || kc_die "another setup/stop holds $KC_DIR/lock for more than 900 s"
}

kc_ctr() { ctr -a "$KC_SOCK" "$@"; }

# True when the daemon on our socket answers the version call.
kc_answering() {
  [ -S "$KC_SOCK" ] && command -v ctr >/dev/null 2>&1 && timeout 10 ctr -a "$KC_SOCK" --connect-timeout 2s version >/dev/null 2>&1
}

# True while a process runs. A zombie counts as gone: PID 1 on these VMs reaps orphans only
# every second or so, and a daemon started by an earlier setup.sh is PID 1's child.
kc_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# Prints the pid from the pid file if that process is a live containerd.
kc_daemon_pid() {
  local pid
  [ -f "$KC_PIDFILE" ] || return 1
  pid=$(cat "$KC_PIDFILE")
  [ -n "$pid" ] && kc_alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = containerd ] || return 1
  echo "$pid"
}

kc_now() { date +%s.%N; }
kc_since() { awk -v a="$1" -v b="$(kc_now)" 'BEGIN { printf "%.1f", b - a }'; }
