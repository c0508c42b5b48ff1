#!/usr/bin/env bash
# The deployable build: every function as an arm64 `bootstrap` (cargo lambda with zig, release
# profile), into target/lambda-arm64/lambda/<function>/bootstrap, timed; then the sizes of the
# function binaries (latch-local is the local server, not a function), min/median/max. What
# `sam build` does through the template's rust-cargolambda build method, without SAM.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
ensure_venv .venv-lambda requirements-lambda.txt
export PATH="$PWD/.venv-lambda/bin:$PATH"
export CARGO_TARGET_DIR="$PWD/target/lambda-arm64"
started=$(date +%s)
rm -rf "$CARGO_TARGET_DIR/lambda"   # only this build's bootstraps are counted
cargo-lambda lambda build --release --arm64 -p latch-functions
echo "build: $(( $(date +%s) - started )) s"
built=$(find "$CARGO_TARGET_DIR/lambda" -name bootstrap -not -path '*/latch-local/*' | wc -l)
[ "$built" -gt 0 ] || { echo "package.sh: no bootstrap was built" >&2; exit 1; }
find "$CARGO_TARGET_DIR/lambda" -name bootstrap -not -path '*/latch-local/*' -printf '%s %h\n' \
  | sort -n | awk '{ size[NR] = $1; name[NR] = $2 }
    END { printf "functions: %d; bootstrap size min %.1f MiB (%s), median %.1f MiB, max %.1f MiB (%s)\n",
          NR, size[1]/1048576, name[1], size[int((NR+1)/2)]/1048576, size[NR]/1048576, name[NR] }' \
  | sed "s|$CARGO_TARGET_DIR/lambda/||g"
