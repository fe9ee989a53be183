//! RPM dependency strings: plain ones (`name`, `name >= 1.2-3`,
//! `libc.so.6(GLIBC_2.34)(64bit)`) and rich (boolean) ones such as
//! `(A if B else C)`, as rpm's `rpmrich.c` grammar defines them (rpm docs:
//! "Boolean Dependencies"), lowered into the model's [`Dependency`].
//!
//! The model says "one of these alternatives, each also satisfying `with`,
//! when a condition holds". Whatever a rich dependency says beyond that is
//! replaced by a *stronger* requirement where one exists (so a solution of
//! the approximation is a solution of the original) and reported in
//! [`ParsedDeps::approximated`]; `without` cannot be strengthened and is
//! reported as not enforced.

use whittle_model::{Condition, Dependency, Op, Requirement};

/// Nesting deeper than this is refused: no real package comes close, and
/// it bounds the recursion on hostile input.
pub const MAX_DEPTH: usize = 32;

/// An `or` over `and`s is rewritten as `and` over `or`s (exact); past
/// this many clauses the first alternative alone is kept instead.
const MAX_CLAUSES: usize = 64;

/// Why a dependency string does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RichError {
    /// The parentheses do not balance.
    #[error("dependency {text:?}: unbalanced parentheses; a rich dependency is `(A op B)` with every `(` closed")]
    Unbalanced {
        /// The whole dependency string.
        text: String,
    },
    /// A word where an operator belongs is not one.
    #[error("dependency {text:?}: unknown operator {word:?}; rich dependencies use and, or, if, unless, else, with, without")]
    UnknownOperator {
        /// The whole dependency string.
        text: String,
        /// The word found.
        word: String,
    },
    /// Operators are mixed without parentheses, or chained where rpm
    /// does not allow it.
    #[error("dependency {text:?}: {why}; add parentheses as rpm requires")]
    BadChain {
        /// The whole dependency string.
        text: String,
        /// What rule is broken.
        why: String,
    },
    /// Something is missing: a name, an operand, a version after a relation.
    #[error("dependency {text:?}: {what} is missing")]
    Missing {
        /// The whole dependency string.
        text: String,
        /// What is missing.
        what: &'static str,
    },
    /// A relation is not one rpm knows.
    #[error("dependency {text:?}: unknown relation {op:?}; rpm knows <, <=, =, ==, >=, >")]
    UnknownRelation {
        /// The whole dependency string.
        text: String,
        /// The relation found.
        op: String,
    },
    /// Text follows a complete dependency.
    #[error("dependency {text:?}: unexpected text {rest:?} after the dependency")]
    Trailing {
        /// The whole dependency string.
        text: String,
        /// What follows.
        rest: String,
    },
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("dependency {text:?}: nested deeper than {MAX_DEPTH} levels; refusing it")]
    TooDeep {
        /// The whole dependency string (shortened).
        text: String,
    },
}

/// A parsed rich dependency, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RichExpr {
    /// A plain `name [op evr]`.
    Dep(Requirement),
    /// `(A and B ...)`.
    And(Vec<RichExpr>),
    /// `(A or B ...)`.
    Or(Vec<RichExpr>),
    /// `(A with B ...)`: one package satisfying all.
    With(Vec<RichExpr>),
    /// `(A without B)`.
    Without(Box<RichExpr>, Box<RichExpr>),
    /// `(A if B [else C])`.
    If(Box<RichExpr>, Box<RichExpr>, Option<Box<RichExpr>>),
    /// `(A unless B [else C])`.
    Unless(Box<RichExpr>, Box<RichExpr>, Option<Box<RichExpr>>),
}

/// Dependencies parsed from one string, with what could not be expressed
/// exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedDeps {
    /// The dependencies, all of which must hold.
    pub deps: Vec<Dependency>,
    /// One line per approximation: the original text and what was changed.
    pub approximated: Vec<String>,
}

