#!/usr/bin/env bash
# Benchmark: `whittle search` against the host's Debian mirror (taken from
# its apt sources, as every recipe without a URL), beside apt-file and
# apt-cache reading the same mirror's indexes (the peers). Needs apt-file
# with its Contents fetched (`apt-file update`); nothing else is written
# outside a temporary cache. Prints the figures; see BENCHMARKS.md.
#
#   scripts/bench-search.sh                   # release build (the default)
#   PROFILE=dev scripts/bench-search.sh
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-release}
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
cargo build -q --profile "$profile" -p whittle-cli
bin=${CARGO_TARGET_DIR:-target}/$dir/whittle
recipe=examples/debian/python.yaml
command -v apt-file >/dev/null || { echo "apt-file is not installed" >&2; exit 1; }
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT

secs() { # best of 3 runs of "$@", in seconds
  local best=""
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    best=$(echo "$t1 $t0 $best" | awk '{d=$1-$2; if ($3=="" || d<$3) print d; else print $3}')
  done
  printf '%.2f' "$best"
}

t0=$(date +%s.%N)
"$bin" search --file /usr/bin/python3.11 --recipe "$recipe" --cache-dir "$cache" >/dev/null
cold=$(echo "$(date +%s.%N) $t0" | awk '{printf "%.2f", $1-$2}')
echo "whittle search --file /usr/bin/python3.11, cold cache (Packages + Contents downloaded): ${cold} s"
echo "whittle search --file /usr/bin/python3.11 --offline:    $(secs "$bin" search --file /usr/bin/python3.11 --recipe "$recipe" --cache-dir "$cache" --offline) s"
echo "apt-file search /usr/bin/python3.11:                    $(secs apt-file search /usr/bin/python3.11) s"
echo "whittle search 'python3.11*' --offline:                 $(secs "$bin" search 'python3.11*' --recipe "$recipe" --cache-dir "$cache" --offline) s"
echo "apt-cache search --names-only '^python3.11':            $(secs apt-cache search --names-only '^python3.11') s"
echo "whittle search xmllint --offline (names, summaries):    $(secs "$bin" search xmllint --recipe "$recipe" --cache-dir "$cache" --offline) s"
echo "apt-cache search xmllint (names, descriptions):         $(secs apt-cache search xmllint) s"
