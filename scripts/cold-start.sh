#!/usr/bin/env bash
# Cold starts under cargo lambda's Runtime API emulator (tests/benches/cold_start.rs): builds the
# release `latch-lambda` bootstrap (every function's), then starts health, me and login from it,
# each 11 times afresh against moto. The Markdown table for docs/BENCHMARKS.md is on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
ensure_venv .venv-lambda requirements-lambda.txt
ensure_venv .venv requirements-test.txt   # moto, as for the tests
cargo build --release -p latch-functions --bin latch-lambda
cargo bench --profile dev -p latch-tests --bench cold_start >/dev/null
