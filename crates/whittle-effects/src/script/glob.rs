//! Shell pattern matching (`case` arms, `${VAR#pattern}`, `[[ x == pat ]]`):
//! `*`, `?`, `[...]` and backslash escapes, as POSIX "Pattern Matching
//! Notation" describes them.

/// Whether `text` matches the whole of `pattern`.
pub(crate) fn matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    match_from(&p, &t)
}

fn match_from(p: &[char], t: &[char]) -> bool {
    let Some((&first, rest)) = p.split_first() else {
        return t.is_empty();
    };
    match first {
        '*' => (0..=t.len()).any(|skip| match_from(rest, &t[skip..])),
        '?' => !t.is_empty() && match_from(rest, &t[1..]),
        '[' => match (bracket(rest, t.first().copied()), t.first()) {
            (Some((true, after)), Some(_)) => match_from(after, &t[1..]),
            (Some((false, _)), _) | (Some(_), None) => false,
            (None, Some(&c)) => c == '[' && match_from(rest, &t[1..]),
            (None, None) => false,
        },
        '\\' if !rest.is_empty() => t.first() == Some(&rest[0]) && match_from(&rest[1..], &t[1..]),
        c => t.first() == Some(&c) && match_from(rest, &t[1..]),
    }
}

/// A bracket expression after its `[`: whether `c` is in it, and the
/// pattern after its `]`; `None` when it is not closed (then `[` is literal).
fn bracket(p: &[char], c: Option<char>) -> Option<(bool, &[char])> {
    let mut i = 0;
    let negate = matches!(p.first(), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut found = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((found != negate, &p[i + 1..]));
        }
        first = false;
        let lo = p[i];
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            let hi = p[i + 2];
            found |= c.is_some_and(|c| lo <= c && c <= hi);
            i += 3;
        } else {
            found |= c == Some(lo);
            i += 1;
        }
    }
    None
}

/// Whether `word` holds an unescaped glob character.
pub(crate) fn has_glob(word: &str) -> bool {
    let mut escaped = false;
    for (i, c) in word.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '*' | '?' => return true,
            '[' if word[i + 1..].contains(']') => return true,
            _ => {}
        }
    }
    false
}

/// `text` with glob characters escaped, for quoted parts of a pattern.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_the_shell_does() {
        assert!(matches("configure", "configure"));
        assert!(matches("abort-*", "abort-upgrade"));
        assert!(!matches("abort-*", "configure"));
        assert!(matches("*.conf", "x.conf"));
        assert!(matches("[0-9]*", "42abc"));
        assert!(!matches("[!0-9]*", "42abc"));
        assert!(matches("a?c", "abc"));
        assert!(matches(r"\*", "*"));
        assert!(!matches(r"\*", "x"));
        assert!(matches("", ""));
        assert!(has_glob("/etc/*.conf"));
        assert!(!has_glob("["));
        assert!(!has_glob(r"a\*"));
        assert!(matches(&escape("a*b"), "a*b"));
        assert!(!matches(&escape("a*b"), "axb"));
    }
}
