#!/usr/bin/env bash
# Build and run Dockerfile.test for real on this machine, with a private dockerd that never
# touches the host's /var/lib/docker, and no image registry: the base image is imported by
# scripts/docker-base.sh. The daemon is stopped on exit. Reports land in ./reports.
#   bash scripts/docker-test.sh [docker run args…]     e.g. -e OVL_CHECK_ARGS="--suite basic --runs 5"
set -euo pipefail
cd "$(dirname "$0")/.."
X=${OVLKIT_DOCKER_DIR:-/tmp/ovlkit-docker}
BASE_TAG=ovlkit-base:bookworm-node20
mkdir -p "$X" reports
export DOCKER_HOST="unix://$X/sock"
started=""
if ! docker info >/dev/null 2>&1; then
  dockerd --iptables=false --ip6tables=false --bridge=none --data-root "$X/data" --exec-root "$X/exec" \
    --pidfile "$X/pid" --host "$DOCKER_HOST" --storage-driver overlay2 >"$X/dockerd.log" 2>&1 &
  started=$!
  # dockerd leaves its netns mount behind on exit; nothing of it may outlive the script.
  stop() {
    kill "$started" 2>/dev/null
    wait "$started" 2>/dev/null || true
    grep -o " $X/[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  }
  trap stop EXIT
  for _ in $(seq 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
  docker info >/dev/null 2>&1 || { echo "docker-test: dockerd did not start, see $X/dockerd.log" >&2; exit 1; }
fi
docker image inspect "$BASE_TAG" >/dev/null 2>&1 || bash scripts/docker-base.sh "$BASE_TAG"
DOCKER_BUILDKIT=0 docker build --network host -f Dockerfile.test --build-arg BASE="$BASE_TAG" -t ovlkit-test .
# --privileged asks for every capability; where this machine's bounding set lacks one (as on the
# team machines: no CAP_SYS_RESOURCE) runc refuses it, so ask for the same rights one by one.
if grep -q '^CapBnd:[[:space:]]*000001ffffffffff$' /proc/self/status; then
  rights=(--privileged)
else
  rights=(--cap-add ALL --cap-drop SYS_RESOURCE --device /dev/fuse --security-opt apparmor=unconfined
    --security-opt seccomp=unconfined --security-opt systempaths=unconfined)
fi
docker run --rm "${rights[@]}" --network none -v "$PWD/reports:/app/reports" "$@" ovlkit-test
