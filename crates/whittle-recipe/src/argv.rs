//! Shell-like splitting of a command string into argv (POSIX shell quoting
//! rules, as Python's `shlex.split`): whitespace separates words; `'...'`
//! is literal; `"..."` allows `\"`, `\\`, `\$` and `` \` `` escapes; a
//! backslash outside quotes escapes the next character. No expansion, no
//! comments, no operators.

/// Why a command string could not be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SplitError {
    /// A quote was opened and never closed.
    UnclosedQuote(char),
    /// The string ends with a lone backslash.
    TrailingBackslash,
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SplitError::UnclosedQuote(q) => write!(f, "unclosed {q} quote"),
            SplitError::TrailingBackslash => f.write_str("trailing backslash"),
        }
    }
}

/// Split `s` into words.
pub(crate) fn split(s: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(SplitError::UnclosedQuote('\'')),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(SplitError::UnclosedQuote('"')),
                        },
                        Some(c) => word.push(c),
                        None => return Err(SplitError::UnclosedQuote('"')),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(c) => word.push(c),
                    None => return Err(SplitError::TrailingBackslash),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Vec<String> {
        split(x).unwrap()
    }

    #[test]
    fn splits_like_shlex() {
        assert_eq!(s(r#"-c "print('hello')""#), ["-c", "print('hello')"]);
        assert_eq!(s("  a   b\tc "), ["a", "b", "c"]);
        assert_eq!(s(r"a\ b 'c d' e"), ["a b", "c d", "e"]);
        assert_eq!(s(r#""a\"b" 'x\y'"#), [r#"a"b"#, r"x\y"]);
        assert_eq!(s(r#""a\nb""#), [r"a\nb"]);
        assert_eq!(s("''"), [""]);
        assert_eq!(s("a'b'c"), ["abc"]);
        assert!(s("").is_empty());
    }

    #[test]
    fn errors() {
        assert_eq!(split("'abc"), Err(SplitError::UnclosedQuote('\'')));
        assert_eq!(split("\"abc"), Err(SplitError::UnclosedQuote('"')));
        assert_eq!(split("abc\\"), Err(SplitError::TrailingBackslash));
    }
}
