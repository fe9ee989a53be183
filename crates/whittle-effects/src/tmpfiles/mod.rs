//! `tmpfiles.d(5)` lines that describe persistent state, as effects.
//!
//! Format: `Type Path Mode User Group Age Argument`, one line each, `#`
//! comments; fields are quoted and escaped as `words.rs` reads them, `-`
//! means the default. What is taken, and what an image does not need:
//!
//! * `d`, `D`, `v`, `q`, `Q`: a directory (parents created 0755 root, as
//!   tmpfiles does); `-` mode and owner keep an existing directory's.
//! * `L`, `L+`: a symlink (`L+` replaces what is there); no argument links
//!   to `/usr/share/factory/<path>`.
//! * `f`, `f+`: a file holding the argument, C escapes resolved, no newline
//!   added (what systemd-tmpfiles writes); `f+` replaces an existing file.
//! * `C`: a copy of the argument (else `/usr/share/factory/<path>`),
//!   leaving an existing file alone.
//! * `z`, `Z`: owner, group and mode of an existing path (`Z`: below too).
//!
//! Skipped, each with the reason returned: other types (removal, cleanup
//! exclusions, writes to existing files, pipes, device nodes, attributes,
//! ACLs), `!` lines (boot only), `^` (the argument is a credential read at
//! boot), `~` (base64 arguments, not decoded), paths below `/run`
//! (`/var/run/…`, `/var/lock/…`) unless the image keeps `/run`, paths below
//! `/tmp/` and `/var/tmp/` (emptied at boot; `/tmp` itself is taken),
//! globs, and specifiers with no value in an image (`%m`, `%b`, `%H`, …).
//! The `-` and `=` modifiers change nothing in an image. Mode prefixes: `:`
//! (only when created) is taken as a plain mode; `~` (masked by the
//! existing bits) is taken as plain for created entries and skips `z`/`Z`.
//! The age field (cleanup) is ignored. `/var/run/…` is rewritten to
//! `/run/…`, as systemd-tmpfiles does.

pub(crate) mod words;

#[cfg(test)]
mod tests;

use crate::effect::{Effect, FileContent, Origin, Placed, Who};
use words::{expand_specifiers, next_word, unescape, TMPFILES_SPECIFIERS};

/// Where `L` and `C` lines without an argument take their source from.
const FACTORY: &str = "/usr/share/factory";

/// The effects of one `tmpfiles.d` file of `package` (`name` is its file
/// name, for origins; origins read `tmpfiles.d/<name>`): `d`, `D`, `v`,
/// `q`, `Q`, `L`, `f`, `C`, `z`, `Z` lines (see the module overview);
/// lines under `/run` only when `keep_run`. Lines it does not take are
/// returned as (line, text, why) for the report.
pub fn tmpfiles_effects(
    package: &str,
    name: &str,
    text: &str,
    keep_run: bool,
) -> (Vec<Placed>, Vec<(u32, String, String)>) {
    let source = format!("tmpfiles.d/{name}");
    let mut effects = Vec::new();
    let mut skipped = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        match line_effects(line, keep_run) {
            Ok(found) => effects.extend(found.into_iter().map(|effect| Placed {
                effect,
                origin: Origin::new(package, &source, number),
            })),
            Err(why) => skipped.push((number, line.to_string(), why)),
        }
    }
    (effects, skipped)
}

/// The fields of one line, before they are interpreted.
struct Fields {
    kind: String,
    path: String,
    mode: Option<String>,
    user: Option<String>,
    group: Option<String>,
    argument: Option<String>,
}

/// Split a line into its fields: six words, then the argument (the rest
/// of the line, as written).
fn fields(line: &str) -> Result<Fields, String> {
    let mut rest = line;
    let mut words: Vec<String> = Vec::new();
    while words.len() < 6 {
        let Some((word, after)) = next_word(rest)? else {
            break;
        };
        words.push(String::from_utf8(word).map_err(|_| "a field is not UTF-8".to_string())?);
        rest = after;
    }
    let argument = rest.trim_start();
    let given = |w: Option<&String>| w.filter(|w| !w.is_empty() && *w != "-").cloned();
    let mut words = words.into_iter();
    let kind = words.next().unwrap_or_default();
    let path = words
        .next()
        .ok_or_else(|| "the line has no path".to_string())?;
    let mode = given(words.next().as_ref());
    let user = given(words.next().as_ref());
    let group = given(words.next().as_ref());
    Ok(Fields {
        kind,
        path,
        mode,
        user,
        group,
        argument: (!argument.is_empty() && argument != "-").then(|| argument.to_string()),
    })
}

