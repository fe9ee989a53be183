#!/usr/bin/env python3
"""Write seed corpora for whittle's fuzz targets from the shared fixtures.

usage: seeds.py FIXTURES_DIR REPO_DIR OUT_DIR

One directory per target under OUT_DIR. Nothing here is copied into the
repository: scripts/fuzz.sh runs this into its cache before each run. Each
seed is kept small (libFuzzer mutates small inputs far faster), so large
indexes are cut into runs of whole stanzas, and .deb members are also
written decompressed so mutations reach the tar and ar readers instead of
breaking a compressed stream.
"""
import gzip
import hashlib
import io
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

MAX_SEED = 64 << 10


def put(out, target, data):
    if isinstance(data, str):
        data = data.encode()
    if not data or len(data) > MAX_SEED:
        return
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def read_index(path):
    raw = path.read_bytes()
    if path.suffix == ".xz":
        return lzma.decompress(raw)
    if path.suffix == ".gz":
        return gzip.decompress(raw)
    return raw


def stanza_runs(text, per_seed, seeds):
    """Up to `seeds` runs of `per_seed` stanzas, spread over the text."""
    stanzas = [s for s in text.split("\n\n") if s.strip()]
    if not stanzas:
        return
    step = max(1, len(stanzas) // seeds)
    for i in range(0, len(stanzas), step):
        yield "\n\n".join(stanzas[i : i + per_seed]) + "\n"


def signed_text(doc):
    """The text of a clearsigned document, armor removed (no check)."""
    lines = doc.split("\n")
    try:
        start = lines.index("") + 1
        end = lines.index("-----BEGIN PGP SIGNATURE-----")
    except ValueError:
        return None
    body = [l[2:] if l.startswith("- ") else l for l in lines[start:end]]
    return "\n".join(body) + "\n", lines[:start], lines[end:]


def ar_members(raw):
    if not raw.startswith(b"!<arch>\n"):
        return []
    pos, out = 8, []
    while pos + 60 <= len(raw):
        header = raw[pos : pos + 60]
        name = header[:16].decode(errors="replace").strip().rstrip("/")
        size = int(header[48:58].decode().strip() or 0)
        out.append((name, raw[pos + 60 : pos + 60 + size]))
        pos += 60 + size + (size & 1)
    return out


def ar_archive(members):
    out = bytearray(b"!<arch>\n")
    for name, data in members:
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode()
        out += data
        if len(data) & 1:
            out += b"\n"
    return bytes(out)


def decompress_member(name, data):
    if name.endswith(".xz"):
        return lzma.decompress(data)
    if name.endswith(".gz"):
        return gzip.decompress(data)
    if name.endswith(".zst"):
        if not shutil.which("zstd"):
            return None
        return subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True).stdout
    return data


def deb_seeds(fixtures, out):
    debs = sorted(fixtures.glob("*-mirror/**/*.deb"), key=lambda p: p.stat().st_size)[:12]
    for deb in debs:
        raw = deb.read_bytes()
        put(out, "deb_unpack", raw)
        members, plain = ar_members(raw), []
        for name, data in members:
            try:
                inner = decompress_member(name, data)
            except Exception:
                inner = None
            if inner is None:
                break
            base = name.split(".tar")[0] + ".tar" if ".tar" in name else name
            plain.append((base, inner))
            if base.endswith(".tar"):
                put(out, "tar_walk", inner)
            if base == "control.tar":
                with tarfile.open(fileobj=io.BytesIO(inner)) as t:
                    for m in t.getmembers():
                        if m.name.lstrip("./") == "control":
                            put(out, "deb_control", t.extractfile(m).read())
        else:
            put(out, "deb_unpack", ar_archive(plain))


