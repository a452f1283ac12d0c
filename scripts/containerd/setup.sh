#!/usr/bin/env bash
# Installs, configures and starts kernelet's private containerd, with the project's own images
# imported, for the end-to-end suite and for debugging. Idempotent: a second run checks everything
# and changes nothing. Runs as root, non-interactive; progress goes to stderr and the last stdout
# line is the CRI endpoint (unix:///.../containerd.sock). See README.md beside this file.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

kc_require_root
kc_lock
t_start=$(kc_now)

CNI_ENABLED="${KERNELET_CONTAINERD_CNI:-1}"
CNI_BIN_DIR="${KERNELET_CNI_BIN_DIR:-/usr/lib/cni}"
POD_CIDR="${KERNELET_CONTAINERD_POD_CIDR:-10.250.0.0/24}"

# ---- 1. packages ----------------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || kc_die "node is needed to build the images (scripts/containerd/build-oci-image.mjs)"
pkg_installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
missing=()
for cmd in containerd ctr containerd-shim-runc-v2; do
  command -v "$cmd" >/dev/null 2>&1 || { missing+=(containerd); break; }
done
command -v runc >/dev/null 2>&1 || missing+=(runc)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v pgrep >/dev/null 2>&1 || missing+=(procps)
# The busybox image wants a static busybox; the pause image a static libc (libc6-dev has libc.a).
pkg_installed busybox-static || missing+=(busybox-static)
command -v gcc >/dev/null 2>&1 && command -v readelf >/dev/null 2>&1 || missing+=(gcc)
command -v gcc >/dev/null 2>&1 && [ -f "$(gcc -print-file-name=libc.a)" ] || missing+=(libc6-dev)
if [ "$CNI_ENABLED" = 1 ]; then
  for p in bridge host-local loopback; do
    [ -x "$CNI_BIN_DIR/$p" ] || { missing+=(containernetworking-plugins); break; }
  done
fi
if [ "${#missing[@]}" -gt 0 ]; then
  mkdir -p "$KC_DIR"
  KERNELET_APT_LOG="$KC_DIR/apt.log" bash "$KC_REPO/scripts/ensure-system-packages.sh" "${missing[@]}" ||
    kc_die "cannot install ${missing[*]}; log: $KC_DIR/apt.log"
fi

# ---- 2. configuration -----------------------------------------------------------------------------
mkdir -p "$KC_DIR"/{root,state,runc,cni/net.d,cni/ipam,images}
cni_conf="$KC_DIR/cni/net.d/10-kernelet.conflist"
if [ "$CNI_ENABLED" = 1 ]; then
  # Bridge + host-local with a private IPAM dir; containerd's CRI adds the loopback plugin itself.
  # No ipMasq: pods reach each other and the node, nothing beyond. isGateway gives the node an
  # address on the bridge so it reaches pod IPs (probes), and makes the plugin turn on
  # net.ipv4.ip_forward.
  cat >"$cni_conf.tmp" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "kernelet",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$KC_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_CIDR" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$KC_DIR/cni/ipam"
      }
    }
  ]
}
EOF
  mv "$cni_conf.tmp" "$cni_conf"
else
  rm -f "$cni_conf"
fi

cat >"$KC_CONFIG.new" <<EOF
# Written by scripts/containerd/setup.sh; edits are overwritten.
version = 2
root = "$KC_DIR/root"
state = "$KC_DIR/state"
oom_score = 0
disabled_plugins = [
  "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
]

[grpc]
  address = "$KC_SOCK"
  uid = 0
  gid = 0

[ttrpc]
  address = "$KC_SOCK.ttrpc"

[debug]
  level = "info"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$KERNELET_PAUSE_IMAGE"
  # Root here lacks CAP_SYS_RESOURCE: without this every RunPodSandbox fails in runc.
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  max_container_log_line_size = 16384
  # Pod network namespaces under state/, not /run/netns: stop.sh then finds every one of them.
  netns_mounts_under_state_dir = true

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$KC_DIR/runc"

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$KC_DIR/cni/net.d"
    max_conf_num = 1
EOF
if ! cmp -s "$KC_CONFIG.new" "$KC_CONFIG"; then
  mv "$KC_CONFIG.new" "$KC_CONFIG"
  kc_log "wrote $KC_CONFIG"
else
  rm -f "$KC_CONFIG.new"
fi
config_sha=$(sha256sum "$KC_CONFIG" | cut -d' ' -f1)

