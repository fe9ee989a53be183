#!/usr/bin/env bash
# Benchmark: an RPM image (python3 and its closure, 48 packages from a signed
# loopback repository) built by whittle, cold and warm, and in the same run by
# the peer a Marinara user would reach for on Debian: `dnf --installroot`
# (Debian's dnf) into a fresh directory, then umoci to make it an OCI image.
# Prints a Markdown table (hyperfine), whittle's time by stage, the peer's
# dnf/umoci split, image sizes and package counts. Run as root (dnf needs it).
#
#   WHITTLE=target/release/whittle scripts/bench-rpm.sh
#   SKIP_WHITTLE=1 scripts/bench-rpm.sh     # the peer alone
#
# Env: WHITTLE (binary), RUNS (default 5), RPM_BENCH_REPO (a directory to
# build the repository into and reuse across runs; default a temporary one),
# WHITTLE_FIXTURES (default ../shared/fixtures beside the repository),
# SKIP_WHITTLE=1. The repository is made by scripts/make-rpm-bench-repo.py
# (Debian bookworm .debs repacked with rpmbuild, signed with a throw-away key).
set -euo pipefail
whittle=${WHITTLE:-${CARGO_TARGET_DIR:-target}/release/whittle}
runs=${RUNS:-5}
here=$(cd "$(dirname "$0")" && pwd)
skip_whittle=${SKIP_WHITTLE:-}
[[ -n $skip_whittle || -x $whittle ]] || { echo "no whittle binary at $whittle (set WHITTLE)" >&2; exit 2; }
[[ $(id -u) = 0 ]] || { echo "run as root: dnf --installroot installs as root" >&2; exit 2; }
for t in dnf umoci hyperfine rpm; do
  command -v $t >/dev/null || { echo "$t is not installed" >&2; exit 2; }
done
work=$(mktemp -d /tmp/whittle-bench-rpm.XXXXXX)
repo=${RPM_BENCH_REPO:-$work/repo}
"$here/make-rpm-bench-repo.py" "$repo"
repo=$(cd "$repo" && pwd)
key=$repo/RPM-GPG-KEY-bench
# The python image of the Debian fixture, with Azure Linux's two base packages
# in place of base-files and base-passwd.
packages="python3 ca-certificates tzdata netbase azurelinux-release filesystem"

# Serve the repository on a free port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$repo" "$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server; rm -rf "$work"' EXIT
url=http://127.0.0.1:$port
for _ in $(seq 50); do curl -sf -o /dev/null "$url/repodata/repomd.xml" && break; sleep 0.1; done