/// Requirements parsed from one conflicts/obsoletes string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedReqs {
    /// The requirements.
    pub reqs: Vec<Requirement>,
    /// One line per approximation, as in [`ParsedDeps`].
    pub approximated: Vec<String>,
}

/// Parse a requires-style string, plain or rich, into dependencies.
pub fn parse_dependency(text: &str) -> Result<ParsedDeps, RichError> {
    let expr = parse_expr(text)?;
    let mut lower = Lowering::default();
    let deps = lower.clauses(&expr);
    let approximated = lower
        .notes
        .into_iter()
        .map(|why| format!("{}: {why}", text.trim()))
        .collect();
    Ok(ParsedDeps { deps, approximated })
}

/// Parse a plain `name [op evr]` (a provides, conflicts or obsoletes
/// entry). A rich string is refused with [`RichError::BadChain`].
pub fn parse_requirement(text: &str) -> Result<Requirement, RichError> {
    match parse_expr(text)? {
        RichExpr::Dep(req) => Ok(req),
        _ => Err(RichError::BadChain {
            text: text.to_string(),
            why: "a rich dependency is not allowed here".into(),
        }),
    }
}

/// Parse a conflicts/obsoletes string, where a rich one stands for every
/// name it mentions: exact for `(A or B)`, stronger (conflicts with more)
/// otherwise, and reported.
pub fn parse_conflict(text: &str) -> Result<ParsedReqs, RichError> {
    let expr = parse_expr(text)?;
    let mut reqs = Vec::new();
    let exact = leaves(&expr, &mut reqs);
    let approximated = if exact {
        Vec::new()
    } else {
        vec![format!(
            "{}: every name in it is treated as a conflict",
            text.trim()
        )]
    };
    Ok(ParsedReqs { reqs, approximated })
}

/// Parse a dependency string into its expression tree.
pub fn parse_expr(text: &str) -> Result<RichExpr, RichError> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
    };
    parser.skip_white();
    let expr = if parser.peek() == Some(b'(') {
        parser.rich(0)?
    } else {
        RichExpr::Dep(parser.simple()?)
    };
    parser.skip_white();
    if parser.at < parser.bytes.len() {
        return Err(RichError::Trailing {
            text: text.to_string(),
            rest: text[parser.at..].to_string(),
        });
    }
    Ok(expr)
}