/// The effects of one line, or why it is skipped.
fn line_effects(line: &str, keep_run: bool) -> Result<Vec<Effect>, String> {
    let f = fields(line)?;
    let mut chars = f.kind.chars();
    let letter = chars.next().ok_or("the line has no type")?;
    let modifiers: String = chars.collect();
    if let Some(bad) = modifiers.chars().find(|c| !"+!-=~^".contains(*c)) {
        return Err(format!("unknown type modifier `{bad}` in `{}`", f.kind));
    }
    let plus = modifiers.contains('+');
    if modifiers.contains('!') {
        return Err("boot-only line (`!`): systemd-tmpfiles runs it with --boot, and an image is not booted".into());
    }
    if modifiers.contains('^') {
        return Err(
            "the argument names a service credential (`^`), which only exists at boot".into(),
        );
    }
    if modifiers.contains('~') {
        return Err("base64-encoded argument (`~`) is not decoded".into());
    }
    if let Some(why) = not_taken(letter, plus) {
        return Err(why);
    }
    let path = clean_path(&expand_specifiers(&f.path, TMPFILES_SPECIFIERS)?)?;
    check_place(&path, keep_run)?;
    let argument = f
        .argument
        .as_deref()
        .map(|a| expand_specifiers(a, TMPFILES_SPECIFIERS))
        .transpose()?;
    let owner = f.user.as_deref().and_then(who);
    let group = f.group.as_deref().and_then(who);
    let masked = f
        .mode
        .as_deref()
        .is_some_and(|m| m.trim_start_matches(':').starts_with('~'));
    let mode = f.mode.as_deref().map(mode).transpose()?;
    let factory = || format!("{FACTORY}{path}");
    Ok(match letter {
        'd' | 'D' | 'v' | 'q' | 'Q' => vec![Effect::Directory {
            path: path.clone(),
            mode,
            owner,
            group,
            parents: true,
        }],
        'L' => vec![Effect::Symlink {
            target: argument.unwrap_or_else(factory),
            path,
            replace: plus,
        }],
        'f' => vec![Effect::File {
            content: FileContent::Bytes(
                argument
                    .as_deref()
                    .map(unescape)
                    .transpose()?
                    .unwrap_or_default(),
            ),
            path,
            mode,
            owner,
            group,
            replace: plus,
        }],
        'C' => {
            let from = argument.unwrap_or_else(factory);
            if !from.starts_with('/') {
                return Err(format!("the source `{from}` is not an absolute path"));
            }
            vec![Effect::File {
                path,
                content: FileContent::CopyOf(from),
                mode,
                owner,
                group,
                replace: false,
            }]
        }
        _ => adjust(path, letter == 'Z', mode, masked, owner, group)?,
    })
}

/// `z`/`Z`: owner and mode of an existing path.
fn adjust(
    path: String,
    recursive: bool,
    mode: Option<u32>,
    masked: bool,
    owner: Option<Who>,
    group: Option<Who>,
) -> Result<Vec<Effect>, String> {
    if path.contains(['*', '?', '[']) {
        return Err("the path is a glob, which is not expanded".into());
    }
    if masked {
        return Err(
            "mode `~` masks the new mode by each existing file's bits, which is not emulated"
                .into(),
        );
    }
    let mut out = Vec::new();
    if owner.is_some() || group.is_some() {
        out.push(Effect::Chown {
            path: path.clone(),
            owner,
            group,
            recursive,
        });
    }
    if let Some(mode) = mode {
        out.push(Effect::Chmod {
            path,
            mode,
            recursive,
        });
    }
    Ok(out)
}

