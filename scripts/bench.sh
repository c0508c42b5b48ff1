#!/usr/bin/env bash
# Benchmarks of the hot paths (criterion, release profile) and, for the password hash, the
# reference C Argon2 (argon2-cffi) at the same parameters, in the same run. Results go in
# docs/BENCHMARKS.md by hand, with the machine they came from.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test.sh --no-run >/dev/null   # the same .venv as the tests
cargo bench -p latch-core --bench hot_paths -- "$@"
.venv/bin/python tests/api/peers/bench_argon2.py
