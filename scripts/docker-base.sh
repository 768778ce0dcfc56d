#!/usr/bin/env bash
# Build a base image for Dockerfile.test without any image registry: Debian bookworm made by
# debootstrap (minbase, from the machine's Debian mirror) plus this machine's Node 20 (the files
# of its installed `nodejs` package), imported with `docker import`. Usage, as root:
#   DOCKER_HOST=unix:///tmp/ovlkit-docker/sock bash scripts/docker-base.sh [TAG]
set -euo pipefail
TAG=${1:-ovlkit-base:bookworm-node20}
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
node -v | grep -q '^v20\.' || { echo "docker-base: needs Node 20 on this machine (have $(node -v))" >&2; exit 1; }
work=$(mktemp -d /tmp/ovlkit-base-XXXXXX)
trap 'rm -rf "$work"' EXIT
debootstrap --variant=minbase bookworm "$work/rootfs" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
# Node as installed here: the nodejs package's files, and npm/corepack as they are now (npm may
# have been upgraded in place, so its tree is taken whole rather than from the package list).
{
  dpkg -L nodejs | while read -r f; do if [ -f "$f" ] || [ -L "$f" ]; then echo "${f#/}"; fi; done
  (cd / && find usr/lib/node_modules/npm usr/lib/node_modules/corepack \( -type f -o -type l \) 2>/dev/null)
} | (cd / && sort -u | tar --no-recursion -cf - -T -) | tar -C "$work/rootfs" -xf -
tar -C "$work/rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' - "$TAG"
echo "docker-base: imported $TAG"
