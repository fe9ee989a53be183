//! Chisel's path patterns (`internal/strdist`, `GlobPath`): `*` is any run
//! of characters but `/`, `**` is any run including `/`, `?` is one
//! character but `/`. Either side of [`overlap`] may be a pattern: it asks
//! whether some path matches both, which is how Chisel finds conflicts.
//!
//! Written here rather than taken from `globset`/`glob`: those match a
//! pattern against a path, but Chisel's conflict rules need the symmetric
//! question (do two patterns share a path?), and `**` here also matches
//! inside one path segment (`/a/b**`), which they do not.
//!
//! Implemented as a search over pairs of pattern positions (a product of
//! the two patterns' automata), after cheap tests on the literal prefix
//! and suffix, so each call is at worst proportional to the product of
//! the two lengths.

/// One element of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// That character.
    Lit(char),
    /// `?`: one character but `/`.
    One,
    /// `*`: any run without `/`.
    Star,
    /// `**`: any run.
    Deep,
}

impl Tok {
    fn is_repeat(self) -> bool {
        matches!(self, Tok::Star | Tok::Deep)
    }

    /// The position after this token consumes `c` (`None` for "some
    /// character other than `/` that no literal names"), if it can.
    fn step(self, at: usize, c: Option<char>) -> Option<usize> {
        match self {
            Tok::Lit(x) => (c == Some(x)).then_some(at + 1),
            Tok::One => (c != Some('/')).then_some(at + 1),
            Tok::Star => (c != Some('/')).then_some(at),
            Tok::Deep => Some(at),
        }
    }
}

/// A pattern split into tokens, with what the fast tests need.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pub(crate) toks: Vec<Tok>,
    /// Bytes before the first wildcard.
    prefix: usize,
    /// Bytes after the last wildcard.
    suffix: usize,
    text: String,
}

impl Pattern {
    /// `text` read as a pattern.
    pub(crate) fn new(text: &str) -> Pattern {
        Pattern {
            toks: tokens(text),
            prefix: text.find(is_wild).unwrap_or(text.len()),
            suffix: text
                .rfind(is_wild)
                .map_or(text.len(), |i| text.len() - i - 1),
            text: text.to_owned(),
        }
    }

    /// `text` as a literal path (wildcard characters match themselves).
    pub(crate) fn literal(text: &str) -> Pattern {
        Pattern {
            toks: text.chars().map(Tok::Lit).collect(),
            prefix: text.len(),
            suffix: text.len(),
            text: text.to_owned(),
        }
    }

    /// The text it was made from.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// Whether some path matches both.
    pub(crate) fn overlaps(&self, other: &Pattern) -> bool {
        let (a, b) = (self.text.as_bytes(), other.text.as_bytes());
        let p = self.prefix.min(other.prefix);
        if a[..p] != b[..p] {
            return false;
        }
        let s = self.suffix.min(other.suffix);
        if a[a.len() - s..] != b[b.len() - s..] {
            return false;
        }
        intersect(&self.toks, &other.toks)
    }
}

impl Pattern {
    /// Whether the literal path `s` matches.
    pub(crate) fn matches_literal(&self, s: &str) -> bool {
        let (a, b) = (self.text.as_bytes(), s.as_bytes());
        if b.len() < self.prefix || a[..self.prefix] != b[..self.prefix] {
            return false;
        }
        if b.len() < self.suffix || a[a.len() - self.suffix..] != b[b.len() - self.suffix..] {
            return false;
        }
        self.matches_simple(s)
    }

    /// Whether the literal `s` matches: the classic backtracking matcher
    /// (no allocation) while the pattern has no `**`, else the general
    /// search.
    pub(crate) fn matches_simple(&self, s: &str) -> bool {
        let t = &self.toks;
        let (mut ti, mut si) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        loop {
            let Some(c) = s[si..].chars().next() else {
                return t[ti..].iter().all(|t| t.is_repeat());
            };
            match t.get(ti) {
                Some(Tok::Star) => {
                    star = Some((ti, si));
                    ti += 1;
                    continue;
                }
                Some(Tok::Deep) => return self.overlaps(&Pattern::literal(s)),
                Some(Tok::Lit(x)) if *x == c => {
                    ti += 1;
                    si += c.len_utf8();
                    continue;
                }
                Some(Tok::One) if c != '/' => {
                    ti += 1;
                    si += c.len_utf8();
                    continue;
                }
                _ => {}
            }
            // Let the last star take one more character, if it can.
            let Some((st, ss)) = star else { return false };
            let Some(taken) = s[ss..].chars().next().filter(|&c| c != '/') else {
                return false;
            };
            let resume = ss + taken.len_utf8();
            star = Some((st, resume));
            ti = st + 1;
            si = resume;
        }
    }
}

