//! The word syntax tmpfiles.d(5) and sysusers.d(5) share: whitespace
//! separated fields that may be quoted (`"…"`, `'…'`) and carry C-style
//! escapes, and `%` specifiers resolved as systemd resolves them for the
//! system instance. Shared with [`crate::sysusers`].

/// One field of a line, unquoted and unescaped, and the text after it.
/// `Ok(None)` when only whitespace is left.
pub(crate) fn next_word(text: &str) -> Result<Option<(Vec<u8>, &str)>, String> {
    let text = text.trim_start();
    if text.is_empty() {
        return Ok(None);
    }
    let mut word = Vec::new();
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c.is_whitespace() => return Ok(Some((word, &text[at..]))),
            (_, '\\') => {
                let rest = chars.as_str();
                let used = unescape_one(rest, &mut word)?;
                // Skip what the escape consumed (all ASCII but `\` + char).
                let skip = rest[..used].chars().count();
                for _ in 0..skip {
                    chars.next();
                }
            }
            (_, c) => push_char(&mut word, c),
        }
    }
    if let Some(q) = quote {
        return Err(format!("unterminated {q}quote{q}"));
    }
    Ok(Some((word, "")))
}

/// Resolve every C-style escape of `text` (tmpfiles `f` arguments).
pub(crate) fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((_, c)) = chars.next() {
        if c == '\\' {
            let rest = chars.as_str();
            let used = unescape_one(rest, &mut out)?;
            let skip = rest[..used].chars().count();
            for _ in 0..skip {
                chars.next();
            }
        } else {
            push_char(&mut out, c);
        }
    }
    Ok(out)
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Decode the escape after a backslash at the start of `rest` into `out`;
/// returns how many bytes of `rest` it used.
fn unescape_one(rest: &str, out: &mut Vec<u8>) -> Result<usize, String> {
    let Some(c) = rest.chars().next() else {
        return Err("a line ends in a lone backslash".to_string());
    };
    let simple = match c {
        'a' => Some(0x07),
        'b' => Some(0x08),
        'f' => Some(0x0c),
        'n' => Some(b'\n'),
        'r' => Some(b'\r'),
        't' => Some(b'\t'),
        'v' => Some(0x0b),
        's' => Some(b' '),
        '\\' | '"' | '\'' => Some(c as u8),
        _ => None,
    };
    if let Some(b) = simple {
        out.push(b);
        return Ok(1);
    }
    let (radix, digits, skip) = match c {
        'x' => (16, 2, 1),
        'u' => (16, 4, 1),
        'U' => (16, 8, 1),
        '0'..='7' => (8, 3, 0),
        other => return Err(format!("unknown escape `\\{other}`")),
    };
    let number = rest
        .get(skip..skip + digits)
        .filter(|d| d.chars().all(|c| c.is_digit(radix)))
        .and_then(|d| u32::from_str_radix(d, radix).ok())
        .ok_or_else(|| {
            format!(
                "malformed escape `\\{}`",
                rest.chars().take(skip + digits).collect::<String>()
            )
        })?;
    if number == 0 {
        return Err("escape for a NUL byte".to_string());
    }
    match c {
        'u' | 'U' => {
            let ch = char::from_u32(number)
                .ok_or_else(|| format!("escape `\\{c}{number:x}` is not a character"))?;
            push_char(out, ch);
        }
        _ => out.push(
            u8::try_from(number).map_err(|_| format!("octal escape {number:o} exceeds a byte"))?,
        ),
    }
    Ok(skip + digits)
}

/// The specifiers with a value in an image built for the system instance
/// (tmpfiles.d(5) "SPECIFIERS"), besides `%%`.
pub(crate) const TMPFILES_SPECIFIERS: &[(char, &str)] = &[
    ('S', "/var/lib"),
    ('C', "/var/cache"),
    ('L', "/var/log"),
    ('t', "/run"),
    ('T', "/tmp"),
    ('V', "/var/tmp"),
    ('h', "/root"),
    ('u', "root"),
    ('U', "0"),
    ('g', "root"),
    ('G', "0"),
];

