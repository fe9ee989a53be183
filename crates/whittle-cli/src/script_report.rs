//! The text `whittle show-scripts` prints: per script, each command with
//! its line and how it was treated, then a count.

use std::fmt::Write as _;

use whittle::{Class, ScriptReport};

/// The reports as text; with `only_missing`, only the commands whose effect
/// the image lacks (and the scripts that have some).
pub fn render(reports: &[ScriptReport], only_missing: bool) -> String {
    let mut out = String::new();
    let (mut emulated, mut harmless, mut missing) = (0, 0, 0);
    for report in reports {
        let shown: Vec<_> = report
            .actions
            .iter()
            .filter(|a| !only_missing || matches!(a.class, Class::NotEmulated { .. }))
            .collect();
        for a in &report.actions {
            match a.class {
                Class::Emulated => emulated += 1,
                Class::Harmless { .. } => harmless += 1,
                Class::NotEmulated { .. } => missing += 1,
            }
        }
        if shown.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{} {}", report.package, report.script);
        for a in shown {
            let (word, why) = match &a.class {
                Class::Emulated => ("emulated", None),
                Class::Harmless { why } => ("harmless", Some(why)),
                Class::NotEmulated { why } => ("NOT EMULATED", Some(why)),
            };
            let _ = write!(out, "  {:>4}  {word:<12}  {}", a.line, a.command);
            if let Some(why) = why {
                let _ = write!(out, "  ({why})");
            }
            out.push('\n');
        }
    }
    let _ = writeln!(
        out,
        "{} script(s) read: {emulated} command(s) emulated, {harmless} harmless, {missing} not emulated",
        reports.len()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use whittle::Action;

    fn report() -> ScriptReport {
        ScriptReport {
            package: "nginx-common".into(),
            script: "postinst".into(),
            actions: vec![
                Action {
                    line: 12,
                    command: "chown root:adm /var/log/nginx".into(),
                    class: Class::Emulated,
                },
                Action {
                    line: 41,
                    command: "make-ssl-cert generate-default-snakeoil".into(),
                    class: Class::NotEmulated {
                        why: "generates a private key".into(),
                    },
                },
            ],
        }
    }

    #[test]
    fn every_command_with_its_line_and_class() {
        let text = render(&[report()], false);
        assert!(text.starts_with("nginx-common postinst\n"), "{text}");
        assert!(
            text.contains("    12  emulated      chown root:adm /var/log/nginx\n"),
            "{text}"
        );
        assert!(text.contains("    41  NOT EMULATED  make-ssl-cert generate-default-snakeoil  (generates a private key)\n"), "{text}");
        assert!(
            text.ends_with("1 script(s) read: 1 command(s) emulated, 0 harmless, 1 not emulated\n"),
            "{text}"
        );
    }

    #[test]
    fn only_missing_hides_the_rest() {
        let text = render(&[report()], true);
        assert!(!text.contains("chown"), "{text}");
        assert!(text.contains("make-ssl-cert"), "{text}");
    }
}
