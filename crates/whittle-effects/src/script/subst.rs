//! Command substitution (`$(…)`, backquotes) of the pure commands whose
//! output is known without running them: `echo`, `printf '%s'`, `cut -d -f`,
//! `basename`, `dirname`, `dpkg --print-architecture`, `dpkg -L`,
//! `dpkg-architecture -q…`, `id -u`, `command -v`, and the filters `grep`
//! and `sed 's/…/…/'`; pipelines of them, and `for` loops and assignments
//! around them. Anything else is unknown.

use brush_parser::ast;

use super::interp::{Interp, Value};
use super::words::Field;

/// Marks an unknown value known not to be 0 (a non-root user's id).
pub(crate) const NONZERO_ID: &str = "not 0: ";

/// Where `command -v` looks, in order.
const PATH_DIRS: [&str; 6] = [
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

impl Interp<'_> {
    /// The output of `$(text)`, when every command in it is pure: simple
    /// commands and pipelines of them, `for` loops and brace groups of
    /// such, assignments and `unset` (kept inside the subshell).
    pub(crate) fn substitute(&mut self, text: &str) -> Value {
        let unknown = || format!("the output of `$({})` is not known", text.trim());
        let program = super::parse(text).map_err(|_| unknown())?;
        // A substitution runs in a subshell: what it assigns stays there.
        let saved = self.vars.clone();
        let mut out = Some(String::new());
        for list in &program.complete_commands {
            out = out.and_then(|o| Some(o + &self.captured_list(list)?));
        }
        self.vars = saved;
        out.ok_or_else(unknown)
    }

    /// What a list of commands prints, when it is known.
    fn captured_list(&mut self, list: &ast::CompoundList) -> Option<String> {
        let mut out = String::new();
        for ast::CompoundListItem(and_or, _) in &list.0 {
            if !and_or.additional.is_empty() || and_or.first.bang {
                return None;
            }
            let mut input: Option<String> = None;
            for command in &and_or.first.seq {
                input = Some(self.captured_command(command, input.as_deref())?);
            }
            out.push_str(&input?);
        }
        Some(out)
    }

    /// What one command prints given its standard input, when it is known.
    fn captured_command(&mut self, command: &ast::Command, input: Option<&str>) -> Option<String> {
        let quiet = |r: &Option<ast::RedirectList>| {
            r.as_ref()
                .is_none_or(|l| l.0.iter().all(super::commands::is_quiet))
        };
        match command {
            ast::Command::Simple(simple) => {
                let (words, redirects, assignments) = super::commands::parts(simple);
                if redirects.iter().any(|r| !super::commands::is_quiet(r)) {
                    return None;
                }
                if words.is_empty() {
                    for a in &assignments {
                        let ast::AssignmentName::VariableName(name) = &a.name else {
                            return None;
                        };
                        let ast::AssignmentValue::Scalar(w) = &a.value else {
                            return None;
                        };
                        if a.append {
                            return None;
                        }
                        let value = self.expand_one(w);
                        self.vars.insert(name.clone(), value);
                    }
                    return Some(String::new());
                }
                if !assignments.is_empty() {
                    return None;
                }
                let argv: Vec<String> = self
                    .expand_words(&words)
                    .into_iter()
                    .map(Field::value)
                    .collect::<Result<_, _>>()
                    .ok()?;
                if argv.first().map(String::as_str) == Some("unset") {
                    for name in argv.iter().skip(1).filter(|n| !n.starts_with('-')) {
                        self.vars.remove(name);
                    }
                    return Some(String::new());
                }
                self.pure(&argv, input)
            }
            ast::Command::Compound(ast::CompoundCommand::ForClause(clause), redirects)
                if quiet(redirects) =>
            {
                let values: Vec<String> = match &clause.values {
                    Some(words) => self
                        .expand_words(words)
                        .into_iter()
                        .map(Field::value)
                        .collect::<Result<_, _>>()
                        .ok()?,
                    None => self
                        .frames
                        .last()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .collect::<Result<_, _>>()
                        .ok()?,
                };
                let mut out = String::new();
                for v in values {
                    self.vars.insert(clause.variable_name.clone(), Ok(v));
                    out.push_str(&self.captured_list(&clause.body.list)?);
                }
                Some(out)
            }
            ast::Command::Compound(ast::CompoundCommand::BraceGroup(g), redirects)
                if quiet(redirects) =>
            {
                self.captured_list(&g.list)
            }
            _ => None,
        }
    }

    /// For `$(id -u USER)` of an existing user other than root: the
    /// reason, marked so that `-eq 0`/`-ne 0` tests can still decide.
    pub(crate) fn nonzero_id(&self, text: &str) -> Option<String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            ["id", "-u" | "-g", name] if *name != "root" && self.host.user_exists(name) => Some(
                format!("{NONZERO_ID}{name}'s id is allocated when effects are applied"),
            ),
            _ => None,
        }
    }

    /// What one pure command prints, given its standard input.
    fn pure(&self, argv: &[String], input: Option<&str>) -> Option<String> {
        let args: Vec<&str> = argv.iter().map(String::as_str).collect();
        Some(match args.as_slice() {
            ["echo", rest @ ..] => echo(rest),
            ["printf", format, rest @ ..] => printf(format, rest)?,
            ["cat"] => input?.to_string(),
            ["cut", opts @ ..] => cut(opts, input?)?,
            ["basename", path] => format!("{}\n", basename(path)),
            ["basename", path, suffix] => {
                let b = basename(path);
                format!(
                    "{}\n",
                    b.strip_suffix(suffix)
                        .filter(|s| !s.is_empty())
                        .unwrap_or(b)
                )
            }
            ["dirname", path] => format!("{}\n", dirname(path)),
            ["dpkg", "--print-architecture"] => format!("{}\n", self.host.arch()),
            ["dpkg", "-L" | "--listfiles", packages @ ..] if !packages.is_empty() => {
                // Packages not installed print nothing (dpkg fails, but the
                // others' lists are still printed).
                let mut out = String::new();
                for p in packages {
                    for path in self.host.package_files(p).unwrap_or_default() {
                        out.push_str(&path);
                        out.push('\n');
                    }
                }
                out
            }
            ["grep", opts @ ..] => super::filters::grep(opts, input?)?.0,
            ["sed", opts @ ..] => super::filters::sed(opts, input?)?,
            // Every image whittle builds runs on a Linux kernel.
            ["uname"] | ["uname", "-s"] => "Linux\n".to_string(),
            ["dpkg-architecture", q] | ["dpkg-architecture", "-q", q] => {
                let var = q.strip_prefix("-q").unwrap_or(q);
                format!("{}\n", architecture_variable(self.host.arch(), var)?)
            }
            ["id", "-u" | "-g" | "-ur" | "-gr"] | ["id", "-u" | "-g", "root"] => "0\n".into(),
            ["id", "-un" | "-nu" | "-gn" | "-ng"] => "root\n".into(),
            ["command", "-v", name] | ["which", name] => {
                if self.has_function(name) {
                    format!("{name}\n")
                } else {
                    let found = PATH_DIRS
                        .iter()
                        .map(|d| format!("{d}/{name}"))
                        .find(|p| matches!(self.host.stat(p, true), crate::PathState::File { .. }));
                    match found {
                        Some(p) => format!("{p}\n"),
                        None if self.host.on_path(name) => format!("/usr/bin/{name}\n"),
                        None => String::new(),
                    }
                }
            }
            _ => return None,
        })
    }
}

