#!/usr/bin/env bash
# Brings up Ferry's real test environment on this machine, idempotently:
#   - Debian packages the tests need (installed only when missing; chromium for the dashboard,
#     openssh-client to sign commits, nginx to serve beacons in bench/poll-scale.ts),
#   - a Docker engine on /var/run/docker.sock,
#   - two OCI registries on loopback (one open, one with basic auth),
#   - a git HTTP server (git http-backend behind a small Node wrapper),
#   - PostgreSQL (Debian's cluster) with a role for root, for the hub's tests,
#   - a tiny busybox base image and a Node.js base image, imported locally (no Docker Hub here),
#   - qemu for arm64 containers, and an arm64 busybox.
# Whatever already answers is reused, so a second run takes a second or two.
# Ports and paths are written to $FERRY_TEST_HOME/env.sh for humans; the test helpers use the
# same defaults (test/helpers/test-env.ts).
set -euo pipefail

FERRY_TEST_HOME=${FERRY_TEST_HOME:-/var/tmp/ferry-test}
REGISTRY_PORT=${FERRY_TEST_REGISTRY_PORT:-5101}
AUTH_REGISTRY_PORT=${FERRY_TEST_AUTH_REGISTRY_PORT:-5102}
GIT_PORT=${FERRY_TEST_GIT_PORT:-5103}
AUTH_USER=ferry
AUTH_PASS=ferry-secret
BASE_IMAGE=ferry-test/busybox:1
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

log() { printf '[test-env] %s\n' "$*" >&2; }
need_root() { [ "$(id -u)" = 0 ] || { log "must run as root to install and start services"; exit 1; }; }

