#!/usr/bin/env bash
# Installs the Debian packages named as arguments that are not installed yet, with apt-get,
# non-interactively. Silent when all are there. Not root, or no apt-get: says which are missing
# and exits 0, so the tests that need them skip themselves and say why. A failed install exits 1.
#
#   scripts/ensure-system-packages.sh busybox-static gcc
#
# KERNELET_APT_LOG: where apt's output goes (default: a file in $TMPDIR). Package lists fresher
# than an hour are not fetched again, so several callers in one run update them once.
set -euo pipefail

log() { echo "kernelet: $*" >&2; }

missing=()
for pkg in "$@"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  log "system packages missing: ${missing[*]} (install them as root with apt-get; the tests that need them are skipped)"
  exit 0
fi

apt_log="${KERNELET_APT_LOG:-${TMPDIR:-/tmp}/kernelet-apt.log}"
mkdir -p "$(dirname "$apt_log")"
: >"$apt_log"
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-qq -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
lists_fresh() { [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 -print -quit 2>/dev/null)" ]; }
update() { apt-get "${apt_opts[@]}" update >>"$apt_log" 2>&1 || log "apt-get update failed; trying the install with the lists at hand"; }
install() { apt-get "${apt_opts[@]}" -y --no-install-recommends install "${missing[@]}" >>"$apt_log" 2>&1 </dev/null; }

started=$(date +%s)
log "installing ${missing[*]} from Debian's packages"
lists_fresh || update
if ! install; then
  # Lists an hour old may name versions the mirror no longer has: fetch them and try again.
  update
  if ! install; then
    tail -n 30 "$apt_log" >&2
    log "error: apt-get install ${missing[*]} failed; log: $apt_log"
    exit 1
  fi
fi
log "installed ${missing[*]} in $(($(date +%s) - started)) s"
