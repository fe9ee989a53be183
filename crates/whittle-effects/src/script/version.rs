//! `dpkg --compare-versions`: Debian version ordering (deb-version(7)) and
//! dpkg's rule for an empty version (earlier than every version, or later
//! for the `-nl` operators).

use std::cmp::Ordering;

/// The outcome of `dpkg --compare-versions A OP B`; `None` for an unknown operator.
pub(crate) fn compare_versions(a: &str, op: &str, b: &str) -> Option<bool> {
    let (base, empty_is_later) = match op.strip_suffix("-nl") {
        Some(base) => (base, true),
        None => (op, false),
    };
    let order = match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) if empty_is_later => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, true) if empty_is_later => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => compare(a, b),
    };
    Some(match base {
        "lt" | "<<" => order.is_lt(),
        "le" | "<=" | "<" => order.is_le(),
        "eq" | "=" => order.is_eq(),
        "ne" => order.is_ne(),
        "ge" | ">=" | ">" => order.is_ge(),
        "gt" | ">>" => order.is_gt(),
        _ => return None,
    })
}

/// Debian version order: epoch, then upstream, then revision.
pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| compare_part(ua, ub))
        .then_with(|| compare_part(ra, rb))
}

fn split(v: &str) -> (u64, &str, &str) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, rest)) => (e.parse().unwrap_or(0), rest),
        None => (0, v),
    };
    match rest.rsplit_once('-') {
        Some((upstream, revision)) => (epoch, upstream, revision),
        None => (epoch, rest, ""),
    }
}

/// Alternating non-digit and digit runs; `~` sorts before everything.
fn compare_part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        let na = a.iter().take_while(|c| !c.is_ascii_digit()).count();
        let nb = b.iter().take_while(|c| !c.is_ascii_digit()).count();
        let (ta, tb) = (&a[..na], &b[..nb]);
        for i in 0..na.max(nb) {
            let o = weight(ta.get(i).copied()).cmp(&weight(tb.get(i).copied()));
            if o.is_ne() {
                return o;
            }
        }
        a = &a[na..];
        b = &b[nb..];
        let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
        let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let o = number(&a[..da]).cmp(&number(&b[..db]));
        if o.is_ne() {
            return o;
        }
        a = &a[da..];
        b = &b[db..];
    }
    Ordering::Equal
}

fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

fn number(digits: &[u8]) -> u128 {
    digits.iter().fold(0u128, |n, d| {
        n.saturating_mul(10).saturating_add(u128::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_as_dpkg_orders_them() {
        assert!(compare("1.0", "1.0-1").is_lt());
        assert!(compare("1.0~rc1", "1.0").is_lt());
        assert!(compare("1:0.9", "2.0").is_gt());
        assert!(compare("1.10", "1.9").is_gt());
        assert!(compare("1.0a", "1.0+").is_lt());
        assert!(compare("2.0-1", "2.0-1").is_eq());
    }

    #[test]
    fn an_empty_version_is_earliest_except_for_nl_operators() {
        assert_eq!(compare_versions("", "lt", "1.0"), Some(true));
        assert_eq!(compare_versions("", "le", "1.0"), Some(true));
        assert_eq!(compare_versions("", "gt", "1.0"), Some(false));
        assert_eq!(compare_versions("", "lt-nl", "1.0"), Some(false));
        assert_eq!(compare_versions("", "gt-nl", "1.0"), Some(true));
        assert_eq!(compare_versions("1.0", "ge", "1.0"), Some(true));
        assert_eq!(compare_versions("1.0", "bogus", "1.0"), None);
    }
}
