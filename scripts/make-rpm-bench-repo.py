#!/usr/bin/env python3
"""Build the signed RPM repository that scripts/bench-rpm.sh installs from.

No network: the .debs of the Debian bookworm python image in the shared fixture
mirror (debian-bookworm-mirror, 52 packages) are repacked into RPMs with the
real tools (dpkg-deb, rpmbuild, rpmsign, gpg, createrepo_c), plus two small
noarch packages an Azure Linux image has: `azurelinux-release` (os-release)
and `filesystem` (/etc/passwd, /etc/group).

    scripts/make-rpm-bench-repo.py OUTDIR

OUTDIR gets Packages/<letter>/*.rpm, repodata/ (repomd.xml signed too) and
RPM-GPG-KEY-bench, the public half of the throw-away key that signs every
package. A second run with the same inputs does nothing; an OUTDIR this script
did not make is never replaced. Env: WHITTLE_FIXTURES (default
../shared/fixtures beside the repository).

The mapping, deb -> rpm: Version is the upstream part (epoch -> Epoch:, the
Debian revision -> Release `<rev>.bench`); Depends and Pre-Depends become
Requires by name only (Debian and RPM order versions differently), an
alternative `a | b` becomes the rich dependency `(a or b)`; Provides by name.
AutoReqProv is off: Debian ships shared libraries without the executable bit,
so rpm's ELF generator would add `libc.so.6()(64bit)` requires that no package
provides. Files under /usr/share/doc and /usr/share/man are marked %doc by
rpmbuild itself (so `dnf --nodocs` drops them, as on Azure Linux), Debian
conffiles become %config(noreplace), the copyright file %license.
"""
import concurrent.futures
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).resolve()
FIXTURES = Path(os.environ.get("WHITTLE_FIXTURES") or SCRIPT.parents[2] / "shared" / "fixtures")
MIRROR = FIXTURES / "debian-bookworm-mirror"
OS_RELEASE = FIXTURES / "rpm" / "azurelinux" / "os-release-azurelinux-3.0"
ARCHS = {"amd64": "x86_64", "all": "noarch"}
# base-files' os-release would collide with azurelinux-release's.
DROP = {"base-files": ["/etc/os-release", "/usr/lib/os-release"]}
KEY_EMAIL = "bench@whittle.invalid"
KEY_UID = f"whittle bench <{KEY_EMAIL}>"
RPMBUILD_DEFINES = [
    "_build_id_links none",
    "debug_package %{nil}",
    "__os_install_post %{nil}",
    "__arch_install_post %{nil}",
    "_binary_payload w7T0.zstdio",  # zstd level 7, all threads: Azure Linux's
]


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def out(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def esc(text):
    """Make text safe for a spec file (no macro expansion)."""
    return text.replace("%", "%%")


def split_version(deb_version):
    """Debian `[epoch:]upstream[-revision]` -> (epoch, Version, Release)."""
    epoch, _, rest = deb_version.rpartition(":")
    upstream, dash, revision = rest.rpartition("-")
    if not dash:
        upstream, revision = rest, "1"
    # rpm allows [A-Za-z0-9._+~^] here; `-` separates Version from Release.
    clean = lambda s: re.sub(r"[^A-Za-z0-9._+~^]", ".", s)
    return epoch, clean(upstream), clean(revision) + ".bench"


def names_of(field):
    """A Depends-like field -> list of alternatives, each a list of names."""
    groups = []
    for clause in filter(None, (c.strip() for c in field.split(","))):
        alts = [re.split(r"[\s(:\[]", a.strip(), maxsplit=1)[0] for a in clause.split("|")]
        groups.append([a for a in alts if a])
    return groups


def license_of(text):
    """The first License: of a machine-readable (DEP-5) copyright file."""
    if not text.startswith("Format:"):
        return "Unknown"
    m = re.search(r"^License:[ \t]*(\S[^\n]*)", text, re.M)
    return m.group(1).strip() if m else "Unknown"


def read_deb(deb):
    """Control fields, conffiles, data entries and licence of one .deb."""
    fields = {}
    key = None
    for line in out("dpkg-deb", "-f", str(deb)).splitlines():
        if line[:1] in (" ", "\t") and key:
            fields[key] += "\n" + line
        else:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    conffiles = set()
    ctrl = subprocess.run(["dpkg-deb", "-I", str(deb), "conffiles"], capture_output=True, text=True)
    if ctrl.returncode == 0:
        conffiles = {l.split()[0] for l in ctrl.stdout.splitlines() if l.strip()}
    entries, licence = [], "Unknown"
    copyright_path = f"./usr/share/doc/{fields['Package']}/copyright"
    tar_stream = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    with tarfile.open(fileobj=tar_stream.stdout, mode="r|") as tar:
        for m in tar:
            path = "/" + re.sub(r"^\./", "", m.name).strip("/")
            if path == "/" or m.name == ".":
                continue
            entries.append((path, m.isdir(), m.uname or "root", m.gname or "root"))
            if m.name == copyright_path and m.isfile():
                licence = license_of(tar.extractfile(m).read().decode("utf-8", "replace"))
    if tar_stream.wait() != 0:
        sys.exit(f"dpkg-deb --fsys-tarfile {deb} failed")
    return fields, conffiles, entries, licence


def file_list(name, conffiles, entries):
    """The `%files -f` list: one quoted path a line with its directives."""
    lines = []
    for path, is_dir, user, group in entries:
        if path in DROP.get(name, []):
            continue
        if re.search(r'["\\*?\[\]{}\n]', path):
            sys.exit(f"{name}: cannot list {path!r} in %files (quote or glob character)")
        attrs = f"%attr(-,{user},{group}) " if (user, group) != ("root", "root") else ""
        kind = "%dir " if is_dir else ""
        if path in conffiles:
            kind = "%config(noreplace) "
        elif path == f"/usr/share/doc/{name}/copyright":
            kind = "%license "
        lines.append(f'{attrs}{kind}"{esc(path)}"')
    return "\n".join(lines) + "\n"


def spec_text(name, version, arch, summary, description, licence, requires, provides,
              install, files, url=""):
    epoch, ver, rel = split_version(version)
    head = [f"Name: {name}", f"Version: {ver}", f"Release: {rel}"]
    if epoch:
        head.append(f"Epoch: {epoch}")
    head += [f"Summary: {esc(summary)}", f"License: {esc(licence)}", "Vendor: whittle bench",
             "AutoReqProv: no"]
    if url:
        head.append(f"URL: {esc(url)}")
    if arch == "noarch":
        head.append("BuildArch: noarch")
    head += [f"Requires: {r}" for r in requires] + [f"Provides: {p}" for p in provides]
    return "\n".join(head) + f"""

%description
{esc(description)}

%install
{install}

%files -f {files}
%defattr(-,root,root,-)
"""


def debian_specs(debs, work):
    """One spec per .deb; Requires that no package of the set can satisfy are
    dropped (the names of Debian's Essential set outside the image)."""
    parsed = [(deb, *read_deb(deb)) for deb in debs]
    known = {"azurelinux-release", "filesystem"}
    for _, f, *_ in parsed:
        known.add(f["Package"])
        known.update(n for g in names_of(f.get("Provides", "")) for n in g)
    specs = []
    for deb, f, conffiles, entries, licence in parsed:
        name = f["Package"]
        requires, dropped = [], []
        for group in names_of(f.get("Pre-Depends", "") + "," + f.get("Depends", "")):
            if not any(n in known for n in group):
                dropped.append(" | ".join(group))
            elif len(group) == 1:
                requires.append(group[0])
            else:
                requires.append("(" + " or ".join(group) + ")")
        if dropped:
            print(f"  {name}: dropped Requires on {', '.join(dropped)} (not in the set)", file=sys.stderr)
        provides = sorted({n for g in names_of(f.get("Provides", "")) for n in g})
        desc_lines = f.get("Description", name).split("\n")
        description = "\n".join("" if l.strip() == "." else l[1:] for l in desc_lines[1:]) or desc_lines[0]
        files = work / "lists" / f"{name}.files"
        files.write_text(file_list(name, conffiles, entries))
        removals = "".join(f"\nrm -f %{{buildroot}}{p}" for p in DROP.get(name, []))
        specs.append((name, spec_text(
            name, f["Version"], ARCHS[f["Architecture"]], desc_lines[0], description, licence,
            dict.fromkeys(requires), provides, f"dpkg-deb -x {deb} %{{buildroot}}{removals}",
            files, f.get("Homepage", ""))))
    return specs


def extra_specs(work):
    """azurelinux-release and filesystem, the two packages every Azure Linux
    image has; their content is written here, next to the specs."""
    src = work / "src"
    src.mkdir()
    shutil.copy(OS_RELEASE, src / "os-release")
    (src / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
    # staff: base-files' /var/local is root:staff.
    (src / "group").write_text("root:x:0:\nstaff:x:50:\nnobody:x:65534:\n")
    release_files = work / "lists" / "azurelinux-release.files"
    release_files.write_text('"/usr/lib/os-release"\n"/etc/os-release"\n')
    fs_files = work / "lists" / "filesystem.files"
    fs_files.write_text('%dir "/etc"\n%config(noreplace) "/etc/passwd"\n%config(noreplace) "/etc/group"\n')
    return [
        ("azurelinux-release", spec_text(
            "azurelinux-release", "3.0-1", "noarch", "Azure Linux release files (bench stand-in)",
            "os-release of Azure Linux 3.0, repackaged for whittle's benchmark.", "MIT",
            [], ["system-release"],
            f"install -D -m 644 {src}/os-release %{{buildroot}}/usr/lib/os-release\n"
            "mkdir -p %{buildroot}/etc && ln -s ../usr/lib/os-release %{buildroot}/etc/os-release",
            release_files)),
        ("filesystem", spec_text(
            "filesystem", "1.1-1", "noarch", "The basic accounts (bench stand-in)",
            "/etc/passwd and /etc/group with root and nobody.", "MIT", [], [],
            f"install -D -m 644 {src}/passwd %{{buildroot}}/etc/passwd\n"
            f"install -D -m 644 {src}/group %{{buildroot}}/etc/group",
            fs_files)),
    ]


def rpmbuild(spec, work):
    cmd = ["rpmbuild", "-bb", "--target", "x86_64", "--nodeps", "--quiet",
           "--define", f"_topdir {work}/top", "--define", f"_rpmdir {work}/rpms",
           "--define", "_rpmfilename %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm"]
    for d in RPMBUILD_DEFINES:
        cmd += ["--define", d]
    r = subprocess.run(cmd + [str(spec)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"rpmbuild {spec.name} failed:\n{r.stdout}{r.stderr}")


def make_key(work):
    """A fresh RSA 3072 signing key without passphrase; the env to use it."""
    gnupg = work / "gnupg"
    gnupg.mkdir(mode=0o700)
    # GPG_TTY set: rpmsign would warn that stdin is no terminal (no passphrase).
    env = dict(os.environ, GNUPGHOME=str(gnupg), GPG_TTY="none")
    run("gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key", KEY_UID,
        "rsa3072", "sign", "never", env=env, stderr=subprocess.DEVNULL)
    return env


def sign_rpms(rpms, env):
    # Debian's rpm names gpg2 as %__gpg; the host has gpg.
    run("rpmsign", "--addsign", "--define", f"__gpg {shutil.which('gpg')}",
        "--define", f"_gpg_path {env['GNUPGHOME']}",
        "--define", f"_gpg_name {KEY_EMAIL}", *map(str, rpms),
        env=env, stdout=subprocess.DEVNULL)


def sign_repomd(outdir, env):
    """repodata/repomd.xml.asc, for dnf's and whittle's repo_gpgcheck."""
    repomd = outdir / "repodata" / "repomd.xml"
    run("gpg", "--batch", "--quiet", "--armor", "--local-user", KEY_EMAIL, "--detach-sign",
        "--output", f"{repomd}.asc", str(repomd), env=env)


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUTDIR")
    outdir = Path(sys.argv[1]).resolve()
    debs = sorted(MIRROR.rglob("*.deb"))
    if not debs:
        sys.exit(f"no .debs under {MIRROR} (set WHITTLE_FIXTURES)")

    # Same script, same .debs: the repository is already there.
    digest = hashlib.sha256(SCRIPT.read_bytes())
    for d in debs:
        digest.update(f"{d.name} {d.stat().st_size}\n".encode())
    stamp = digest.hexdigest()
    if (outdir / ".stamp").is_file() and (outdir / ".stamp").read_text() == stamp:
        print(f"{outdir}: up to date", file=sys.stderr)
        return

    if outdir.is_dir() and any(outdir.iterdir()) and not (outdir / ".stamp").exists():
        sys.exit(f"{outdir} is not empty and was not made by this script; not replacing it")

    with tempfile.TemporaryDirectory(prefix="whittle-rpm-bench.") as tmp:
        work = Path(tmp)
        (work / "lists").mkdir()
        (work / "specs").mkdir()
        specs = debian_specs(debs, work) + extra_specs(work)
        paths = []
        for name, text in specs:
            p = work / "specs" / f"{name}.spec"
            p.write_text(text)
            paths.append(p)

        # rpmbuild is mostly zstd (threaded already) and disk: a few at a time.
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            list(pool.map(lambda p: rpmbuild(p, work), paths))
        rpms = sorted((work / "rpms").glob("*.rpm"))
        env = make_key(work)
        sign_rpms(rpms, env)

        # Lay out as Azure Linux does (Packages/<first letter>/), then index.
        if outdir.exists():
            shutil.rmtree(outdir)
        outdir.mkdir(parents=True)
        (outdir / ".stamp").write_text("incomplete\n")  # ours, even if this run fails
        for rpm in rpms:
            dest = outdir / "Packages" / rpm.name[0].lower()
            dest.mkdir(parents=True, exist_ok=True)
            shutil.move(str(rpm), dest / rpm.name)
        run("createrepo_c", "--quiet", str(outdir))
        sign_repomd(outdir, env)
        (outdir / "RPM-GPG-KEY-bench").write_bytes(subprocess.run(
            ["gpg", "--armor", "--export", KEY_EMAIL], env=env, check=True,
            capture_output=True).stdout)
        (outdir / ".stamp").write_text(stamp)
        run("gpgconf", "--kill", "gpg-agent", env=env)  # the agent gpg started for this key

    total = sum(p.stat().st_size for p in outdir.rglob("*.rpm"))
    print(f"{outdir}: {len(rpms)} packages, {total / 1e6:.1f} MB of RPMs", file=sys.stderr)


if __name__ == "__main__":
    main()