def apk_seeds(fixtures, out):
    apks = sorted((fixtures / "apk").rglob("*.apk"), key=lambda p: p.stat().st_size)
    for apk in apks[:10]:
        raw = apk.read_bytes()
        put(out, "apk_unpack", raw)
        try:
            whole = gzip.decompress(raw)
        except Exception:
            continue
        with tarfile.open(fileobj=io.BytesIO(whole), mode="r:", ignore_zeros=True) as t:
            for m in t.getmembers():
                if m.name == ".PKGINFO":
                    put(out, "apk_pkginfo", t.extractfile(m).read())
    for index in (fixtures / "apk").rglob("APKINDEX.tar.gz"):
        put(out, "apk_index_archive", index.read_bytes())
    texts = list((fixtures / "apk").rglob("APKINDEX"))
    texts += sorted((fixtures / "apk").rglob("*.repo"))[:20]
    for t in texts:
        for run in stanza_runs(t.read_text(errors="replace"), 4, 6):
            put(out, "apk_index_text", run)


def debian_index_seeds(fixtures, out):
    for inrelease in sorted(fixtures.glob("*-mirror/*/dists/*/InRelease")):
        doc = inrelease.read_text(errors="replace")
        split = signed_text(doc)
        if split is None:
            continue
        text, head, tail = split
        put(out, "deb_control", text[:MAX_SEED])
        # The layout of a real document with a short signed text (the
        # signature no longer matches, which parsing does not need).
        short = "\n".join(text.split("\n")[:12]) + "\n"
        put(out, "inrelease", "\n".join(head) + "\n" + short + "\n".join(tail))
        put(out, "inrelease", doc.encode()[:MAX_SEED])
    indexes = sorted(fixtures.glob("*-mirror/*/dists/*/*/binary-amd64/Packages*"))
    for index in indexes:
        text = read_index(index).decode(errors="replace")
        for run in stanza_runs(text, 3, 8):
            put(out, "deb_packages", run)
            put(out, "deb_control", run)
        versions = [l.split(":", 1)[1].strip() for l in text.split("\n") if l.startswith("Version:")]
        step = max(1, len(versions) // 40)
        for a, b in zip(versions[::step], versions[1::step]):
            put(out, "deb_version", f"{a}\n{b}")


# Recipes written for the fuzzer: the keys the examples do not use.
RECIPES = [
    "contents:\n  packages: [a, b=1.0, 'c>=2']\narchs: [x86_64, arm64]\n",
    "include: base.yaml\ncontents:\n  packages: [a]\n",
    "contents:\n  repositories:\n    - https://apk.invalid/main\n    - '@local ./pkgs'\n"
    "  keyring: [./key.rsa.pub]\n  packages: [busybox]\n"
    "accounts: {users: [{username: u, uid: 10}], run-as: '10:10'}\n"
    "layering: {strategy: origin, budget: 5}\nvcs-url: https://git.invalid/r@0123abc\n",
    "contents:\n  repositories:\n    - {type: deb, url: '${FUZZ}/debian', suites: [s], components: [main]}\n"
    "  packages: [p]\nenvironment: {A: '${UNSET:-x}'}\n"
    "paths: [{path: /a, type: symlink, source: /b}, {path: /c, type: empty-file, permissions: 0o644}]\n",
]


def recipe_seeds(fixtures, repo, out):
    for path in sorted((repo / "examples").rglob("*.yaml")):
        put(out, "recipe", path.read_bytes())
    for path in sorted((fixtures / "apk").rglob("*.yaml")):
        put(out, "recipe", path.read_bytes())
    for text in RECIPES:
        put(out, "recipe", text)


def main():
    fixtures, repo, out = (Path(a) for a in sys.argv[1:4])
    out.mkdir(parents=True, exist_ok=True)
    recipe_seeds(fixtures, repo, out)
    if fixtures.is_dir():
        debian_index_seeds(fixtures, out)
        deb_seeds(fixtures, out)
        apk_seeds(fixtures, out)
    for d in sorted(out.iterdir()):
        print(f"  {d.name}: {len(os.listdir(d))} seeds")


if __name__ == "__main__":
    main()