/// The specifiers of sysusers.d(5) with a value in an image, besides `%%`.
pub(crate) const SYSUSERS_SPECIFIERS: &[(char, &str)] = &[('T', "/tmp"), ('V', "/var/tmp")];

/// What the specifiers without a value in an image stand for, for the
/// reason a line is skipped.
const MEANINGS: &[(char, &str)] = &[
    ('a', "the running system's architecture"),
    ('A', "the OS image version"),
    ('b', "the boot ID"),
    ('B', "the OS build ID"),
    ('H', "the host name"),
    ('l', "the short host name"),
    ('m', "the machine ID"),
    ('M', "the OS image identifier"),
    ('o', "the OS identifier"),
    ('v', "the kernel release"),
    ('w', "the OS version ID"),
    ('W', "the OS variant ID"),
];

/// `text` with `%x` specifiers resolved from `known`; a specifier without
/// a value in an image is an error saying what it stands for.
pub(crate) fn expand_specifiers(text: &str, known: &[(char, &str)]) -> Result<String, String> {
    if !text.contains('%') {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(s) => match known.iter().find(|(k, _)| *k == s) {
                Some((_, value)) => out.push_str(value),
                None => {
                    return Err(match MEANINGS.iter().find(|(k, _)| *k == s) {
                        Some((_, meaning)) => {
                            format!("specifier %{s} ({meaning}) has no value in an image")
                        }
                        None => format!("unknown specifier %{s}"),
                    })
                }
            },
            None => {
                return Err("a lone `%` ends the field (write %% for a percent sign)".to_string())
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = line;
        while let Some((w, r)) = next_word(rest).unwrap() {
            out.push(String::from_utf8(w).unwrap());
            rest = r;
        }
        out
    }

    #[test]
    fn fields_split_on_whitespace_and_tabs() {
        assert_eq!(
            words("d\t/etc/polkit-1/rules.d\t0700 polkitd  root\t-"),
            ["d", "/etc/polkit-1/rules.d", "0700", "polkitd", "root", "-"]
        );
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            words(r#"u messagebus - "System Message Bus" 'a b'"#),
            ["u", "messagebus", "-", "System Message Bus", "a b"]
        );
        assert_eq!(words(r#"f "/tmp/x/\x20a\nb""#), ["f", "/tmp/x/ a\nb"]);
        assert_eq!(words(r"a\sb c"), ["a b", "c"]);
        assert_eq!(words(r#"pre"fix suf"fix"#), ["prefix suffix"]);
        assert_eq!(words(r"\u00e9t\303\251"), ["été"]);
    }

    #[test]
    fn bad_words_say_why() {
        assert_eq!(next_word("\"open").unwrap_err(), "unterminated \"quote\"");
        assert_eq!(next_word(r"a\qb").unwrap_err(), "unknown escape `\\q`");
        assert!(next_word(r"\x2").unwrap_err().contains("malformed escape"));
        assert_eq!(next_word(r"\x00").unwrap_err(), "escape for a NUL byte");
        assert!(next_word("\\").is_err());
    }

    #[test]
    fn unescape_keeps_bytes() {
        assert_eq!(unescape(r"\x20foo\nbar").unwrap(), b" foo\nbar");
        assert_eq!(unescape(r"\xff").unwrap(), [0xff]);
        assert_eq!(unescape("plain é").unwrap(), "plain é".as_bytes());
    }

    #[test]
    fn specifiers() {
        let e = |t| expand_specifiers(t, TMPFILES_SPECIFIERS);
        assert_eq!(
            e("%S/foo %C %L %t %T %V %h %u %U %g %G 100%%").unwrap(),
            "/var/lib/foo /var/cache /var/log /run /tmp /var/tmp /root root 0 root 0 100%"
        );
        assert_eq!(
            e("/var/log/journal/%m").unwrap_err(),
            "specifier %m (the machine ID) has no value in an image"
        );
        assert_eq!(e("%q").unwrap_err(), "unknown specifier %q");
        assert!(e("50%").is_err());
        assert_eq!(
            expand_specifiers("%t", SYSUSERS_SPECIFIERS).unwrap_err(),
            "unknown specifier %t"
        );
    }
}
