//! Finding where things are in the recipe text, for error messages.
//!
//! serde_yaml_ng only gives locations for its own errors, so for validation
//! errors we look the key or value up in the text. This is a heuristic that
//! understands block and flow style well enough for error messages: it never
//! decides what a recipe means.

/// A recipe's text with comments blanked out, plus line starts.
pub(crate) struct Locator {
    /// The text with every comment replaced by spaces (same byte offsets).
    code: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    /// The original text (for columns in characters).
    text: String,
}

/// A byte range of the text: a key's block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Block {
    /// Where the key itself starts.
    pub key: usize,
    /// End of the key's block (exclusive).
    pub end: usize,
}

impl Locator {
    pub(crate) fn new(text: &str) -> Locator {
        let mut code = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            code.push_str(&blank_comment(line));
        }
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Locator {
            code,
            line_starts,
            text: text.to_string(),
        }
    }

    /// 1-based (line, column) of a byte offset.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }

    /// The block of the key at `path` (e.g. `["contents", "packages"]`).
    pub(crate) fn key(&self, path: &[&str]) -> Option<Block> {
        let mut range = Block {
            key: 0,
            end: self.code.len(),
        };
        for (depth, seg) in path.iter().enumerate() {
            let from = if depth == 0 { 0 } else { range.key + 1 };
            range = self.key_in(from, range.end, seg)?;
        }
        Some(range)
    }

    /// Find key `name` in `code[from..end]`, preferring the least-indented
    /// block-style occurrence, else the first flow-style one.
    fn key_in(&self, from: usize, end: usize, name: &str) -> Option<Block> {
        let hay = self.code.get(from..end)?;
        let mut best_block: Option<(usize, usize)> = None; // (indent, offset)
        let mut first_flow: Option<usize> = None;
        for (i, _) in hay.match_indices(name) {
            let at = from + i;
            if !self.is_key_at(at, name) {
                continue;
            }
            let line_start = self.code[..at].rfind('\n').map_or(0, |p| p + 1);
            let before = &self.code[line_start..at];
            let block_style = before
                .chars()
                .all(|c| c == ' ' || c == '-' || c == '"' || c == '\'');
            if block_style {
                let indent = before.len();
                if best_block.is_none_or(|(bi, _)| indent < bi) {
                    best_block = Some((indent, at));
                }
            } else if first_flow.is_none() {
                first_flow = Some(at);
            }
        }
        if let Some((indent, at)) = best_block {
            return Some(Block {
                key: at,
                end: self.block_end(at, indent, end),
            });
        }
        first_flow.map(|at| Block { key: at, end })
    }

    /// Whether `name` at `at` is a mapping key (`name:` followed by space or
    /// end of line, preceded by nothing identifier-like).
    fn is_key_at(&self, at: usize, name: &str) -> bool {
        let prev = self.code[..at].chars().next_back();
        let prev_ok = match prev {
            None => true,
            Some(c) => " \t\n-{,\"'".contains(c),
        };
        let mut rest = &self.code[at + name.len()..];
        rest = rest.strip_prefix(['"', '\'']).unwrap_or(rest);
        let rest = rest.trim_start_matches([' ', '\t']);
        let after_colon = rest.strip_prefix(':');
        prev_ok
            && after_colon.is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t', '\n', '\r']))
    }

    /// End of the block of a key at `at` with indent `indent`: the first
    /// later non-blank line indented no more than the key (a `- ` item at the
    /// same indent still belongs to it, as YAML allows).
    fn block_end(&self, at: usize, indent: usize, limit: usize) -> usize {
        let mut pos = match self.code[at..].find('\n') {
            Some(p) => at + p + 1,
            None => return limit,
        };
        while pos < limit {
            let line_end = self.code[pos..]
                .find('\n')
                .map_or(self.code.len(), |p| pos + p + 1);
            let line = &self.code[pos..line_end];
            let trimmed = line.trim_start_matches(' ');
            let this_indent = line.len() - trimmed.len();
            if !trimmed.trim().is_empty() {
                let is_item = trimmed.starts_with("- ") || trimmed.trim_end() == "-";
                if this_indent < indent || (this_indent == indent && !is_item) {
                    return pos;
                }
            }
            pos = line_end;
        }
        limit
    }

    /// First occurrence of `needle` as a whole token in `code[from..end]`.
    pub(crate) fn value(&self, from: usize, end: usize, needle: &str) -> Option<usize> {
        if needle.is_empty() {
            return None;
        }
        let hay = self.code.get(from..end.min(self.code.len()))?;
        hay.match_indices(needle)
            .map(|(i, _)| from + i)
            .find(|&at| {
                let prev = self.code[..at].chars().next_back();
                let next = self.code[at + needle.len()..].chars().next();
                let word = |c: Option<char>| {
                    c.is_some_and(|c| c.is_alphanumeric() || "_-.+/~=<>@$".contains(c))
                };
                !word(prev) && !word(next)
            })
    }

    /// Line and column of the first occurrence of `needle` anywhere in code.
    pub(crate) fn anywhere(&self, needle: &str) -> Option<(usize, usize)> {
        self.code.find(needle).map(|at| self.position(at))
    }
}

/// Replace a YAML comment (a `#` at line start or after whitespace, outside
/// quotes) and the rest of the line with spaces, keeping the newline.
fn blank_comment(line: &str) -> String {
    let mut quote: Option<char> = None;
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '#' && prev_space => {
                let mut out = line[..i].to_string();
                for c in line[i..].chars() {
                    if c == '\n' || c == '\r' {
                        out.push(c);
                    } else {
                        out.extend(std::iter::repeat_n(' ', c.len_utf8()));
                    }
                }
                return out;
            }
            None if (c == '"' || c == '\'') && prev_space_or_flow(&line[..i]) => quote = Some(c),
            None => {}
        }
        prev_space = c.is_whitespace();
    }
    line.to_string()
}

/// A quote only opens a quoted scalar at the start of one.
fn prev_space_or_flow(before: &str) -> bool {
    before
        .chars()
        .next_back()
        .is_none_or(|c| c.is_whitespace() || "[{,:-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
contents:
  repositories:
    - type: deb   # keyring: not this
      keyring: /a
  keyring: [x]
  packages:
  - python3   # a comment with python3
  - python3-pip
  - \"q#uoted\"
accounts: {run-as: nonroot}
";

    #[test]
    fn comments_blanked() {
        let l = Locator::new(TEXT);
        assert_eq!(l.code.len(), TEXT.len());
        assert!(!l.code.contains("a comment"));
        assert!(l.code.contains("q#uoted"));
    }

    #[test]
    fn finds_keys() {
        let l = Locator::new(TEXT);
        let b = l.key(&["contents", "keyring"]).unwrap();
        assert_eq!(l.position(b.key), (5, 3));
        let b = l.key(&["contents", "repositories"]).unwrap();
        assert_eq!(l.position(b.key), (2, 3));
        let p = l.key(&["contents", "packages"]).unwrap();
        assert_eq!(l.position(p.key), (6, 3));
        assert_eq!(l.position(p.end), (10, 1));
        let first = l.value(p.key, p.end, "python3").unwrap();
        assert_eq!(l.position(first), (7, 5));
        let second = l.value(first + 1, p.end, "python3-pip").unwrap();
        assert_eq!(l.position(second).0, 8);
        let r = l.key(&["accounts", "run-as"]).unwrap();
        assert_eq!(l.position(r.key), (10, 12));
        assert!(l.key(&["nope"]).is_none());
    }
}
