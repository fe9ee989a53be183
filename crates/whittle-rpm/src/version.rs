//! RPM versions, ordered exactly as rpm 4.18 orders them.
//!
//! A version string is cut into segments: runs of ASCII digits or of ASCII
//! letters; every other byte separates them and is skipped, except `~`
//! (sorts before everything, even the end of the string: `1.0~rc1 < 1.0`)
//! and `^` (sorts after the end but before any further segment:
//! `1.0 < 1.0^git1 < 1.0.1`). Digit segments compare numerically and are
//! newer than letter segments. A full version is `[epoch:]version[-release]`
//! (rpm's EVR): the epoch (missing = 0) first, then the version, then the
//! release, where a missing release sorts first; when a dependency is
//! matched, the release is only compared when both sides give one.
//!
//! ```
//! use std::cmp::Ordering;
//! use whittle_rpm::version::rpmvercmp;
//! assert_eq!(rpmvercmp("1.0~rc1", "1.0"), Ordering::Less);
//! assert_eq!(rpmvercmp("1.0^git1", "1.0.1"), Ordering::Less);
//! ```

use std::cmp::Ordering;
use std::fmt;

use whittle_model::{Op, Requirement, VersionScheme};

/// Compare two version (or release) strings like rpm's `rpmvercmp`.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (one, two) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < one.len() || j < two.len() {
        i = skip_separators(one, i);
        j = skip_separators(two, j);
        let (c1, c2) = (one.get(i).copied(), two.get(j).copied());

        // `~` sorts before everything, the end of the string included.
        if c1 == Some(b'~') || c2 == Some(b'~') {
            if c1 != Some(b'~') {
                return Ordering::Greater;
            }
            if c2 != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        // `^` sorts after the end of the string but before any segment.
        if c1 == Some(b'^') || c2 == Some(b'^') {
            if c1.is_none() {
                return Ordering::Less;
            }
            if c2.is_none() {
                return Ordering::Greater;
            }
            if c1 != Some(b'^') {
                return Ordering::Greater;
            }
            if c2 != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let Some(first) = c1 else { break };
        if c2.is_none() {
            break;
        }

        // One segment each, of the kind the left side starts with.
        let numeric = first.is_ascii_digit();
        let run: fn(&u8) -> bool = if numeric {
            u8::is_ascii_digit
        } else {
            u8::is_ascii_alphabetic
        };
        let end1 = i + one[i..].iter().take_while(|c| run(c)).count();
        let end2 = j + two[j..].iter().take_while(|c| run(c)).count();
        if end2 == j {
            // The right side has a segment of the other kind: digits win.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut seg1, mut seg2) = (&one[i..end1], &two[j..end2]);
        if numeric {
            seg1 = strip_zeros(seg1);
            seg2 = strip_zeros(seg2);
            match seg1.len().cmp(&seg2.len()) {
                Ordering::Equal => {}
                longer => return longer,
            }
        }
        match seg1.cmp(seg2) {
            Ordering::Equal => {}
            other => return other,
        }
        i = end1;
        j = end2;
    }
    match (i >= one.len(), j >= two.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// The index of the next byte at or after `at` that is a letter, a digit,
/// `~` or `^` (or the end).
fn skip_separators(s: &[u8], at: usize) -> usize {
    at + s
        .get(at..)
        .unwrap_or_default()
        .iter()
        .take_while(|c| !c.is_ascii_alphanumeric() && **c != b'~' && **c != b'^')
        .count()
}

fn strip_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|c| **c == b'0').count();
    &digits[zeros..]
}

/// A parsed `[epoch:]version[-release]`, split as rpm's `parseEVR` splits it:
/// the epoch is the leading digits before a `:`, the release what follows
/// the last `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Evr {
    /// The epoch as written (digits only; an empty `:1.0` epoch reads as
    /// `0`). Kept as text so that an absurdly long epoch still compares.
    pub epoch: Option<String>,
    /// The version part.
    pub version: String,
    /// The release part, when there is a `-`.
    pub release: Option<String>,
}

