#!/usr/bin/env bash
# `npm start`: runs the agent on a fresh machine with its embedded defaults: kernelet's own CRI
# runtime (no containerRuntimeEndpoint configured) and the example static pods in
# examples/static-pods, then shows the pods running. Ctrl-C stops the agent; the pods and the
# embedded runtime keep running, as they would with a real kubelet and containerd.
#
# KERNELET_ROOT_DIR (default /tmp/kernelet) is the agent's --root-dir; extra arguments go to
# the agent (e.g. `npm start -- --v 2`).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
bash scripts/ensure-deps.sh
npx tsc -b

if [ "$(id -u)" != 0 ]; then
  echo "kernelet: the agent runs containers (cgroups, mounts): run npm start as root" >&2
  exit 1
fi

root=${KERNELET_ROOT_DIR:-/tmp/kernelet}
runtime_root="$root/kernelet/embedded-runtime"
port=${KERNELET_HEALTHZ_PORT:-10248}
mkdir -p "$root" "$runtime_root"

# The example pods use the test image localhost/kernelet-test/busybox:v1. Build it (busybox-static,
# no registry) and import it into the embedded runtime's store once, so the pods run in its root
# filesystem with their volumes; without it the runtime would run them on the host's root.
stamp="$runtime_root/.busybox-imported"
if [ ! -f "$stamp" ]; then
  if ! { [ -x /bin/busybox ] && readelf -l /bin/busybox 2>/dev/null | grep -vq 'program interpreter'; } && command -v apt-get >/dev/null; then
    echo "kernelet: installing busybox-static for the example image" >&2
    DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=600 update >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=600 -y --no-install-recommends install busybox-static binutils >/dev/null 2>&1 || true
  fi
  work=$(mktemp -d)
  if bash test/fixtures/images/busybox/rootfs.sh "$work/rootfs" "$work/cache" >&2 &&
    node scripts/containerd/build-oci-image.mjs --spec test/fixtures/images/busybox/image.json --rootfs "$work/rootfs" --out "$work/busybox.tar" >/dev/null &&
    node plugins/embedded-runtime/dist/main.js import "$work/busybox.tar" --root "$runtime_root" >/dev/null; then
    touch "$stamp"
    echo "kernelet: imported localhost/kernelet-test/busybox:v1 into the embedded runtime" >&2
  else
    echo "kernelet: could not build the example image; the embedded runtime runs the examples on the host root" >&2
  fi
  rm -rf "$work"
fi

cat >"$root/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: $repo/examples/static-pods
podLogsDir: $root/logs
fileCheckFrequency: 5s
healthzPort: $port
YAML

# The V8 flags of the kernelet bin (core/src/main.ts shebang).
node --optimize-for-size --max-opt=1 --v8-pool-size=1 --max-semi-space-size=1 core/dist/main.js --root-dir "$root" --config "$root/kubelet.yaml" "$@" &
agent=$!
trap 'kill -TERM $agent 2>/dev/null || true; wait $agent 2>/dev/null || true; exit 0' INT TERM

# Show the pods once they have started (or after a minute), then keep the agent in the foreground.
for _ in $(seq 1 600); do
  kill -0 $agent 2>/dev/null || { wait $agent; exit $?; }
  pods=$(curl -fsS "http://127.0.0.1:$port/pods" 2>/dev/null || true)
  if [ -n "$pods" ] && node -e '
      const items = JSON.parse(process.argv[1]).items;
      process.exit(items.length >= 5 && items.every((p) => (p.status?.phase ?? "Pending") !== "Pending") ? 0 : 1);' "$pods" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
{
  echo
  node core/dist/main.js pods --healthz-port "$port" || true
  echo
  echo "kernelet is running the pods of examples/static-pods on its embedded runtime:"
  echo "  kernelet pods:   node core/dist/main.js pods        (or curl -s localhost:$port/pods)"
  echo "  the node:        curl -s localhost:$port/node"
  echo "  container logs:  $root/logs/"
  echo "  add a pod:       drop a manifest into examples/static-pods/; delete it to stop the pod"
  echo "Ctrl-C stops the agent; the pods and the embedded runtime keep running"
  echo "(stop the runtime and its pods: kill \$(cat $runtime_root/embedded-runtime.pid))."
  echo
} >&2
wait $agent
