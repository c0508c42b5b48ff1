#!/usr/bin/env bash
# Benchmarks of the hot paths (criterion, release profile) and, for the password hash, the
# reference C Argon2 (argon2-cffi) at the same parameters, in the same run; then the load script
# against the local server (requests/s, p50/p95/p99, and the enumeration-timing comparison).
# Results go in docs/BENCHMARKS.md by hand, with the machine they came from. Arguments go to
# criterion (a filter such as `argon2`); LOAD_* variables tune the load script.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test.sh --no-run >/dev/null   # the same .venv as the tests
cargo bench -p latch-core --bench hot_paths -- "$@"
.venv/bin/python tests/api/peers/bench_argon2.py
# The server's EMF lines go to stdout; the load report is on stderr.
cargo bench -p latch-tests --bench load >/dev/null
# Time to a 503 per route with DynamoDB stalled (moto of its own; the table is on stderr).
cargo bench -p latch-tests --bench faults >/dev/null
