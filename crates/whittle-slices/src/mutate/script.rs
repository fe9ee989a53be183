//! The Starlark side: Chisel's dialect, the `content` namespace, the
//! bounds, and interpreter errors turned into [`MutateError`]s with a line.
//!
//! The scripts run on a thread of their own. Its `content` functions send
//! each operation over a channel to the calling thread, which holds the
//! tree (`&mut dyn MutateTree`, neither `'static` nor `Send`) and answers.
//! starlark-rust's own way to reach host state from a native function
//! (`Evaluator::extra`) needs an `unsafe impl`, which whittle forbids.

use std::cell::RefCell;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;

use starlark::environment::{GlobalsBuilder, LibraryExtension, Module};
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::syntax::{AstModule, Dialect, DialectTypes};
use starlark::values::none::NoneType;
use starlark::PrintHandler;

use super::content::Content;
use super::{ContentError, MutateError, MutateJob, MAX_CALL_DEPTH, MAX_HEAP_BYTES, MAX_TICKS};

/// The file name scripts are parsed under (Chisel's thread label).
const FILE_NAME: &str = "mutate";

/// The script thread's stack: starlark-rust evaluates calls on it.
const STACK_BYTES: usize = 64 << 20;

/// One `content` call, sent to the thread holding the tree.
enum Op {
    Read(String),
    Write(String, String),
    List(String),
}

/// Its answer.
enum Answer {
    Text(String),
    Written,
    Names(Vec<String>),
}

/// The script thread's end of the channels.
struct Link {
    ops: Sender<Op>,
    answers: Receiver<Result<Answer, ContentError>>,
    /// The refusal that stopped the script, kept typed (the interpreter
    /// only carries its text).
    failure: Option<ContentError>,
}

thread_local! {
    static LINK: RefCell<Option<Link>> = const { RefCell::new(None) };
}

/// The channel is gone (the tree's thread stopped answering).
#[derive(Debug, thiserror::Error)]
#[error("content is not available")]
struct Unavailable;

/// Send `op` to the tree's thread and wait for the answer.
fn call(op: Op) -> starlark::Result<Answer> {
    LINK.with_borrow_mut(|link| {
        let link = link
            .as_mut()
            .ok_or_else(|| starlark::Error::new_native(Unavailable))?;
        link.ops
            .send(op)
            .map_err(|_| starlark::Error::new_native(Unavailable))?;
        match link.answers.recv() {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                link.failure = Some(e.clone());
                Err(starlark::Error::new_native(e))
            }
            Err(_) => Err(starlark::Error::new_native(Unavailable)),
        }
    })
}

/// An answer of the wrong kind (cannot happen).
fn mismatch() -> starlark::Error {
    starlark::Error::new_native(Unavailable)
}

#[starlark_module]
fn content_api(builder: &mut GlobalsBuilder) {
    /// The text of a file of the image.
    fn read(path: &str) -> starlark::Result<String> {
        match call(Op::Read(path.to_owned()))? {
            Answer::Text(text) => Ok(text),
            _ => Err(mismatch()),
        }
    }

    /// Replace the content of a mutable file of the image.
    fn write(path: &str, data: &str) -> starlark::Result<NoneType> {
        match call(Op::Write(path.to_owned(), data.to_owned()))? {
            Answer::Written => Ok(NoneType),
            _ => Err(mismatch()),
        }
    }

    /// The sorted entry names of a directory of the image.
    fn list(path: &str) -> starlark::Result<Vec<String>> {
        match call(Op::List(path.to_owned()))? {
            Answer::Names(names) => Ok(names),
            _ => Err(mismatch()),
        }
    }
}

/// Collects `print` output.
#[derive(Default)]
struct Printed(RefCell<Vec<String>>);

impl PrintHandler for Printed {
    fn println(&self, text: &str) -> starlark::Result<()> {
        self.0.borrow_mut().push(text.to_owned());
        Ok(())
    }
}

/// Chisel's file options on go.starlark.net: top-level `if`/`for`, global
/// reassignment; no `while` (reserved in starlark-rust), `load`, `set`.
fn dialect() -> Dialect {
    Dialect {
        enable_def: true,
        enable_lambda: true,
        enable_load: false,
        enable_keyword_only_arguments: true,
        enable_positional_only_arguments: false,
        enable_types: DialectTypes::Disable,
        enable_load_reexport: false,
        enable_top_level_stmt: true,
        enable_f_strings: false,
        ..Dialect::Standard
    }
}

