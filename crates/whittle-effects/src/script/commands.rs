//! One simple command: its assignments, redirections and words expanded,
//! then handled as a shell builtin, a function call, a question
//! (`conditions`), or an action classified by `known` and applied.

use brush_parser::ast;

use super::interp::{Flow, Interp, Truth, Value};
use super::known::{self, Outcome};
use super::subst;
use super::words::Field;
use crate::effect::{Effect, FileContent, Origin, Placed};
use crate::report::Class;

/// A simple command's words, redirections and assignments, in order.
pub(crate) fn parts(
    simple: &ast::SimpleCommand,
) -> (Vec<ast::Word>, Vec<ast::IoRedirect>, Vec<ast::Assignment>) {
    let mut words = Vec::new();
    let mut redirects = Vec::new();
    let mut assignments = Vec::new();
    for item in simple.prefix.iter().flat_map(|p| p.0.iter()) {
        match item {
            ast::CommandPrefixOrSuffixItem::IoRedirect(r) => redirects.push(r.clone()),
            ast::CommandPrefixOrSuffixItem::AssignmentWord(a, _) => assignments.push(a.clone()),
            ast::CommandPrefixOrSuffixItem::Word(w) => words.push(w.clone()),
            ast::CommandPrefixOrSuffixItem::ProcessSubstitution(..) => {}
        }
    }
    if let Some(w) = &simple.word_or_name {
        words.push(w.clone());
    }
    for item in simple.suffix.iter().flat_map(|s| s.0.iter()) {
        match item {
            ast::CommandPrefixOrSuffixItem::IoRedirect(r) => redirects.push(r.clone()),
            ast::CommandPrefixOrSuffixItem::AssignmentWord(_, w)
            | ast::CommandPrefixOrSuffixItem::Word(w) => words.push(w.clone()),
            ast::CommandPrefixOrSuffixItem::ProcessSubstitution(..) => {}
        }
    }
    (words, redirects, assignments)
}

/// A redirection that writes nowhere an image keeps (`>/dev/null`,
/// `2>&1`, input redirections).
pub(crate) fn is_quiet(r: &ast::IoRedirect) -> bool {
    match r {
        ast::IoRedirect::File(fd, kind, target) => match (kind, target) {
            (ast::IoFileRedirectKind::Read | ast::IoFileRedirectKind::DuplicateInput, _) => true,
            (_, ast::IoFileRedirectTarget::Fd(_) | ast::IoFileRedirectTarget::Duplicate(_)) => true,
            (_, ast::IoFileRedirectTarget::Filename(w)) => {
                w.value == "/dev/null" || matches!(fd, Some(2))
            }
            (_, ast::IoFileRedirectTarget::ProcessSubstitution(..)) => false,
        },
        ast::IoRedirect::OutputAndError(w, _) => w.value == "/dev/null",
        ast::IoRedirect::HereDocument(..) | ast::IoRedirect::HereString(..) => true,
    }
}

/// Where standard output goes, when to a file.
struct Output {
    path: Value,
    append: bool,
    shown: String,
}