# ---- 3. the daemon --------------------------------------------------------------------------------
if pid=$(kc_daemon_pid) && [ "$(cat "$KC_CONFIG_STAMP" 2>/dev/null)" != "$config_sha" ]; then
  kc_log "containerd (pid $pid) runs with an older config; restarting it (its pods are stopped)"
  exec 9>&- # stop.sh takes the lock itself
  bash "$KC_HERE/stop.sh" >&2
  kc_lock
fi

wait_answering() { # $1 = seconds; $2 = pid that must stay alive (optional)
  local i
  for ((i = 0; i < $1 * 20; i++)); do
    kc_answering && return 0
    if [ -n "${2:-}" ] && ! kc_alive "$2"; then return 1; fi
    sleep 0.05
  done
  return 1
}

if kc_answering; then
  if pid=$(kc_daemon_pid); then
    kc_log "containerd already running (pid $pid) on $KC_SOCK"
  else
    kc_log "a containerd not started by this script answers on $KC_SOCK; using it as is"
  fi
else
  if pid=$(kc_daemon_pid) && wait_answering 30 "$pid"; then
    kc_log "containerd (pid $pid) answered after a wait"
  else
    if pid=$(kc_daemon_pid); then
      kc_log "containerd (pid $pid) does not answer on $KC_SOCK; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$KC_SOCK" "$KC_SOCK.ttrpc" "$KC_PIDFILE"
    t=$(kc_now)
    # Keep the log of the last runs, but bounded.
    if [ -f "$KC_LOG" ] && [ "$(stat -c %s "$KC_LOG")" -gt 10485760 ]; then mv -f "$KC_LOG" "$KC_LOG.1"; fi
    echo "---- $(date -u +%FT%TZ) started by scripts/containerd/setup.sh" >>"$KC_LOG"
    # New session, no inherited stdio or lock: the caller (a test runner's pipe) must not wait on it.
    setsid containerd --config "$KC_CONFIG" </dev/null >>"$KC_LOG" 2>&1 9>&- &
    pid=$!
    echo "$pid" >"$KC_PIDFILE"
    echo "$config_sha" >"$KC_CONFIG_STAMP"
    if ! wait_answering 30 "$pid"; then
      tail -n 30 "$KC_LOG" >&2 || true
      kc_die "containerd (pid $pid) did not answer on $KC_SOCK within 30 s; log: $KC_LOG"
    fi
    kc_log "containerd started (pid $pid) and answered in $(kc_since "$t") s"
  fi
fi

# ---- 4. images ------------------------------------------------------------------------------------
# Built every run (cheap, deterministic); imported only when the store lacks that manifest digest.
: >"$KC_DIR/images.txt.tmp"
for spec in "$KC_REPO"/test/fixtures/images/*/image.json; do
  src=$(dirname "$spec")
  name=$(basename "$src")
  work="$KC_DIR/images/$name"
  rm -rf "$work/rootfs"
  mkdir -p "$work/rootfs"
  bash "$src/rootfs.sh" "$work/rootfs" "$KC_DIR/images/.cache" >&2 || kc_die "building the rootfs of image $name failed"
  built=$(node "$KC_HERE/build-oci-image.mjs" --spec "$spec" --rootfs "$work/rootfs" --out "$work/image.tar") ||
    kc_die "building image $name failed"
  ref=$(sed -n 's/.*"reference":"\([^"]*\)".*/\1/p' <<<"$built")
  digest=$(sed -n 's/.*"manifestDigest":"\([^"]*\)".*/\1/p' <<<"$built")
  if [ -z "$ref" ] || [ -z "$digest" ]; then kc_die "image builder output not understood: $built"; fi
  have=$(kc_ctr -n k8s.io images ls "name==$ref" | awk 'NR > 1 { print $3 }')
  if [ "$have" = "$digest" ]; then
    kc_log "image $ref $digest present"
  else
    t=$(kc_now)
    kc_ctr -n k8s.io images import --snapshotter overlayfs "$work/image.tar" >&2 || kc_die "importing $ref failed"
    have=$(kc_ctr -n k8s.io images ls "name==$ref" | awk 'NR > 1 { print $3 }')
    [ "$have" = "$digest" ] || kc_die "after import, $ref is ${have:-missing}, want $digest"
    kc_log "image $ref $digest imported in $(kc_since "$t") s"
  fi
  echo "$ref $digest" >>"$KC_DIR/images.txt.tmp"
done
mv "$KC_DIR/images.txt.tmp" "$KC_DIR/images.txt"

kc_log "ready in $(kc_since "$t_start") s; . scripts/containerd/env.sh to use it"
echo "$KERNELET_CONTAINERD_ENDPOINT"
