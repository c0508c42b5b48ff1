#!/usr/bin/env bash
# The deployable build: the one arm64 `bootstrap` every function runs (`latch-lambda`, cargo
# lambda with zig, release profile), into target/lambda-arm64/lambda/latch-lambda/bootstrap,
# timed; then its size, unzipped and zipped. What `sam build` does through the template's
# rust-cargolambda build method, without SAM (SAM builds it once and copies it to each function).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
ensure_venv .venv-lambda requirements-lambda.txt
export PATH="$PWD/.venv-lambda/bin:$PATH"
export CARGO_TARGET_DIR="$PWD/target/lambda-arm64"
started=$(date +%s)
rm -rf "$CARGO_TARGET_DIR/lambda"   # only this build's bootstraps are counted
cargo-lambda lambda build --release --arm64 -p latch-functions --bin latch-lambda
echo "build: $(( $(date +%s) - started )) s"
bootstrap="$CARGO_TARGET_DIR/lambda/latch-lambda/bootstrap"
[ -f "$bootstrap" ] || { echo "package.sh: no bootstrap was built" >&2; exit 1; }
zipped=$(mktemp -d)
trap 'rm -rf "$zipped"' EXIT
python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED).write(sys.argv[2], 'bootstrap')" "$zipped/function.zip" "$bootstrap"
echo "bootstrap: $(stat -c %s "$bootstrap") B unzipped, $(stat -c %s "$zipped/function.zip") B zipped"