cat >"$work/recipe.yaml" <<EOF
contents:
  repositories:
    - type: rpm
      url: $url
      gpgkey: $key
      repo_gpgcheck: true
  packages: [${packages// /, }]
accounts:
  groups: [{groupname: nonroot, gid: 65532}]
  users: [{username: nonroot, uid: 65532, gid: 65532}]
  run-as: nonroot
entrypoint: {command: /usr/bin/python3.11}
archs: [x86_64]
EOF

# The peer, one script per run: dnf into a fresh root (cache kept or not by the
# prepare step), the same account whittle adds, dnf's own logs and history
# dropped (what `dnf clean all` and a Dockerfile's rm would leave), then umoci:
# a layout, one layer from the root, the config, and a tar of the layout.
# Debian's rpm keeps its database in ~/.rpmdb; HOME points at a .rpmmacros
# that puts it at /var/lib/rpm inside the root, as on Azure Linux.
mkdir -p "$work/home"
echo '%_dbpath /var/lib/rpm' >"$work/home/.rpmmacros"
cat >"$work/peer.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
root=$work/root layout=$work/layout
t0=\$EPOCHREALTIME
HOME=$work/home dnf --installroot "\$root" --releasever 3.0 -y -q --nodocs \\
  --setopt=reposdir=/dev/null --repofrompath "bench,$url" \\
  --setopt=bench.gpgcheck=1 --setopt=bench.repo_gpgcheck=1 --setopt=bench.gpgkey=file://$key \\
  --setopt=install_weak_deps=False --setopt=cachedir=$work/dnf-cache --setopt=keepcache=True \\
  install $packages >/dev/null 2>$work/dnf.log || { cat $work/dnf.log >&2; exit 1; }
echo 'nonroot:x:65532:65532::/home/nonroot:/sbin/nologin' >>"\$root/etc/passwd"
echo 'nonroot:x:65532:' >>"\$root/etc/group"
rm -rf "\$root"/var/log/dnf* "\$root"/var/log/hawkey.log "\$root"/var/lib/dnf "\$root"/var/cache/dnf
t1=\$EPOCHREALTIME
umoci init --layout "\$layout"
umoci new --image "\$layout:bench"
umoci insert --image "\$layout:bench" "\$root" /
umoci config --image "\$layout:bench" --config.user 65532 --config.entrypoint /usr/bin/python3.11
umoci gc --layout "\$layout"
tar -cf $work/umoci.tar -C "\$layout" .
t2=\$EPOCHREALTIME
if [[ -n \${PEER_TIMINGS:-} ]]; then
  awk -v a="\$t0" -v b="\$t1" -v c="\$t2" 'BEGIN { printf "dnf %.2fs, umoci %.2fs\\n", b - a, c - b }' >&2
fi
EOF
chmod +x "$work/peer.sh"
fresh_root="rm -rf $work/root $work/layout $work/umoci.tar && mkdir $work/root"
wbuild="$whittle build $work/recipe.yaml bench:1 $work/whittle.tar --cache-dir $work/cache --sbom-path $work/sbom"
mkdir -p "$work/sbom"

# One cold and one warm build of each, outside hyperfine, for the split by
# stage (whittle prints `timings:` on every build); this also warms the caches.
echo >&2
if [[ -z $skip_whittle ]]; then
  for kind in cold warm; do
    [[ $kind = cold ]] && rm -rf "$work/cache"
    $wbuild 2>"$work/whittle.log" >/dev/null || { cat "$work/whittle.log" >&2; exit 1; }
    echo "whittle $kind: $(grep '^timings:' "$work/whittle.log")" >&2
  done
fi
for kind in cold warm; do
  [[ $kind = cold ]] && rm -rf "$work/dnf-cache"
  eval "$fresh_root"
  echo -n "dnf+umoci $kind: " >&2
  PEER_TIMINGS=1 "$work/peer.sh"
done

args=()
add() { args+=(--command-name "$1" --prepare "$2" "$3"); }
if [[ -z $skip_whittle ]]; then
  add "whittle build, cold" "rm -rf $work/cache $work/whittle.tar" "$wbuild"
  add "whittle build, warm" "rm -f $work/whittle.tar" "$wbuild"
fi
add "dnf --installroot + umoci, cold" "rm -rf $work/dnf-cache && $fresh_root" "$work/peer.sh"
add "dnf --installroot + umoci, warm" "$fresh_root" "$work/peer.sh"
hyperfine --runs "$runs" --export-json "$work/results.json" "${args[@]}" >&2

echo
echo "Command: \`scripts/bench-rpm.sh\` (RUNS=$runs) on $(nproc) cores, $(date -u +%Y-%m-%d);" \
  "$(find "$repo" -name '*.rpm' | wc -l) packages in the repository," \
  "$(du -sm "$repo" | cut -f1) MB"
echo
# hyperfine's Markdown has the mean; print the median (and min, max) instead.
python3 - "$work/results.json" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
print("| Command | Median [s] | Min [s] | Max [s] | Runs |\n|:---|---:|---:|---:|---:|")
for r in rs:
    print(f"| `{r['command']}` | {r['median']:.3f} | {r['min']:.3f} | {r['max']:.3f} | {len(r['times'])} |")
med = {r["command"]: r["median"] for r in rs}
w, d = med.get("whittle build, warm"), med.get("dnf --installroot + umoci, warm")
if w and d:
    print(f"\nwhittle warm / dnf+umoci warm: {w / d:.3f} (target: at most 0.1)")
PY
echo
mb() { awk -v n="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MB", n / 1e6 }'; }
echo "| Image | Packages | Size (tar) |"
echo "|:---|---:|---:|"
if [[ -z $skip_whittle ]]; then
  n=$("$whittle" show-packages "$work/recipe.yaml" --cache-dir "$work/cache" 2>/dev/null | wc -l)
  echo "| whittle | $n | $(mb "$work/whittle.tar") |"
fi
# rpm -qa lists the imported key as a package (gpg-pubkey); not counted.
n=$(rpm --root "$work/root" --dbpath /var/lib/rpm -qa --qf '%{NAME}\n' | grep -vc '^gpg-pubkey$')
echo "| dnf + umoci | $n | $(mb "$work/umoci.tar") |"
