//! Conditions decided against the tree: `test`/`[`/`[[`, and the commands
//! scripts ask questions with (`getent`, `id`, `command -v`,
//! `dpkg --compare-versions`, `dpkg-statoverride --list` …). They are
//! queries, not actions: they only set the exit status.

use brush_parser::ast::{BinaryPredicate as B, ExtendedTestExpr as X, UnaryPredicate as U};

use super::glob;
use super::interp::{Interp, Truth};
use super::version::compare_versions;
use super::words::Field;
use crate::host::PathState;

/// Paths a fresh install in an image build does not have, whatever the tree holds.
const ABSENT_AT_BUILD: [&str; 2] = ["/run/systemd/system", "/run/systemd/system/"];

impl Interp<'_> {
    /// `test ARGS` or `[ ARGS ]` (without the closing `]`).
    pub(crate) fn test(&mut self, args: &[Field]) -> Truth {
        let mut p = TestParser {
            args,
            pos: 0,
            interp: self,
        };
        let t = p.or();
        if p.pos < args.len() {
            return Truth::Unknown(format!("`test {}` is malformed", shown(args)));
        }
        t
    }

    /// `[[ … ]]`.
    pub(crate) fn extended_test(&mut self, e: &X) -> Truth {
        match e {
            X::And(a, b) => {
                let l = self.extended_test(a);
                l.and(|| self.extended_test(b))
            }
            X::Or(a, b) => {
                let l = self.extended_test(a);
                l.or(|| self.extended_test(b))
            }
            X::Not(a) => self.extended_test(a).not(),
            X::Parenthesized(a) => self.extended_test(a),
            X::UnaryTest(op, w) => match self.expand_one(w) {
                Ok(v) => self.unary(op, &v),
                Err(why) => Truth::Unknown(format!("`[[ {op} {} ]]`: {why}", w.value)),
            },
            X::BinaryTest(op, l, r) => {
                let lv = self.expand_one(l);
                let rv = if matches!(
                    op,
                    B::StringExactlyMatchesPattern | B::StringDoesNotExactlyMatchPattern
                ) {
                    self.expand_pattern(r)
                } else {
                    self.expand_one(r)
                };
                match (lv, rv) {
                    (Ok(a), Ok(b)) => match op {
                        B::StringExactlyMatchesPattern => Truth::from_bool(glob::matches(&b, &a)),
                        B::StringDoesNotExactlyMatchPattern => {
                            Truth::from_bool(!glob::matches(&b, &a))
                        }
                        _ => binary(op, &a, &b),
                    },
                    (Err(why), _) | (_, Err(why)) => {
                        Truth::Unknown(format!("`[[ {} {op} {} ]]`: {why}", l.value, r.value))
                    }
                }
            }
        }
    }

    /// A file or string test on one operand.
    fn unary(&self, op: &U, v: &str) -> Truth {
        let st = |follow| {
            if ABSENT_AT_BUILD.contains(&v) {
                PathState::Missing
            } else {
                self.host.stat(v, follow)
            }
        };
        let b = match op {
            U::StringHasZeroLength => v.is_empty(),
            U::StringHasNonZeroLength => !v.is_empty(),
            U::FileExists | U::FileExistsAndIsReadable | U::FileExistsAndIsWritable => {
                st(true) != PathState::Missing
            }
            U::FileExistsAndIsRegularFile => matches!(st(true), PathState::File { .. }),
            U::FileExistsAndIsDir => st(true) == PathState::Dir,
            U::FileExistsAndIsSymlink => matches!(st(false), PathState::Symlink { .. }),
            U::FileExistsAndIsExecutable => {
                matches!(
                    st(true),
                    PathState::File {
                        executable: true,
                        ..
                    } | PathState::Dir
                )
            }
            U::FileExistsAndIsNotZeroLength => match st(true) {
                PathState::File { size, .. } => size > 0,
                PathState::Missing => false,
                _ => true,
            },
            U::FileExistsAndOwnedByEffectiveUserId | U::FileExistsAndOwnedByEffectiveGroupId => {
                st(true) != PathState::Missing
            }
            U::FdIsOpenTerminal => false,
            U::ShellVariableIsSetAndAssigned => self.vars.contains_key(v),
            _ => return Truth::Unknown(format!("`test {op} {v}`")),
        };
        Truth::from_bool(b)
    }

    /// Commands that only answer a question, decided here; `None` when
    /// `argv` is not one.
    pub(crate) fn query(&mut self, argv: &[String]) -> Option<Truth> {
        let args: Vec<&str> = argv.iter().map(String::as_str).collect();
        let t = match args.as_slice() {
            ["true" | ":"] => Truth::True,
            ["false"] => Truth::False,
            ["getent", "passwd", name] => Truth::from_bool(self.host.user_exists(name)),
            ["getent", "group", name] => Truth::from_bool(self.host.group_exists(name)),
            ["id", name] | ["id", "-u" | "-g" | "-un" | "-gn" | "-G", name]
                if !name.starts_with('-') =>
            {
                Truth::from_bool(self.host.user_exists(name))
            }
            ["id", ..] => Truth::True,
            ["which", name] | ["command", "-v" | "-V", name] | ["type", name] | ["hash", name] => {
                Truth::from_bool(self.has_function(name) || self.host.on_path(name))
            }
            ["dpkg-statoverride", "--list", path]
            | ["dpkg-statoverride", "--quiet", "--list", path] => {
                Truth::from_bool(self.overrides.contains(*path))
            }
            ["dpkg", "--compare-versions", a, op, b] => match compare_versions(a, op, b) {
                Some(r) => Truth::from_bool(r),
                None => Truth::Unknown(format!("`dpkg --compare-versions` operator `{op}`")),
            },
            ["mountpoint", "-q", "/proc" | "/proc/"] => Truth::True,
            // Nothing else is mounted while an image is assembled.
            ["mountpoint", "-q", _] => Truth::False,
            // debconf's probe for a working perl.
            ["perl", "-e", ""] => Truth::from_bool(self.host.on_path("perl")),
            // An image is assembled like a chroot: no init, no running system.
            ["ischroot", ..] => Truth::True,
            ["grep", rest @ ..] => self.grep(rest),
            ["cmp" | "diff", ..] => Truth::Unknown(format!("`{}` compares files", argv.join(" "))),
            ["dpkg-maintscript-helper", "supports", ..] => Truth::True,
            ["dpkg", "--assert-" | "--assert-multi-arch" | "--assert-support-predepends", ..] => {
                Truth::True
            }
            _ => return None,
        };
        Some(t)
    }
}

