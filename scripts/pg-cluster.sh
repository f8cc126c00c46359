#!/usr/bin/env bash
# Throwaway PostgreSQL cluster from Debian's `postgresql` package, no Docker (docs/scale-out.md §5).
#
#   scripts/pg-cluster.sh install            install the package if initdb/pg_ctl are missing
#   scripts/pg-cluster.sh start [DIR] [PORT] start (or reuse) a cluster in DIR (default: a new temp dir) on
#                                            127.0.0.1:PORT (default: a free port); prints DIR on stderr and
#                                            the connection URL as the last line of stdout
#   scripts/pg-cluster.sh url DIR            print the URL of a running cluster
#   scripts/pg-cluster.sh stop DIR           stop it (fast shutdown) and remove DIR
#
# Server settings are PostgreSQL's defaults (fsync, synchronous_commit and full_page_writes on), so the
# durability tests mean something. Only initdb runs with --no-sync (it only skips flushing the freshly
# created template files; the running server fsyncs as usual). initdb refuses root, so as root every
# server command runs as the `postgres` user (created by the package) via runuser.
set -euo pipefail

find_bin() {
  if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/initdb" ]; then echo "$PG_BIN"; return 0; fi
  local d
  # Newest major first.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  return 1
}

install_pg() {
  if find_bin >/dev/null; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then echo "pg-cluster: PostgreSQL is not installed and we are not root" >&2; exit 1; fi
  echo "pg-cluster: installing postgresql (apt-get)…" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  find_bin >/dev/null || { echo "pg-cluster: initdb still missing after install" >&2; exit 1; }
}

# Runs a PostgreSQL binary as a non-root user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

url_of() {
  local dir=$1
  echo "postgres://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
}

running() {
  local dir=$1 bin
  bin=$(find_bin) || return 1
  [ -f "$dir/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

start() {
  install_pg
  local bin dir port
  bin=$(find_bin)
  dir=${1:-}
  if [ -z "$dir" ]; then dir=$(mktemp -d "${TMPDIR:-/tmp}/opsbot-pg-XXXXXX"); fi
  mkdir -p "$dir"
  if running "$dir"; then url_of "$dir"; return 0; fi   # idempotent: reuse a running cluster
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  port=${2:-}
  if [ -z "$port" ] && [ -f "$dir/port" ]; then port=$(cat "$dir/port"); fi
  if [ -z "$port" ]; then port=$(free_port); fi
  echo "$port" >"$dir/port"
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null \
    || { tail -20 "$dir/server.log" >&2; exit 1; }
  echo "pg-cluster: $dir" >&2
  url_of "$dir"
}

stop() {
  local dir=${1:?usage: pg-cluster.sh stop DIR} bin
  if bin=$(find_bin) && [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  case "$dir" in
    */opsbot-pg-*) rm -rf "$dir" ;;   # only remove directories this script created the way it names them
  esac
}

cmd=${1:-start}
shift || true
case "$cmd" in
  install) install_pg ;;
  start) start "$@" ;;
  url) url_of "${1:?usage: pg-cluster.sh url DIR}" ;;
  stop) stop "$@" ;;
  *) echo "usage: $0 install|start [DIR] [PORT]|url DIR|stop DIR" >&2; exit 2 ;;
esac