/// Run `jobs` in order on a script thread, serving their `content` calls
/// from `content`; returns what they printed.
pub(crate) fn run_all(
    content: &mut Content<'_>,
    jobs: &[MutateJob],
) -> Result<Vec<(String, String)>, MutateError> {
    let (op_tx, op_rx) = mpsc::channel();
    let (answer_tx, answer_rx) = mpsc::channel();
    thread::scope(|scope| {
        let link = Link {
            ops: op_tx,
            answers: answer_rx,
            failure: None,
        };
        let spawned = thread::Builder::new()
            .name("mutate".into())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, move || {
                LINK.set(Some(link));
                let result = run_jobs(jobs);
                // Closes the channel: the serving loop below ends.
                LINK.set(None);
                result
            });
        let handle = match spawned {
            Ok(handle) => handle,
            Err(e) => {
                return Err(MutateError::Eval {
                    slice: jobs.first().map(|j| j.slice.clone()).unwrap_or_default(),
                    line: None,
                    message: format!("cannot start the script thread: {e}"),
                })
            }
        };
        for op in op_rx {
            let answer = match op {
                Op::Read(path) => content.read(&path).map(Answer::Text),
                Op::Write(path, data) => content.write(&path, &data).map(|()| Answer::Written),
                Op::List(path) => content.list(&path).map(Answer::Names),
            };
            if answer_tx.send(answer).is_err() {
                break;
            }
        }
        handle.join().unwrap_or_else(|_| {
            Err(MutateError::Eval {
                slice: String::new(),
                line: None,
                message: "the Starlark interpreter panicked".into(),
            })
        })
    })
}

/// The script thread's work.
fn run_jobs(jobs: &[MutateJob]) -> Result<Vec<(String, String)>, MutateError> {
    let mut printed = Vec::new();
    for job in jobs {
        if job.script.trim().is_empty() {
            continue;
        }
        let lines = run_one(&job.slice, &job.script)?;
        printed.extend(lines.into_iter().map(|l| (job.slice.clone(), l)));
    }
    Ok(printed)
}

/// Run one script; returns what it printed.
fn run_one(slice: &str, script: &str) -> Result<Vec<String>, MutateError> {
    let ast = AstModule::parse(FILE_NAME, script.to_owned(), &dialect()).map_err(|e| {
        MutateError::Syntax {
            slice: slice.to_owned(),
            line: error_line(&e),
            message: e.without_diagnostic().to_string(),
        }
    })?;
    let globals = GlobalsBuilder::extended_by(&[LibraryExtension::Print])
        .with_namespace("content", content_api)
        .build();
    let printed = Printed::default();
    let result = Module::with_temp_heap(|module| {
        let mut eval = Evaluator::new(&module);
        eval.set_print_handler(&printed);
        eval.set_max_tick_count(MAX_TICKS)
            .and_then(|()| eval.set_max_callstack_size(MAX_CALL_DEPTH))
            .and_then(|()| eval.set_max_heap_size(MAX_HEAP_BYTES))
            .map_err(starlark::Error::new_other)?;
        eval.eval_module(ast, &globals).map(|_| ())
    });
    let failure = LINK.with_borrow_mut(|link| link.as_mut().and_then(|l| l.failure.take()));
    result.map(|()| printed.0.into_inner()).map_err(|e| {
        let line = error_line(&e);
        let slice = slice.to_owned();
        match failure {
            Some(source) => MutateError::Content {
                slice,
                line,
                source,
            },
            None => MutateError::Eval {
                slice,
                line,
                message: e.without_diagnostic().to_string(),
            },
        }
    })
}

/// The script line an error points at (1-based): its own span, else the
/// innermost call-stack frame with a location.
fn error_line(e: &starlark::Error) -> Option<usize> {
    let span = e.span().cloned().or_else(|| {
        e.call_stack()
            .frames
            .iter()
            .rev()
            .find_map(|f| f.location.clone())
    })?;
    Some(span.resolve_span().begin.line + 1)
}
