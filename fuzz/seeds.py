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


# RPM: the lead is 96 bytes, then headers of a 16-byte intro (magic,
# reserved, il, dl), il 16-byte index entries and dl bytes of data.
RPM_LEAD = 96
RPM_HEADER_MAGIC = b"\x8e\xad\xe8\x01\x00\x00\x00\x00"
RPM_PAYLOADCOMPRESSOR = 1125
RPM_PAYLOADDIGEST = 5092
RPM_UNUSED_TAG = 0x7FFF0000


def rpm_header_at(raw, pos):
    """The header (with its magic) starting at `pos`, or None."""
    if raw[pos : pos + 8] != RPM_HEADER_MAGIC:
        return None
    il = int.from_bytes(raw[pos + 8 : pos + 12], "big")
    dl = int.from_bytes(raw[pos + 12 : pos + 16], "big")
    end = pos + 16 + il * 16 + dl
    return raw[pos:end] if end <= len(raw) else None


def rpm_split(raw):
    """(lead, signature header, main header, payload), or None."""
    sig = rpm_header_at(raw, RPM_LEAD)
    if sig is None:
        return None
    pos = RPM_LEAD + len(sig)
    pos += (8 - (len(sig) - 16) % 8) % 8
    main = rpm_header_at(raw, pos)
    if main is None:
        return None
    return raw[:RPM_LEAD], sig, main, raw[pos + len(main) :]


def rpm_retag(header, tags):
    """The header with the entries of `tags` renamed to an unused tag, so
    readers no longer see them while the layout stays the same."""
    out = bytearray(header)
    il = int.from_bytes(header[8:12], "big")
    for i in range(il):
        at = 16 + i * 16
        if int.from_bytes(header[at : at + 4], "big") in tags:
            out[at : at + 4] = RPM_UNUSED_TAG.to_bytes(4, "big")
    return bytes(out)


def rpm_payload_plain(payload):
    if payload.startswith(b"\x1f\x8b"):
        return gzip.decompress(payload)
    if payload.startswith(b"\xfd7zXZ") or payload.startswith(b"\x5d\x00\x00"):
        return lzma.decompress(payload)
    if payload.startswith(b"\x28\xb5\x2f\xfd"):
        return decompress_member("payload.zst", payload)
    return None


def rpm_opened(raw):
    """The package with no header digests or signature (a signature header
    holding only SIZE), no payload digest and its payload decompressed:
    mutations of the main header and of the cpio then reach the payload
    walk instead of failing a digest check."""
    split = rpm_split(raw)
    if split is None:
        return None
    lead, _, main, payload = split
    try:
        plain = rpm_payload_plain(payload)
    except Exception:
        plain = None
    if plain is None:
        return None
    main = rpm_retag(main, {RPM_PAYLOADCOMPRESSOR, RPM_PAYLOADDIGEST})
    size = (len(main) + len(plain)).to_bytes(4, "big")
    sig = RPM_HEADER_MAGIC + (1).to_bytes(4, "big") + (4).to_bytes(4, "big")
    sig += (1000).to_bytes(4, "big") + (4).to_bytes(4, "big") + bytes(4) + (1).to_bytes(4, "big")
    sig += size + bytes(4)  # the value, then padding to 8
    return lead + sig + main + plain


