#!/usr/bin/env bash
# Runs every test of Latch. First installs what the tests need, idempotently (quick when it is
# already there): a virtualenv in .venv with the Python peers of requirements-test.txt (moto's
# AWS emulator, cfn-lint), the SAM CLI in .venv-sam, and PostgreSQL from apt when absent. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/venv.sh
ensure_venv .venv requirements-test.txt
# The SAM CLI (`sam validate --lint` is a test of the template) pins versions of boto3, click
# and cfn-lint of its own, so it gets a virtualenv of its own.
ensure_venv .venv-sam requirements-sam.txt

# The provisioning tests start a PostgreSQL server of their own (in a temp folder, on a loopback
# port) from Debian's package.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  echo "test.sh: installing Debian's postgresql (the provisioning tests run their own server)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace "$@" 2>&1 | tee "$log" || status=$?
# cargo's last "test result" line belongs to whichever target ran last (often one with no
# tests), so close with the totals over every target.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
