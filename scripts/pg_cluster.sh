#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on loopback, for the tests and the benchmarks:
#   scripts/pg_cluster.sh start DIR PORT   prints the URL to export as INDICATORS_TEST_PG_URL
#   scripts/pg_cluster.sh stop DIR
# Debian's binaries (apt-get install postgresql). As root (CI), the server runs as `postgres`.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?folder}; port=${3:-55433}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres indicators 2>/dev/null || true
    echo "postgresql://postgres@127.0.0.1:$port/indicators"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true
    ;;
esac