impl Interp<'_> {
    /// Walk one simple command.
    pub(crate) fn run_simple(&mut self, simple: &ast::SimpleCommand, line: u32) -> Flow {
        let (words, redirects, assignments) = parts(simple);
        let output = self.output(&redirects);
        if words.is_empty() {
            for a in &assignments {
                self.assign_word(a);
            }
            self.status = Truth::True;
            if let Some(out) = output {
                self.write_output(line, format!(">{}", out.shown), out, Vec::new());
            }
            return Flow::Normal;
        }
        let fields = self.expand_words(&words);
        let Some(first) = fields.first().cloned() else {
            self.status = Truth::True;
            return Flow::Normal;
        };
        let mut shown = fields
            .iter()
            .map(Field::shown)
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(out) = &output {
            shown.push_str(&format!(
                " {}{}",
                if out.append { ">>" } else { ">" },
                out.shown
            ));
        }
        let name = match first {
            Field::Known(n) => n,
            Field::Unknown { why, .. } => {
                self.not_emulated(
                    line,
                    shown,
                    format!("the command's name is not known: {why}"),
                );
                return Flow::Normal;
            }
        };
        if let Some(flow) = self.builtin(&name, &fields, line, &shown) {
            return flow;
        }
        let argv: Vec<String> = fields.iter().map(|f| f.shown().to_string()).collect();
        let unknown = fields.iter().find_map(|f| match f {
            Field::Unknown { raw, why } => Some(format!("`{raw}`: {why}")),
            Field::Known(_) => None,
        });
        if self.has_function(&name) {
            let args = fields[1..].iter().map(|f| f.clone().value()).collect();
            return self.call_function(&name, args, line);
        }
        if name == "test" || name == "[" {
            let mut args = fields[1..].to_vec();
            if name == "[" && args.last().map(Field::shown) == Some("]") {
                args.pop();
            }
            self.status = self.test(&args);
            return Flow::Normal;
        }
        if let Some(unknown) = unknown {
            if let Some(why) = known::elsewhere(self.script, &shown) {
                self.record(line, shown, Class::Harmless { why });
                self.status = Truth::True;
                return Flow::Normal;
            }
            if known::is_query(&name) {
                self.status = Truth::Unknown(format!("`{shown}`: {unknown}"));
                return Flow::Normal;
            }
            if output.is_none() {
                if let Some(outcome) = known::by_name(&name) {
                    self.conclude(line, shown, &name, outcome);
                    return Flow::Normal;
                }
            }
            self.not_emulated(line, shown, format!("operand not known: {unknown}"));
            return Flow::Normal;
        }
        if let Some(out) = output {
            let stdin = self.stdin(&redirects);
            match self.produced(&argv, stdin) {
                Some(Ok(bytes)) => self.write_output(line, shown, out, bytes),
                Some(Err(why)) => self.not_emulated(line, shown, why),
                None => {
                    let why = format!("writes its output to {}", out.shown);
                    self.not_emulated(line, shown, why);
                }
            }
            return Flow::Normal;
        }
        if let Some(t) = self.query(&argv) {
            self.status = t;
            return Flow::Normal;
        }
        let outcome = known::classify(self, &argv);
        self.conclude(line, shown, &name, outcome);
        Flow::Normal
    }

    /// Record an outcome, applying its effects when the command surely runs.
    pub(crate) fn conclude(&mut self, line: u32, shown: String, name: &str, outcome: Outcome) {
        match outcome {
            Outcome::Effects(effects) => self.apply_effects(line, shown, effects),
            Outcome::Harmless(why) => {
                self.status = if known::status_is_unknown(name) {
                    Truth::Unknown(format!("the exit status of `{shown}`"))
                } else {
                    Truth::True
                };
                self.record(line, shown, Class::Harmless { why });
            }
            Outcome::NotEmulated(why) => self.not_emulated(line, shown, why),
        }
    }

    pub(crate) fn not_emulated(&mut self, line: u32, shown: String, why: String) {
        self.status = Truth::Unknown(format!("the exit status of `{shown}`"));
        let why = match self.undecided() {
            Some(cond) => format!("{why} ({cond})"),
            None => why,
        };
        self.record(line, shown, Class::NotEmulated { why });
    }

    fn apply_effects(&mut self, line: u32, shown: String, effects: Vec<Effect>) {
        // Removing what is not there changes nothing, whichever way an
        // undecided condition goes.
        let no_op = !effects.is_empty()
            && effects.iter().all(|e| match e {
                Effect::Remove { path, .. } => {
                    matches!(self.host.stat(path, false), crate::host::PathState::Missing)
                }
                _ => false,
            });
        if no_op && self.undecided().is_some() {
            self.status = Truth::Unknown(format!("the exit status of `{shown}`"));
            self.record(
                line,
                shown,
                Class::Harmless {
                    why: "removes what the image does not have".to_string(),
                },
            );
            return;
        }
        if let Some(why) = self.undecided() {
            let why = why.to_string();
            self.status = Truth::Unknown(format!("the exit status of `{shown}`"));
            self.record(line, shown, Class::NotEmulated { why });
            return;
        }
        let at = self.line_override.unwrap_or(line);
        for effect in effects {
            let placed = Placed {
                effect: effect.clone(),
                origin: Origin::new(self.script.package, self.script.name, at),
            };
            if let Err(why) = self.host.apply(placed) {
                self.status = Truth::False;
                self.record(line, shown, Class::NotEmulated { why });
                return;
            }
            self.remember(&effect);
        }
        self.status = Truth::True;
        self.record(line, shown, Class::Emulated);
    }

    /// Keep what later commands may ask about.
    fn remember(&mut self, effect: &Effect) {
        match effect {
            Effect::Directory { path, mode, .. } => {
                self.modes.insert(path.clone(), mode.unwrap_or(0o755));
            }
            Effect::File {
                path,
                content,
                mode,
                ..
            } => {
                match (content, mode) {
                    (FileContent::Bytes(_), m) => {
                        self.modes.insert(path.clone(), m.unwrap_or(0o644));
                    }
                    (FileContent::CopyOf(_), Some(m)) => {
                        self.modes.insert(path.clone(), *m);
                    }
                    (FileContent::CopyOf(_), None) => {
                        self.modes.remove(path);
                    }
                }
                if let FileContent::Bytes(b) = content {
                    self.written.insert(path.clone(), b.clone());
                } else {
                    self.written.remove(path);
                }
            }
            Effect::Chmod { path, mode, .. } => {
                self.modes.insert(path.clone(), *mode);
            }
            Effect::StatOverride { path, mode, .. } => {
                self.overrides.insert(path.clone());
                self.modes.insert(path.clone(), *mode);
            }
            Effect::Remove { path, .. } => {
                self.modes.remove(path);
                self.written.remove(path);
            }
            _ => {}
        }
    }

    /// `NAME=value` (also after `local`, `export`, `readonly`).
    fn assign_word(&mut self, a: &ast::Assignment) {
        let ast::AssignmentName::VariableName(name) = &a.name else {
            return;
        };
        let value = match &a.value {
            ast::AssignmentValue::Scalar(w) => self.expand_one(w),
            ast::AssignmentValue::Array(_) => Err("arrays are not followed".into()),
        };
        let value = match (a.append, value) {
            (true, Ok(v)) => match self.vars.get(name) {
                Some(Ok(old)) => Ok(format!("{old}{v}")),
                Some(Err(why)) => Err(why.clone()),
                None => Ok(v),
            },
            (_, v) => v,
        };
        self.assign(name, value);
    }

    /// Shell builtins that change the shell's own state; `None` for other commands.
    fn builtin(&mut self, name: &str, fields: &[Field], line: u32, shown: &str) -> Option<Flow> {
        let rest = &fields[1..];
        let flow = match name {
            "local" | "export" | "readonly" | "declare" | "typeset" => {
                for f in rest {
                    let text = f.shown();
                    if text.starts_with('-') {
                        continue;
                    }
                    let (var, value) = match text.split_once('=') {
                        Some((n, _)) if matches!(f, Field::Unknown { .. }) => {
                            (n.to_string(), Some(f.clone().value()))
                        }
                        Some((n, v)) => (n.to_string(), Some(Ok(v.to_string()))),
                        None => (text.to_string(), None),
                    };
                    if name == "local" {
                        self.make_local(&var);
                        if value.is_none() {
                            self.vars.remove(&var);
                        }
                    }
                    if let Some(v) = value {
                        self.assign(&var, v);
                    }
                }
                self.status = Truth::True;
                Flow::Normal
            }
            "unset" => {
                for f in rest.iter().filter(|f| !f.shown().starts_with('-')) {
                    self.vars.remove(f.shown());
                }
                Flow::Normal
            }
            "shift" => {
                let n = rest
                    .first()
                    .and_then(|f| f.shown().parse().ok())
                    .unwrap_or(1);
                if let Some(frame) = self.frames.last_mut() {
                    let n = n.min(frame.len());
                    frame.drain(..n);
                }
                self.harmless(line, shown, "changes only the shell's parameters");
                Flow::Normal
            }
            "return" | "exit" => {
                self.status = match rest.first().map(Field::shown) {
                    None | Some("0") => Truth::True,
                    Some(_) => Truth::False,
                };
                let why = if name == "exit" {
                    "ends the script"
                } else {
                    "ends the function"
                };
                self.record(line, shown.to_string(), Class::Harmless { why: why.into() });
                if name == "exit" {
                    Flow::Exit
                } else {
                    Flow::Return
                }
            }
            "break" | "continue" => {
                let n = rest
                    .first()
                    .and_then(|f| f.shown().parse().ok())
                    .unwrap_or(1);
                if name == "break" {
                    Flow::Break(n)
                } else {
                    Flow::Continue(n)
                }
            }
            "." | "source" => self.dot(rest, line, shown),
            "eval" => {
                self.not_emulated(line, shown.to_string(), "`eval` is not followed".into());
                Flow::Normal
            }
            "read" => {
                for f in rest.iter().filter(|f| !f.shown().starts_with('-')) {
                    self.assign(f.shown(), Err("read from input".into()));
                }
                self.status = Truth::Unknown("`read` from input".into());
                Flow::Normal
            }
            "db_get" => {
                // A non-interactive install answers with the template's default.
                let answer = rest.first().and_then(|q| {
                    self.script
                        .answers
                        .iter()
                        .find(|(name, _)| name == q.shown())
                        .map(|(_, a)| a.clone())
                });
                self.status = Truth::from_bool(answer.is_some());
                self.vars
                    .insert("RET".into(), Ok(answer.unwrap_or_default()));
                self.harmless(
                    line,
                    shown,
                    "debconf questions: an image build asks none (the template's default answers)",
                );
                Flow::Normal
            }
            _ if name.starts_with("db_") => {
                self.vars.insert("RET".into(), Ok(String::new()));
                self.status = if matches!(name, "db_metaget" | "db_fget") {
                    Truth::False
                } else {
                    Truth::True
                };
                self.harmless(line, shown, "debconf questions: an image build asks none");
                Flow::Normal
            }
            _ => return None,
        };
        Some(flow)
    }

    fn harmless(&mut self, line: u32, shown: &str, why: &str) {
        self.record(line, shown.to_string(), Class::Harmless { why: why.into() });
    }

    /// `. FILE`.
    fn dot(&mut self, rest: &[Field], line: u32, shown: &str) -> Flow {
        let Some(file) = rest.first() else {
            return Flow::Normal;
        };
        let path = match file {
            Field::Known(p) => p.clone(),
            Field::Unknown { why, .. } => {
                self.not_emulated(
                    line,
                    shown.to_string(),
                    format!("sourced file not known: {why}"),
                );
                return Flow::Normal;
            }
        };
        if path == "/usr/share/debconf/confmodule" || path.ends_with("/debconf/confmodule.sh") {
            self.harmless(line, shown, "debconf: an image build asks no questions");
            self.status = Truth::True;
            return Flow::Normal;
        }
        match self.host.read_text(&path) {
            Some(text) => {
                self.status = Truth::True;
                self.source_text(&text, line)
            }
            None => {
                self.not_emulated(
                    line,
                    shown.to_string(),
                    format!("{path} is not in the tree"),
                );
                Flow::Normal
            }
        }
    }

    /// The file standard output is redirected to, if any.
    fn output(&mut self, redirects: &[ast::IoRedirect]) -> Option<Output> {
        let mut found = None;
        for r in redirects {
            let (w, append) = match r {
                ast::IoRedirect::File(
                    None | Some(1),
                    kind @ (ast::IoFileRedirectKind::Write
                    | ast::IoFileRedirectKind::Append
                    | ast::IoFileRedirectKind::Clobber),
                    ast::IoFileRedirectTarget::Filename(w),
                ) => (w, matches!(kind, ast::IoFileRedirectKind::Append)),
                ast::IoRedirect::OutputAndError(w, append) => (w, *append),
                _ => continue,
            };
            let path = self.expand_one(w);
            let shown = path.clone().unwrap_or_else(|_| w.value.clone());
            found = match path.as_deref() {
                Ok("/dev/null") => None,
                _ => Some(Output {
                    path,
                    append,
                    shown,
                }),
            };
        }
        found
    }

    /// A here-document or here-string given as standard input.
    fn stdin(&mut self, redirects: &[ast::IoRedirect]) -> Option<Value> {
        redirects.iter().rev().find_map(|r| match r {
            ast::IoRedirect::HereDocument(None | Some(0), doc) => Some(if doc.requires_expansion {
                self.expand_heredoc(&doc.doc.value)
            } else {
                Ok(doc.doc.value.clone())
            }),
            ast::IoRedirect::HereString(None | Some(0), w) => {
                Some(self.expand_one(w).map(|s| format!("{s}\n")))
            }
            _ => None,
        })
    }

    /// What a command that only prints would write; `None` for others.
    fn produced(
        &mut self,
        argv: &[String],
        stdin: Option<Value>,
    ) -> Option<Result<Vec<u8>, String>> {
        let args: Vec<&str> = argv.iter().map(String::as_str).collect();
        let text = match args.as_slice() {
            [":" | "true"] => Ok(String::new()),
            ["echo", rest @ ..] => Ok(subst::echo(rest)),
            ["printf", format, rest @ ..] => subst::printf(format, rest)
                .ok_or_else(|| format!("printf format `{format}` not followed")),
            ["cat"] => stdin.unwrap_or_else(|| Err("`cat` of its standard input".into())),
            ["cat", files @ ..] if files.iter().all(|f| f.starts_with('/')) => {
                let mut all = String::new();
                for f in files {
                    match self.host.read_text(f) {
                        Some(t) => all.push_str(&t),
                        None => return Some(Err(format!("{f} is not in the tree"))),
                    }
                }
                Ok(all)
            }
            _ => return None,
        };
        Some(text.map(String::into_bytes))
    }

    /// Write `bytes` to where output goes.
    fn write_output(&mut self, line: u32, shown: String, out: Output, bytes: Vec<u8>) {
        let path = match out.path {
            Ok(p) if p.starts_with('/') => p,
            Ok(p) => {
                let why = format!("writes to `{p}`, a relative path");
                return self.not_emulated(line, shown, why);
            }
            Err(why) => {
                return self.not_emulated(line, shown, format!("output file not known: {why}"))
            }
        };
        let content = if out.append {
            match (self.written.get(&path), self.host.stat(&path, true)) {
                (Some(old), _) => [old.as_slice(), &bytes].concat(),
                (None, crate::PathState::Missing) => bytes,
                (None, _) => {
                    let why =
                        format!("appends to {path}, which the package or image already holds");
                    return self.not_emulated(line, shown, why);
                }
            }
        } else {
            bytes
        };
        let effect = Effect::File {
            path,
            content: FileContent::Bytes(content),
            mode: None,
            owner: None,
            group: None,
            replace: true,
        };
        self.apply_effects(line, shown, vec![effect]);
    }
}
