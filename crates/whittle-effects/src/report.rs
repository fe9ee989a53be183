//! What reading a script found: every command it would run, classified.

use serde::Serialize;

/// How one command of a script was treated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "class", rename_all = "kebab-case")]
pub enum Class {
    /// Its effect is in the image.
    Emulated,
    /// It changes nothing an image needs (service management, triggers,
    /// caches rebuilt elsewhere, output).
    Harmless {
        /// Why it does not matter.
        why: String,
    },
    /// Its effect is missing from the image.
    NotEmulated {
        /// Why it could not be done natively.
        why: String,
    },
}

/// One command of a script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    /// 1-based line of the command in the script (0: the script as a whole).
    pub line: u32,
    /// The command as it would run, operands expanded where known.
    pub command: String,
    /// How it was treated.
    #[serde(flatten)]
    pub class: Class,
}

/// The classification of one script of one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptReport {
    /// The package.
    pub package: String,
    /// `postinst`, `preinst`, `%post`, …
    pub script: String,
    /// Every command reached, in the order it would run.
    pub actions: Vec<Action>,
}

impl ScriptReport {
    /// The actions whose effect is missing from the image.
    pub fn not_emulated(&self) -> impl Iterator<Item = &Action> {
        self.actions
            .iter()
            .filter(|a| matches!(a.class, Class::NotEmulated { .. }))
    }

    /// One line for the build's summary, when some action was not emulated:
    /// `nginx-common postinst: 2 actions not emulated (line 41: ucf …, line 57: …)`.
    pub fn summary(&self) -> Option<String> {
        const SHOWN: usize = 3;
        let missing: Vec<&Action> = self.not_emulated().collect();
        if missing.is_empty() {
            return None;
        }
        let mut shown: Vec<String> = missing
            .iter()
            .take(SHOWN)
            .map(|a| format!("line {}: `{}`", a.line, short(&a.command)))
            .collect();
        if missing.len() > SHOWN {
            shown.push(format!("{} more", missing.len() - SHOWN));
        }
        let noun = if missing.len() == 1 {
            "action"
        } else {
            "actions"
        };
        Some(format!(
            "{} {}: {} {noun} not emulated ({})",
            self.package,
            self.script,
            missing.len(),
            shown.join(", ")
        ))
    }
}

/// A command cut to a readable length for one-line summaries.
fn short(command: &str) -> String {
    const MAX: usize = 60;
    let one_line = command.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX {
        return one_line;
    }
    let cut: String = one_line.chars().take(MAX - 1).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_names_lines_and_counts() {
        let r = ScriptReport {
            package: "nginx-common".into(),
            script: "postinst".into(),
            actions: vec![
                Action {
                    line: 3,
                    command: "mkdir -p /var/www".into(),
                    class: Class::Emulated,
                },
                Action {
                    line: 41,
                    command: "ucf --three-way /usr/share/x /etc/x".into(),
                    class: Class::NotEmulated {
                        why: "ucf is not emulated".into(),
                    },
                },
            ],
        };
        assert_eq!(
            r.summary().as_deref(),
            Some(
                "nginx-common postinst: 1 action not emulated (line 41: `ucf --three-way /usr/share/x /etc/x`)"
            )
        );
    }
}
