//! The abstract interpreter: walks brush-parser's AST as `sh` would on a
//! fresh install, with variables, functions and the exit statuses it can
//! decide; what it cannot decide is still walked, its actions reported as
//! not emulated and its effects withheld.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use brush_parser::ast;
use brush_parser::ast::SourceLocation;

use super::Script;
use crate::host::Host;
use crate::report::{Action, Class};

/// A value the reader knows, or why it does not.
pub(crate) type Value = Result<String, String>;

/// The exit status of what ran last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Truth {
    /// Success.
    True,
    /// Failure.
    False,
    /// Not decidable, and why.
    Unknown(String),
}

impl Truth {
    pub(crate) fn from_bool(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }

    pub(crate) fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            u @ Truth::Unknown(_) => u,
        }
    }

    pub(crate) fn and(self, other: impl FnOnce() -> Truth) -> Truth {
        match self {
            Truth::False => Truth::False,
            Truth::True => other(),
            Truth::Unknown(w) => match other() {
                Truth::False => Truth::False,
                _ => Truth::Unknown(w),
            },
        }
    }

    pub(crate) fn or(self, other: impl FnOnce() -> Truth) -> Truth {
        match self {
            Truth::True => Truth::True,
            Truth::False => other(),
            Truth::Unknown(w) => match other() {
                Truth::True => Truth::True,
                _ => Truth::Unknown(w),
            },
        }
    }
}

/// How a command ended the commands around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Normal,
    Return,
    Exit,
    Break(u32),
    Continue(u32),
}

/// Deepest function call or `.` followed.
const MAX_DEPTH: usize = 40;
/// Most iterations of a `while` loop followed.
const MAX_LOOPS: usize = 64;

/// The reader's state while it walks one script.
pub(crate) struct Interp<'a> {
    pub(crate) script: &'a Script<'a>,
    pub(crate) host: &'a mut dyn Host,
    pub(crate) vars: BTreeMap<String, Value>,
    /// Positional parameters, one frame per function call.
    pub(crate) frames: Vec<Vec<Value>>,
    /// Values `local` shadowed, one frame per function call.
    locals: Vec<Vec<(String, Option<Value>)>>,
    /// Functions, and whether each came from a sourced file (whose lines
    /// are not the script's).
    functions: BTreeMap<String, (Rc<ast::FunctionBody>, bool)>,
    pub(crate) actions: Vec<Action>,
    /// Why the commands being walked may not run (innermost last).
    undecided: Vec<String>,
    /// Set when an `exit`/`return` was met under an undecided condition:
    /// what follows may not run either.
    sticky: Option<(String, bool)>,
    pub(crate) status: Truth,
    /// Paths given a stat override in this run.
    pub(crate) overrides: BTreeSet<String>,
    /// What this run wrote to files, for `>>`.
    pub(crate) written: BTreeMap<String, Vec<u8>>,
    /// Modes set in this run, for symbolic `chmod`.
    pub(crate) modes: BTreeMap<String, u32>,
    /// The line actions are reported at while a sourced file is walked.
    pub(crate) line_override: Option<u32>,
    depth: usize,
}

