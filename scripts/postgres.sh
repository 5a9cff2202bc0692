#!/usr/bin/env bash
# A local PostgreSQL for server mode and its tests, from Debian's package: installs it when missing
# (as root, with apt), starts the cluster, makes the role `isnad` (password `isnad`, may create
# databases) and the database `isnad_test`, and prints their URL: the only line on stdout.
# Idempotent. For a real deployment choose your own password (README: "Running on servers").
set -euo pipefail

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "== installing PostgreSQL with apt" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "!! PostgreSQL is not installed; install it with: sudo apt-get install postgresql" >&2
    exit 1
  fi
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -qx online; then
  pg_ctlcluster "$version" main start >&2  # (it may say "Removed stale pid file.": not on stdout)
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
as_postgres() { if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
psql_admin() { as_postgres psql -p "$port" -qtAX "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'isnad'")" != "1" ]; then
  psql_admin -c "CREATE ROLE isnad LOGIN CREATEDB PASSWORD 'isnad'" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'isnad_test'")" != "1" ]; then
  psql_admin -c "CREATE DATABASE isnad_test OWNER isnad" >&2
fi
echo "postgresql://isnad:isnad@127.0.0.1:${port}/isnad_test"
