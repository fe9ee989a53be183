//! `/var/lib/rpmmanifest/container-manifest-1` and `-2`: the package
//! lists Azure Linux distroless images carry instead of an rpmdb, read by
//! Qualys (manifest-1), Trivy and Syft (manifest-2).
//!
//! Formats (Azure Linux toolkit `installutils.go`, `docs/how_it_works/
//! 5_misc.md`; Marinara's `marinaracommon.py`):
//! * manifest-1: `%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}` (toolkit; what
//!   `rpm -qa` prints) or `%{NAME}.%{VERSION}-%{RELEASE}.%{ARCH}`
//!   (Marinara), one per line;
//! * manifest-2: ten TAB-separated fields `%{NAME}`,
//!   `%{VERSION}-%{RELEASE}`, `%{INSTALLTIME}`, `%{BUILDTIME}`,
//!   `%{VENDOR}`, field 6, `%{SIZE}`, `%{ARCH}`, `%{EPOCHNUM}`,
//!   `%{SOURCERPM}`, each line ending in a newline.
//!
//! Field 6 is written as the toolkit's code writes it, a literal `(none)`
//! on every line, by default. Measured with the scanners whittle's tests
//! run (Syft 1.18.1, Trivy 0.59.1): a numeric field 6 makes Syft take the
//! epoch from the wrong column (`SIZE`: `tool 100:2.0-1`), while Trivy
//! ignores both fields 6 and 9. With `(none)` both report the package
//! without its epoch and agree. A manifest cannot carry epochs to these
//! scanners; an rpmdb can (whittle's default). [`EpochField::Epoch`]
//! writes Marinara's `%{EPOCH}` for tools that read it correctly.
//!
//! Lines are sorted (bytewise, as `LC_ALL=C sort`) by default so two
//! builds of an image compare equal; [`Order::Database`] keeps install
//! order, as the toolkit's `rpm -qa` does. `gpg-pubkey` pseudo-packages
//! are never listed.

use crate::header::Header;
use crate::tags;

/// One package as the manifests list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// `NAME`.
    pub name: String,
    /// `EPOCH`; `None` when the package has none.
    pub epoch: Option<u32>,
    /// `VERSION`.
    pub version: String,
    /// `RELEASE`.
    pub release: String,
    /// `ARCH`.
    pub arch: String,
    /// `INSTALLTIME`: the build epoch, never the wall clock.
    pub install_time: u32,
    /// `BUILDTIME`.
    pub buildtime: u32,
    /// `VENDOR` (`(none)` when absent).
    pub vendor: Option<String>,
    /// `SIZE` (installed bytes; `LONGSIZE` for big packages).
    pub size: u64,
    /// `SOURCERPM` (`(none)` when absent).
    pub sourcerpm: Option<String>,
}

/// Field 6 of manifest-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EpochField {
    /// `%{EPOCH}`: `(none)` or the number (Marinara; Syft 1.18 misreads
    /// a number here).
    Epoch,
    /// The toolkit's literal `(none)` on every line.
    #[default]
    LiteralNone,
}

/// Line format of manifest-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Manifest1Style {
    /// `NAME-VERSION-RELEASE.ARCH` (the toolkit; `rpm -qa`).
    #[default]
    Toolkit,
    /// `NAME.VERSION-RELEASE.ARCH` (Marinara).
    Marinara,
}

/// Line order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Sorted bytewise (`LC_ALL=C sort`): reproducible whatever the
    /// install order.
    #[default]
    Sorted,
    /// The order given (install order, as `rpm -qa` lists an rpmdb).
    Database,
}

impl ManifestEntry {
    /// The entry of a package header (an installed header's
    /// `INSTALLTIME` is kept; a package header gets 0, to be set with
    /// [`ManifestEntry::with_install_time`]).
    pub fn from_header(h: &Header) -> ManifestEntry {
        let int = |tag| h.int(tag).and_then(|v| u32::try_from(v).ok());
        ManifestEntry {
            name: h.string(tags::NAME).unwrap_or_default(),
            epoch: int(tags::EPOCH),
            version: h.string(tags::VERSION).unwrap_or_default(),
            release: h.string(tags::RELEASE).unwrap_or_default(),
            arch: h.string(tags::ARCH).unwrap_or_default(),
            install_time: int(tags::INSTALLTIME).unwrap_or(0),
            buildtime: int(tags::BUILDTIME).unwrap_or(0),
            vendor: h.string(tags::VENDOR),
            size: h
                .int(tags::SIZE)
                .or_else(|| h.int(tags::LONGSIZE))
                .unwrap_or(0),
            sourcerpm: h.string(tags::SOURCERPM),
        }
    }

    /// The entry with `INSTALLTIME` set to `time` (the build epoch).
    #[must_use]
    pub fn with_install_time(mut self, time: u32) -> ManifestEntry {
        self.install_time = time;
        self
    }

    fn line1(&self, style: Manifest1Style) -> String {
        let sep = match style {
            Manifest1Style::Toolkit => '-',
            Manifest1Style::Marinara => '.',
        };
        format!(
            "{}{sep}{}-{}.{}\n",
            self.name, self.version, self.release, self.arch
        )
    }

    fn line2(&self, field6: EpochField) -> String {
        let epoch = match (field6, self.epoch) {
            (EpochField::Epoch, Some(e)) => e.to_string(),
            _ => "(none)".to_string(),
        };
        let none = || "(none)".to_string();
        format!(
            "{}\t{}-{}\t{}\t{}\t{}\t{epoch}\t{}\t{}\t{}\t{}\n",
            self.name,
            self.version,
            self.release,
            self.install_time,
            self.buildtime,
            self.vendor.clone().unwrap_or_else(none),
            self.size,
            self.arch,
            self.epoch.unwrap_or(0),
            self.sourcerpm.clone().unwrap_or_else(none),
        )
    }
}

