#!/usr/bin/env bash
# Everything a fresh Debian 12 machine (as root) needs for ovlkit: system packages, then the npm
# dependencies (whose postinstall patches and rebuilds fuse-native and builds dist/).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  libfuse2 libfuse-dev          # fuse-native loads libfuse.so.2; its addon is rebuilt against the headers
  fuse-overlayfs                # the reference FUSE overlay (ovl-check --target exec, benchmarks)
  attr                          # getfattr/setfattr, used by reproduction scripts
  acl squashfs-tools            # setfacl/getfacl and a squashfs lower for the POSIX ACL tests
  jdupes rdfind xxhash          # dedup benchmark anchors
  docker.io busybox-static      # real Docker data roots for ovl-dedup's tests
  mmdebstrap                    # the offline base of CI's container (scripts/docker-base.sh)
  build-essential python3 patch # node-gyp; patch applies the fuse-native fixes at npm ci
  git                           # the client workload of the benchmark (git add, status, fsck)
  chromium                      # headless rendering checks of the --html reports
  strace                        # tests that see syscalls only a tracer sees (copy-up's fsync)
  xfsprogs                      # an XFS with reflinks: a copy-up clones there, reading nothing
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
npm ci --no-audit --no-fund