/// dpkg-architecture's variables for an architecture, as Debian names them.
pub(crate) fn architecture_variable(arch: &str, var: &str) -> Option<String> {
    let (cpu, triplet) = match arch {
        "amd64" => ("amd64", "x86_64-linux-gnu"),
        "arm64" => ("arm64", "aarch64-linux-gnu"),
        "armhf" => ("arm", "arm-linux-gnueabihf"),
        "armel" => ("arm", "arm-linux-gnueabi"),
        "i386" => ("i386", "i386-linux-gnu"),
        "ppc64el" => ("ppc64el", "powerpc64le-linux-gnu"),
        "s390x" => ("s390x", "s390x-linux-gnu"),
        "riscv64" => ("riscv64", "riscv64-linux-gnu"),
        "mips64el" => ("mips64el", "mips64el-linux-gnuabi64"),
        _ => return None,
    };
    let v = match var
        .strip_prefix("DEB_HOST_")
        .or_else(|| var.strip_prefix("DEB_BUILD_"))?
    {
        "MULTIARCH" | "GNU_TYPE" => triplet.to_string(),
        "ARCH" => arch.to_string(),
        "ARCH_CPU" => cpu.to_string(),
        "ARCH_OS" => "linux".to_string(),
        "ARCH_BITS" => if matches!(arch, "armhf" | "armel" | "i386") {
            "32"
        } else {
            "64"
        }
        .to_string(),
        _ => return None,
    };
    Some(v)
}