/// `container-manifest-1`.
pub fn container_manifest_1(
    entries: &[ManifestEntry],
    style: Manifest1Style,
    order: Order,
) -> String {
    assemble(entries, order, |e| e.line1(style))
}

/// `container-manifest-2`.
pub fn container_manifest_2(entries: &[ManifestEntry], field6: EpochField, order: Order) -> String {
    assemble(entries, order, |e| e.line2(field6))
}

fn assemble(
    entries: &[ManifestEntry],
    order: Order,
    line: impl Fn(&ManifestEntry) -> String,
) -> String {
    let mut lines: Vec<String> = entries
        .iter()
        .filter(|e| e.name != "gpg-pubkey")
        .map(line)
        .collect();
    if order == Order::Sorted {
        lines.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    }
    lines.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> String {
        fs_err::read_to_string(whittle_test_env::fixtures::path(rel)).unwrap()
    }

    /// Every header of the real Mariner rpmdb, in hnum order.
    fn mariner_entries() -> Vec<ManifestEntry> {
        crate::rpmdb::tests::mariner_blobs()
            .iter()
            .map(|b| ManifestEntry::from_header(&Header::from_blob(b, "blob").unwrap()))
            .collect()
    }

    #[test]
    fn toolkit_manifests_match_rpm() {
        let entries = mariner_entries();
        assert_eq!(entries.len(), 129);
        assert_eq!(
            container_manifest_1(&entries, Manifest1Style::Toolkit, Order::Database),
            fixture("rpm/manifests/generated-mariner2-rpmdb-toolkit-style-container-manifest-1")
        );
        assert_eq!(
            container_manifest_2(&entries, EpochField::LiteralNone, Order::Database),
            fixture("rpm/manifests/generated-mariner2-rpmdb-toolkit-style-container-manifest-2")
        );
    }

    #[test]
    fn marinara_manifests_match_rpm() {
        let entries = mariner_entries();
        assert_eq!(
            container_manifest_1(&entries, Manifest1Style::Marinara, Order::Sorted),
            fixture("rpm/manifests/generated-mariner2-rpmdb-marinara-style-container-manifest-1")
        );
        // Marinara: `%{EPOCH}` in field 6, sorted.
        assert_eq!(
            container_manifest_2(&entries, EpochField::Epoch, Order::default()),
            fixture("rpm/manifests/generated-mariner2-rpmdb-marinara-style-container-manifest-2")
        );
    }

    #[test]
    fn sorted_manifest_1_is_the_toolkit_lines_sorted() {
        let entries = mariner_entries();
        let mut want: Vec<String> =
            fixture("rpm/manifests/generated-mariner2-rpmdb-toolkit-style-container-manifest-1")
                .lines()
                .map(|l| format!("{l}\n"))
                .collect();
        want.sort();
        let mut reversed = entries.clone();
        reversed.reverse();
        let got = container_manifest_1(&reversed, Manifest1Style::Toolkit, Order::Sorted);
        assert_eq!(got, want.concat());
    }

    #[test]
    fn field_6_and_field_9_carry_the_epoch_as_asked() {
        let entries = mariner_entries();
        let field = |line: &str, i: usize| line.split('\t').nth(i).unwrap().to_string();
        let marinara = container_manifest_2(&entries, EpochField::Epoch, Order::Sorted);
        let toolkit = container_manifest_2(&entries, EpochField::LiteralNone, Order::Sorted);
        let mut with_epoch = 0;
        for (m, t) in marinara.lines().zip(toolkit.lines()) {
            assert_eq!(m.split('\t').count(), 10, "{m}");
            assert_eq!(field(t, 5), "(none)", "{t}");
            assert_eq!(field(m, 8), field(t, 8), "EPOCHNUM in both");
            if field(m, 8) != "0" {
                assert_eq!(field(m, 5), field(m, 8), "{m}");
                with_epoch += 1;
            } else {
                assert_eq!(field(m, 5), "(none)", "{m}");
            }
        }
        assert_eq!(with_epoch, 3);
        // Syft's own fixture line for vim agrees with what we write.
        let syft = fixture("rpm/manifests/syft-testdata-container-manifest-2");
        let vim = syft.lines().find(|l| l.starts_with("vim\t")).unwrap();
        let ours = ManifestEntry {
            name: "vim".into(),
            epoch: Some(2),
            version: "9.0".into(),
            release: "1.cm2".into(),
            arch: "x86_64".into(),
            install_time: 1653816591,
            buildtime: 1653753130,
            vendor: Some("Microsoft Corporation".into()),
            size: 45000,
            sourcerpm: Some("vim-9.0-1.cm2.src.rpm".into()),
        };
        assert_eq!(
            container_manifest_2(&[ours], EpochField::Epoch, Order::Sorted),
            format!("{vim}\n")
        );
    }

    #[test]
    fn install_time_is_the_build_epoch_and_gpg_pubkey_is_left_out() {
        let mut entries: Vec<ManifestEntry> = mariner_entries()
            .into_iter()
            .map(|e| e.with_install_time(1_700_000_000))
            .collect();
        let mut key = entries[0].clone();
        key.name = "gpg-pubkey".into();
        entries.push(key);
        let text = container_manifest_2(&entries, EpochField::Epoch, Order::Sorted);
        assert_eq!(text.lines().count(), 129);
        assert!(text
            .lines()
            .all(|l| l.split('\t').nth(2) == Some("1700000000")));
        assert!(text.ends_with('\n') && !text.contains("\n\n"));
    }
}
