#!/usr/bin/env bash
# Fuzzes whittle's parsers: the cargo-fuzz targets in fuzz/ (libFuzzer,
# nightly Rust, AddressSanitizer).
#
#   scripts/fuzz.sh short                 every target for ~20 s (CI; FUZZ_SECONDS)
#   scripts/fuzz.sh long TARGET SECONDS   one target for longer
#   scripts/fuzz.sh list                  the targets
#
# Seeds are written from ../shared/fixtures (or $WHITTLE_FIXTURES) by
# fuzz/seeds.py at every run; the corpus grows, the build lives and crash
# inputs land in the tools cache (${WHITTLE_TOOLS_CACHE:-~/.cache/whittle-ci}),
# never in the clone. A crash fails the run: minimise it
# (`cargo +nightly fuzz tmin TARGET ARTIFACT` in fuzz/), add it as a
# regression test in the crate with the input inline as bytes, and fix it.
#
# Without cargo-fuzz or a nightly toolchain: under CI=true both are
# installed (cargo-fuzz into the tools cache) and failing to install
# cargo-fuzz is an error (a machine that cannot fetch nightly skips loudly);
# otherwise `short` prints SKIP and succeeds, and `long` fails.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

mode=${1:-}
case "$mode" in
  short) seconds=${FUZZ_SECONDS:-20} ;;
  long)
    [ $# -eq 3 ] || { echo "usage: scripts/fuzz.sh long TARGET SECONDS" >&2; exit 2; }
    seconds=$3 ;;
  list) sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^whittle-fuzz$'; exit 0 ;;
  *) echo "usage: scripts/fuzz.sh short | long TARGET SECONDS | list" >&2; exit 2 ;;
esac

cache=${WHITTLE_TOOLS_CACHE:-$HOME/.cache/whittle-ci}
cargo_fuzz_version=0.13.2
export PATH="$cache/cargo-fuzz/bin:$PATH"

have_tools() {
  command -v cargo-fuzz >/dev/null 2>&1 && rustup run nightly rustc --version >/dev/null 2>&1
}

if ! have_tools; then
  if [ "${CI:-}" = true ]; then
    echo "installing the fuzzing tools (nightly toolchain, cargo-fuzz $cargo_fuzz_version into $cache/cargo-fuzz)"
    if ! rustup run nightly rustc --version >/dev/null 2>&1 \
       && ! rustup toolchain install nightly --profile minimal; then
      # libFuzzer needs nightly (-Zsanitizer); a machine that cannot fetch
      # a toolchain cannot fuzz, and says so rather than failing the suite.
      echo "################################################################"
      echo "SKIP: parser fuzzing NOT RUN: no nightly toolchain, and rustup"
      echo "      could not install one on this machine."
      echo "################################################################"
      exit 0
    fi
    command -v cargo-fuzz >/dev/null 2>&1 \
      || CARGO_TARGET_DIR="$cache/cargo-fuzz-build" cargo install --locked \
           --version "$cargo_fuzz_version" --root "$cache/cargo-fuzz" cargo-fuzz
    have_tools || { echo "error: cargo-fuzz or nightly Rust still missing" >&2; exit 1; }
  elif [ "$mode" = short ]; then
    echo "################################################################"
    echo "SKIP: parser fuzzing NOT RUN: cargo-fuzz or a nightly toolchain is"
    echo "      missing (rustup toolchain install nightly; cargo install cargo-fuzz)."
    echo "      Under CI=true this script installs them and fails without them."
    echo "################################################################"
    exit 0
  else
    echo "error: cargo-fuzz or a nightly toolchain is missing" >&2
    echo "  (rustup toolchain install nightly; cargo install cargo-fuzz)" >&2
    exit 1
  fi
fi

targets=$(scripts/fuzz.sh list)
if [ "$mode" = long ]; then
  grep -qx "$2" <<<"$targets" || { echo "error: no fuzz target $2 (scripts/fuzz.sh list)" >&2; exit 2; }
  targets=$2
fi

fixtures=${WHITTLE_FIXTURES:-$repo/../shared/fixtures}
seeds=$(mktemp -d "${TMPDIR:-/tmp}/whittle-fuzz-seeds.XXXXXX")
trap 'rm -rf "$seeds"' EXIT
echo "seed corpora from $fixtures:"
[ -d "$fixtures" ] || echo "  (fixtures not found: seeding from the repository's examples only)"
python3 fuzz/seeds.py "$fixtures" "$repo" "$seeds"

build=(-O -a --target-dir "$cache/fuzz-target")
(cd fuzz && cargo +nightly fuzz build "${build[@]}")

failed=()
summary=()
for t in $targets; do
  corpus="$cache/fuzz-corpus/$t"
  artifacts="$cache/fuzz-artifacts/$t"
  mkdir -p "$corpus" "$seeds/$t" "$artifacts"
  log="$cache/fuzz-logs/$t.log"
  mkdir -p "$(dirname "$log")"
  echo "fuzzing $t for ${seconds}s"
  if (cd fuzz && cargo +nightly fuzz run "${build[@]}" "$t" "$corpus" "$seeds/$t" -- \
        -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
        -artifact_prefix="$artifacts/" -print_final_stats=1) >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$t")
    tail -40 "$log"
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  summary+=("$(printf '%-18s %-6s %12s execs %8s execs/s' "$t" "$status" "${execs:-?}" "${rate:-?}")")
done

echo "fuzzing summary (${seconds}s per target; logs in $cache/fuzz-logs):"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "error: fuzz targets failed: ${failed[*]}; crash inputs in $cache/fuzz-artifacts/" >&2
  exit 1
fi