fn is_wild(c: char) -> bool {
    c == '*' || c == '?'
}

/// Whether `text` has a wildcard.
pub fn is_pattern(text: &str) -> bool {
    text.contains(is_wild)
}

/// Whether the literal `path` matches `pattern`.
pub fn matches(pattern: &str, path: &str) -> bool {
    if !is_pattern(pattern) {
        return pattern == path;
    }
    Pattern::new(pattern).matches_literal(path)
}

/// Whether some path matches both `a` and `b` (either may be a pattern).
/// Symmetric.
pub fn overlap(a: &str, b: &str) -> bool {
    Pattern::new(a).overlaps(&Pattern::new(b))
}

fn tokens(text: &str) -> Vec<Tok> {
    let mut toks = Vec::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => {
                // Any run of two or more stars is `**` (Chisel rewrites
                // `**` first; a star after it adds nothing).
                if chars.peek() == Some(&'*') {
                    while chars.peek() == Some(&'*') {
                        chars.next();
                    }
                    toks.push(Tok::Deep);
                } else {
                    toks.push(Tok::Star);
                }
            }
            '?' => toks.push(Tok::One),
            c => toks.push(Tok::Lit(c)),
        }
    }
    toks
}

/// Whether the languages of two token lists intersect: a depth-first
/// search over position pairs, each visited once.
fn intersect(a: &[Tok], b: &[Tok]) -> bool {
    let width = b.len() + 1;
    let mut seen = vec![false; (a.len() + 1) * width];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let idx = i * width + j;
        if seen[idx] {
            continue;
        }
        seen[idx] = true;
        if i == a.len() && j == b.len() {
            return true;
        }
        // A repeat may match nothing.
        if a.get(i).is_some_and(|t| t.is_repeat()) {
            stack.push((i + 1, j));
        }
        if b.get(j).is_some_and(|t| t.is_repeat()) {
            stack.push((i, j + 1));
        }
        let (Some(&ta), Some(&tb)) = (a.get(i), b.get(j)) else {
            continue;
        };
        // The characters worth trying: a literal on either side, else
        // `/` and "any other character".
        let choices: &[Option<char>] = match (ta, tb) {
            (Tok::Lit(x), _) | (_, Tok::Lit(x)) => &[Some(x)][..],
            _ => &[Some('/'), None][..],
        };
        for &c in choices {
            if let (Some(ni), Some(nj)) = (ta.step(i, c), tb.step(j, c)) {
                if (ni, nj) != (i, j) {
                    stack.push((ni, nj));
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_matcher_agrees() {
        for (p, s) in [
            ("lib*.so.*", "libc.so.6"),
            ("lib*.so.*", "libc.so"),
            ("*-linux-*", "x86_64-linux-gnu"),
            ("a?c", "abc"),
            ("a?c", "ac"),
            ("*", ""),
            ("*x*y", "axbxcy"),
            ("*x*y", "axbxc"),
            ("é*", "éa"),
        ] {
            let pat = Pattern::new(p);
            assert_eq!(pat.matches_simple(s), matches(p, s), "{p} {s}");
        }
    }

    #[test]
    fn matching() {
        assert!(matches(
            "/usr/lib/*-linux-*/libc.so.*",
            "/usr/lib/x86_64-linux-gnu/libc.so.6"
        ));
        assert!(!matches("/usr/lib/*/libc.so.6", "/usr/lib/a/b/libc.so.6"));
        assert!(matches("/usr/lib/**/libc.so.6", "/usr/lib/a/b/libc.so.6"));
        assert!(matches("/usr/share/**", "/usr/share/"));
        assert!(matches("/usr/share/**", "/usr/share/doc/x/"));
        assert!(!matches("/usr/share/*", "/usr/share/doc/"));
        assert!(matches("/usr/share/*", "/usr/share/"));
        assert!(matches("/a/?", "/a/b"));
        assert!(!matches("/a/?", "/a/"));
        assert!(!matches("/a/?", "/a/bc"));
        assert!(matches("/a/é?", "/a/éé"));
        assert!(matches("/a/b", "/a/b"));
        assert!(!matches("/a/b", "/a/c"));
        assert!(matches("/a/***", "/a/b/c"));
    }

    #[test]
    fn overlapping() {
        assert!(overlap("/a/*", "/a/b*"));
        assert!(overlap("/a/*/c", "/a/b/*"));
        assert!(!overlap("/a/*", "/a/b/"));
        assert!(!overlap("*", "*/"));
        assert!(!overlap("/a*", "/a?/"));
        assert!(overlap("/x/**", "/x/"));
        assert!(overlap("/x/**.h", "/x/*/y.h"));
        assert!(!overlap("/x/**.h", "/x/*/y.c"));
        assert!(!overlap("*/x", "*x"));
        assert!(overlap("/a/?b", "/a/*"));
        assert!(!overlap("/a/??", "/a/?"));
        for (a, b) in [
            ("/a/*b", "/a/b*"),
            ("/q/**/z", "/q/*/z*"),
            ("/a/?", "/a/**"),
        ] {
            assert_eq!(overlap(a, b), overlap(b, a), "{a} {b}");
        }
    }

    /// The edit-distance formulation Chisel uses (a cost table where
    /// wildcards make edits free), written out to compare semantics.
    fn distance_zero(a: &str, b: &str) -> bool {
        const INF: u64 = u64::MAX;
        let a: Vec<char> = a.replace("**", "⁑").chars().collect();
        let b: Vec<char> = b.replace("**", "⁑").chars().collect();
        // (swap, delete a, insert b) for the pair of characters.
        let cost = |x: Option<char>, y: Option<char>| -> (u64, u64, u64) {
            let (x, y) = (x.unwrap_or('\0'), y.unwrap_or('\0'));
            if x == '⁑' || y == '⁑' {
                return (0, 0, 0);
            }
            if x == '*' && y == '/' {
                return (INF, 0, INF);
            }
            if x == '/' && y == '*' {
                return (INF, INF, 0);
            }
            if x == '*' || y == '*' {
                return (0, 0, 0);
            }
            if x == '/' || y == '/' {
                return (INF, INF, INF);
            }
            if x == '?' || y == '?' {
                return (0, 1, 1);
            }
            (1, 1, 1)
        };
        let add = |v: u64, c: u64| if v == INF || c == INF { INF } else { v + c };
        let mut row = vec![0u64; b.len() + 1];
        for (j, &y) in b.iter().enumerate() {
            row[j + 1] = add(row[j], cost(None, Some(y)).2);
        }
        for &x in &a {
            let mut last = row[0];
            row[0] = add(last, cost(Some(x), None).1);
            for (j, &y) in b.iter().enumerate() {
                let (swap, del, ins) = cost(Some(x), Some(y));
                let mut best = if x == y { last } else { add(last, swap) };
                best = best.min(add(row[j], ins)).min(add(row[j + 1], del));
                last = row[j + 1];
                row[j + 1] = best;
            }
        }
        row[b.len()] == 0
    }

    #[test]
    fn agrees_with_chisels_formulation() {
        let pieces = ["a", "b", "/", "*", "?", "**", "/a", "b/"];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap() % n
        };
        let gen = |next: &mut dyn FnMut(usize) -> usize| {
            let len = next(6);
            (0..len)
                .map(|_| pieces[next(pieces.len())])
                .collect::<String>()
        };
        let mut disagreements = Vec::new();
        for _ in 0..20_000 {
            let a = gen(&mut next);
            let b = gen(&mut next);
            if overlap(&a, &b) != distance_zero(&a, &b) {
                disagreements.push((a, b));
            }
        }
        assert!(
            disagreements.is_empty(),
            "{:?}",
            &disagreements[..disagreements.len().min(20)]
        );
    }
}
