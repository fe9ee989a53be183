#!/usr/bin/env bash
# Peak RSS (GNU time's %M) of the python example, cold and warm cache, from
# the host's Debian mirror. The bomb and 1 GiB-file figures come from
#   cargo test -p whittle-cli --test memory_bounds -- --nocapture
#
#   bench/peak-rss.sh [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-release}
flag=; [ "$profile" = release ] && flag=--release
cargo build $flag -q -p whittle-cli
target=${CARGO_TARGET_DIR:-target}
[[ $target = /* ]] || target=$PWD/$target
whittle=$target/$profile/whittle
work=$(mktemp -d /tmp/whittle-rss.XXXXXX)
trap 'rm -rf "$work"' EXIT
for run in cold warm; do
  /usr/bin/time -f "$run: peak RSS %M KiB, %e s" -o "$work/$run.rss" \
    "$whittle" build examples/debian/python.yaml "bench/python:$run" "$work/$run.tar" \
    --cache-dir "$work/cache" --no-sbom >/dev/null 2>&1
  cat "$work/$run.rss"
done
