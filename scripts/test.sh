#!/usr/bin/env bash
# The whole test suite on a fresh machine: dependencies, build, lint, unit and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
# System packages unit tests use, installed before vitest starts (as root): the embedded
# runtime's image tests run a static busybox. The end-to-end tests install what containerd
# needs themselves (scripts/containerd/setup.sh, through the same script).
bash scripts/ensure-system-packages.sh busybox-static
npx tsc -b
npx eslint .
npx vitest run "$@"
