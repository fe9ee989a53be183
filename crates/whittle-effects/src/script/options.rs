//! Command-line options of the commands the reader emulates, split the
//! way getopt_long does: `-abc` clusters, `-mVALUE`, `--long=value`,
//! `--long value`, and `--` to end options.

/// Options and operands of one command line.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    /// Options in order, each with its value when it takes one.
    pub(crate) options: Vec<(String, Option<String>)>,
    /// Everything else, in order.
    pub(crate) operands: Vec<String>,
}

impl Parsed {
    /// Whether any of `names` was given.
    pub(crate) fn has(&self, names: &[&str]) -> bool {
        self.options
            .iter()
            .any(|(o, _)| names.contains(&o.as_str()))
    }

    /// The last value of any of `names`.
    pub(crate) fn value(&self, names: &[&str]) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(o, _)| names.contains(&o.as_str()))
            .and_then(|(_, v)| v.as_deref())
    }

    /// Every value of any of `names`, in order.
    pub(crate) fn values(&self, names: &[&str]) -> Vec<&str> {
        self.options
            .iter()
            .filter(|(o, _)| names.contains(&o.as_str()))
            .filter_map(|(_, v)| v.as_deref())
            .collect()
    }

    /// An error naming the first option not in `known`.
    pub(crate) fn only(&self, known: &[&str]) -> Result<(), String> {
        match self
            .options
            .iter()
            .find(|(o, _)| !known.contains(&o.as_str()))
        {
            Some((o, _)) => Err(format!("option `{o}` is not emulated")),
            None => Ok(()),
        }
    }
}

/// Split `args` (without the command name); `takes_value` lists the
/// options (`-m`, `--mode`) that take a value.
pub(crate) fn parse(args: &[String], takes_value: &[&str]) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            out.operands.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (format!("--{n}"), Some(v.to_string())),
                None => (a.clone(), None),
            };
            let value = match value {
                Some(v) => Some(v),
                None if takes_value.contains(&name.as_str()) => {
                    i += 1;
                    Some(
                        args.get(i - 1)
                            .cloned()
                            .ok_or(format!("`{name}` lacks its value"))?,
                    )
                }
                None => None,
            };
            out.options.push((name, value));
        } else if a.len() > 1 && a.starts_with('-') {
            let chars: Vec<char> = a[1..].chars().collect();
            for (j, c) in chars.iter().enumerate() {
                let name = format!("-{c}");
                if takes_value.contains(&name.as_str()) {
                    let rest: String = chars[j + 1..].iter().collect();
                    let value = if rest.is_empty() {
                        i += 1;
                        args.get(i - 1)
                            .cloned()
                            .ok_or(format!("`{name}` lacks its value"))?
                    } else {
                        rest
                    };
                    out.options.push((name, Some(value)));
                    break;
                }
                out.options.push((name, None));
            }
        } else {
            out.operands.push(a.clone());
        }
    }
    Ok(out)
}

/// An octal mode (`755`, `0644`, `2775`).
pub(crate) fn octal(mode: &str) -> Option<u32> {
    if mode.is_empty() || mode.len() > 5 {
        return None;
    }
    u32::from_str_radix(mode, 8).ok().filter(|m| *m <= 0o7777)
}

/// A symbolic mode (`u+x`, `g+w,o-rwx`, `a+r`) applied to `current`.
pub(crate) fn symbolic(mode: &str, current: u32) -> Option<u32> {
    let mut m = current;
    for clause in mode.split(',') {
        let op_at = clause.find(['+', '-', '='])?;
        let (who, rest) = clause.split_at(op_at);
        let mut mask = 0u32;
        for w in who.chars() {
            mask |= match w {
                'u' => 0o4700,
                'g' => 0o2070,
                'o' => 0o0007,
                'a' => 0o7777,
                _ => return None,
            };
        }
        if who.is_empty() {
            mask = 0o7777;
        }
        let op = rest.chars().next()?;
        let mut bits = 0u32;
        for p in rest[1..].chars() {
            bits |= match p {
                'r' => 0o444,
                'w' => 0o222,
                'x' => 0o111,
                's' => 0o6000,
                't' => 0o1000,
                _ => return None,
            };
        }
        let bits = bits & mask;
        m = match op {
            '+' => m | bits,
            '-' => m & !bits,
            _ => (m & !(mask & 0o777)) | bits,
        };
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn options_split_as_getopt_does() {
        let p = parse(
            &v(&["-pm", "0755", "--mode=2775", "-sf", "a", "--", "-b"]),
            &["-m", "--mode"],
        )
        .unwrap();
        assert_eq!(p.value(&["-m"]), Some("0755"));
        assert_eq!(p.value(&["--mode"]), Some("2775"));
        assert!(p.has(&["-s"]) && p.has(&["-f"]) && p.has(&["-p"]));
        assert_eq!(p.operands, v(&["a", "-b"]));
        assert!(p.only(&["-p", "-m"]).is_err());
    }

    #[test]
    fn modes_read_as_chmod_reads_them() {
        assert_eq!(octal("2775"), Some(0o2775));
        assert_eq!(octal("u+x"), None);
        assert_eq!(symbolic("u+x", 0o644), Some(0o744));
        assert_eq!(symbolic("g+w,o-rwx", 0o755), Some(0o770));
        assert_eq!(symbolic("a+r", 0o600), Some(0o644));
        assert_eq!(symbolic("+x", 0o644), Some(0o755));
    }
}
