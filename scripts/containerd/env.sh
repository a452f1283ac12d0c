# shellcheck shell=bash
# Sourced (`. scripts/containerd/env.sh`): the names and paths of kernelet's private containerd, as
# setup.sh and stop.sh use them. Only KERNELET_CONTAINERD_DIR (and the optional knobs below) may be
# set beforehand; everything else is derived from it.
#
#   KERNELET_CONTAINERD_DIR       everything of this containerd: config, socket, root, state, log
#                                 (default /var/lib/kernelet-test/containerd)
#   KERNELET_CONTAINERD_SOCKET    the gRPC socket path (CRI and containerd API)
#   KERNELET_CONTAINERD_ENDPOINT  the same as a CRI endpoint: unix:///.../containerd.sock
#   KERNELET_PAUSE_IMAGE          the sandbox image every pod uses
#   KERNELET_TEST_IMAGE           the busybox image the tests run
#   CONTAINERD_ADDRESS, CONTAINERD_NAMESPACE   so that a bare `ctr` talks to this instance, namespace k8s.io
# Knobs: KERNELET_CONTAINERD_CNI=0 (no pod network config), KERNELET_CONTAINERD_POD_CIDR (10.250.0.0/24),
#        KERNELET_CNI_BIN_DIR (/usr/lib/cni).

export KERNELET_CONTAINERD_DIR="${KERNELET_CONTAINERD_DIR:-/var/lib/kernelet-test/containerd}"
export KERNELET_CONTAINERD_SOCKET="$KERNELET_CONTAINERD_DIR/containerd.sock"
export KERNELET_CONTAINERD_ENDPOINT="unix://$KERNELET_CONTAINERD_SOCKET"
export KERNELET_PAUSE_IMAGE="localhost/kernelet/pause:3.10"
export KERNELET_TEST_IMAGE="localhost/kernelet-test/busybox:v1"
export CONTAINERD_ADDRESS="$KERNELET_CONTAINERD_SOCKET"
export CONTAINERD_NAMESPACE="k8s.io"
