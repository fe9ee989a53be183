#!/usr/bin/env bash
# Everything CI checks: installs the test tools, then formatting, lints and
# the whole test suite (hermetic, fixture-mirror and live Debian tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
# The tools are installed now, so a test that finds one missing fails
# instead of skipping (whittle-test-env's host::require_tool).
export CI="${CI:-true}"
export PATH="${WHITTLE_TOOLS_CACHE:-$HOME/.cache/whittle-ci}/venv/bin:$PATH"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --all-features -- -D warnings
scripts/check-world-seam.sh
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
cargo test --workspace --all-features
scripts/fuzz.sh short