impl Evr {
    /// Split `text` into epoch, version and release.
    pub fn parse(text: &str) -> Evr {
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        let (epoch, rest) = match text[digits..].strip_prefix(':') {
            Some(rest) if digits == 0 => (Some("0".to_string()), rest),
            Some(rest) => (Some(text[..digits].to_string()), rest),
            None => (None, text),
        };
        let (version, release) = match rest.rfind('-') {
            Some(at) => (&rest[..at], Some(rest[at + 1..].to_string())),
            None => (rest, None),
        };
        Evr {
            epoch,
            version: version.to_string(),
            release,
        }
    }

    /// The epoch, `0` when absent.
    pub fn epoch_or_zero(&self) -> &str {
        self.epoch.as_deref().unwrap_or("0")
    }

    /// Compare as rpm matches a dependency (`rpmdsCompare`): epoch and
    /// version, then the release only when both sides give a non-empty
    /// one, so `foo >= 1.2` accepts `1.2-0.rc1` and `Provides: foo = 1.2`
    /// satisfies `foo = 1.2-3`. Not a total order (`1.2` matches both
    /// `1.2-1` and `1.2-2`): sort with [`Ord`].
    pub fn cmp_for_dependency(&self, other: &Evr) -> Ordering {
        let given = |r: &Option<String>| r.as_deref().is_some_and(|r| !r.is_empty());
        let head = rpmvercmp(self.epoch_or_zero(), other.epoch_or_zero())
            .then_with(|| rpmvercmp(&self.version, &other.version));
        match (&self.release, &other.release) {
            (Some(a), Some(b)) if given(&self.release) && given(&other.release) => {
                head.then_with(|| rpmvercmp(a, b))
            }
            _ => head,
        }
    }
}

impl Ord for Evr {
    /// rpm's own order (`rpmverCmp`, Lua's `rpm.vercmp`): epoch (missing
    /// = 0), version, release, where a missing release sorts before any
    /// release.
    fn cmp(&self, other: &Self) -> Ordering {
        rpmvercmp(self.epoch_or_zero(), other.epoch_or_zero())
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                (a, b) => a.is_some().cmp(&b.is_some()),
            })
    }
}

impl PartialOrd for Evr {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Evr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&evr_string(
            self.epoch.as_deref(),
            &self.version,
            self.release.as_deref(),
        ))
    }
}

/// A version as whittle writes RPM versions: `V-R`, or `E:V-R` when the
/// epoch is given and not zero; `V` alone when there is no release.
pub fn evr_string(epoch: Option<&str>, ver: &str, rel: Option<&str>) -> String {
    let mut out = String::with_capacity(ver.len() + 16);
    if let Some(e) = epoch.filter(|e| e.bytes().any(|c| c != b'0')) {
        out.push_str(e);
        out.push(':');
    }
    out.push_str(ver);
    if let Some(r) = rel.filter(|r| !r.is_empty()) {
        out.push('-');
        out.push_str(r);
    }
    out
}

/// The RPM [`VersionScheme`]: full EVR strings, rpm's matching rules and
/// rpm's way of writing requirements (`name >= 1.2-3`).
#[derive(Debug, Clone, Copy, Default)]
pub struct RpmVersionScheme;

impl VersionScheme for RpmVersionScheme {
    fn show_requirement(&self, req: &Requirement) -> String {
        match &req.constraint {
            None => req.name.clone(),
            Some((op, v)) => format!("{} {} {v}", req.name, rpm_op(*op)),
        }
    }

    /// rpm's order, [`Evr`]'s [`Ord`].
    fn compare(&self, a: &str, b: &str) -> Ordering {
        Evr::parse(a).cmp(&Evr::parse(b))
    }

    /// RPM matching: when either side has no release, only epoch and
    /// version are compared (`foo >= 1.2` accepts `1.2-0.rc1`).
    fn matches(&self, version: &str, op: Op, wanted: &str) -> bool {
        if op == Op::Prefix {
            return whittle_model::prefix_matches(version, wanted);
        }
        let ord = Evr::parse(version).cmp_for_dependency(&Evr::parse(wanted));
        match op {
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            Op::Eq => ord == Ordering::Equal,
            Op::Ge => ord != Ordering::Less,
            Op::Gt => ord == Ordering::Greater,
            Op::Prefix => false,
        }
    }
}