/// Why a line type is not taken, `None` for the ones that are.
fn not_taken(letter: char, plus: bool) -> Option<String> {
    let why = match letter {
        'd' | 'D' | 'v' | 'q' | 'Q' | 'L' | 'f' | 'C' | 'z' | 'Z' => return None,
        'w' if plus => "`w+` appends to an existing file (usually under /proc or /sys) at boot",
        'w' => "`w` writes to an existing file (usually under /proc or /sys) at boot",
        'e' => "`e` adjusts and ages out the contents of existing directories on a running system",
        'r' | 'R' => "removal (`r`, `R`) acts on a running system; it is not emulated",
        'x' | 'X' => "`x`/`X` only exclude paths from age-based cleanup",
        'p' => "named pipes (`p`) are not created in an image",
        'c' | 'b' => "device nodes (`c`, `b`) come from the container runtime, not the image",
        't' | 'T' => "extended attributes (`t`, `T`) are not emulated",
        'h' | 'H' => "file attributes (`h`, `H`, chattr) are not part of an image",
        'a' | 'A' => "POSIX ACLs (`a`, `A`) are not emulated",
        'F' => "`F` is an obsolete type (systemd dropped it)",
        other => return Some(format!("unknown line type `{other}`")),
    };
    Some(why.to_string())
}

/// An absolute path with `//` and `.` removed and no trailing slash;
/// `/var/run/…` becomes `/run/…`.
fn clean_path(path: &str) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err(format!("the path `{path}` is not absolute"));
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(format!("the path `{path}` has a `..` component")),
            other => parts.push(other),
        }
    }
    if parts.first() == Some(&"var") && parts.get(1) == Some(&"run") && parts.len() > 2 {
        parts.remove(0);
    }
    Ok(format!("/{}", parts.join("/")))
}

/// Paths an image has no use for: below `/run` (unless kept) and below
/// `/tmp` and `/var/tmp`.
fn check_place(path: &str, keep_run: bool) -> Result<(), String> {
    let below = |dir: &str| {
        path.strip_prefix(dir)
            .is_some_and(|r| r.is_empty() || r.starts_with('/'))
    };
    let strictly_below = |dir: &str| path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'));
    if !keep_run && (below("/run") || strictly_below("/var/lock")) {
        return Err("under /run: a tmpfs made at boot, and this image does not keep /run".into());
    }
    if strictly_below("/tmp") || strictly_below("/var/tmp") {
        return Err(
            "below a temporary directory: emptied at boot, and an image ships it empty".into(),
        );
    }
    Ok(())
}

/// A mode field: octal, after the `:` and `~` prefixes.
fn mode(field: &str) -> Result<u32, String> {
    let digits = field.trim_start_matches([':', '~']);
    u32::from_str_radix(digits, 8)
        .ok()
        .filter(|m| *m <= 0o7777 && !digits.is_empty())
        .ok_or_else(|| format!("mode `{field}` is not an octal mode"))
}

/// A user or group field, after the `:` prefix (only when created, taken
/// as always).
fn who(field: &str) -> Option<Who> {
    let name = field.trim_start_matches(':');
    (!name.is_empty()).then(|| Who::parse(name))
}

/// Whether a line [`tmpfiles_effects`] skipped leaves nothing out of an
/// image: boot-only lines (`!`), removals and cleanup rules (`r`, `R`, `e`,
/// `x`, `X`: nothing to remove or age in a new image), writes to existing
/// files under `/proc` or `/sys` (`w`) and device nodes (`c`, `b`, which the
/// container runtime provides).
pub fn skipped_is_harmless(line: &str) -> bool {
    let kind = line.split_whitespace().next().unwrap_or_default();
    let mut chars = kind.chars();
    let Some(letter) = chars.next() else {
        return false;
    };
    let boot_only = chars.as_str().contains('!');
    boot_only || matches!(letter, 'r' | 'R' | 'e' | 'x' | 'X' | 'w' | 'c' | 'b')
}

#[cfg(test)]
mod harmless_tests {
    use super::skipped_is_harmless;

    #[test]
    fn boot_only_and_runtime_lines_leave_nothing_out() {
        assert!(skipped_is_harmless("r! /etc/shadow.lock"));
        assert!(skipped_is_harmless("x /tmp/systemd-private-*"));
        assert!(skipped_is_harmless("d! /run/x 0755 root root -"));
        assert!(!skipped_is_harmless(
            "a+ /var/log/journal - - - - group:adm:r-x"
        ));
        assert!(!skipped_is_harmless("t /var/log/journal - - - - user.x=1"));
    }
}
