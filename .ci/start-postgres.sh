#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on loopback for the store tests and print its URL.
# Installs Debian's postgresql when missing. Usage: eval "$(.ci/start-postgres.sh)"
set -euo pipefail
PORT="${SITEWATCH_PG_PORT:-55432}"
BASE="${SITEWATCH_PG_DIR:-/tmp/sitewatch-pg}"
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "installing postgresql (Debian)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
RUNAS=()
if [ "$(id -u)" = "0" ]; then RUNAS=(runuser -u postgres --); fi
if [ -f "$BASE/data/postmaster.pid" ] && "${RUNAS[@]}" "$BIN/pg_ctl" -D "$BASE/data" status >/dev/null 2>&1; then
  :
else
  rm -rf "$BASE"
  mkdir -p "$BASE"
  if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$BASE"; fi
  "${RUNAS[@]}" "$BIN/initdb" -D "$BASE/data" -U sitewatch --auth=trust -E UTF8 >/dev/null
  "${RUNAS[@]}" "$BIN/pg_ctl" -D "$BASE/data" -l "$BASE/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $BASE" start >/dev/null
fi
"$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U sitewatch sitewatch_test 2>/dev/null || true
echo "export SITEWATCH_TEST_PG_URL=postgresql+psycopg://sitewatch@127.0.0.1:$PORT/sitewatch_test"
