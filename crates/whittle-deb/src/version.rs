//! Debian version numbers, ordered exactly as dpkg orders them.
//!
//! A version is `[epoch:]upstream[-revision]`. Comparison goes epoch
//! (numerically), then upstream, then revision, each with dpkg's
//! `verrevcmp`: alternating runs of non-digits (compared character by
//! character, where `~` sorts before everything, even the end of the
//! string, and letters sort before all other characters) and digits
//! (compared numerically). A missing revision compares like `0`, so
//! `1.0 == 1.0-0`.
//!
//! ```
//! use std::cmp::Ordering;
//! use whittle_deb::version::compare_versions;
//! assert_eq!(compare_versions("1.0~rc1", "1.0"), Ordering::Less);
//! assert_eq!(compare_versions("1:0.1", "2.0"), Ordering::Greater);
//! ```

use std::cmp::Ordering;
use std::fmt;

use whittle_model::{Op, Requirement, VersionScheme};

/// Why a string is not a valid Debian version (dpkg's `parseversion` rules).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Debian version {version:?}: {reason}")]
pub struct VersionError {
    /// The version string as given.
    pub version: String,
    /// What dpkg would say is wrong.
    pub reason: &'static str,
}

/// A parsed Debian version; borrows nothing, compares like dpkg.
#[derive(Debug, Clone)]
pub struct DebVersion {
    epoch: u32,
    upstream: String,
    revision: String,
    /// Whether an epoch was written (`0:1.0` keeps its `0:` on display).
    epoch_written: bool,
}

impl DebVersion {
    /// The epoch (0 when absent).
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The upstream part (between the epoch colon and the last hyphen).
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// The Debian revision (after the last hyphen); empty when absent.
    pub fn revision(&self) -> &str {
        &self.revision
    }
}

impl fmt::Display for DebVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch_written || self.epoch != 0 {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() {
            write!(f, "-{}", self.revision)?;
        }
        Ok(())
    }
}

impl PartialEq for DebVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DebVersion {}

impl PartialOrd for DebVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DebVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream.as_bytes(), other.upstream.as_bytes()))
            .then_with(|| verrevcmp(self.revision.as_bytes(), other.revision.as_bytes()))
    }
}

impl std::str::FromStr for DebVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// Parse a version strictly: everything dpkg's `parseversion` reports,
/// errors and warnings alike, is an error here (empty string, embedded
/// spaces, a non-numeric or too large epoch, empty upstream or revision,
/// upstream not starting with a digit, characters outside
/// `[A-Za-z0-9.+~-:]` in upstream or `[A-Za-z0-9.+~]` in the revision).
/// Leading and trailing blanks are ignored, as dpkg does.
pub fn parse(v: &str) -> Result<DebVersion, VersionError> {
    let err = |reason| VersionError {
        version: v.to_string(),
        reason,
    };
    let s = v.trim_matches(|c| c == ' ' || c == '\t');
    if s.is_empty() {
        return Err(err("version string is empty"));
    }
    if s.contains([' ', '\t']) {
        return Err(err("version string has embedded spaces"));
    }
    let (epoch, epoch_written, rest) = match s.split_once(':') {
        Some((e, rest)) => {
            if e.is_empty() {
                return Err(err("epoch in version is empty"));
            }
            if !e.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("epoch in version is not number"));
            }
            let epoch: u32 = e.parse().map_err(|_| err("epoch in version is too big"))?;
            if epoch > i32::MAX as u32 {
                return Err(err("epoch in version is too big"));
            }
            if rest.is_empty() {
                return Err(err("nothing after colon in version number"));
            }
            (epoch, true, rest)
        }
        None => (0, false, s),
    };
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((_, "")) => return Err(err("revision number is empty")),
        Some((u, r)) => (u, r),
        None => (rest, ""),
    };
    if upstream.is_empty() {
        return Err(err("upstream version is empty"));
    }
    if !upstream.as_bytes()[0].is_ascii_digit() {
        return Err(err("version number does not start with digit"));
    }
    if !upstream
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".-+~:".contains(&b))
    {
        return Err(err("invalid character in version number"));
    }
    if !revision
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".+~".contains(&b))
    {
        return Err(err("invalid character in revision number"));
    }
    Ok(DebVersion {
        epoch,
        upstream: upstream.to_string(),
        revision: revision.to_string(),
        epoch_written,
    })
}

