#!/usr/bin/env bash
# Benchmark: a 120-package APK image (4,800 files, origin layering), built
# cold and warm from a signed repository made at run time and served on
# 127.0.0.1, with whittle's own split of the time (resolve, fetch+verify+
# unpack, assemble, layers, output). apko is not measured beside it: its Go
# toolchain and modules cannot be fetched on these machines.
#
#   bench/apk.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release -q -p whittle-cli --test apk -- --ignored --nocapture bench_apk 2>&1 | grep '^BENCH'
