//! The real chisel-releases branches in the shared fixtures: they load and
//! check clean, and the other operations work on them.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixture;
use whittle_slices::{check_selection, find, info, PackageCut, Release, SliceKey};

fn load(name: &str) -> Release {
    let release = whittle_slices::load(&[fixture(name)]).unwrap();
    release.check().unwrap();
    release
}

fn counts(r: &Release) -> (usize, usize, usize) {
    let slices = r.slices().count();
    let paths = r.slices().map(|s| s.contents.len()).sum();
    (r.packages.len(), slices, paths)
}

#[test]
fn ubuntu_24_04_loads_and_checks_clean() {
    let r = load("chisel-releases-ubuntu-24.04");
    assert_eq!(counts(&r), (605, 1810, 6908));
    assert_eq!(r.archives.len(), 3);
    assert_eq!(r.archives["ubuntu"].version, "24.04");
    assert_eq!(r.archives["ubuntu-esm-apps"].priority, 16);
    assert_eq!(r.maintenance.as_ref().unwrap().end_of_life, "2036-04-29");
    assert!(r.warnings.is_empty());
}

#[test]
fn ubuntu_22_04_loads_and_checks_clean() {
    let r = load("chisel-releases-ubuntu-22.04");
    assert_eq!(counts(&r), (219, 680, 3018));
    assert_eq!(r.archives["ubuntu-fips-updates"].priority, 21);
}

#[test]
fn python_image_selection() {
    let r = load("chisel-releases-ubuntu-24.04");
    let wanted: Vec<SliceKey> = [
        "base-files_base",
        "base-files_release-info",
        "base-files_chisel",
        "ca-certificates_data",
        "libc6_libs",
        "libgcc-s1_libs",
        "openssl_config",
        "python3.12_standard",
    ]
    .iter()
    .map(|s| SliceKey::parse(s).unwrap())
    .collect();
    let s = r.select(&wanted, "amd64").unwrap();
    check_selection(&r, &s).unwrap();
    for w in &wanted {
        assert!(s.slices.contains(w), "{w}");
    }
    let pos = |k: &str| s.slices.iter().position(|x| x.to_string() == k).unwrap();
    assert!(pos("libc6_libs") < pos("python3.12_standard"));
    assert!(pos("base-files_var") < pos("base-files_chisel"));

    let libc = PackageCut::new(&r, &s, "libc6");
    assert_eq!(
        libc.targets("/usr/lib/x86_64-linux-gnu/libc.so.6"),
        ["/usr/lib/x86_64-linux-gnu/libc.so.6"]
    );
    assert!(libc.targets("/usr/share/man/man1/ldd.1.gz").is_empty());
    let ca = PackageCut::new(&r, &s, "ca-certificates");
    let bundle = ca
        .created()
        .into_iter()
        .find(|c| c.path == "/etc/ssl/certs/ca-certificates.crt")
        .unwrap();
    assert!(bundle.mutable);
    assert!(ca.is_until_mutate("/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt"));
    let base = PackageCut::new(&r, &s, "base-files");
    assert!(base
        .created()
        .iter()
        .any(|c| c.path == "/var/lib/chisel/manifest.wall"));
}

#[test]
fn find_and_info_on_real_data() {
    let r = load("chisel-releases-ubuntu-24.04");
    let found = find(&r, &["python3.12".to_owned(), "_core".to_owned()]);
    assert!(
        found.iter().any(|k| k.to_string() == "python3.12_core"),
        "{found:?}"
    );
    // `info` of every package reads back as the same definitions.
    let names: Vec<String> = r.packages.keys().cloned().collect();
    let dir = tempfile::tempdir().unwrap();
    let chisel =
        fs_err::read_to_string(fixture("chisel-releases-ubuntu-24.04/chisel.yaml")).unwrap();
    // Format v3 reads the map-form essentials `info` writes (and takes
    // the v2 archives as plain archives).
    let chisel = chisel
        .replace("format: v1", "format: v3")
        .replace("\nv2-archives:\n", "\n");
    let mut files = vec![("chisel.yaml".to_owned(), chisel)];
    for name in &names {
        files.push((
            format!("slices/{name}.yaml"),
            info(&r, std::slice::from_ref(name)).unwrap(),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    common::write(dir.path(), &refs);
    let back = whittle_slices::load(&[dir.path().to_path_buf()]).unwrap();
    for name in &names {
        let mut a = r.packages[name].clone();
        let b = &back.packages[name];
        a.source.clone_from(&b.source);
        assert_eq!(&a, b, "{name}");
    }
}

#[test]
fn an_overlay_that_clashes_with_real_slices_is_caught() {
    let overlay = common::tree(&[(
        "slices/my-libc.yaml",
        "package: my-libc\nslices:\n  libs:\n    contents:\n      /usr/lib/*-linux-*/libc.so.*:\n      /etc/ld.so.conf.d/x.conf: {text: x}\n",
    )]);
    let trees = [
        fixture("chisel-releases-ubuntu-24.04"),
        overlay.path().to_path_buf(),
    ];
    let r = whittle_slices::load(&trees).unwrap();
    assert_eq!(r.packages.len(), 606);
    let e = r.check().unwrap_err().to_string();
    assert!(
        e.contains("libc6_libs") && e.contains("my-libc_libs"),
        "{e}"
    );
    assert!(e.contains("/usr/lib/*-linux-*/libc.so.*"), "{e}");
    // Selecting only the overlay's slice is fine on its own.
    let s = r
        .select(&[SliceKey::parse("my-libc_libs").unwrap()], "amd64")
        .unwrap();
    check_selection(&r, &s).unwrap();
}