impl<'a> Interp<'a> {
    pub(crate) fn new(script: &'a Script<'a>, host: &'a mut dyn Host) -> Interp<'a> {
        let mut vars = BTreeMap::new();
        let mut set = |k: &str, v: &str| {
            vars.insert(k.to_string(), Ok(v.to_string()));
        };
        set("DPKG_ROOT", "");
        set("DPKG_MAINTSCRIPT_PACKAGE", script.package);
        set("DPKG_MAINTSCRIPT_NAME", script.name);
        set("DPKG_MAINTSCRIPT_ARCH", host.arch());
        set("DPKG_ADMINDIR", "/var/lib/dpkg");
        set(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        );
        set("HOME", "/root");
        set("IFS", " \t\n");
        vars.insert(
            "DPKG_RUNNING_VERSION".into(),
            Err("dpkg's own version is not known".into()),
        );
        Interp {
            script,
            host,
            vars,
            frames: vec![script.args.iter().map(|a| Ok((*a).to_string())).collect()],
            locals: Vec::new(),
            functions: BTreeMap::new(),
            actions: Vec::new(),
            undecided: Vec::new(),
            sticky: None,
            status: Truth::True,
            overrides: BTreeSet::new(),
            written: BTreeMap::new(),
            modes: BTreeMap::new(),
            line_override: None,
            depth: 0,
        }
    }

    /// Why the current command may not run, if it may not.
    pub(crate) fn undecided(&self) -> Option<&str> {
        self.undecided
            .last()
            .map(String::as_str)
            .or(self.sticky.as_ref().map(|(why, _)| why.as_str()))
    }

    /// Record one classified command.
    pub(crate) fn record(&mut self, line: u32, command: String, class: Class) {
        let line = self.line_override.unwrap_or(line);
        self.actions.push(Action {
            line,
            command: shorten(&command),
            class,
        });
    }

    /// Set a variable (under an undecided condition its value becomes unknown).
    pub(crate) fn assign(&mut self, name: &str, value: Value) {
        let value = match self.undecided() {
            Some(_) => Err("assigned under an undecided condition".to_string()),
            None => value,
        };
        self.vars.insert(name.to_string(), value);
    }

    /// `local NAME`: remember the outer value for when the function returns.
    pub(crate) fn make_local(&mut self, name: &str) {
        let old = self.vars.get(name).cloned();
        if let Some(frame) = self.locals.last_mut() {
            if !frame.iter().any(|(n, _)| n == name) {
                frame.push((name.to_string(), old));
            }
        }
    }

    pub(crate) fn has_function(&self, name: &str) -> bool {
        self.functions.contains_key(name)
    }

    /// Walk a whole program.
    pub(crate) fn run_program(&mut self, program: &ast::Program) -> Flow {
        for list in &program.complete_commands {
            let flow = self.run_list(list);
            if flow != Flow::Normal {
                return flow;
            }
        }
        Flow::Normal
    }

    pub(crate) fn run_list(&mut self, list: &ast::CompoundList) -> Flow {
        for ast::CompoundListItem(and_or, _) in &list.0 {
            let flow = self.run_and_or(and_or);
            if flow != Flow::Normal {
                return flow;
            }
        }
        Flow::Normal
    }

    /// Walk `list` as commands that may or may not run, for `why`.
    fn run_undecided<T>(&mut self, why: &str, walk: impl FnOnce(&mut Self) -> T) -> T {
        self.undecided
            .push(format!("condition not decidable: {why}"));
        let out = walk(self);
        self.undecided.pop();
        out
    }

    fn run_and_or(&mut self, list: &ast::AndOrList) -> Flow {
        let flow = self.run_pipeline(&list.first);
        if flow != Flow::Normal {
            return flow;
        }
        for next in &list.additional {
            let (pipeline, run_on_success) = match next {
                ast::AndOr::And(p) => (p, true),
                ast::AndOr::Or(p) => (p, false),
            };
            match self.status.clone() {
                Truth::True if !run_on_success => {}
                Truth::False if run_on_success => {}
                Truth::Unknown(why) => {
                    let flow = self.run_undecided(&why, |me| me.run_pipeline(pipeline));
                    self.absorb_undecided_flow(flow, &why);
                    self.status = Truth::Unknown(why);
                }
                _ => {
                    let flow = self.run_pipeline(pipeline);
                    if flow != Flow::Normal {
                        return flow;
                    }
                }
            }
        }
        Flow::Normal
    }

    /// An `exit` or `return` met under an undecided condition: what follows
    /// may not run.
    fn absorb_undecided_flow(&mut self, flow: Flow, why: &str) {
        if matches!(flow, Flow::Exit | Flow::Return) && self.sticky.is_none() {
            self.sticky = Some((
                format!("condition not decidable: {why} (the script may have ended before)"),
                flow == Flow::Exit,
            ));
        }
    }

    fn run_pipeline(&mut self, pipeline: &ast::Pipeline) -> Flow {
        let mut flow = Flow::Normal;
        let piped = pipeline.seq.len() > 1;
        for command in &pipeline.seq {
            flow = self.run_command(command);
            if piped && flow == Flow::Exit {
                // Each part of a pipeline runs in its own subshell.
                flow = Flow::Normal;
            }
        }
        if pipeline.bang {
            self.status = self.status.clone().not();
        }
        flow
    }

    fn run_command(&mut self, command: &ast::Command) -> Flow {
        match command {
            ast::Command::Simple(simple) => {
                let line = simple.location().map_or(0, |l| line_of(&l));
                self.run_simple(simple, line)
            }
            ast::Command::Compound(compound, _) => self.run_compound(compound),
            ast::Command::Function(def) => {
                let sourced = self.line_override.is_some();
                self.functions.insert(
                    def.fname.value.clone(),
                    (Rc::new(def.body.clone()), sourced),
                );
                self.status = Truth::True;
                Flow::Normal
            }
            ast::Command::ExtendedTest(test, _) => {
                self.status = self.extended_test(&test.expr);
                Flow::Normal
            }
        }
    }

    fn run_compound(&mut self, compound: &ast::CompoundCommand) -> Flow {
        match compound {
            ast::CompoundCommand::BraceGroup(g) => self.run_list(&g.list),
            ast::CompoundCommand::Subshell(s) => {
                let saved = (self.vars.clone(), self.frames.clone());
                let flow = self.run_list(&s.list);
                (self.vars, self.frames) = saved;
                match flow {
                    Flow::Exit | Flow::Return => Flow::Normal,
                    other => other,
                }
            }
            ast::CompoundCommand::IfClause(c) => self.run_if(c),
            ast::CompoundCommand::CaseClause(c) => self.run_case(c),
            ast::CompoundCommand::ForClause(c) => self.run_for(c),
            ast::CompoundCommand::WhileClause(c) => self.run_while(c, true),
            ast::CompoundCommand::UntilClause(c) => self.run_while(c, false),
            ast::CompoundCommand::Arithmetic(a) => {
                self.status = Truth::Unknown(format!("arithmetic `(({}))`", a.expr.value));
                Flow::Normal
            }
            ast::CompoundCommand::ArithmeticForClause(c) => {
                let why = "an arithmetic for loop".to_string();
                self.run_undecided(&why, |me| me.run_list(&c.body.list));
                Flow::Normal
            }
            ast::CompoundCommand::Coprocess(c) => {
                let line = c.loc.start.line;
                self.record(
                    u32::try_from(line).unwrap_or(0),
                    "coproc".into(),
                    Class::NotEmulated {
                        why: "coprocesses are not followed".into(),
                    },
                );
                Flow::Normal
            }
        }
    }

    fn run_if(&mut self, clause: &ast::IfClauseCommand) -> Flow {
        let flow = self.run_list(&clause.condition);
        if flow != Flow::Normal {
            return flow;
        }
        let mut branches: Vec<(Option<&ast::CompoundList>, &ast::CompoundList)> =
            vec![(None, &clause.then)];
        for e in clause.elses.iter().flatten() {
            branches.push((e.condition.as_ref(), &e.body));
        }
        let mut decided = self.status.clone();
        for (i, (condition, body)) in branches.iter().enumerate() {
            if i > 0 {
                match condition {
                    Some(c) => {
                        let flow = self.run_list(c);
                        if flow != Flow::Normal {
                            return flow;
                        }
                        decided = self.status.clone();
                    }
                    None => decided = Truth::True,
                }
            }
            match decided.clone() {
                Truth::True => return self.run_list(body),
                Truth::False => {}
                Truth::Unknown(why) => {
                    self.run_undecided(&why, |me| me.run_rest_of_if(&branches[i..]));
                    self.status = Truth::Unknown(why);
                    return Flow::Normal;
                }
            }
        }
        self.status = Truth::True;
        Flow::Normal
    }

    /// Every remaining branch, conditions included, as undecided.
    fn run_rest_of_if(&mut self, branches: &[(Option<&ast::CompoundList>, &ast::CompoundList)]) {
        for (i, (condition, body)) in branches.iter().enumerate() {
            if i > 0 {
                if let Some(c) = condition {
                    self.run_list(c);
                }
            }
            let flow = self.run_list(body);
            let why = self.undecided().unwrap_or_default().to_string();
            self.absorb_undecided_flow(flow, why.trim_start_matches("condition not decidable: "));
        }
    }

    fn run_case(&mut self, clause: &ast::CaseClauseCommand) -> Flow {
        let value = self.expand_one(&clause.value);
        let mut falling_through = false;
        for (i, item) in clause.cases.iter().enumerate() {
            let matched = match &value {
                _ if falling_through => Truth::True,
                Err(why) => Truth::Unknown(format!("`case {}`: {why}", clause.value.value)),
                Ok(v) => {
                    let mut m = Truth::False;
                    for p in &item.patterns {
                        m = m.or(|| match self.expand_pattern(p) {
                            Ok(pat) => Truth::from_bool(super::glob::matches(&pat, v)),
                            Err(why) => {
                                Truth::Unknown(format!("case pattern `{}`: {why}", p.value))
                            }
                        });
                    }
                    m
                }
            };
            match matched {
                Truth::False => {}
                Truth::True => {
                    let flow = item.cmd.as_ref().map_or(Flow::Normal, |c| self.run_list(c));
                    if flow != Flow::Normal {
                        return flow;
                    }
                    match item.post_action {
                        ast::CaseItemPostAction::ExitCase => return Flow::Normal,
                        ast::CaseItemPostAction::UnconditionallyExecuteNextCaseItem => {
                            falling_through = true;
                        }
                        ast::CaseItemPostAction::ContinueEvaluatingCases => {
                            falling_through = false;
                        }
                    }
                }
                Truth::Unknown(why) => {
                    self.run_undecided(&why, |me| {
                        for rest in &clause.cases[i..] {
                            if let Some(c) = &rest.cmd {
                                let flow = me.run_list(c);
                                me.absorb_undecided_flow(flow, &why);
                            }
                        }
                    });
                    self.status = Truth::Unknown(why);
                    return Flow::Normal;
                }
            }
        }
        Flow::Normal
    }

    fn run_for(&mut self, clause: &ast::ForClauseCommand) -> Flow {
        let values: Result<Vec<String>, String> = match &clause.values {
            Some(words) => self
                .expand_words(words)
                .into_iter()
                .map(|f| f.value())
                .collect(),
            None => self
                .frames
                .last()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .collect(),
        };
        match values {
            Err(why) => {
                let why = format!("`for {}` over an unknown list: {why}", clause.variable_name);
                self.assign(&clause.variable_name, Err(why.clone()));
                self.run_undecided(&why, |me| me.run_list(&clause.body.list));
                self.status = Truth::Unknown(why);
                Flow::Normal
            }
            Ok(values) => {
                self.status = Truth::True;
                for v in values {
                    self.assign(&clause.variable_name, Ok(v));
                    match self.run_list(&clause.body.list) {
                        Flow::Normal | Flow::Continue(0 | 1) => {}
                        Flow::Break(0 | 1) => break,
                        Flow::Break(n) => return Flow::Break(n - 1),
                        Flow::Continue(n) => return Flow::Continue(n - 1),
                        other => return other,
                    }
                }
                Flow::Normal
            }
        }
    }

    fn run_while(&mut self, clause: &ast::WhileOrUntilClauseCommand, while_true: bool) -> Flow {
        let ast::WhileOrUntilClauseCommand(condition, body, _) = clause;
        for _ in 0..MAX_LOOPS {
            let flow = self.run_list(condition);
            if flow != Flow::Normal {
                return flow;
            }
            let go = if while_true {
                self.status.clone()
            } else {
                self.status.clone().not()
            };
            match go {
                Truth::False => {
                    self.status = Truth::True;
                    return Flow::Normal;
                }
                Truth::Unknown(why) => {
                    let why = format!("loop condition: {why}");
                    self.run_undecided(&why, |me| me.run_list(&body.list));
                    self.status = Truth::Unknown(why);
                    return Flow::Normal;
                }
                Truth::True => match self.run_list(&body.list) {
                    Flow::Normal | Flow::Continue(0 | 1) => {}
                    Flow::Break(0 | 1) => return Flow::Normal,
                    Flow::Break(n) => return Flow::Break(n - 1),
                    Flow::Continue(n) => return Flow::Continue(n - 1),
                    other => return other,
                },
            }
        }
        let why = "a loop that does not end within the reader's bound".to_string();
        self.run_undecided(&why, |me| me.run_list(&body.list));
        Flow::Normal
    }

    /// Call a shell function with `args` as its positional parameters.
    pub(crate) fn call_function(&mut self, name: &str, args: Vec<Value>, line: u32) -> Flow {
        let Some((body, sourced)) = self.functions.get(name).cloned() else {
            return Flow::Normal;
        };
        if self.depth >= MAX_DEPTH {
            self.record(
                line,
                name.to_string(),
                Class::NotEmulated {
                    why: "functions nested too deeply to follow".into(),
                },
            );
            self.status = Truth::Unknown("a function nested too deeply".into());
            return Flow::Normal;
        }
        self.depth += 1;
        self.frames.push(args);
        self.locals.push(Vec::new());
        let outer = self.sticky.take();
        let saved_line = self.line_override;
        if sourced {
            self.line_override = Some(saved_line.unwrap_or(line));
        }
        let flow = self.run_compound(&body.0);
        self.line_override = saved_line;
        // An undecided `return` taints only the rest of this call.
        let inner = self.sticky.take().filter(|(_, exit)| *exit);
        self.sticky = outer.or(inner);
        if let Some(frame) = self.locals.pop() {
            for (n, old) in frame {
                match old {
                    Some(v) => self.vars.insert(n, v),
                    None => self.vars.remove(&n),
                };
            }
        }
        self.frames.pop();
        self.depth -= 1;
        match flow {
            Flow::Return => Flow::Normal,
            other => other,
        }
    }

    /// `. FILE`: walk another script's text in this shell.
    pub(crate) fn source_text(&mut self, text: &str, line: u32) -> Flow {
        if self.depth >= MAX_DEPTH {
            return Flow::Normal;
        }
        let Ok(program) = super::parse(text) else {
            self.status = Truth::Unknown("a sourced file that does not parse".into());
            return Flow::Normal;
        };
        self.depth += 1;
        let saved = self
            .line_override
            .replace(self.line_override.unwrap_or(line));
        let flow = self.run_program(&program);
        self.line_override = saved;
        self.depth -= 1;
        match flow {
            Flow::Return => Flow::Normal,
            other => other,
        }
    }
}

/// The 1-based line a span starts on.
pub(crate) fn line_of(span: &brush_parser::SourceSpan) -> u32 {
    u32::try_from(span.start.line).unwrap_or(u32::MAX)
}

/// A command cut to at most 120 characters, on one line.
fn shorten(command: &str) -> String {
    const MAX: usize = 120;
    let one = command.replace('\n', "\\n");
    if one.chars().count() <= MAX {
        return one;
    }
    let cut: String = one.chars().take(MAX - 1).collect();
    format!("{cut}…")
}