impl Interp<'_> {
    /// `grep -q[sFw] LITERAL FILE…`: decided from the files' text when the
    /// pattern has no regular-expression characters.
    fn grep(&self, args: &[&str]) -> Truth {
        let unknown = || Truth::Unknown(format!("`grep {}`", args.join(" ")));
        let (flags, rest): (Vec<&str>, Vec<&str>) = args.iter().partition(|a| a.starts_with('-'));
        let quiet = flags
            .iter()
            .all(|f| f.chars().skip(1).all(|c| "qsF".contains(c)));
        let [pattern, files @ ..] = rest.as_slice() else {
            return unknown();
        };
        if !quiet
            || files.is_empty()
            || pattern.contains(['.', '*', '[', '^', '$', '\\', '?', '+', '|', '('])
        {
            return unknown();
        }
        let mut found = false;
        for f in files {
            match self.host.read_text(f) {
                Some(text) => found |= text.lines().any(|l| l.contains(pattern)),
                None if self.host.stat(f, true) == PathState::Missing => {}
                None => return unknown(),
            }
        }
        Truth::from_bool(found)
    }
}

/// A recursive-descent reader of `test`'s arguments (POSIX `test`, with
/// `-a`, `-o`, `!` and parentheses).
struct TestParser<'p, 'i, 'a> {
    args: &'p [Field],
    pos: usize,
    interp: &'i mut Interp<'a>,
}

impl TestParser<'_, '_, '_> {
    fn peek(&self, ahead: usize) -> Option<&str> {
        match self.args.get(self.pos + ahead) {
            Some(Field::Known(s)) => Some(s),
            _ => None,
        }
    }

    fn or(&mut self) -> Truth {
        let mut t = self.and();
        while self.peek(0) == Some("-o") {
            self.pos += 1;
            let r = self.and();
            t = t.or(|| r);
        }
        t
    }

    fn and(&mut self) -> Truth {
        let mut t = self.not();
        while self.peek(0) == Some("-a") {
            self.pos += 1;
            let r = self.not();
            t = t.and(|| r);
        }
        t
    }

    fn not(&mut self) -> Truth {
        if self.peek(0) == Some("!") && self.pos + 1 < self.args.len() {
            self.pos += 1;
            return self.not().not();
        }
        self.primary()
    }

    fn primary(&mut self) -> Truth {
        let rest = self.args.len() - self.pos;
        if self.peek(0) == Some("(") && rest >= 3 {
            self.pos += 1;
            let t = self.or();
            if self.peek(0) == Some(")") {
                self.pos += 1;
            }
            return t;
        }
        if rest >= 3 {
            if let Some(op) = self.peek(1).and_then(binary_op) {
                let (l, r) = (self.args[self.pos].clone(), self.args[self.pos + 2].clone());
                self.pos += 3;
                return match (l, r) {
                    (Field::Known(a), Field::Known(b)) => binary(&op, &a, &b),
                    (Field::Unknown { why, .. }, Field::Known(z))
                        if z == "0"
                            && why.contains(super::subst::NONZERO_ID)
                            && matches!(op, B::ArithmeticEqualTo | B::ArithmeticNotEqualTo) =>
                    {
                        Truth::from_bool(matches!(op, B::ArithmeticNotEqualTo))
                    }
                    (Field::Unknown { raw, why }, _) | (_, Field::Unknown { raw, why }) => {
                        Truth::Unknown(format!("`{raw}` in a test: {why}"))
                    }
                };
            }
        }
        if rest >= 2 {
            if let Some(op) = self.peek(0).and_then(unary_op) {
                let operand = self.args[self.pos + 1].clone();
                self.pos += 2;
                return match operand {
                    Field::Known(v) => self.interp.unary(&op, &v),
                    Field::Unknown { raw, why } => {
                        Truth::Unknown(format!("`[ {op} {raw} ]`: {why}"))
                    }
                };
            }
        }
        match self.args.get(self.pos).cloned() {
            None => Truth::False,
            Some(Field::Known(v)) => {
                self.pos += 1;
                Truth::from_bool(!v.is_empty())
            }
            Some(Field::Unknown { raw, why }) => {
                self.pos += 1;
                Truth::Unknown(format!("`{raw}` in a test: {why}"))
            }
        }
    }
}

