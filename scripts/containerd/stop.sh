#!/usr/bin/env bash
# Stops kernelet's private containerd and everything it runs, leaving no shim, mount, network
# namespace or pod address behind. Pods first (every task and container in every namespace,
# k8s.io included), then the daemon, then whatever a crash left. Safe to run when nothing runs.
# Images and the content store stay (under root/), so the next setup.sh is warm.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

kc_require_root
kc_lock
t_start=$(kc_now)

# ---- 1. pods, through containerd while it answers ---------------------------------------------------
if kc_answering; then
  for ns in $(kc_ctr namespaces ls -q); do
    # `tasks delete -f` kills every process of a task (SIGKILL), waits for the exit and deletes it.
    # In k8s.io the CRI plugin reacts to the same exits and deletes some tasks itself, so a
    # "not found" is success; what counts is that none is left after a few rounds.
    stopped=0
    for round in 1 2 3 4 5; do
      tasks=$(kc_ctr -n "$ns" tasks ls -q)
      [ -n "$tasks" ] || break
      [ "$round" = 1 ] && stopped=$(wc -w <<<"$tasks")
      for id in $tasks; do kc_ctr -n "$ns" tasks delete -f "$id" >/dev/null 2>&1 || true; done
      sleep 0.1
    done
    left=$(kc_ctr -n "$ns" tasks ls -q)
    if [ -n "$left" ]; then kc_log "tasks still there in namespace $ns: $left"; fi
    for id in $(kc_ctr -n "$ns" containers ls -q); do
      kc_ctr -n "$ns" containers delete "$id" >/dev/null 2>&1 || kc_log "could not delete container $ns/$id"
    done
    if [ "$stopped" != 0 ]; then kc_log "stopped $stopped task(s) in namespace $ns"; fi
  done
fi

# ---- 2. the daemon ----------------------------------------------------------------------------------
if pid=$(kc_daemon_pid); then
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do kc_alive "$pid" || break; sleep 0.05; done
  if kc_alive "$pid"; then
    kc_log "containerd (pid $pid) ignored SIGTERM for 10 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  kc_log "containerd (pid $pid) stopped"
elif kc_answering; then
  kc_log "a containerd not started by setup.sh answers on $KC_SOCK; leaving it running"
  exit 0
fi

# ---- 3. leftovers of a crash or a kill: shims of our socket and their processes -------------------
kill_tree() { # children first, so no container process outlives its shim
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
  kill -KILL "$1" 2>/dev/null || true
}
shims=()
for pid in $(pgrep -f -- containerd-shim || true); do
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "-address $KC_SOCK " && shims+=("$pid")
done
if [ "${#shims[@]}" -gt 0 ]; then
  kc_log "killing ${#shims[@]} leftover shim(s) and their processes: ${shims[*]}"
  for s in "${shims[@]}"; do kill_tree "$s"; done
  sleep 0.2
fi

# ---- 4. mounts under our directory (rootfs overlays, sandbox shm, netns) and pod network ----------
mapfile -t mounts < <(awk -v d="$KC_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
for m in "${mounts[@]}"; do
  m=$(printf '%b' "$m") # mountinfo escapes spaces as \040
  umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || kc_log "could not unmount $m"
done
if [ "${#mounts[@]}" -gt 0 ]; then kc_log "unmounted ${#mounts[@]} leftover mount(s) under $KC_DIR"; fi

# Pod network namespaces live under state/ (netns_mounts_under_state_dir), so the loop above
# unmounted them; the pods' addresses are in our private IPAM directory, and the bridge is ours.
rm -rf "$KC_DIR/cni/ipam"
if ip link show "$KC_BRIDGE" >/dev/null 2>&1; then ip link delete "$KC_BRIDGE" || kc_log "could not delete bridge $KC_BRIDGE"; fi

# State is per run: the next start begins clean. The content store and images under root/ stay.
rm -rf "$KC_DIR/state" "$KC_DIR/runc"
rm -f "$KC_SOCK" "$KC_SOCK.ttrpc" "$KC_PIDFILE" "$KC_CONFIG_STAMP"
kc_log "stopped in $(kc_since "$t_start") s"