# Dependency strings and version pairs written for the fuzzer.
RPM_DEPS = [
    "bash",
    "bash >= 5.1",
    "glibc(x86-64) = 2:2.35-4.cm2",
    "libc.so.6(GLIBC_2.34)(64bit)",
    "/bin/sh",
    "config(setup) = 2.13.7-1.fc36",
    "(a or b)",
    "(a and b and c)",
    "(pkgA >= 1.0 or (pkgB and pkgC < 2~rc1))",
    "(foo if bar)",
    "(foo if bar else baz)",
    "(foo unless bar)",
    "(foo unless (bar or baz) else qux >= 3)",
    "(foo with bar-devel)",
    "(python3-foo with python3(abi) = 3.12 with python3-bar)",
    "(kernel without kernel-debug)",
    "((a or b) and (c or d) and (e or f))",
    "((a and b) or (c and d) or (e and f))",
    "(((a or b) if c) or (d unless e))",
    "(a if (b with c) else (d without e))",
    "(langpacks-en if (glibc-langpack-en or glibc-all-langpacks))",
    "(a or b or c or d or e or f or g or h)",
    "(x and (y or (z and (w or v))))",
    "  (  spaced   or  out  )  ",
    "(a >= 1:2.0^git1 or a < 2.0~beta)",
]
RPM_VERSION_PAIRS = [
    ("1.0", "1.0"),
    ("1.0~rc1", "1.0"),
    ("1.0~rc1", "1.0~rc2"),
    ("1.0^git1", "1.0"),
    ("1.0^git1", "1.0.1"),
    ("1.0^git1~pre", "1.0^git1"),
    ("2:1.0-1", "1:9.9-9"),
    ("0:1.0", "1.0"),
    ("1.010", "1.9"),
    ("1.0a", "1.0.1"),
    ("5.1.16-2.cm2", "5.1.16-10.cm2"),
    ("abc", "abd"),
    ("1..0", "1.0"),
    ("00000000000000000000000001", "1"),
    ("99999999999999999999999999999", "100000000000000000000000000000"),
    ("~~", "~"),
    ("^^", "^"),
    ("1_0", "1.0"),
    ("", "0"),
    ("1.0+b1", "1.0"),
]


def package_runs(xml, per_seed, seeds):
    """Up to `seeds` documents of `per_seed` `<package>` elements each,
    spread over a large repodata file, with its opening and closing tags."""
    parts = xml.split(b"<package ")
    if len(parts) <= per_seed + 1:
        return
    head, packages = parts[0], parts[1:]
    tail = packages[-1][packages[-1].rfind(b"</") :]
    packages[-1] = packages[-1][: packages[-1].rfind(b"</")]
    step = max(1, len(packages) // seeds)
    for i in range(0, len(packages), step):
        run = b"".join(b"<package " + p for p in packages[i : i + per_seed])
        yield head + run + tail


def rpm_seeds(fixtures, out):
    root = fixtures / "rpm"
    rpms = sorted((root / "rpms").rglob("*.rpm"), key=lambda p: (p.stat().st_size, str(p)))
    for path in rpms[:16]:
        raw = path.read_bytes()
        put(out, "rpm_unpack", raw)
        opened = rpm_opened(raw)
        if opened is not None:
            put(out, "rpm_unpack", opened)
    for path in rpms:
        split = rpm_split(path.read_bytes())
        if split is None:
            continue
        lead, sig, main, _ = split
        put(out, "rpm_header", sig[8:])
        put(out, "rpm_header", main[8:])
        put(out, "rpm_header", path.read_bytes()[: len(lead) + len(sig) + 8 + len(main)])
    for path in sorted((root / "rpmdb").glob("*.bin")):
        raw = path.read_bytes()
        put(out, "rpm_header", raw[8:] if raw.startswith(RPM_HEADER_MAGIC) else raw)
    for path in sorted((root / "repodata").rglob("*.xml*")):
        name = path.name
        if not any(k in name for k in ("primary", "filelists.xml", "repomd.xml")):
            continue
        try:
            data = decompress_member(name, path.read_bytes())
        except Exception:
            data = None
        if data is None:
            continue
        put(out, "rpm_primary", data)
        for run in package_runs(data, 3, 8):
            put(out, "rpm_primary", run)
    for dep in RPM_DEPS:
        put(out, "rpm_rich", dep)
    for a, b in RPM_VERSION_PAIRS:
        put(out, "rpm_rich", f"{a}\0{b}")


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
        rpm_seeds(fixtures, out)
    for d in sorted(out.iterdir()):
        print(f"  {d.name}: {len(os.listdir(d))} seeds")


if __name__ == "__main__":
    main()
