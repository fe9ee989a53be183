#!/usr/bin/env bash
# The reference for the fidelity figures of issue 8 (FIDELITY.md): what an
# installed Debian system holds after dpkg ran the maintainer scripts.
#
#   scripts/fidelity.sh listing OUT [PACKAGE...]
#
# builds `mmdebstrap --variant=essential --include=PACKAGE,... bookworm` in a
# temporary directory from the host's apt sources (the same mirror whittle's
# live tests use), writes a listing of the tree to OUT and deletes the tree.
# The listing is small and is what gets cached (the tests keep it under
# ~/.cache/whittle-ci/fidelity/); the tree is not.
#
# Listing format, one line per path, sorted, tab-separated:
#   OWNER  PATH  TYPE  MODE  UID  GID  LINK-TARGET
# OWNER is `pkg` when a package's /var/lib/dpkg/info/*.list names the path
# (after resolving directory symlinks such as /bin -> usr/bin inside the
# tree, as dpkg's merged-/usr lists name the aliased paths) and `script`
# otherwise: the path came from a maintainer script, a trigger or the
# bootstrap itself. Lines starting with `#` record the installed packages
# (`# package NAME VERSION`), so a listing says what it was made from.
#
# Runs as root (mmdebstrap's root mode: owners and modes as dpkg leaves
# them); elsewhere it tries `--mode=unshare`.
set -euo pipefail

usage() {
  echo "usage: $0 listing OUT [PACKAGE...]" >&2
  exit 2
}

[ $# -ge 2 ] || usage
[ "$1" = listing ] || usage
out=$2
shift 2

command -v mmdebstrap >/dev/null || {
  echo "mmdebstrap is not installed (apt-get install mmdebstrap)" >&2
  exit 3
}

# The host's apt sources, each file handed to mmdebstrap as a sources list.
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && sources+=("$f")
done
[ ${#sources[@]} -gt 0 ] || {
  echo "no apt sources on this host" >&2
  exit 3
}

mode=root
[ "$(id -u)" = 0 ] || mode=unshare

work=$(mktemp -d "${TMPDIR:-/tmp}/whittle-fidelity.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/tree

include=()
if [ $# -gt 0 ]; then
  include=("--include=$(IFS=,; echo "$*")")
fi

# `--skip=cleanup/apt/lists`, `--skip=cleanup/apt/cache` would keep apt's
# files; the defaults remove them, which is what the listing wants. The
# output goes to the log so that a failure can be read.
if ! mmdebstrap --mode="$mode" --variant=essential "${include[@]}" \
  --format=directory bookworm "$tree" "${sources[@]}" >"$work/log" 2>&1; then
  cat "$work/log" >&2
  exit 1
fi

python3 - "$tree" >"$work/listing" <<'PY'
import os, stat, sys

root = sys.argv[1]

def inside(path):
    """`path` (absolute, as a package names it) with its directory part
    resolved through the tree's symlinks, confined to the tree."""
    parent, name = os.path.split(path.rstrip("/") or "/")
    parts = [p for p in parent.split("/") if p]
    resolved = []
    hops = 0
    while parts:
        p = parts.pop(0)
        if p == ".":
            continue
        if p == "..":
            if resolved:
                resolved.pop()
            continue
        here = os.path.join(root, *resolved, p)
        if os.path.islink(here) and hops < 40:
            hops += 1
            target = os.readlink(here)
            if target.startswith("/"):
                resolved = []
            parts = [t for t in target.split("/") if t] + parts
            continue
        resolved.append(p)
    return "/" + "/".join(resolved + ([name] if name else []))

owned = set()
info = os.path.join(root, "var/lib/dpkg/info")
packages = []
with open(os.path.join(root, "var/lib/dpkg/status"), encoding="utf-8") as f:
    name = version = None
    for line in f:
        if line.startswith("Package: "):
            name = line.split(": ", 1)[1].strip()
        elif line.startswith("Version: "):
            version = line.split(": ", 1)[1].strip()
        elif not line.strip():
            if name:
                packages.append((name, version))
            name = version = None
    if name:
        packages.append((name, version))
for entry in sorted(os.listdir(info)):
    if entry.endswith(".list"):
        with open(os.path.join(info, entry), encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                line = line.rstrip("\n")
                if line and line != "/.":
                    owned.add(inside(line))

rows = []
for dirpath, dirnames, filenames in os.walk(root):
    for n in dirnames + filenames:
        full = os.path.join(dirpath, n)
        rel = "/" + os.path.relpath(full, root)
        st = os.lstat(full)
        kind = ("l" if stat.S_ISLNK(st.st_mode) else "d" if stat.S_ISDIR(st.st_mode)
                else "f" if stat.S_ISREG(st.st_mode) else "o")
        link = os.readlink(full) if kind == "l" else ""
        owner = "pkg" if rel in owned else "script"
        rows.append((rel, f"{owner}\t{rel}\t{kind}\t{stat.S_IMODE(st.st_mode):o}\t{st.st_uid}\t{st.st_gid}\t{link}"))
for name, version in sorted(packages):
    print(f"# package {name} {version}")
for _, row in sorted(rows):
    print(row)
PY

mkdir -p "$(dirname "$out")"
mv "$work/listing" "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
