//! Word expansion as `sh` does it (POSIX "Word Expansions"): quoting,
//! parameters (`$1`, `${VAR:-default}`, `${VAR#pattern}` …), command
//! substitution through the pure commands `subst` knows, and field
//! splitting of unquoted results. Globs are never expanded: a word holding
//! one is unknown.

use brush_parser::ast;
use brush_parser::word::{
    self, Parameter, ParameterExpr, ParameterTestType, SpecialParameter, WordPiece,
    WordPieceWithSource,
};

use super::glob;
use super::interp::{Interp, Truth, Value};

/// One field of an expanded command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    /// Its text.
    Known(String),
    /// Not known: the word as written, and why.
    Unknown { raw: String, why: String },
}

impl Field {
    /// The text, or why it is not known.
    pub(crate) fn value(self) -> Value {
        match self {
            Field::Known(s) => Ok(s),
            Field::Unknown { why, .. } => Err(why),
        }
    }

    /// The text, or the word as written.
    pub(crate) fn shown(&self) -> &str {
        match self {
            Field::Known(s) => s,
            Field::Unknown { raw, .. } => raw,
        }
    }
}

/// What an expansion is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Command words: split unquoted results, refuse globs.
    Fields,
    /// One string, no splitting (assignments, `case` words, redirections).
    Joined,
    /// A pattern: quoted characters escaped, globs kept.
    Pattern,
}

/// Fields being built.
#[derive(Default)]
struct Fields {
    done: Vec<String>,
    current: String,
    started: bool,
    glob: bool,
}

impl Fields {
    fn literal(&mut self, s: &str) {
        self.current.push_str(s);
        self.started = true;
    }

    fn end(&mut self) {
        if self.started {
            self.done.push(std::mem::take(&mut self.current));
            self.started = false;
        }
    }

    /// An unquoted expansion result, split on blanks.
    fn split(&mut self, s: &str) {
        if s.starts_with(char::is_whitespace) {
            self.end();
        }
        for (i, part) in s.split_whitespace().enumerate() {
            if i > 0 {
                self.end();
            }
            self.literal(part);
        }
        if s.ends_with(char::is_whitespace) {
            self.end();
        }
    }
}

fn options() -> brush_parser::ParserOptions {
    brush_parser::ParserOptions {
        enable_extended_globbing: false,
        ..Default::default()
    }
}

