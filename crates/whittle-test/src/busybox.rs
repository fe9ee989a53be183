//! A real static busybox as an APK package, repacked from Debian's
//! `busybox-static` in the shared bookworm fixture mirror.

use std::io::Read;

use crate::apk::ApkSpec;

/// The Debian package the binary comes from, relative to the fixtures folder.
pub(crate) const DEB: &str =
    "debian-bookworm-mirror/debian/pool/main/b/busybox/busybox-static_1.35.0-4+deb12u1+b1_amd64.deb";

/// Applet paths listed in `etc/busybox-paths.d/busybox` (absolute, one a
/// line, as Wolfi ships it for apko's symlink emulation).
pub const BUSYBOX_APPLETS: &[&str] = &["/bin/sh", "/bin/ls", "/bin/echo", "/usr/bin/id"];

/// `busybox 1.35.0-r0` shipping the static `bin/busybox` (0755) and
/// `etc/busybox-paths.d/busybox`, providing `cmd:busybox=1.35.0-r0`.
/// Only for `x86_64` (or `amd64`); `None` for other archs.
pub fn busybox_static_apk_spec(arch: &str) -> Option<ApkSpec> {
    if arch != "x86_64" && arch != "amd64" {
        return None;
    }
    let binary = extract_from_deb(&whittle_test_env::fixtures::path(DEB), "bin/busybox");
    let paths: String = BUSYBOX_APPLETS.iter().map(|p| format!("{p}\n")).collect();
    Some(
        ApkSpec::new("busybox", "1.35.0-r0", "x86_64")
            .description("Size optimized toolbox of many common UNIX utilities (static)")
            .license("GPL-2.0-only")
            .provide("cmd:busybox=1.35.0-r0")
            .file("bin/busybox", &binary, 0o755)
            .file("etc/busybox-paths.d/busybox", paths.as_bytes(), 0o644),
    )
}

/// Read `path` (without `./`) from a `.deb`'s `data.tar.xz`.
pub(crate) fn extract_from_deb(deb: &std::path::Path, path: &str) -> Vec<u8> {
    let mut ar = ar::Archive::new(fs_err::File::open(deb).unwrap());
    while let Some(entry) = ar.next_entry() {
        let mut entry = entry.unwrap();
        if entry.header().identifier() != b"data.tar.xz" {
            continue;
        }
        let mut tar = tar::Archive::new(liblzma::read::XzDecoder::new(&mut entry));
        for f in tar.entries().unwrap() {
            let mut f = f.unwrap();
            let name = f.path().unwrap().to_string_lossy().into_owned();
            if name.trim_start_matches("./") == path {
                let mut out = Vec::new();
                f.read_to_end(&mut out).unwrap();
                return out;
            }
        }
        panic!("{path} not in {}", deb.display());
    }
    panic!("no data.tar.xz in {}", deb.display());
}