install_missing() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -q '^wget$' || missing+=(busybox-static)
  command -v git >/dev/null || missing+=(git)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v curl >/dev/null || missing+=(curl)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  [ -x /usr/bin/qemu-aarch64-static ] || missing+=(qemu-user-static binfmt-support)
  command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v ssh-keygen >/dev/null || missing+=(openssh-client)
  command -v nginx >/dev/null || missing+=(nginx)
  command -v gpg >/dev/null || missing+=(gnupg)
  if [ ${#missing[@]} -gt 0 ]; then
    need_root
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# arm64 containers run under qemu: the kernel needs binfmt_misc with qemu's (fix-binary)
# handlers, and the arm64 base image needs an arm64 busybox, taken from Debian's arm64 package.
enable_foreign_arch() {
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    need_root
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 >/dev/null
  local target="$FERRY_TEST_HOME/arm64/busybox"
  if [ ! -x "$target" ]; then
    need_root
    log "fetching an arm64 busybox"
    dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
    apt-get update -qq
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -qq busybox-static:arm64 >/dev/null 2>&1 && dpkg-deb -x ./*.deb root)
    mkdir -p "$(dirname "$target")"
    cp "$tmp/root/bin/busybox" "$target"
    rm -rf "$tmp"
  fi
}

wait_until() { # wait_until SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  for _ in $(seq 1 $((limit * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "timed out waiting for $what"; return 1
}

engine_up() { curl -fsS --unix-socket /var/run/docker.sock http://engine/_ping; }
start_engine() {
  if engine_up >/dev/null 2>&1; then return; fi
  need_root
  log "starting dockerd"
  mkdir -p "$FERRY_TEST_HOME"
  # A stale pid file from an engine that died with its machine blocks a new start.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid /var/run/docker.sock
  fi
  setsid dockerd --host unix:///var/run/docker.sock >"$FERRY_TEST_HOME/dockerd.log" 2>&1 </dev/null &
  wait_until 60 "the Docker engine" engine_up
}

start_registry() { # start_registry NAME PORT [htpasswd-file]
  local name=$1 port=$2 htpasswd=${3:-}
  if curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; then return; fi
  local dir="$FERRY_TEST_HOME/$name"
  mkdir -p "$dir/data"
  {
    echo "version: 0.1"
    echo "log: { level: warn }"
    echo "storage:"
    echo "  filesystem: { rootdirectory: $dir/data }"
    echo "  delete: { enabled: true }"
    echo "http: { addr: 127.0.0.1:$port, secret: ferry-test-$name }"
    if [ -n "$htpasswd" ]; then echo "auth: { htpasswd: { realm: ferry-test, path: $htpasswd } }"; fi
  } >"$dir/config.yml"
  log "starting registry $name on 127.0.0.1:$port"
  setsid docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
  wait_until 20 "registry $name" curl -s -o /dev/null "http://127.0.0.1:$port/v2/"
}

start_git_server() {
  local root="$FERRY_TEST_HOME/git"
  mkdir -p "$root"
  if curl -fs -o /dev/null "http://127.0.0.1:$GIT_PORT/_health"; then return; fi
  [ -f "$repo/dist/test/env/git-http-server.js" ] || (cd "$repo" && npx tsc -p tsconfig.json)
  log "starting git http server on 127.0.0.1:$GIT_PORT ($root)"
  FERRY_GIT_USER=$AUTH_USER FERRY_GIT_PASS=$AUTH_PASS \
    setsid node "$repo/dist/test/env/git-http-server.js" --port "$GIT_PORT" --root "$root" \
    >"$FERRY_TEST_HOME/git-http.log" 2>&1 </dev/null &
  wait_until 20 "git http server" curl -fsS -o /dev/null "http://127.0.0.1:$GIT_PORT/_health"
}

# PostgreSQL for the hub's tests: Debian's cluster, started without systemd, and a role for root
# (the tests connect over the Unix socket, where the OS user is the role).
postgres_up() { su postgres -c "psql -tAc 'select 1'" >/dev/null 2>&1; }
start_postgres() {
  if ! postgres_up; then
    need_root
    local version
    version=$(pg_lsclusters -h | awk 'NR==1 {print $1}')
    [ -n "$version" ] || { log "no PostgreSQL cluster"; exit 1; }
    log "starting PostgreSQL $version"
    pg_ctlcluster "$version" main start
    wait_until 30 "PostgreSQL" postgres_up
  fi
  su postgres -c "psql -tAc \"select 1 from pg_roles where rolname = 'root'\"" | grep -q 1 ||
    su postgres -c "createuser -s root"
}

import_base_image() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then return; fi
  log "importing $BASE_IMAGE from busybox-static"
  local root
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  for applet in sh ls cat echo sleep wget nc httpd env mkdir rm touch true false test grep sed date; do
    ln -s busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  # Fixed mtimes so every machine that imports it gets the same layer digest.
  find "$root" -exec touch -h -d '2020-01-01T00:00:00Z' {} +
  tar -C "$root" --sort=name --owner=0 --group=0 --numeric-owner -c . |
    docker import --change 'CMD ["/bin/sh"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$root"
}

# A Node.js 20 base image for building the ferryd image (no Docker Hub here): this machine's own
# node and npm with the shared libraries node links against, on busybox.
NODE_BASE_IMAGE=ferry-test/node:20
import_node_base() {
  if docker image inspect "$NODE_BASE_IMAGE" >/dev/null 2>&1; then return; fi
  log "importing $NODE_BASE_IMAGE from this machine's Node.js"
  local root node
  root=$(mktemp -d)
  node=$(readlink -f "$(command -v node)")
  mkdir -p "$root/bin" "$root/tmp" "$root/usr/bin" "$root/usr/lib/node_modules" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  for applet in sh ls cat echo sleep wget mkdir rm rmdir cp mv env test true find grep sed tar; do
    ln -s busybox "$root/bin/$applet"
  done
  ln -s ../../bin/busybox "$root/usr/bin/env"
  cp "$node" "$root/usr/bin/node"
  ldd "$node" | grep -o '/[^ ]*' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  cp -a "$(dirname "$node")/../lib/node_modules/npm" "$root/usr/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  chmod 1777 "$root/tmp"
  tar -C "$root" --owner=0 --group=0 --numeric-owner -c . |
    docker import --change 'ENV PATH=/usr/bin:/bin' --change 'CMD ["node"]' - "$NODE_BASE_IMAGE" >/dev/null
  rm -rf "$root"
}

install_missing
mkdir -p "$FERRY_TEST_HOME"
htpasswd_file="$FERRY_TEST_HOME/htpasswd"
[ -f "$htpasswd_file" ] || htpasswd -Bbn "$AUTH_USER" "$AUTH_PASS" >"$htpasswd_file"
start_engine
start_registry registry "$REGISTRY_PORT"
start_registry registry-auth "$AUTH_REGISTRY_PORT" "$htpasswd_file"
start_git_server
start_postgres
import_base_image
import_node_base
enable_foreign_arch

cat >"$FERRY_TEST_HOME/env.sh" <<ENV
export FERRY_TEST_HOME=$FERRY_TEST_HOME
export FERRY_TEST_REGISTRY=127.0.0.1:$REGISTRY_PORT
export FERRY_TEST_AUTH_REGISTRY=127.0.0.1:$AUTH_REGISTRY_PORT
export FERRY_TEST_GIT=http://127.0.0.1:$GIT_PORT
export FERRY_TEST_BASE_IMAGE=$BASE_IMAGE
export FERRY_TEST_NODE_IMAGE=$NODE_BASE_IMAGE
export FERRY_TEST_POSTGRES=postgres://root@/postgres?host=/var/run/postgresql
ENV
log "ready: engine, registries :$REGISTRY_PORT (open) :$AUTH_REGISTRY_PORT (basic auth), git :$GIT_PORT, PostgreSQL"
