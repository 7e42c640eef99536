#!/usr/bin/env bash
# The test command behind `make test` (and so behind CI): lint, then the whole suite on
# SQLite, then every database-backed test again on a throwaway PostgreSQL cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

pg_initdb() { ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1; }

if [ ! -x /usr/bin/chromium ] || [ -z "$(pg_initdb)" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing chromium and postgresql (apt)"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium postgresql
  else
    echo "!! chromium or postgresql missing and not root: the browser test and the" \
         "PostgreSQL run will be skipped (install them with apt as root)."
  fi
fi

echo "== ruff"
$BIN/ruff check .
echo "== import contracts"
$BIN/lint-imports

# Both runs always run, so one failing still shows the other's counts; either fails the command.
status=0
echo "== pytest on SQLite (whole suite)"
$BIN/pytest --durations=10 || status=$?

if [ -n "$(pg_initdb)" ]; then
  echo "== pytest on PostgreSQL (database-backed tests)"
  PK_TEST_POSTGRES=1 $BIN/pytest --durations=10 --ignore=tests/engine --ignore=tests/browser || status=$?
else
  echo "!! PostgreSQL run skipped: no initdb under /usr/lib/postgresql/*/bin"
fi
exit $status
