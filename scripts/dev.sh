#!/usr/bin/env bash
# The two things the README promises, on a fresh Debian machine:
#   scripts/dev.sh run    install, create the SQLite database with demo data, serve on 127.0.0.1:5000
#   scripts/dev.sh test   install (PostgreSQL and Chromium from apt too) and run the whole test suite
set -euo pipefail
cd "$(dirname "$0")/.."

# apt packages, installed only when missing: what the app itself needs (WeasyPrint's Pango for the
# evidence packs and letters as PDF, the CJK fonts they and the pages are set in), and for the tests
# also PostgreSQL and Chromium.
install_system() {
  local missing=() pkg
  for pkg in libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
  fi
}

install_python() {
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -e ".[$1]" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import engine, storage, cli" >/dev/null
}

install_assets() {
  if [ -f webforms/frontend/package.json ]; then
    (cd webforms/frontend && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
  fi
}

lint() {
  # ruff and mypy (their configuration is pyproject.toml's) both run, so one pass shows every finding;
  # either one not clean fails the run before the tests.
  local rc=0
  .venv/bin/ruff check . || rc=1
  .venv/bin/mypy || rc=1
  if [ $rc -ne 0 ]; then echo "ruff or mypy is not clean: that is a failure" >&2; exit 1; fi
}

case "${1:-}" in
  run)
    install_system
    install_python run
    install_assets
    .venv/bin/wuye init --demo
    exec .venv/bin/wuye serve "${@:2}"
    ;;
  test)
    install_system postgresql chromium
    install_python test
    install_assets
    lint
    set +e
    .venv/bin/python -m pytest -n auto "${@:2}"     # every tier (testpaths = tests), one worker per core
    rc=$?
    set -e
    if [ $rc -eq 5 ]; then echo "pytest collected no tests: that is a failure" >&2; exit 1; fi
    exit $rc
    ;;
  *)
    echo "usage: scripts/dev.sh run|test [args]" >&2; exit 2 ;;
esac
