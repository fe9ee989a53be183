#!/usr/bin/env bash
# Benchmark: the python example built by whittle (cold and warm cache)
# beside mmdebstrap on the same package set, from the host's Debian mirror,
# in one run. Prints a Markdown table (hyperfine) for BENCHMARKS.md.
#
#   bench/debian-python.sh [RUNS]
#
# Peers, given the recipe's packages:
#   - mmdebstrap --variant=essential into a directory, then umoci
#     init/new/insert to make an OCI image of it (what whittle does in one
#     step). --variant=custom with only these packages cannot work: dpkg
#     needs sh, sed, rm, diff and ldconfig to run the maintainer scripts, so
#     the Essential set is the smallest set a script-running install takes;
#   - mmdebstrap --variant=extract into a directory (only unpacks the same
#     closure: no scripts, no image).
# mmdebstrap keeps no package cache between runs: every run downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
work=$(mktemp -d /tmp/whittle-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

cargo build --release -q -p whittle-cli
# CARGO_TARGET_DIR may be absolute or relative to the workspace root.
target=${CARGO_TARGET_DIR:-target}
[[ $target = /* ]] || target=$PWD/$target
whittle=$target/release/whittle
recipe=examples/debian/python.yaml

# The package set, from whittle itself.
"$whittle" show-packages "$recipe" --cache-dir "$work/warm-cache" > "$work/set.txt"
pkgs=$(awk '!/^#/ {print $1} /^# excluded/ {print $(NF-1)}' "$work/set.txt" | paste -sd, -)
requested=python3,ca-certificates,tzdata,netbase,base-files,base-passwd
echo "package set ($(echo "$pkgs" | tr , '\n' | wc -l) packages): $pkgs" >&2

# Warm the whittle cache once.
"$whittle" build "$recipe" bench/python:warm "$work/warm.tar" --cache-dir "$work/warm-cache" --no-sbom >/dev/null 2>&1

# mmdebstrap takes the mirror from the host's apt sources as whittle does.
mm_custom="rm -rf $work/mm && mmdebstrap --quiet --variant=essential --include=$requested bookworm $work/mm \
  && rm -rf $work/oci && umoci init --layout $work/oci && umoci new --image $work/oci:py \
  && umoci insert --image $work/oci:py $work/mm /"
mm_extract="rm -rf $work/mx && mmdebstrap --quiet --variant=extract --include=$pkgs bookworm $work/mx"

hyperfine --runs "$runs" --export-markdown "$work/results.md" \
  --command-name "whittle build, cold cache" \
  --prepare "rm -rf $work/cold-cache $work/cold.tar" \
  "$whittle build $recipe bench/python:cold $work/cold.tar --cache-dir $work/cold-cache --no-sbom" \
  --command-name "whittle build, warm cache" \
  --prepare "rm -f $work/warm.tar" \
  "$whittle build $recipe bench/python:warm $work/warm.tar --cache-dir $work/warm-cache --no-sbom" \
  --command-name "mmdebstrap --variant=essential + umoci" \
  --prepare "true" \
  "$mm_custom" \
  --command-name "mmdebstrap --variant=extract (no image)" \
  --prepare "true" \
  "$mm_extract" >&2

echo
echo "Command: \`bench/debian-python.sh $runs\` on $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
cat "$work/results.md"