/// Split `v` into `(epoch, upstream, revision)` without validating, the way
/// dpkg splits it; an epoch that is not a number is treated as part of the
/// upstream version (so invalid strings still order deterministically).
fn split_lenient(v: &str) -> (u64, &str, &str) {
    let s = v.trim_matches(|c| c == ' ' || c == '\t');
    let (epoch, rest) = match s.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
            (e.parse().unwrap_or(u64::MAX), rest)
        }
        _ => (0, s),
    };
    match rest.rsplit_once('-') {
        Some((u, r)) => (epoch, u, r),
        None => (epoch, rest, ""),
    }
}

/// Compare two version strings as `dpkg --compare-versions` does.
///
/// Never fails: strings that [`parse`] rejects are split the same way and
/// compared with the same rules.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split_lenient(a);
    let (eb, ub, rb) = split_lenient(b);
    ea.cmp(&eb)
        .then_with(|| verrevcmp(ua.as_bytes(), ub.as_bytes()))
        .then_with(|| verrevcmp(ra.as_bytes(), rb.as_bytes()))
}

/// dpkg's character weight in a non-digit run: `~` lowest (below the end
/// of the string, weight 0), then letters, then everything else.
fn order(c: u8) -> i32 {
    if c.is_ascii_digit() {
        0
    } else if c.is_ascii_alphabetic() {
        i32::from(c)
    } else if c == b'~' {
        -1
    } else if c != 0 {
        i32::from(c) + 256
    } else {
        0
    }
}

/// dpkg's `verrevcmp` on one part (upstream or revision).
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() || j < b.len() {
        // Non-digit prefix, character by character.
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(at(a, i));
            let bc = order(at(b, j));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        // Digit run, numerically: skip leading zeros, longer run wins,
        // else the first differing digit.
        while at(a, i) == b'0' {
            i += 1;
        }
        while at(b, j) == b'0' {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while at(a, i).is_ascii_digit() && at(b, j).is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if at(a, i).is_ascii_digit() {
            return Ordering::Greater;
        }
        if at(b, j).is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// The dpkg version rules as a [`VersionScheme`] for the solver.
#[derive(Debug, Clone, Copy, Default)]
pub struct DebVersionScheme;

impl VersionScheme for DebVersionScheme {
    fn compare(&self, a: &str, b: &str) -> Ordering {
        compare_versions(a, b)
    }

    /// `libc6 (>= 2.36)`, as control files write it.
    fn show_requirement(&self, req: &Requirement) -> String {
        match &req.constraint {
            None => req.name.clone(),
            Some((op, v)) => format!("{} ({} {v})", req.name, deb_op(*op)),
        }
    }
}

/// A relation operator as Debian control files write it (`<<`, `>=`, …;
/// a prefix match, which Debian cannot express, as `~`).
pub fn deb_op(op: Op) -> &'static str {
    match op {
        Op::Lt => "<<",
        Op::Le => "<=",
        Op::Eq => "=",
        Op::Ge => ">=",
        Op::Gt => ">>",
        Op::Prefix => "~",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_order() {
        assert_eq!(compare_versions("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(compare_versions("1.0", "1.0-0"), Ordering::Equal);
        assert_eq!(compare_versions("0:1.0", "1.0"), Ordering::Equal);
        let v = parse("1:2.3-4-5").unwrap();
        assert_eq!((v.epoch(), v.upstream(), v.revision()), (1, "2.3-4", "5"));
        assert_eq!(v.to_string(), "1:2.3-4-5");
    }
}
