#!/usr/bin/env bash
# Build a base image for Dockerfile.test without any image registry: Debian bookworm made by
# mmdebstrap (minbase plus the run-time packages of Dockerfile.test's `deps` stage, its
# RUNTIME_PACKAGES, in one apt resolution, so that stage installs nothing) plus this machine's
# Node 20 (the files of its installed `nodejs` package) and CA trust, imported with `docker
# import`. Usage, as root:
#   DOCKER_HOST=unix:///tmp/ovlkit-docker/sock bash scripts/docker-base.sh [TAG]
# Debian's client (/usr/bin/docker, matching dockerd 20.10) unless DOCKER names another.
# mmdebstrap, not debootstrap: the same packages took 149 s with debootstrap, 75 s with
# mmdebstrap (docs/testing.md, "Container step (2026-12-03)").
set -euo pipefail
TAG=${1:-ovlkit-base:bookworm-node20}
command -v mmdebstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends mmdebstrap; }
node -v | grep -q '^v20\.' || { echo "docker-base: needs Node 20 on this machine (have $(node -v))" >&2; exit 1; }
work=$(mktemp -d -t ovlkit-base-XXXXXX)
trap 'rm -rf "$work"' EXIT
packages=$(sed -nE 's/^ARG RUNTIME_PACKAGES="([^"]+)"$/\1/p' "$(dirname "$0")/../Dockerfile.test")
[ -n "$packages" ] || { echo "docker-base: no ARG RUNTIME_PACKAGES=\"…\" line in Dockerfile.test" >&2; exit 1; }
# No mirror named: mmdebstrap takes bookworm, bookworm-updates and bookworm-security from
# deb.debian.org, as the host's own sources.
mmdebstrap --mode=root --variant=minbase --include="${packages// /,}" bookworm "$work/rootfs" \
  >"$work/mmdebstrap.log" 2>&1 || { tail -20 "$work/mmdebstrap.log" >&2; exit 1; }
# Node as installed here: the nodejs package's files, and npm/corepack as they are now (npm may
# have been upgraded in place, so its tree is taken whole rather than from the package list).
{
  dpkg -L nodejs | while read -r f; do if [ -f "$f" ] || [ -L "$f" ]; then echo "${f#/}"; fi; done
  (cd / && find usr/lib/node_modules/npm usr/lib/node_modules/corepack \( -type f -o -type l \) 2>/dev/null)
} | (cd / && sort -u | tar --no-recursion -cf - -T -) | tar -C "$work/rootfs" -xf -
# This machine's CA trust (local CAs and the bundle), so apt and npm inside reach what it reaches.
if [ -d /usr/local/share/ca-certificates ]; then cp -a /usr/local/share/ca-certificates/. "$work/rootfs/usr/local/share/ca-certificates/"; fi
mkdir -p "$work/rootfs/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$work/rootfs/etc/ssl/certs/"
tar -C "$work/rootfs" -c . | "${DOCKER:-/usr/bin/docker}" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' - "$TAG"
echo "docker-base: imported $TAG"