fn unary_op(s: &str) -> Option<U> {
    Some(match s {
        "-e" => U::FileExists,
        "-f" => U::FileExistsAndIsRegularFile,
        "-d" => U::FileExistsAndIsDir,
        "-L" | "-h" => U::FileExistsAndIsSymlink,
        "-x" => U::FileExistsAndIsExecutable,
        "-s" => U::FileExistsAndIsNotZeroLength,
        "-r" => U::FileExistsAndIsReadable,
        "-w" => U::FileExistsAndIsWritable,
        "-z" => U::StringHasZeroLength,
        "-n" => U::StringHasNonZeroLength,
        "-O" => U::FileExistsAndOwnedByEffectiveUserId,
        "-G" => U::FileExistsAndOwnedByEffectiveGroupId,
        "-t" => U::FdIsOpenTerminal,
        "-b" => U::FileExistsAndIsBlockSpecialFile,
        "-c" => U::FileExistsAndIsCharSpecialFile,
        "-p" => U::FileExistsAndIsFifo,
        "-S" => U::FileExistsAndIsSocket,
        "-u" => U::FileExistsAndIsSetuid,
        "-g" => U::FileExistsAndIsSetgid,
        "-k" => U::FileExistsAndHasStickyBit,
        _ => return None,
    })
}

fn binary_op(s: &str) -> Option<B> {
    Some(match s {
        "=" | "==" => B::StringExactlyMatchesString,
        "!=" => B::StringDoesNotExactlyMatchString,
        "-eq" => B::ArithmeticEqualTo,
        "-ne" => B::ArithmeticNotEqualTo,
        "-lt" => B::ArithmeticLessThan,
        "-le" => B::ArithmeticLessThanOrEqualTo,
        "-gt" => B::ArithmeticGreaterThan,
        "-ge" => B::ArithmeticGreaterThanOrEqualTo,
        "-nt" => B::LeftFileIsNewerOrExistsWhenRightDoesNot,
        "-ot" => B::LeftFileIsOlderOrDoesNotExistWhenRightDoes,
        "-ef" => B::FilesReferToSameDeviceAndInodeNumbers,
        _ => return None,
    })
}

/// A two-operand test on known strings.
fn binary(op: &B, a: &str, b: &str) -> Truth {
    let num = |s: &str| s.trim().parse::<i64>().ok();
    let arith = |f: fn(i64, i64) -> bool| match (num(a), num(b)) {
        (Some(x), Some(y)) => Truth::from_bool(f(x, y)),
        _ => Truth::Unknown(format!("`{a} {op} {b}` compares non-integers")),
    };
    match op {
        B::StringExactlyMatchesString | B::StringExactlyMatchesPattern => Truth::from_bool(a == b),
        B::StringDoesNotExactlyMatchString | B::StringDoesNotExactlyMatchPattern => {
            Truth::from_bool(a != b)
        }
        B::ArithmeticEqualTo => arith(|x, y| x == y),
        B::ArithmeticNotEqualTo => arith(|x, y| x != y),
        B::ArithmeticLessThan => arith(|x, y| x < y),
        B::ArithmeticLessThanOrEqualTo => arith(|x, y| x <= y),
        B::ArithmeticGreaterThan => arith(|x, y| x > y),
        B::ArithmeticGreaterThanOrEqualTo => arith(|x, y| x >= y),
        B::LeftSortsBeforeRight => Truth::from_bool(a < b),
        B::LeftSortsAfterRight => Truth::from_bool(a > b),
        _ => Truth::Unknown(format!("`test {a} {op} {b}`")),
    }
}

fn shown(args: &[Field]) -> String {
    args.iter().map(Field::shown).collect::<Vec<_>>().join(" ")
}
