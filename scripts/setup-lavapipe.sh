#!/usr/bin/env bash
# Installs lavapipe (Mesa's software Vulkan driver) so Dawn finds an adapter ("llvmpipe") on machines without a
# GPU: CI runs the webgpu tests on it. Bookworm's own Mesa (22.3) is too old for Dawn; bookworm-backports works.
# Idempotent; run as root. At test time XDG_RUNTIME_DIR must be set (e.g. XDG_RUNTIME_DIR=/tmp).
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-lavapipe.sh: run as root (it installs packages with apt-get)" >&2
  exit 1
fi

list=/etc/apt/sources.list.d/backports.list
line='deb http://deb.debian.org/debian bookworm-backports main'
if ! grep -qsF "$line" "$list"; then
  echo "$line" >> "$list"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1

echo "lavapipe installed; run tests with XDG_RUNTIME_DIR=\${XDG_RUNTIME_DIR:-/tmp}"