/// Collect every requirement in `expr`; true when `expr` is a plain
/// dependency or an `or` of them.
fn leaves(expr: &RichExpr, out: &mut Vec<Requirement>) -> bool {
    match expr {
        RichExpr::Dep(r) => {
            out.push(r.clone());
            true
        }
        RichExpr::Or(xs) => {
            // Every operand is visited: no short-circuit.
            let mut exact = true;
            for x in xs {
                exact &= leaves(x, out);
            }
            exact
        }
        RichExpr::And(xs) | RichExpr::With(xs) => {
            xs.iter().for_each(|x| {
                leaves(x, out);
            });
            false
        }
        RichExpr::Without(a, b) => {
            leaves(a, out);
            leaves(b, out);
            false
        }
        RichExpr::If(a, b, c) | RichExpr::Unless(a, b, c) => {
            leaves(a, out);
            leaves(b, out);
            if let Some(c) = c {
                leaves(c, out);
            }
            false
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Word {
    And,
    Or,
    If,
    Unless,
    Else,
    With,
    Without,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_white(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    /// rpm's `SKIPNONWHITEX`: up to whitespace or an unmatched `)`,
    /// keeping balanced parentheses inside (`foo(x86-64)`).
    fn token(&mut self) -> &str {
        let start = self.at;
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            if depth == 0 && (c.is_ascii_whitespace() || c == b')') {
                break;
            }
            match c {
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ => {}
            }
            self.at += 1;
        }
        &self.text[start..self.at]
    }

    fn error(&self, what: &'static str) -> RichError {
        RichError::Missing {
            text: self.text.to_string(),
            what,
        }
    }

    /// `name [op evr]`.
    fn simple(&mut self) -> Result<Requirement, RichError> {
        let name = self.token().to_string();
        if name.is_empty() {
            return Err(self.error("a package name"));
        }
        if name.bytes().filter(|c| *c == b'(').count()
            != name.bytes().filter(|c| *c == b')').count()
        {
            return Err(RichError::Unbalanced {
                text: self.text.to_string(),
            });
        }
        let save = self.at;
        self.skip_white();
        let op_len = self.bytes[self.at..]
            .iter()
            .take_while(|c| matches!(c, b'<' | b'>' | b'='))
            .count();
        if op_len == 0 {
            self.at = save;
            return Ok(Requirement::any(name));
        }
        let op_text = &self.text[self.at..self.at + op_len];
        let op = match op_text {
            "<" => Op::Lt,
            "<=" | "=<" => Op::Le,
            "=" | "==" => Op::Eq,
            ">=" | "=>" => Op::Ge,
            ">" => Op::Gt,
            _ => {
                return Err(RichError::UnknownRelation {
                    text: self.text.to_string(),
                    op: op_text.to_string(),
                })
            }
        };
        self.at += op_len;
        self.skip_white();
        let evr = self.token().to_string();
        if evr.is_empty() {
            return Err(self.error("a version after the relation"));
        }
        Ok(Requirement::with(name, op, evr))
    }

    /// `( operand op operand ... )`, at the `(`.
    fn rich(&mut self, depth: usize) -> Result<RichExpr, RichError> {
        if depth >= MAX_DEPTH {
            return Err(RichError::TooDeep {
                text: self.text.chars().take(200).collect(),
            });
        }
        self.at += 1; // the `(`
        let mut operands = Vec::new();
        let mut words = Vec::new();
        loop {
            self.skip_white();
            match self.peek() {
                None => {
                    return Err(RichError::Unbalanced {
                        text: self.text.to_string(),
                    })
                }
                Some(b')') => return Err(self.error("an operand")),
                Some(b'(') => operands.push(self.rich(depth + 1)?),
                Some(_) => operands.push(RichExpr::Dep(self.simple()?)),
            }
            self.skip_white();
            match self.peek() {
                None => {
                    return Err(RichError::Unbalanced {
                        text: self.text.to_string(),
                    })
                }
                Some(b')') => {
                    self.at += 1;
                    break;
                }
                Some(_) => words.push(self.word()?),
            }
        }
        self.build(operands, &words)
    }

    fn word(&mut self) -> Result<Word, RichError> {
        let word = self.token().to_string();
        Ok(match word.as_str() {
            "and" => Word::And,
            "or" => Word::Or,
            "if" => Word::If,
            "unless" => Word::Unless,
            "else" => Word::Else,
            "with" => Word::With,
            "without" => Word::Without,
            _ => {
                return Err(RichError::UnknownOperator {
                    text: self.text.to_string(),
                    word,
                })
            }
        })
    }

    /// Check rpm's chaining rules and build the node.
    fn build(&self, mut operands: Vec<RichExpr>, words: &[Word]) -> Result<RichExpr, RichError> {
        let bad = |why: &str| RichError::BadChain {
            text: self.text.to_string(),
            why: why.to_string(),
        };
        let Some(&first) = words.first() else {
            // `(A)`: a parenthesised single operand.
            return operands.pop().ok_or_else(|| self.error("an operand"));
        };
        if words.iter().any(|w| *w != first) {
            let conditional = matches!(first, Word::If | Word::Unless)
                && words.len() == 2
                && words[1] == Word::Else;
            if !conditional {
                return Err(bad("operators are mixed in one parenthesis"));
            }
        } else if words.len() > 1 && !matches!(first, Word::And | Word::Or | Word::With) {
            return Err(bad("only and, or and with can be chained"));
        }
        let mut it = operands.into_iter();
        let mut next = || {
            it.next()
                .map(Box::new)
                .ok_or_else(|| self.error("an operand"))
        };
        Ok(match first {
            Word::And => RichExpr::And(collect(next, words.len())?),
            Word::Or => RichExpr::Or(collect(next, words.len())?),
            Word::With => RichExpr::With(collect(next, words.len())?),
            Word::Without => RichExpr::Without(next()?, next()?),
            Word::If | Word::Unless => {
                let (then, cond) = (next()?, next()?);
                let otherwise = if words.len() == 2 {
                    Some(next()?)
                } else {
                    None
                };
                if first == Word::If {
                    RichExpr::If(then, cond, otherwise)
                } else {
                    RichExpr::Unless(then, cond, otherwise)
                }
            }
            Word::Else => return Err(bad("else must follow if or unless")),
        })
    }
}

fn collect(
    mut next: impl FnMut() -> Result<Box<RichExpr>, RichError>,
    ops: usize,
) -> Result<Vec<RichExpr>, RichError> {
    (0..=ops).map(|_| next().map(|b| *b)).collect()
}

/// Turns an expression into model dependencies, noting approximations.
#[derive(Default)]
struct Lowering {
    notes: Vec<String>,
}

impl Lowering {
    fn note(&mut self, why: impl Into<String>) {
        let why = why.into();
        if !self.notes.contains(&why) {
            self.notes.push(why);
        }
    }

    /// The dependencies (clauses) that must all hold.
    fn clauses(&mut self, e: &RichExpr) -> Vec<Dependency> {
        match e {
            RichExpr::Dep(r) => vec![Dependency::single(r.clone())],
            RichExpr::And(xs) => xs.iter().flat_map(|x| self.clauses(x)).collect(),
            RichExpr::Or(xs) => self.or(xs),
            RichExpr::With(xs) => self.with(xs),
            RichExpr::Without(a, b) => {
                self.note(format!(
                    "the exclusion `without {}` is not enforced",
                    show(b)
                ));
                self.clauses(a)
            }
            RichExpr::If(then, cond, otherwise) => {
                let mut out = self.conditional(then, cond, true);
                if let Some(c) = otherwise {
                    out.extend(self.conditional(c, cond, false));
                }
                out
            }
            RichExpr::Unless(then, cond, otherwise) => {
                let mut out = self.conditional(then, cond, false);
                if let Some(c) = otherwise {
                    out.extend(self.conditional(c, cond, true));
                }
                out
            }
        }
    }

    /// An `or`: the product of its operands' clauses (distribution), so
    /// `(A and B) or C` becomes `A or C`, `B or C`.
    fn or(&mut self, xs: &[RichExpr]) -> Vec<Dependency> {
        let mut acc = vec![Dependency::any_of(Vec::new())];
        // The first operand's clauses as lowered, kept for the fallback:
        // lowering it again would double the work at every nested `or`.
        let mut first = None;
        for x in xs {
            let mut part = self.clauses(x);
            if first.is_none() {
                first = Some(part.clone());
            }
            for d in &mut part {
                if d.when.take().is_some() {
                    self.note("a conditional operand of `or` is required unconditionally");
                }
            }
            if acc.len() * part.len() > MAX_CLAUSES {
                self.note("an `or` too large to distribute: only its first operand is kept");
                return first.unwrap_or_default();
            }
            acc = acc
                .iter()
                .flat_map(|a| part.iter().map(move |p| merge(a, p)))
                .collect();
        }
        for d in &acc {
            if !d.with.is_empty() && d.alternatives.len() > 1 {
                self.note("`with` inside `or`: the chosen package must satisfy every `with`");
            }
        }
        acc
    }

    /// `(A with B ...)`: A's alternatives, the rest as `with`.
    fn with(&mut self, xs: &[RichExpr]) -> Vec<Dependency> {
        let Some((first, rest)) = xs.split_first() else {
            return Vec::new();
        };
        let mut base = self.clauses(first);
        if base.len() != 1 {
            self.note("`with` over an `and`: each part is applied separately");
        }
        let mut with = Vec::new();
        for x in rest {
            match x {
                RichExpr::Dep(r) => with.push(r.clone()),
                RichExpr::Or(_) => {
                    let mut all = Vec::new();
                    leaves(x, &mut all);
                    self.note("an `or` inside `with`: only its first name is required");
                    with.extend(all.into_iter().take(1));
                }
                _ => {
                    self.note("a compound inside `with`: all of its names are required");
                    leaves(x, &mut with);
                }
            }
        }
        for d in &mut base {
            d.with.extend(with.iter().cloned());
        }
        base
    }

    /// `then` applies when `cond` holds (`installed`) or when it does not.
    fn conditional(
        &mut self,
        then: &RichExpr,
        cond: &RichExpr,
        installed: bool,
    ) -> Vec<Dependency> {
        let when = if installed {
            match necessary(cond) {
                Some((reqs, exact)) => {
                    if !exact {
                        self.note(format!(
                            "the condition {} is widened to: one of {} is installed",
                            show(cond),
                            names(&reqs)
                        ));
                    }
                    Some(Condition::Installed(reqs))
                }
                None => {
                    self.note(format!(
                        "the condition {} is not expressible: required always",
                        show(cond)
                    ));
                    None
                }
            }
        } else {
            let (reqs, exact) = sufficient(cond);
            if reqs.is_empty() {
                self.note(format!(
                    "the negated condition {} is not expressible: required always",
                    show(cond)
                ));
                None
            } else {
                if !exact {
                    self.note(format!(
                        "the negated condition {} is widened to: none of {} is installed",
                        show(cond),
                        names(&reqs)
                    ));
                }
                Some(Condition::NotInstalled(reqs))
            }
        };
        let mut out = self.clauses(then);
        for d in &mut out {
            if d.when.is_some() {
                if when.is_some() {
                    self.note("nested conditions: only the inner one is kept");
                }
            } else {
                d.when.clone_from(&when);
            }
        }
        out
    }
}

/// Requirements one of which is installed whenever `cond` holds (so
/// "when one of these is installed" covers every case `cond` does);
/// `None` when `cond` can hold with nothing installed. The flag says
/// whether the two are equivalent.
fn necessary(cond: &RichExpr) -> Option<(Vec<Requirement>, bool)> {
    match cond {
        RichExpr::Dep(r) => Some((vec![r.clone()], true)),
        RichExpr::Or(xs) => {
            let mut all = Vec::new();
            let mut exact = true;
            for x in xs {
                let (reqs, e) = necessary(x)?;
                all.extend(reqs);
                exact &= e;
            }
            Some((all, exact))
        }
        RichExpr::And(xs) => xs.iter().find_map(necessary).map(|(r, _)| (r, false)),
        RichExpr::With(xs) => xs.first().and_then(necessary).map(|(r, _)| (r, false)),
        RichExpr::Without(a, _) => necessary(a).map(|(r, _)| (r, false)),
        RichExpr::If(..) | RichExpr::Unless(..) => None,
    }
}

/// Requirements each of which, installed, makes `cond` hold (so "when
/// none of these is installed" covers every case where `cond` fails).
/// The flag says whether the two are equivalent.
fn sufficient(cond: &RichExpr) -> (Vec<Requirement>, bool) {
    match cond {
        RichExpr::Dep(r) => (vec![r.clone()], true),
        RichExpr::Or(xs) => {
            let mut all = Vec::new();
            let mut exact = true;
            for x in xs {
                let (reqs, e) = sufficient(x);
                all.extend(reqs);
                exact &= e;
            }
            (all, exact)
        }
        _ => (Vec::new(), false),
    }
}

/// An `or` of two clauses: their alternatives and `with`s together.
fn merge(a: &Dependency, b: &Dependency) -> Dependency {
    let mut out = a.clone();
    out.alternatives.extend(b.alternatives.iter().cloned());
    for w in &b.with {
        if !out.with.contains(w) {
            out.with.push(w.clone());
        }
    }
    out
}

fn names(reqs: &[Requirement]) -> String {
    reqs.iter()
        .map(|r| format!("`{}`", show_req(r)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn show_req(r: &Requirement) -> String {
    match &r.constraint {
        None => r.name.clone(),
        Some((op, v)) => format!("{} {} {v}", r.name, crate::version::rpm_op(*op)),
    }
}

/// An expression written back in rpm syntax.
pub fn show(e: &RichExpr) -> String {
    let join = |xs: &[RichExpr], op: &str| {
        let parts: Vec<String> = xs.iter().map(show).collect();
        format!("({})", parts.join(&format!(" {op} ")))
    };
    let cond = |a: &RichExpr, op: &str, b: &RichExpr, c: &Option<Box<RichExpr>>| match c {
        Some(c) => format!("({} {op} {} else {})", show(a), show(b), show(c)),
        None => format!("({} {op} {})", show(a), show(b)),
    };
    match e {
        RichExpr::Dep(r) => show_req(r),
        RichExpr::And(xs) => join(xs, "and"),
        RichExpr::Or(xs) => join(xs, "or"),
        RichExpr::With(xs) => join(xs, "with"),
        RichExpr::Without(a, b) => format!("({} without {})", show(a), show(b)),
        RichExpr::If(a, b, c) => cond(a, "if", b, c),
        RichExpr::Unless(a, b, c) => cond(a, "unless", b, c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(n: &str) -> Requirement {
        Requirement::any(n)
    }

    fn deps(text: &str) -> ParsedDeps {
        parse_dependency(text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Found by fuzzing (`rpm_rich`): an `or` too large to distribute fell
    /// back by lowering its first operand again, so every nested level
    /// doubled the work: 2^30 lowerings here, a hang on one string of a
    /// repository's `primary.xml`.
    #[test]
    fn nested_or_fallback_is_linear() {
        // 65 clauses, more than an `or` distributes, then 30 levels of
        // `(… or b)` around them.
        let mut text = format!("(a{})", " and a".repeat(64));
        for _ in 0..30 {
            text = format!("({text} or b)");
        }
        let parsed = deps(&text);
        assert_eq!(parsed.deps, vec![Dependency::single(any("a")); 65]);
        assert_eq!(
            parsed.approximated,
            vec![format!(
                "{text}: an `or` too large to distribute: only its first operand is kept"
            )]
        );
    }

    #[test]
    fn plain_dependencies() {
        assert_eq!(parse_requirement("/bin/sh").unwrap(), any("/bin/sh"));
        assert_eq!(
            parse_requirement("libc.so.6(GLIBC_2.34)(64bit)").unwrap(),
            any("libc.so.6(GLIBC_2.34)(64bit)")
        );
        assert_eq!(
            parse_requirement("name >= 1.2-3").unwrap(),
            Requirement::with("name", Op::Ge, "1.2-3")
        );
        assert_eq!(
            parse_requirement("foo = 2:1").unwrap(),
            Requirement::with("foo", Op::Eq, "2:1")
        );
        assert!(parse_requirement("(a or b)").is_err());
    }

    #[test]
    fn and_or_with() {
        let d = deps("(a and b)");
        assert_eq!(
            d.deps,
            vec![Dependency::single(any("a")), Dependency::single(any("b"))]
        );
        let d = deps("(java-headless or java-11-headless)");
        assert_eq!(
            d.deps,
            vec![Dependency::any_of(vec![
                any("java-headless"),
                any("java-11-headless")
            ])]
        );
        assert!(d.approximated.is_empty());
        let d = deps("(gcc >= 11 with gcc < 12)");
        assert_eq!(d.deps.len(), 1);
        assert_eq!(
            d.deps[0].alternatives,
            vec![Requirement::with("gcc", Op::Ge, "11")]
        );
        assert_eq!(d.deps[0].with, vec![Requirement::with("gcc", Op::Lt, "12")]);
        let d = deps("(libreoffice-core(x86-64) and langpacks-ar)");
        assert_eq!(
            d.deps[0].alternatives,
            vec![any("libreoffice-core(x86-64)")]
        );
        let d = deps("(a or b or c)");
        assert_eq!(d.deps[0].alternatives.len(), 3);
    }

    #[test]
    fn conditions() {
        let d = deps("(libdecor-0.so.0 if libwayland-client)");
        assert_eq!(
            d.deps,
            vec![Dependency {
                alternatives: vec![any("libdecor-0.so.0")],
                with: vec![],
                when: Some(Condition::Installed(vec![any("libwayland-client")])),
            }]
        );
        let d = deps("(a if b else c)");
        assert_eq!(d.deps[1].alternatives, vec![any("c")]);
        assert_eq!(
            d.deps[1].when,
            Some(Condition::NotInstalled(vec![any("b")]))
        );
        let d = deps("(a unless b else c)");
        assert_eq!(
            d.deps[0].when,
            Some(Condition::NotInstalled(vec![any("b")]))
        );
        assert_eq!(d.deps[1].when, Some(Condition::Installed(vec![any("b")])));
        let d = deps("((selinux-policy and selinux-policy-base) if (selinux-policy-targeted or selinux-policy-mls))");
        assert_eq!(d.deps.len(), 2);
        for dep in &d.deps {
            assert_eq!(
                dep.when,
                Some(Condition::Installed(vec![
                    any("selinux-policy-targeted"),
                    any("selinux-policy-mls")
                ]))
            );
        }
        assert!(d.approximated.is_empty(), "{:?}", d.approximated);
    }

    #[test]
    fn approximations_are_reported() {
        let d = deps("((a and b) or c)");
        assert_eq!(
            d.deps,
            vec![
                Dependency::any_of(vec![any("a"), any("c")]),
                Dependency::any_of(vec![any("b"), any("c")])
            ]
        );
        let d = deps("(a without b)");
        assert_eq!(d.deps, vec![Dependency::single(any("a"))]);
        assert_eq!(d.approximated.len(), 1);
        let d = deps("(a if (b and c))");
        assert_eq!(d.deps[0].when, Some(Condition::Installed(vec![any("b")])));
        assert_eq!(d.approximated.len(), 1);
        let d = deps("(a unless (b and c))");
        assert_eq!(d.deps[0].when, None);
        assert_eq!(d.approximated.len(), 1);
        let d = deps("((a if b) if c)");
        assert_eq!(d.deps[0].when, Some(Condition::Installed(vec![any("b")])));
        assert!(!d.approximated.is_empty());
    }

    #[test]
    fn conflicts_take_every_name() {
        let r = parse_conflict("(a or b >= 2)").unwrap();
        assert_eq!(r.reqs, vec![any("a"), Requirement::with("b", Op::Ge, "2")]);
        assert!(r.approximated.is_empty());
        assert_eq!(parse_conflict("(a and b)").unwrap().approximated.len(), 1);
    }

    #[test]
    fn errors_name_the_text() {
        for bad in [
            "(a or b",
            "(a xor b)",
            "(a and b or c)",
            "(a if b if c)",
            "(a >= )",
            "()",
            "a b",
            "(a else b)",
            "(a without b without c)",
            "((a)",
        ] {
            let e = parse_dependency(bad).expect_err(bad);
            assert!(e.to_string().contains(bad.trim()), "{e}");
        }
        let deep = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        assert!(matches!(
            parse_dependency(&deep),
            Err(RichError::TooDeep { .. })
        ));
    }

    #[test]
    fn never_panics_on_garbage() {
        let samples = [
            "((a if b) else (c with d >= 1))",
            "(a ) ) (",
            "(\u{e9} <=> 1)",
            "((((",
            "))))",
            "(a >= 1 with a < 2 or c)",
        ];
        for s in samples {
            for end in 0..=s.len() {
                if let Some(prefix) = s.get(..end) {
                    let _ = parse_dependency(prefix);
                    let _ = parse_conflict(prefix);
                }
            }
        }
    }

    #[test]
    fn shows_back() {
        let e = parse_expr("(a >= 1 if (b or c) else d)").unwrap();
        assert_eq!(show(&e), "(a >= 1 if (b or c) else d)");
    }
}
