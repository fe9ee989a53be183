//! deb822 paragraphs: order, exact text, errors with line numbers.

// Helpers outside #[test] functions may unwrap and print too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use whittle_deb::control::{parse_paragraphs, ControlError, Paragraph};

const TEXT: &str = "\
Package: base-files
Essential: yes
Priority: required
Version: 12.4+deb12u15
Description: Debian base system miscellaneous files
 This package contains the basic filesystem hierarchy.
 .
 It also contains the Debian policy files.
Conffiles:
 /etc/debian_version 1a2b
 /etc/host.conf 3c4d
Empty:

Package: two
Version:1.0  \r
";

#[test]
fn keeps_order_and_exact_text() {
    let ps = parse_paragraphs(TEXT).unwrap();
    assert_eq!(ps.len(), 2);
    let p = &ps[0];
    let names: Vec<_> = p.fields().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "Package",
            "Essential",
            "Priority",
            "Version",
            "Description",
            "Conffiles",
            "Empty"
        ]
    );
    assert_eq!(
        p.get("conffiles"),
        Some("/etc/debian_version 1a2b\n /etc/host.conf 3c4d")
    );
    assert_eq!(
        p.get_raw("Conffiles"),
        Some("\n /etc/debian_version 1a2b\n /etc/host.conf 3c4d")
    );
    assert_eq!(p.get("Empty"), Some(""));
    assert_eq!(p.get("Missing"), None);
    assert_eq!(p.line(), 1);
    assert_eq!(p.line_of("Conffiles"), Some(9));
    assert_eq!(ps[1].line(), 14);
    assert_eq!(ps[1].get("version"), Some("1.0"));
    // Byte-for-byte round trip of the whole text.
    let mut back = String::new();
    for (i, p) in ps.iter().enumerate() {
        if i > 0 {
            back.push('\n');
        }
        p.write_text(&mut back);
    }
    assert_eq!(back, TEXT);
}

#[test]
fn separators_comments_and_endings() {
    let t = "# leading comment\n\n\nA: 1\n# inside\nB: 2\n  \t\nC: 3";
    let ps = parse_paragraphs(t).unwrap();
    assert_eq!(ps.len(), 2);
    assert_eq!(ps[0].to_text(), "A: 1\nB: 2\n");
    assert_eq!(ps[1].to_text(), "C: 3\n");
    assert_eq!(ps[1].line(), 8);
    assert!(parse_paragraphs("").unwrap().is_empty());
    assert!(parse_paragraphs("\n\n# only\n").unwrap().is_empty());
}

#[test]
fn errors_name_lines() {
    let e = parse_paragraphs("A: 1\nno colon here\n").unwrap_err();
    assert!(
        matches!(e, ControlError::NotAField { line: 2, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("line 2"));
    let e = parse_paragraphs("A: 1\n\n continuation\n").unwrap_err();
    assert_eq!(e, ControlError::OrphanContinuation { line: 3 });
    let e = parse_paragraphs("A: 1\nB: 2\na: 3\n").unwrap_err();
    assert!(
        matches!(
            e,
            ControlError::DuplicateField {
                line: 3,
                first_line: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(parse_paragraphs(": value\n").is_err());
    assert!(parse_paragraphs("Bad Name: value\n").is_err());
    assert_eq!(
        Paragraph::parse_one("A: 1\n\nB: 2\n").unwrap_err(),
        ControlError::NotOneParagraph { found: 2 }
    );
}

#[test]
fn editing() {
    let mut p = Paragraph::parse_one("Package: x\nVersion: 1\nDescription: d\n long\n").unwrap();
    p.insert(1, "Status", "install ok installed").unwrap();
    p.set("version", "2").unwrap();
    p.set("Depends", "libc6 (>= 2.36)").unwrap();
    assert!(p.remove("description"));
    assert!(!p.remove("description"));
    assert_eq!(
        p.to_text(),
        "Package: x\nStatus: install ok installed\nVersion: 2\nDepends: libc6 (>= 2.36)\n"
    );
    assert!(p.insert(0, "Package", "y").is_err());
    assert!(p.set("Bad:Name", "v").is_err());
    assert!(p.set("Desc", "a\nno indent").is_err());
    p.set("Desc", "syn\n long\n .").unwrap();
    assert_eq!(Paragraph::parse_one(&p.to_text()).unwrap(), p.clone());
    let mut q = Paragraph::new();
    assert!(q.is_empty());
    q.set("A", "").unwrap();
    assert_eq!(q.to_text(), "A:\n");
}
