#!/usr/bin/env bash
# Benchmark: a catalog of ten recipes (five Debian, five APK, made at test
# time and served on 127.0.0.1) built as ten solo `whittle build`s, as
# `whittle build-all --jobs 1` and `--jobs 2`, and on two "machines"
# sharing a cache registry (Debian's docker-registry on 127.0.0.1).
# Prints the figures on stderr; see BENCHMARKS.md. Needs docker-registry
# (scripts/install-test-deps.sh). Reaches nothing beyond 127.0.0.1.
#
#   scripts/bench-catalog.sh            # release build (the default)
#   PROFILE=dev scripts/bench-catalog.sh
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-release}
export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=0
export WHITTLE_FIXTURES=${WHITTLE_FIXTURES:-$(cd .. && pwd)/shared/fixtures}
exec cargo test --profile "$profile" -p whittle-cli --test catalog \
    -- --ignored --nocapture bench_catalog