/// dash's `echo`: `-n` drops the newline, backslash escapes are read.
pub(crate) fn echo(args: &[&str]) -> String {
    let (newline, args) = match args.first() {
        Some(&"-n") => (false, &args[1..]),
        _ => (true, args),
    };
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let (text, stop) = escapes(a, true);
        out.push_str(&text);
        if stop {
            return out;
        }
    }
    if newline {
        out.push('\n');
    }
    out
}

/// Backslash escapes of `echo` and `printf` formats; `true` when `\c` ends output.
fn escapes(s: &str, echo: bool) -> (String, bool) {
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
            Some('\\') => out.push('\\'),
            Some('c') if echo => return (out, true),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    (out, false)
}

/// `printf FORMAT ARGS` with `%s`, `%d`, `%b` and `%%`; the format is
/// reused while arguments remain.
pub(crate) fn printf(format: &str, args: &[&str]) -> Option<String> {
    let (format, _) = escapes(format, false);
    let mut out = String::new();
    let mut next = 0;
    loop {
        let mut chars = format.chars();
        let mut used = false;
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next()? {
                '%' => out.push('%'),
                's' | 'b' | 'd' | 'i' | 'u' => {
                    out.push_str(args.get(next).copied().unwrap_or_default());
                    next += 1;
                    used = true;
                }
                _ => return None,
            }
        }
        if !used || next >= args.len() {
            return Some(out);
        }
    }
}

/// `cut -d DELIM -f N[,M]` per line.
fn cut(opts: &[&str], input: &str) -> Option<String> {
    let mut delim = '\t';
    let mut fields: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < opts.len() {
        let o = opts[i];
        let split = o
            .get(..2)
            .zip(o.get(2..))
            .filter(|(f, v)| f.starts_with('-') && !v.is_empty());
        let (flag, value) = if let Some((f, v)) = split {
            (f, v.to_string())
        } else {
            i += 1;
            (o, (*opts.get(i)?).to_string())
        };
        match flag {
            "-d" => delim = value.chars().next()?,
            "-f" => {
                for f in value.split(',') {
                    fields.push(f.parse().ok().filter(|n| *n > 0)?);
                }
            }
            _ => return None,
        }
        i += 1;
    }
    if fields.is_empty() {
        return None;
    }
    let mut out = String::new();
    for line in input.lines() {
        if !line.contains(delim) {
            out.push_str(line);
        } else {
            let parts: Vec<&str> = line.split(delim).collect();
            let picked: Vec<&str> = fields
                .iter()
                .filter_map(|f| parts.get(f - 1).copied())
                .collect();
            out.push_str(&picked.join(&delim.to_string()));
        }
        out.push('\n');
    }
    Some(out)
}

/// `basename PATH`.
pub(crate) fn basename(path: &str) -> &str {
    let t = path.trim_end_matches('/');
    if t.is_empty() {
        return if path.is_empty() { "" } else { "/" };
    }
    t.rsplit('/').next().unwrap_or(t)
}

/// `dirname PATH`.
pub(crate) fn dirname(path: &str) -> &str {
    let t = path.trim_end_matches('/');
    match t.rfind('/') {
        None if path.starts_with('/') => "/",
        None => ".",
        Some(0) => "/",
        Some(i) => t[..i].trim_end_matches('/'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_commands_print_what_they_would() {
        assert_eq!(echo(&["-n", "a", "b"]), "a b");
        assert_eq!(echo(&["a\\nb"]), "a\nb\n");
        assert_eq!(printf("%s\\n", &["x", "y"]).as_deref(), Some("x\ny\n"));
        assert_eq!(printf("%s", &["a"]).as_deref(), Some("a"));
        assert_eq!(
            cut(&["-d:", "-f1"], "a.conf:b.conf\n").as_deref(),
            Some("a.conf\n")
        );
        assert_eq!(cut(&["-d", ":", "-f", "2"], "a:b").as_deref(), Some("b\n"));
        assert_eq!(basename("/usr/bin/java"), "java");
        assert_eq!(basename("/usr/lib/"), "lib");
        assert_eq!(dirname("/usr/bin/java"), "/usr/bin");
        assert_eq!(dirname("java"), ".");
        assert_eq!(dirname("/java"), "/");
        assert_eq!(
            architecture_variable("arm64", "DEB_HOST_MULTIARCH").as_deref(),
            Some("aarch64-linux-gnu")
        );
    }
}
