#!/usr/bin/env bash
# Build and run Dockerfile.test for real on this machine, with a private dockerd that never
# touches the host's /var/lib/docker, and no image registry. Reports land in ./reports.
#   bash scripts/docker-test.sh [docker run args…]     e.g. -e OVL_CHECK_ARGS="--suite basic --runs 5"
# The daemon lives in a fresh temp dir and is stopped, and the dir removed, however the script
# ends. The base (mmdebstrap bookworm with the run-time packages + this machine's Node, i.e.
# Dockerfile.test's `deps` stage) is cached as a `docker save` tar under $OVLKIT_DOCKER_CACHE
# (default /var/cache/ovlkit), keyed by that stage, scripts/docker-base.sh and the Node version:
# the first run on a machine builds it (mmdebstrap), later runs only load it.
# The image is Dockerfile.test's `prebuilt` stage: the project as this checkout built it (dist/
# from `npm run build`, the production part of node_modules from `npm ci`), so run those first;
# nothing is compiled or downloaded in the image.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli/ovl-check.js ] && [ -d node_modules ] ||
  { echo "docker-test: no dist/ or node_modules here: run npm ci (it builds dist/) first" >&2; exit 1; }
# Debian's client: /usr/local/bin/docker on these machines is a newer client dockerd 20.10 refuses.
export DOCKER=/usr/bin/docker
CACHE=${OVLKIT_DOCKER_CACHE:-/var/cache/ovlkit}
# A run killed by SIGKILL (its trap never ran) leaves its tmpfs mounted, holding up to 6 GB of RAM,
# and its dockerd running: clear each one whose script is gone (its pid in `owner`), never a live run's.
for old in $(grep -oE ' /tmp/ovlkit-docker\.[A-Za-z0-9]+ ' /proc/self/mountinfo | sort -u); do
  owner=$(cat "$old/owner" 2>/dev/null) || owner=""
  if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then continue; fi
  [ -n "$owner" ] || [ -z "$(find "$old" -maxdepth 0 -mmin -60)" ] || continue
  echo "docker-test: clearing $old, left by a killed run" >&2
  # Its pidfile outlives a dockerd killed with it, and the pid may be someone else's by now: only
  # a dockerd whose command line names this data root is killed.
  pid=$(cat "$old/pid" 2>/dev/null) || pid=""
  if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--data-root $old/data "; then
    kill -9 "$pid" 2>/dev/null || true
  fi
  grep -oE " $old(/[^ ]*)?" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$old"
done
X=$(mktemp -d /tmp/ovlkit-docker.XXXXXX)
export DOCKER_HOST="unix://$X/sock"
daemon=""
stop() {
  if [ -n "$daemon" ]; then
    kill "$daemon" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
  fi
  # dockerd leaves its netns and overlay mounts behind on exit; nothing of it may outlive the script.
  grep -oE " $X(/[^ ]*)?" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$X"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# Everything of the run on a tmpfs (daemon data root, build context, the base's rootfs): about
# 1.5 GB that one umount removes, where rm -rf of the data root on ext4 took 9.4 s of a 55 s
# cached run; mmdebstrap, load and build write to memory too.
mount -t tmpfs -o size=6g,mode=0700 ovlkit-docker "$X"
echo $$ >"$X/owner"
dockerd --iptables=false --ip6tables=false --bridge=none --data-root "$X/data" --exec-root "$X/exec" \
  --pidfile "$X/pid" --host "$DOCKER_HOST" --storage-driver overlay2 >"$X/dockerd.log" 2>&1 &
daemon=$!
for _ in $(seq 150); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 0.2; done
"$DOCKER" info >/dev/null 2>&1 || { echo "docker-test: dockerd did not start:" >&2; tail -5 "$X/dockerd.log" >&2; exit 1; }

# Only what goes into the base: the `deps` stage (up to `FROM deps AS prebuilt`), the base script, Node.
key=$( (sed '/^FROM deps/q' Dockerfile.test; cat scripts/docker-base.sh; node -v) | sha256sum | cut -c1-16)
deps="ovlkit-deps:$key"
mkdir -p "$CACHE"
# One builder at a time per machine; the others wait and then load what it saved. The lock is
# the open file description of fd 9: it holds until the last process with it open (the saver
# below, when there is one) is gone.
exec 9>"$CACHE/lock"
flock 9
saver=""
if [ ! -s "$CACHE/deps-$key.tar" ]; then
  echo "docker-test: building the cached base $CACHE/deps-$key.tar (mmdebstrap; once per machine)"
  TMPDIR="$X" bash scripts/docker-base.sh ovlkit-base:bookworm-node20
  DOCKER_BUILDKIT=0 "$DOCKER" build -q --network host -f Dockerfile.test --target deps \
    --build-arg BASE=ovlkit-base:bookworm-node20 -t "$deps" . >/dev/null
  # Only later runs need the saved base: it is written while this one builds and runs the check.
  # A run that fails meanwhile stops dockerd under the save and leaves its .tmp: any left is
  # removed here, under the lock, so none outlives the next save.
  { "$DOCKER" save -o "$CACHE/deps-$key.tmp" "$deps" && mv "$CACHE/deps-$key.tmp" "$CACHE/deps-$key.tar" &&
    find "$CACHE" -maxdepth 1 \( -name 'deps-*.tar' ! -name "deps-$key.tar" -o -name 'deps-*.tmp' \) -delete; } &
  saver=$!
else
  "$DOCKER" load -q -i "$CACHE/deps-$key.tar" >/dev/null
fi
exec 9>&-
# The build context, as a tar (.dockerignore applies to a directory context only): the checkout as
# .dockerignore leaves it, then dist/ and the installed packages package-lock.json does not mark
# `dev` (18 MB of the 171 MB node_modules; the same list as `npm ls --omit=dev`, which takes 2 s;
# a package's own node_modules come with it). The top-level names NUL-separated and verbatim: a
# name with a space or starting with `-` is one file, not words or an option.
find . -mindepth 1 -maxdepth 1 -printf '%P\0' |
  tar -cf "$X/context.tar" --anchored --exclude-from=.dockerignore --null --verbatim-files-from -T -
env -u NODE_EXTRA_CA_CERTS node -e 'const fs = require("node:fs");
  for (const [path, p] of Object.entries(require("./package-lock.json").packages))
    if (!p.dev && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) && fs.existsSync(path)) console.log(path);' |
  tar -rf "$X/context.tar" dist -T -
DOCKER_BUILDKIT=0 "$DOCKER" build -q -f Dockerfile.test --target prebuilt --build-arg BASE="$deps" \
  -t ovlkit-test - <"$X/context.tar" >/dev/null
# --privileged asks for every capability; where this machine's bounding set lacks one (as on the
# team machines: no CAP_SYS_RESOURCE) runc refuses it, so ask for the same rights one by one.
if grep -q '^CapBnd:[[:space:]]*000001ffffffffff$' /proc/self/status; then
  rights=(--privileged)
else
  rights=(--cap-add ALL --cap-drop SYS_RESOURCE --device /dev/fuse --security-opt apparmor=unconfined
    --security-opt seccomp=unconfined --security-opt systempaths=unconfined)
fi
mkdir -p reports
status=0
"$DOCKER" run --rm "${rights[@]}" --network none -v "$PWD/reports:/app/reports" "$@" ovlkit-test || status=$?
if [ -n "$saver" ] && ! wait "$saver"; then
  echo "docker-test: saving the base to $CACHE failed; the next run builds it again" >&2
fi
exit "$status"
