#!/usr/bin/env bash
# The functions invoked as Lambda invokes them (tests/api/lambda_smoke.rs, ignored in the default
# run): installs cargo-lambda into .venv-lambda, builds the one bootstrap every function runs
# (`latch-lambda`), then runs the test, which starts every function from that same file and
# drives register, mail-sender, verify-email, login, me, refresh and unlock-accounts through `cargo lambda watch` and `cargo lambda invoke` against moto.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
ensure_venv .venv-lambda requirements-lambda.txt
cargo build -p latch-functions --bin latch-lambda
scripts/test.sh --test api -- --ignored --exact lambda_smoke::the_function_binaries_answer_as_lambda_invokes_them