impl Interp<'_> {
    /// Expand command words into fields.
    pub(crate) fn expand_words(&mut self, words: &[ast::Word]) -> Vec<Field> {
        words
            .iter()
            .flat_map(|w| self.expand_word(&w.value))
            .collect()
    }

    /// Expand one word into its fields (none for an unquoted empty value).
    pub(crate) fn expand_word(&mut self, raw: &str) -> Vec<Field> {
        let mut out = Fields::default();
        match self.expand_into(raw, Mode::Fields, &mut out) {
            Err(why) => vec![Field::Unknown {
                raw: raw.to_string(),
                why,
            }],
            Ok(()) if out.glob => vec![Field::Unknown {
                raw: raw.to_string(),
                why: format!("the glob `{raw}` is not expanded"),
            }],
            Ok(()) => {
                out.end();
                out.done.into_iter().map(Field::Known).collect()
            }
        }
    }

    /// Expand a word into one string, without splitting.
    pub(crate) fn expand_one(&mut self, w: &ast::Word) -> Value {
        self.expand_joined(&w.value)
    }

    /// Expand text into one string, without splitting.
    pub(crate) fn expand_joined(&mut self, raw: &str) -> Value {
        let mut out = Fields::default();
        self.expand_into(raw, Mode::Joined, &mut out)?;
        Ok(out.current)
    }

    /// Expand a word used as a pattern.
    pub(crate) fn expand_pattern(&mut self, w: &ast::Word) -> Value {
        let mut out = Fields::default();
        self.expand_into(&w.value, Mode::Pattern, &mut out)?;
        Ok(out.current)
    }

    /// A here-document's body: parameters and substitutions expanded,
    /// quotes kept.
    pub(crate) fn expand_heredoc(&mut self, body: &str) -> Value {
        let pieces = word::parse_heredoc(body, &options())
            .map_err(|e| format!("here-document does not parse: {e}"))?;
        let mut out = Fields::default();
        self.pieces(&pieces, true, Mode::Joined, &mut out)?;
        Ok(out.current)
    }

    fn expand_into(&mut self, raw: &str, mode: Mode, out: &mut Fields) -> Result<(), String> {
        let pieces =
            word::parse(raw, &options()).map_err(|e| format!("`{raw}` does not parse: {e}"))?;
        self.pieces(&pieces, false, mode, out)
    }

    fn pieces(
        &mut self,
        pieces: &[WordPieceWithSource],
        quoted: bool,
        mode: Mode,
        out: &mut Fields,
    ) -> Result<(), String> {
        for p in pieces {
            self.piece(&p.piece, quoted, mode, out)?;
        }
        Ok(())
    }

    fn piece(
        &mut self,
        piece: &WordPiece,
        quoted: bool,
        mode: Mode,
        out: &mut Fields,
    ) -> Result<(), String> {
        let quote = |s: &str| {
            if mode == Mode::Pattern {
                glob::escape(s)
            } else {
                s.to_string()
            }
        };
        match piece {
            WordPiece::Text(t) => {
                if !quoted && mode == Mode::Fields && glob::has_glob(t) {
                    out.glob = true;
                }
                if quoted {
                    out.literal(&quote(t));
                } else {
                    out.literal(t);
                }
            }
            WordPiece::SingleQuotedText(t) => out.literal(&quote(t)),
            WordPiece::AnsiCQuotedText(t) => out.literal(&quote(&ansi_c(t))),
            WordPiece::EscapeSequence(e) => {
                let c = e.strip_prefix('\\').unwrap_or(e);
                if quoted && !matches!(c, "$" | "`" | "\"" | "\\" | "\n") {
                    out.literal(&quote(e));
                } else if c != "\n" {
                    out.literal(&quote(c));
                } else {
                    out.started = true;
                }
            }
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => {
                out.started = true;
                if let [only] = inner.as_slice() {
                    if let WordPiece::ParameterExpansion(ParameterExpr::Parameter {
                        parameter:
                            Parameter::Special(SpecialParameter::AllPositionalParameters {
                                concatenate: false,
                            }),
                        ..
                    }) = &only.piece
                    {
                        // "$@": one field per parameter.
                        let args: Vec<String> = self
                            .frames
                            .last()
                            .cloned()
                            .unwrap_or_default()
                            .into_iter()
                            .collect::<Result<_, _>>()?;
                        if args.is_empty() {
                            out.started = !out.current.is_empty();
                        }
                        for (i, a) in args.iter().enumerate() {
                            if i > 0 {
                                out.end();
                            }
                            out.literal(&quote(a));
                        }
                        return Ok(());
                    }
                }
                self.pieces(inner, true, mode, out)?;
            }
            WordPiece::TildeExpansion(word::TildeExpr::Home) => out.literal("/root"),
            WordPiece::TildeExpansion(_) => {
                return Err("a `~` form the reader does not expand".into())
            }
            WordPiece::ParameterExpansion(expr) => {
                let v = self.parameter(expr, quoted)?;
                self.expanded(&v, quoted, mode, out);
            }
            WordPiece::CommandSubstitution(cmd) | WordPiece::BackquotedCommandSubstitution(cmd) => {
                let v = self
                    .substitute(cmd)
                    .map_err(|why| self.nonzero_id(cmd).unwrap_or(why))?;
                let v = v.trim_end_matches('\n').to_string();
                self.expanded(&v, quoted, mode, out);
            }
            WordPiece::ArithmeticExpression(e) => {
                let v = self.arithmetic(&e.value)?;
                self.expanded(&v, quoted, mode, out);
            }
        }
        Ok(())
    }

    fn expanded(&self, v: &str, quoted: bool, mode: Mode, out: &mut Fields) {
        match (quoted, mode) {
            (true, Mode::Pattern) => out.literal(&glob::escape(v)),
            (false, Mode::Fields) => {
                if glob::has_glob(v) {
                    out.glob = true;
                }
                out.split(v);
            }
            (true, _) => out.literal(v),
            (false, _) => {
                out.current.push_str(v);
                out.started = true;
            }
        }
    }

    /// A variable's value: unset is empty, unknown is an error.
    pub(crate) fn lookup(&self, p: &Parameter) -> Result<Option<String>, String> {
        let args = self.frames.last().map_or(&[][..], Vec::as_slice);
        match p {
            Parameter::Positional(0) => Ok(Some(format!(
                "/var/lib/dpkg/info/{}.{}",
                self.script.package, self.script.name
            ))),
            Parameter::Positional(n) => usize::try_from(*n)
                .ok()
                .and_then(|n| args.get(n - 1))
                .cloned()
                .transpose()
                .map_err(|why| format!("${n}: {why}")),
            Parameter::Special(SpecialParameter::PositionalParameterCount) => {
                Ok(Some(args.len().to_string()))
            }
            Parameter::Special(SpecialParameter::AllPositionalParameters { .. }) => {
                let all: Vec<String> = args.iter().cloned().collect::<Result<_, _>>()?;
                Ok(Some(all.join(" ")))
            }
            Parameter::Special(SpecialParameter::LastExitStatus) => match &self.status {
                Truth::True => Ok(Some("0".into())),
                Truth::False => Ok(Some("1".into())),
                Truth::Unknown(why) => Err(format!("`$?` is not known: {why}")),
            },
            Parameter::Special(SpecialParameter::ShellName) => Ok(Some("sh".into())),
            Parameter::Special(SpecialParameter::CurrentOptionFlags) => Ok(Some("e".into())),
            Parameter::Special(s) => Err(format!("`${s}` is not known before the script runs")),
            Parameter::Named(name) => match self.vars.get(name) {
                None => Ok(None),
                Some(Ok(v)) => Ok(Some(v.clone())),
                Some(Err(why)) => Err(format!("${name}: {why}")),
            },
            Parameter::NamedWithIndex { .. } | Parameter::NamedWithAllIndices { .. } => {
                Err("arrays are not followed".into())
            }
        }
    }

    fn parameter(&mut self, expr: &ParameterExpr, quoted: bool) -> Value {
        match expr {
            ParameterExpr::Parameter {
                parameter,
                indirect: false,
            } => Ok(self.lookup(parameter)?.unwrap_or_default()),
            ParameterExpr::UseDefaultValues {
                parameter,
                indirect: false,
                test_type,
                default_value,
            } => match self.lookup(parameter)? {
                Some(v)
                    if !(v.is_empty() && matches!(test_type, ParameterTestType::UnsetOrNull)) =>
                {
                    Ok(v)
                }
                _ => self.inner(default_value.as_deref(), quoted),
            },
            ParameterExpr::AssignDefaultValues {
                parameter,
                indirect: false,
                test_type,
                default_value,
            } => match self.lookup(parameter)? {
                Some(v)
                    if !(v.is_empty() && matches!(test_type, ParameterTestType::UnsetOrNull)) =>
                {
                    Ok(v)
                }
                _ => {
                    let v = self.inner(default_value.as_deref(), quoted)?;
                    if let Parameter::Named(name) = parameter {
                        self.assign(name, Ok(v.clone()));
                    }
                    Ok(v)
                }
            },
            ParameterExpr::UseAlternativeValue {
                parameter,
                indirect: false,
                test_type,
                alternative_value,
            } => match self.lookup(parameter)? {
                Some(v)
                    if !(v.is_empty() && matches!(test_type, ParameterTestType::UnsetOrNull)) =>
                {
                    self.inner(alternative_value.as_deref(), quoted)
                }
                _ => Ok(String::new()),
            },
            ParameterExpr::IndicateErrorIfNullOrUnset {
                parameter,
                indirect: false,
                ..
            } => self
                .lookup(parameter)?
                .ok_or_else(|| "`${VAR:?}` of an unset variable".to_string()),
            ParameterExpr::ParameterLength {
                parameter,
                indirect: false,
            } => Ok(self
                .lookup(parameter)?
                .unwrap_or_default()
                .chars()
                .count()
                .to_string()),
            ParameterExpr::RemoveSmallestSuffixPattern {
                parameter,
                indirect: false,
                pattern,
            } => self.trim(parameter, pattern.as_deref(), false, false),
            ParameterExpr::RemoveLargestSuffixPattern {
                parameter,
                indirect: false,
                pattern,
            } => self.trim(parameter, pattern.as_deref(), false, true),
            ParameterExpr::RemoveSmallestPrefixPattern {
                parameter,
                indirect: false,
                pattern,
            } => self.trim(parameter, pattern.as_deref(), true, false),
            ParameterExpr::RemoveLargestPrefixPattern {
                parameter,
                indirect: false,
                pattern,
            } => self.trim(parameter, pattern.as_deref(), true, true),
            _ => Err("a parameter expansion the reader does not follow".into()),
        }
    }

    /// The word inside `${VAR:-word}`, expanded.
    fn inner(&mut self, raw: Option<&str>, quoted: bool) -> Value {
        let raw = raw.unwrap_or_default();
        if quoted {
            self.expand_joined(&format!("\"{}\"", raw.replace('"', "\\\"")))
                .or_else(|_| self.expand_joined(raw))
        } else {
            self.expand_joined(raw)
        }
    }

    /// `${VAR#p}`, `${VAR##p}`, `${VAR%p}`, `${VAR%%p}`.
    fn trim(&mut self, p: &Parameter, pattern: Option<&str>, prefix: bool, largest: bool) -> Value {
        let v = self.lookup(p)?.unwrap_or_default();
        let mut out = Fields::default();
        self.expand_into(pattern.unwrap_or_default(), Mode::Pattern, &mut out)?;
        let pat = out.current;
        let cuts: Vec<usize> = v.char_indices().map(|(i, _)| i).chain([v.len()]).collect();
        let mut order: Vec<usize> = cuts;
        if prefix == largest {
            order.reverse();
        }
        for i in order {
            let (part, rest) = if prefix {
                (&v[..i], &v[i..])
            } else {
                (&v[i..], &v[..i])
            };
            if glob::matches(&pat, part) {
                return Ok(rest.to_string());
            }
        }
        Ok(v)
    }

    /// `$((…))` of integers and known variables, `+ - * /` only.
    fn arithmetic(&mut self, expr: &str) -> Value {
        let mut total: i64 = 0;
        let mut op = '+';
        for tok in expr.split_whitespace() {
            if let Some(o) = tok
                .chars()
                .next()
                .filter(|_| tok.len() == 1)
                .filter(|c| "+-*/".contains(*c))
            {
                op = o;
                continue;
            }
            let name = tok.trim_start_matches('$');
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("`$(({expr}))` is not followed"));
            }
            let n: i64 = match name.parse() {
                Ok(n) => n,
                Err(_) => self
                    .lookup(&Parameter::Named(name.to_string()))?
                    .unwrap_or_else(|| "0".into())
                    .parse()
                    .map_err(|_| format!("`$(({expr}))` is not an integer"))?,
            };
            total = match op {
                '+' => total.saturating_add(n),
                '-' => total.saturating_sub(n),
                '*' => total.saturating_mul(n),
                _ => total.checked_div(n).ok_or("division by zero")?,
            };
        }
        Ok(total.to_string())
    }
}

/// The text of `$'…'` with its common escapes.
fn ansi_c(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}
