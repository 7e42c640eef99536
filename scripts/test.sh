#!/usr/bin/env bash
# The test command behind `make test` (and so behind CI): lint, then the whole suite on
# SQLite, then every database-backed test again on a throwaway PostgreSQL cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

pg_initdb() { ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1; }

if [ ! -x /usr/bin/chromium ] || [ -z "$(pg_initdb)" ] || ! command -v tj3 >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing chromium, postgresql and tj3 (apt)"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium postgresql tj3
  else
    echo "!! chromium, postgresql or tj3 missing and not root: install them with apt;" \
         "the tests that need them will fail."
  fi
fi

echo "== ruff"
$BIN/ruff check .
echo "== import contracts"
$BIN/lint-imports
echo "== mypy"
$BIN/mypy src/promisekeeper

# Both runs always run, so one failing still shows the other's counts; either fails the command.
status=0
echo "== pytest on SQLite (everything but the browser)"
$BIN/pytest --durations=10 --ignore=tests/browser || status=$?

echo "== browser tests (Playwright driving Debian's chromium, SQLite)"
$BIN/pytest --durations=5 tests/browser || status=$?

if [ -n "$(pg_initdb)" ]; then
  echo "== pytest on PostgreSQL (database-backed tests)"
  PK_TEST_POSTGRES=1 $BIN/pytest --durations=10 --ignore=tests/engine --ignore=tests/browser || status=$?
else
  echo "!! no initdb under /usr/lib/postgresql/*/bin: install postgresql; the PostgreSQL run is required"
  status=1
fi
exit $status
