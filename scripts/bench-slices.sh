#!/usr/bin/env bash
# Benchmark: cutting Chisel slices (the python selection of
# shared/fixtures/chisel-cut-python) with whittle, and, when given a Chisel
# binary, with Chisel in the same run. Prints a Markdown table (hyperfine).
# Fetches and builds nothing: bring a release build of whittle (and Chisel).
#
#   WHITTLE=target/release/whittle scripts/bench-slices.sh
#   CHISEL=/path/to/chisel CHISEL_MIRROR_PATCHED=1 WHITTLE=... scripts/bench-slices.sh
#
# Env: WHITTLE (binary), RUNS (default 5), WHITTLE_FIXTURES (default
# ../shared/fixtures beside the repository), CHISEL + CHISEL_MIRROR_PATCHED=1 for the Chisel side.
# Chisel hard-codes the Ubuntu archive URL; CHISEL_MIRROR_PATCHED=1
# promises a Chisel built with that constant replaced by $CHISEL_UBUNTU_URL
# (which this script sets to the local mirror), so it never reaches out.
set -euo pipefail
whittle=${WHITTLE:-${CARGO_TARGET_DIR:-target}/release/whittle}
runs=${RUNS:-5}
fx=${WHITTLE_FIXTURES:-$(cd "$(dirname "$0")/../../shared/fixtures" && pwd)}
full=$fx/chisel-releases-ubuntu-24.04
slices="base-files_base base-files_release-info base-files_chisel ca-certificates_data libc6_libs python3.12_standard"
[[ -x $whittle ]] || { echo "no whittle binary at $whittle (set WHITTLE)" >&2; exit 2; }
chisel=
[[ -n ${CHISEL:-} && ${CHISEL_MIRROR_PATCHED:-} = 1 ]] && chisel=$CHISEL
work=$(mktemp -d /tmp/whittle-bench-slices.XXXXXX)

# Serve the fixture archive (InRelease, Packages.gz, 47 .debs) on a free port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$fx/ubuntu-noble-mirror" "$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server; rm -rf "$work"' EXIT
mirror=http://127.0.0.1:$port/ubuntu
for _ in $(seq 50); do curl -sf -o /dev/null "$mirror/dists/noble/InRelease" && break; sleep 0.1; done

# The trimmed release: chisel.yaml and the slice files of the 26 packages the
# selection cuts (packages.txt), plus the 10 packages that other slices of
# those packages name as essentials (Chisel refuses a dangling essential).
trimmed=$work/trimmed-release
mkdir -p "$trimmed/slices"
cp "$full/chisel.yaml" "$trimmed/"
for p in $(awk '{print $1}' "$fx/chisel-cut-python/packages.txt") \
  findutils libselinux1 sed libacl1 libpcre2-8-0 bash coreutils libgmp10 libattr1 libcap2; do
  cp "$full/slices/$p.yaml" "$trimmed/slices/"
done

# One recipe per release; the same slices Chisel cuts in the reference.
for r in full trimmed; do
  rel=$full; [[ $r = trimmed ]] && rel=$trimmed
  cat >"$work/$r.yaml" <<EOF
contents:
  slices: $rel
  repositories: [{type: deb, url: $mirror}]
  packages: [${slices// /, }]
archs: [amd64]
entrypoint: {command: /usr/bin/python3.12}
EOF
done

# Warm both caches once (whittle: index snapshots + unpacked .debs; Chisel:
# Packages indexes + .debs under $XDG_CACHE_HOME/chisel). Chisel re-fetches
# InRelease on every run; whittle fetches and verifies InRelease every run too.
export WHITTLE_IGNORE_VALID_UNTIL=true XDG_CACHE_HOME=$work/xdg CHISEL_UBUNTU_URL=$mirror/
for r in full trimmed; do
  "$whittle" build "$work/$r.yaml" bench:1 "$work/$r.tar" --no-sbom --cache-dir "$work/cache" >/dev/null 2>&1
done
if [[ -n $chisel ]]; then
  mkdir "$work/root" && "$chisel" cut --release "$full" --root "$work/root" --arch amd64 $slices 2>/dev/null
fi

args=()
add() { args+=(--command-name "$1" --prepare "$2" "$3"); }
for r in full trimmed; do
  rel=$full; [[ $r = trimmed ]] && rel=$trimmed
  # Load + validate the release: every slice file parsed, every pair of
  # slices checked for path conflicts. Chisel's own equivalent is `info`.
  add "whittle slices check ($r release)" true "$whittle slices check $rel"
  [[ -n $chisel ]] && add "chisel info python3.12_core ($r release)" true \
    "$chisel info --release $rel python3.12_core"
  # Warm cut. whittle: resolve, cut, run mutation scripts, write an OCI tar.
  # Chisel: the same cut into a fresh directory (no image).
  add "whittle build, warm ($r release)" "rm -f $work/$r.tar" \
    "$whittle build $work/$r.yaml bench:1 $work/$r.tar --no-sbom --cache-dir $work/cache"
  [[ -n $chisel ]] && add "chisel cut, warm ($r release)" "rm -rf $work/root && mkdir $work/root" \
    "$chisel cut --release $rel --root $work/root --arch amd64 $slices"
done
hyperfine --runs "$runs" --export-json "$work/results.json" "${args[@]}" >&2

echo
echo "Command: \`scripts/bench-slices.sh\` (RUNS=$runs) on $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
# hyperfine's Markdown has the mean; print the median (and min, max) instead.
python3 - "$work/results.json" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
print("| Command | Median [s] | Min [s] | Max [s] | Runs |\n|:---|---:|---:|---:|---:|")
for r in rs:
    print(f"| `{r['command']}` | {r['median']:.3f} | {r['min']:.3f} | {r['max']:.3f} | {len(r['times'])} |")
PY