/// How rpm writes a relation (rpm has no prefix relation; whittle's `~`
/// is kept for recipes that ask for one).
pub fn rpm_op(op: Op) -> &'static str {
    match op {
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Eq => "=",
        Op::Ge => ">=",
        Op::Gt => ">",
        Op::Prefix => "~",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_orderings() {
        let ascending = ["1.0~rc1", "1.0", "1.0^git1", "1.0.1"];
        for pair in ascending.windows(2) {
            assert_eq!(rpmvercmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(rpmvercmp(pair[1], pair[0]), Ordering::Greater, "{pair:?}");
        }
        assert_eq!(rpmvercmp("1.0a", "1.0"), Ordering::Greater);
        assert_eq!(rpmvercmp("1.0a", "1.0.1"), Ordering::Less);
        assert_eq!(rpmvercmp("1.001", "1.1"), Ordering::Equal);
        assert_eq!(rpmvercmp("1.0", "1_0"), Ordering::Equal);
        assert_eq!(rpmvercmp("2a", "2.0"), Ordering::Less);
        assert_eq!(rpmvercmp("1~~", "1~"), Ordering::Less);
        assert_eq!(rpmvercmp("1^", "1"), Ordering::Greater);
        assert_eq!(rpmvercmp("1^a", "1a"), Ordering::Less);
        assert_eq!(rpmvercmp("10", "9"), Ordering::Greater);
        assert_eq!(rpmvercmp("abc", "abd"), Ordering::Less);
        assert_eq!(rpmvercmp("é1", "1"), Ordering::Equal);
    }

    #[test]
    fn epochs_and_releases() {
        let s = RpmVersionScheme;
        assert_eq!(s.compare("2:1", "1:9"), Ordering::Greater);
        assert_eq!(s.compare("0:1.0-1", "1.0-1"), Ordering::Equal);
        assert_eq!(s.compare("1.0-2", "1.0-10"), Ordering::Less);
        // A missing release sorts first, as in rpm.vercmp.
        assert_eq!(s.compare("1.0", "1.0-1"), Ordering::Less);
        assert_eq!(s.compare("1.0-", "1.0"), Ordering::Greater);
        // Matching ignores the release the requirement leaves out.
        assert!(s.matches("1.2-0.rc1", Op::Ge, "1.2"));
        assert!(s.matches("1.2-7", Op::Eq, "1.2"));
        assert!(!s.matches("1.2-7", Op::Eq, "1.2-8"));
        assert!(s.matches("3:1.0-1", Op::Gt, "2:9"));
        assert!(!s.matches("1.0-1", Op::Ge, "1:0.1"));
        assert!(s.matches(
            "0^20231204.gb86afe3-1.el9",
            Op::Eq,
            "0^20231204.gb86afe3-1.el9"
        ));
        assert!(s.matches("2.0.1-3", Op::Prefix, "2.0"));
    }

    #[test]
    fn parses_evr_like_rpm() {
        assert_eq!(
            Evr::parse("32:9.16.23-11.el9"),
            Evr {
                epoch: Some("32".into()),
                version: "9.16.23".into(),
                release: Some("11.el9".into()),
            }
        );
        let e = Evr::parse("1.2-3-4");
        assert_eq!(
            (e.version.as_str(), e.release.as_deref()),
            ("1.2-3", Some("4"))
        );
        assert_eq!(Evr::parse(":1").epoch.as_deref(), Some("0"));
        assert_eq!(Evr::parse("a:1").version, "a:1");
        assert_eq!(Evr::parse("1:2-3").to_string(), "1:2-3");
        assert_eq!(Evr::parse("0:2-3").to_string(), "2-3");
    }

    #[test]
    fn writes_versions() {
        assert_eq!(evr_string(Some("0"), "1.0", Some("2")), "1.0-2");
        assert_eq!(evr_string(None, "1.0", Some("2")), "1.0-2");
        assert_eq!(evr_string(Some("2"), "1.0", Some("2")), "2:1.0-2");
        assert_eq!(evr_string(Some("2"), "1.0", None), "2:1.0");
        let req = Requirement::with("foo", Op::Ge, "1.2-3");
        assert_eq!(RpmVersionScheme.show_requirement(&req), "foo >= 1.2-3");
    }

    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        /// True once in `n` draws (no `is_multiple_of`: the MSRV is 1.85).
        fn one_in(&mut self, n: u64) -> bool {
            let roll = self.next() % n;
            roll == 0
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[(self.next() % from.len() as u64) as usize]
        }

        fn part(&mut self) -> String {
            const SEGMENTS: &[&str] = &[
                "0",
                "1",
                "2",
                "9",
                "10",
                "01",
                "007",
                "00",
                "a",
                "b",
                "z",
                "A",
                "Z",
                "rc",
                "git",
                "beta",
                "1a",
                "a1",
                "123456789012345678901234567890",
            ];
            const SEPARATORS: &[&str] = &[".", ".", ".", "", "~", "^", "_", "+", "..", "~~", "^^"];
            let mut s = String::new();
            for _ in 0..=(self.next() % 4) {
                s.push_str(self.pick(SEPARATORS));
                s.push_str(self.pick(SEGMENTS));
            }
            if self.one_in(5) {
                s.push_str(self.pick(SEPARATORS));
            }
            // rpm.vercmp refuses an empty string.
            if s.is_empty() {
                s.push('0');
            }
            s
        }

        fn evr(&mut self) -> String {
            let mut s = String::new();
            if self.one_in(4) {
                s.push_str(self.pick(&["0:", "1:", "2:", "10:", "01:"]));
            }
            s.push_str(&self.part());
            if !self.one_in(3) {
                s.push('-');
                s.push_str(&self.part());
            }
            s
        }

        /// A version near `base`: often sharing a prefix, so comparisons
        /// reach the interesting segments.
        fn near(&mut self, base: &str) -> String {
            match self.next() % 5 {
                0 => base.to_string(),
                4 => base.rsplit_once('-').map_or(base, |(v, _)| v).to_string(),
                1 => format!(
                    "{base}{}",
                    self.pick(&["~1", "^1", ".1", "a", "_", "~", "^"])
                ),
                2 => base.replacen('.', self.pick(&["_", "+", ".0", ""]), 1),
                _ => self.evr(),
            }
        }
    }

    /// Several thousand generated pairs, each compared by the host's rpm
    /// (`rpm.vercmp` in one Lua chunk) and by [`Evr`]'s [`Ord`].
    #[test]
    fn agrees_with_host_rpm() {
        if !whittle_test_env::host::require_tool("rpm") {
            return;
        }
        let mut gen = Gen(0x5eed_1234_abcd_ef01);
        let pairs: Vec<(String, String)> = (0..6000)
            .map(|_| {
                let a = gen.evr();
                let b = gen.near(&a);
                (a, b)
            })
            .collect();
        let dir = tempfile::tempdir().expect("temp dir");
        let script = dir.path().join("pairs.lua");
        let mut lua = String::new();
        for (a, b) in &pairs {
            // rpm's `print` adds no newline of its own.
            lua.push_str(&format!("print(rpm.vercmp(\"{a}\", \"{b}\") .. \"\\n\")\n"));
        }
        fs_err::write(&script, lua).expect("write the Lua chunk");
        let out = std::process::Command::new("rpm")
            .arg("--eval")
            .arg(format!("%{{lua: dofile(\"{}\")}}", script.display()))
            .output()
            .expect("run rpm");
        assert!(
            out.status.success(),
            "rpm failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("rpm prints UTF-8");
        let answers: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(answers.len(), pairs.len(), "one answer per pair");
        let mut wrong = Vec::new();
        for ((a, b), answer) in pairs.iter().zip(answers) {
            let want = match answer.trim() {
                "-1" => Ordering::Less,
                "0" => Ordering::Equal,
                "1" => Ordering::Greater,
                other => panic!("rpm printed {other:?} for {a} vs {b}"),
            };
            let got = Evr::parse(a).cmp(&Evr::parse(b));
            if got != want {
                wrong.push(format!("{a} vs {b}: rpm {want:?}, whittle {got:?}"));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} disagreements:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }
}
