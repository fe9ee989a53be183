#!/usr/bin/env bash
# Benchmark: `whittle publish` of a two-platform image (2 × 24 MiB of
# incompressible files in origin layers) to Debian's docker-registry on
# 127.0.0.1, into an empty repository and then again, beside `skopeo copy
# --all` of the same image's OCI layout (the peer). Prints the figures on
# stderr; see BENCHMARKS.md. Reaches nothing beyond 127.0.0.1.
#
#   scripts/bench-publish.sh            # release build (the default)
#   PROFILE=dev scripts/bench-publish.sh
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-release}
export WHITTLE_FIXTURES=${WHITTLE_FIXTURES:-$(cd .. && pwd)/shared/fixtures}
exec cargo test --profile "$profile" -p whittle-cli --test publish \
    -- --ignored --nocapture bench_publish
