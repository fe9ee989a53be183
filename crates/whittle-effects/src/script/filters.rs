//! The text filters scripts pipe command output through, whose output is
//! known from their input: `grep` (basic, extended and fixed patterns) and
//! `sed` with one `s` command. POSIX regular expressions are translated to
//! the `regex` crate's syntax; what does not translate is unknown.

use regex::Regex;

/// A POSIX basic (`extended == false`) or extended regular expression in
/// the `regex` crate's syntax; `None` for back-references and other forms
/// it cannot express.
pub(crate) fn translate(re: &str, extended: bool) -> Option<String> {
    let chars: Vec<char> = re.chars().collect();
    let mut out = String::new();
    // Where `*` is literal and `^` is an anchor: at the start, after a group opens.
    let mut at_start = true;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starting = at_start;
        at_start = false;
        match c {
            '\\' => {
                let next = *chars.get(i + 1)?;
                i += 2;
                match next {
                    '(' | ')' | '{' | '}' | '|' | '+' | '?' if !extended => {
                        out.push(next);
                        at_start = next == '(' || next == '|';
                    }
                    '1'..='9' => return None,
                    '<' | '>' => out.push_str("\\b"),
                    'w' | 'W' | 's' | 'S' | 'b' | 'B' => {
                        out.push('\\');
                        out.push(next);
                    }
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    other => out.push_str(&regex::escape(&other.to_string())),
                }
                continue;
            }
            '[' => {
                let (class, next) = bracket(&chars, i)?;
                out.push_str(&class);
                i = next;
                continue;
            }
            '*' if starting => out.push_str("\\*"),
            '^' if starting || extended => out.push('^'),
            '$' if extended || i + 1 == chars.len() || chars[i + 1..].starts_with(&['\\', ')']) => {
                out.push('$');
            }
            '.' | '*' => out.push(c),
            '(' | '|' if extended => {
                out.push(c);
                at_start = true;
            }
            ')' | '+' | '?' if extended => out.push(c),
            '{' if extended && interval(&chars[i..]) => out.push(c),
            '}' if extended && out.contains('{') => out.push(c),
            _ => out.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    Some(out)
}

/// Whether `{…` starts an interval (`{n}`, `{n,}`, `{n,m}`).
fn interval(chars: &[char]) -> bool {
    let Some(end) = chars.iter().position(|c| *c == '}') else {
        return false;
    };
    let inner = &chars[1..end];
    !inner.is_empty()
        && inner.iter().all(|c| c.is_ascii_digit() || *c == ',')
        && inner.first().is_some_and(char::is_ascii_digit)
}

/// A bracket expression starting at `chars[start]` (`[`): its translation
/// and the index after its `]`.
fn bracket(chars: &[char], start: usize) -> Option<(String, usize)> {
    let mut out = String::from("[");
    let mut i = start + 1;
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    if chars.get(i) == Some(&']') {
        out.push_str("\\]");
        i += 1;
    }
    loop {
        let c = *chars.get(i)?;
        match c {
            ']' => {
                out.push(']');
                return Some((out, i + 1));
            }
            '[' if chars.get(i + 1) == Some(&':') => {
                let rest: String = chars[i..].iter().collect();
                let end = rest.find(":]")?;
                out.push_str(&rest[..end + 2]);
                i += rest[..end + 2].chars().count();
                continue;
            }
            '[' | '\\' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
        i += 1;
    }
}

/// `grep [-EFvqwxis] [-e] PATTERN` over `input`: the lines it prints
/// (none with `-q`) and whether any line was selected; `None` for options
/// it does not know or files to read.
pub(crate) fn grep(args: &[&str], input: &str) -> Option<(String, bool)> {
    let (mut extended, mut fixed, mut invert, mut quiet, mut word, mut whole, mut nocase) =
        (false, false, false, false, false, false, false);
    let mut pattern: Option<&str> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        if a == "-e" {
            if pattern.is_some() {
                return None;
            }
            pattern = Some(args.get(i + 1)?);
            i += 2;
            continue;
        }
        if a == "--" {
            i += 1;
            if pattern.is_none() {
                pattern = Some(args.get(i)?);
                i += 1;
            }
            break;
        }
        match a.strip_prefix('-').filter(|f| !f.is_empty()) {
            Some(flags) if pattern.is_none() || !flags.is_empty() => {
                for f in flags.chars() {
                    match f {
                        'E' => extended = true,
                        'G' => extended = false,
                        'F' => fixed = true,
                        'v' => invert = true,
                        'q' => quiet = true,
                        'w' => word = true,
                        'x' => whole = true,
                        'i' => nocase = true,
                        's' => {}
                        _ => return None,
                    }
                }
            }
            _ if pattern.is_none() => pattern = Some(a),
            _ => return None,
        }
        i += 1;
    }
    if i < args.len() {
        return None;
    }
    let pattern = pattern?;
    let mut lines_re = Vec::new();
    for p in pattern.split('\n') {
        let body = if fixed {
            regex::escape(p)
        } else {
            translate(p, extended)?
        };
        let body = match (whole, word) {
            (true, _) => format!("^(?:{body})$"),
            (false, true) => format!("\\b(?:{body})\\b"),
            _ => format!("(?:{body})"),
        };
        lines_re.push(body);
    }
    let flags = if nocase { "(?i)" } else { "" };
    let re = Regex::new(&format!("{flags}{}", lines_re.join("|"))).ok()?;
    let mut out = String::new();
    let mut any = false;
    for line in input.lines() {
        if re.is_match(line) != invert {
            any = true;
            if !quiet {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Some((out, any))
}

/// `sed [-e] 's/RE/REPL/[g]'` over `input`; `None` for any other script
/// or option.
pub(crate) fn sed(args: &[&str], input: &str) -> Option<String> {
    let script = match args {
        ["-e", script] | [script] if !script.starts_with('-') || args.len() == 2 => *script,
        _ => return None,
    };
    let sub = Substitution::parse(script)?;
    let mut out = String::new();
    for piece in input.split_inclusive('\n') {
        let (line, newline) = match piece.strip_suffix('\n') {
            Some(l) => (l, true),
            None => (piece, false),
        };
        out.push_str(&sub.apply(line));
        if newline {
            out.push('\n');
        }
    }
    Some(out)
}

/// One `s/RE/REPL/FLAGS` command.
struct Substitution {
    re: Regex,
    replacement: Vec<Part>,
    global: bool,
}

/// A piece of a replacement.
enum Part {
    Text(String),
    Group(usize),
}

impl Substitution {
    fn parse(script: &str) -> Option<Substitution> {
        let script = script.trim().trim_end_matches(';').trim_end();
        let rest = script.strip_prefix('s')?;
        let mut chars = rest.chars();
        let delim = chars.next().filter(|d| *d != '\\' && *d != '\n')?;
        let body: Vec<char> = chars.collect();
        let (re, after) = split_at_delim(&body, 0, delim, true)?;
        let (repl, after) = split_at_delim(&body, after, delim, false)?;
        let flags: String = body[after..].iter().collect();
        let global = match flags.as_str() {
            "" => false,
            "g" => true,
            _ => return None,
        };
        let re = Regex::new(&translate(&re, false)?).ok()?;
        Some(Substitution {
            re,
            replacement: replacement(&repl)?,
            global,
        })
    }

    fn apply(&self, line: &str) -> String {
        let limit = if self.global { 0 } else { 1 };
        self.re
            .replacen(line, limit, |caps: &regex::Captures<'_>| {
                let mut s = String::new();
                for part in &self.replacement {
                    match part {
                        Part::Text(t) => s.push_str(t),
                        Part::Group(n) => s.push_str(caps.get(*n).map_or("", |m| m.as_str())),
                    }
                }
                s
            })
            .into_owned()
    }
}

/// The text up to the next unescaped `delim` from `start`, with `\delim`
/// made the plain delimiter (kept escaped where it is special in a regex),
/// and the index after the delimiter.
fn split_at_delim(
    body: &[char],
    start: usize,
    delim: char,
    regex: bool,
) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut i = start;
    loop {
        let c = *body.get(i)?;
        if c == delim {
            return Some((out, i + 1));
        }
        if c == '\\' {
            let next = *body.get(i + 1)?;
            if next == delim && !(regex && ".*[]^$\\".contains(delim)) {
                out.push(delim);
            } else {
                out.push('\\');
                out.push(next);
            }
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
}

/// A replacement's parts: `&` and `\1`…`\9` are groups, `\n` a newline,
/// other escapes the character itself.
fn replacement(text: &str) -> Option<Vec<Part>> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = text.chars();
    let flush = |literal: &mut String, parts: &mut Vec<Part>| {
        if !literal.is_empty() {
            parts.push(Part::Text(std::mem::take(literal)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '&' => {
                flush(&mut literal, &mut parts);
                parts.push(Part::Group(0));
            }
            '\\' => match chars.next()? {
                d @ '0'..='9' => {
                    flush(&mut literal, &mut parts);
                    parts.push(Part::Group(d.to_digit(10)? as usize));
                }
                'n' => literal.push('\n'),
                't' => literal.push('\t'),
                other => literal.push(other),
            },
            _ => literal.push(c),
        }
    }
    flush(&mut literal, &mut parts);
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_and_extended_expressions_translate() {
        assert_eq!(translate("a\\(b\\)*", false).as_deref(), Some("a(b)*"));
        assert_eq!(translate("a(b)+", false).as_deref(), Some("a\\(b\\)\\+"));
        assert_eq!(translate("a(b)+", true).as_deref(), Some("a(b)+"));
        assert_eq!(translate("x\\{2\\}", false).as_deref(), Some("x{2}"));
        assert_eq!(translate("*a", false).as_deref(), Some("\\*a"));
        assert_eq!(translate("[^]a]$", false).as_deref(), Some("[^\\]a]$"));
        assert_eq!(
            translate("[[:digit:]]", true).as_deref(),
            Some("[[:digit:]]")
        );
        assert_eq!(translate("\\(a\\)\\1", false), None);
        assert_eq!(translate("{x", true).as_deref(), Some("\\{x"));
    }

    #[test]
    fn grep_selects_lines() {
        let input = "/.\n/usr/share/postgresql/15/man/man1/psql.1.gz\n/usr/share/postgresql/15/man/man1/initdb.1.gz\n/usr/lib/x.so\n";
        let (out, any) = grep(&["-E", "/man/.*\\.[1-9](\\.gz)?$"], input).unwrap();
        assert!(any);
        assert_eq!(
            out,
            "/usr/share/postgresql/15/man/man1/psql.1.gz\n/usr/share/postgresql/15/man/man1/initdb.1.gz\n"
        );
        let (out, _) = grep(&["-v", "psql.1.gz"], &out).unwrap();
        assert_eq!(out, "/usr/share/postgresql/15/man/man1/initdb.1.gz\n");
        assert_eq!(grep(&["-q", "x.so"], input), Some((String::new(), true)));
        assert_eq!(grep(&["-Fx", "/."], input), Some(("/.\n".into(), true)));
        assert_eq!(
            grep(&["-w", "usr"], "usrx\nthe usr\n").unwrap().0,
            "the usr\n"
        );
        assert_eq!(
            grep(&["-E", "nothing"], input),
            Some((String::new(), false))
        );
        assert_eq!(grep(&["-P", "x"], input), None);
        assert_eq!(grep(&["x", "file"], input), None);
    }

    #[test]
    fn sed_substitutes_once_or_globally() {
        assert_eq!(
            sed(&["-e", "s/.*\\.\\(.*\\)\\..*/man\\1/"], "postmaster.1.gz\n").as_deref(),
            Some("man1\n")
        );
        assert_eq!(
            sed(
                &["s/postgresql\\/15\\///"],
                "/usr/share/postgresql/15/man/man1/psql.1.gz\n"
            )
            .as_deref(),
            Some("/usr/share/man/man1/psql.1.gz\n")
        );
        assert_eq!(
            sed(&["s/a/[&]/g"], "banana").as_deref(),
            Some("b[a]n[a]n[a]")
        );
        assert_eq!(sed(&["s|a|\\||"], "banana\n").as_deref(), Some("b|nana\n"));
        assert_eq!(sed(&["s/a/b/p"], "a"), None);
        assert_eq!(sed(&["-n", "p"], "a"), None);
        assert_eq!(sed(&["/x/d"], "a"), None);
    }
}
