//! Data-driven resolution cases over in-memory package sets.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use whittle_model::{
    Condition, Dependency, Op, PackageRecord, Provide, Requirement, VersionScheme,
};
use whittle_solve::{solve, ProviderOrder, Rules, Solution, SolveError, SolveTask};

/// apk-tools' semantics, as the APK world asks for them.
const APK_RULES: Rules = Rules {
    exclusive_names: true,
    provider_order: ProviderOrder::ProvidedVersion,
    explicit_virtuals: true,
};

/// Dotted numeric versions: components split on `.`, `-`, `+`, `~`;
/// numeric components compare as numbers, others lexically; a missing
/// component is lower than a present one.
struct Dotted;

/// The scheme also prints requirements Debian-style (`name (>= v)`), which
/// the expected messages below rely on: the solver prints through it.
impl VersionScheme for Dotted {
    fn show_requirement(&self, req: &Requirement) -> String {
        match &req.constraint {
            None => req.name.clone(),
            Some((op, v)) => {
                let op = match op {
                    Op::Lt => "<<",
                    Op::Gt => ">>",
                    other => return format!("{} ({other} {v})", req.name),
                };
                format!("{} ({op} {v})", req.name)
            }
        }
    }

    fn compare(&self, a: &str, b: &str) -> Ordering {
        let split = |s: &str| -> Vec<String> {
            s.split(['.', '-', '+', '~']).map(str::to_string).collect()
        };
        let (a, b) = (split(a), split(b));
        for i in 0..a.len().max(b.len()) {
            let ord = match (a.get(i), b.get(i)) {
                (Some(x), Some(y)) => match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    _ => x.cmp(y),
                },
                (Some(_), None) => Ordering::Greater,
                (None, Some(_)) => Ordering::Less,
                (None, None) => Ordering::Equal,
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }
}

/// Build a record from a compact description:
/// `"name version | dep, alt1 | alt2 (>= 1) | provides: p (= 1), q | conflicts: x (<< 2) | repo: 1"`.
/// Sections after the first are optional and keyed (`depends:` may be omitted
/// for the second section).
fn pkg(spec: &str) -> PackageRecord {
    let mut sections = spec.split(" ; ");
    let head = sections.next().unwrap_or_default();
    let (name, version) = head.trim().split_once(' ').expect("name version");
    let mut rec = PackageRecord::new(name, version.trim());
    for section in sections {
        let (key, value) = section.split_once(':').expect("key: value");
        let items = value.split(',').map(str::trim).filter(|s| !s.is_empty());
        match key.trim() {
            "depends" => {
                for item in items {
                    rec.depends.push(dependency(item));
                }
            }
            "provides" => {
                for item in items {
                    let r = Requirement::parse_simple(item).expect("provide");
                    rec.provides.push(Provide {
                        name: r.name,
                        version: r.constraint.map(|(_, v)| v),
                    });
                }
            }
            "conflicts" | "breaks" => {
                for item in items {
                    rec.conflicts
                        .push(Requirement::parse_simple(item).expect("conflict"));
                }
            }
            "obsoletes" => {
                for item in items {
                    rec.obsoletes
                        .push(Requirement::parse_simple(item).expect("obsolete"));
                }
            }
            "repo" => rec.repo = value.trim().parse().expect("repo index"),
            "priority" => rec.provider_priority = value.trim().parse().expect("priority"),
            "install_if" => {
                for item in items {
                    rec.install_if
                        .push(Requirement::parse_simple(item).expect("install_if"));
                }
            }
            "tag" => rec.repo_tag = Some(value.trim().to_string()),
            other => panic!("unknown section {other}"),
        }
    }
    rec
}

/// One dependency: `a | b (>= 1)`, optionally followed by `with r`, then
/// by `if r` or `unless r` (RPM's rich dependencies).
fn dependency(text: &str) -> Dependency {
    let parse = |t: &str| Requirement::parse_simple(t).expect("requirement");
    let (rest, when) = if let Some((rest, cond)) = text.split_once(" if ") {
        (rest, Some(Condition::Installed(vec![parse(cond)])))
    } else if let Some((rest, cond)) = text.split_once(" unless ") {
        (rest, Some(Condition::NotInstalled(vec![parse(cond)])))
    } else {
        (text, None)
    };
    let mut parts = rest.split(" with ");
    let alternatives = parts
        .next()
        .unwrap_or_default()
        .split('|')
        .map(parse)
        .collect();
    Dependency {
        alternatives,
        with: parts.map(parse).collect(),
        when,
    }
}

/// A request in `name`, `name (op v)` or `name~prefix` form, optionally
/// followed by `@tag`; returns the tag separately.
fn tagged_request(text: &str) -> (Requirement, Option<String>) {
    match text.split_once('@') {
        Some((req, tag)) => (request(req), Some(tag.to_string())),
        None => (request(text), None),
    }
}

/// A request in `name`, `name (op v)` or `name~prefix` form.
fn request(text: &str) -> Requirement {
    if let Some((name, prefix)) = text.split_once('~') {
        return Requirement::with(name, Op::Prefix, prefix);
    }
    Requirement::parse_simple(text).expect("request")
}

struct SolveCase {
    name: &'static str,
    packages: &'static [&'static str],
    requests: &'static [&'static str],
    exclude: &'static [&'static str],
    locked: &'static [(&'static str, &'static str)],
    /// Installed `name version`s (sorted by name), or a substring of the
    /// error's display.
    expect: Result<&'static [&'static str], &'static str>,
    /// Expected `Solution.excluded` labels, when checked.
    expect_excluded: &'static [&'static str],
}

const NONE: &[&str] = &[];

const CASES: &[SolveCase] = &[
    SolveCase {
        name: "provider priority beats provider name (apt's awk is mawk)",
        packages: &[
            "base 1 ; depends: awk",
            "gawk 5 ; provides: awk ; priority: 2",
            "mawk 1.3 ; provides: awk ; priority: 5",
        ],
        requests: &["base"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["base 1", "mawk 1.3"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "simple closure",
        packages: &[
            "app 1.0 ; depends: libfoo, libbar",
            "libfoo 2.0 ; depends: libc",
            "libbar 1.0 ; depends: libc",
            "libc 2.36",
            "unrelated 1.0 ; depends: libc",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1.0", "libbar 1.0", "libc 2.36", "libfoo 2.0"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "versioned dep picks a matching older version",
        packages: &[
            "app 1.0 ; depends: libfoo (<< 2)",
            "libfoo 2.1",
            "libfoo 1.9",
            "libfoo 1.5",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1.0", "libfoo 1.9"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "alternatives: first preferred",
        packages: &[
            "base 1 ; depends: awk",
            "mawk 1.3.4 ; provides: awk",
            "gawk 5.2.1 ; provides: awk",
            "tool 1 ; depends: mawk | gawk",
        ],
        requests: &["tool"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["mawk 1.3.4", "tool 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "alternatives: order wins over name order",
        packages: &["tool 1 ; depends: zsh | bash", "bash 5.2", "zsh 5.9"],
        requests: &["tool"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["tool 1", "zsh 5.9"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "alternatives: unavailable first falls through",
        packages: &["tool 1 ; depends: nosuch | gawk", "gawk 5.2.1"],
        requests: &["tool"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["gawk 5.2.1", "tool 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "virtual provide, unversioned requirement",
        packages: &[
            "app 1 ; depends: mail-transport-agent",
            "postfix 3.7 ; provides: mail-transport-agent",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "postfix 3.7"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "unversioned provide never satisfies a versioned requirement",
        packages: &[
            "app 1 ; depends: awk (>= 1.0)",
            "mawk 1.3 ; provides: awk",
            "gawk 5.2 ; provides: awk (= 5.2)",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "gawk 5.2"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "versioned provide must match",
        packages: &[
            "app 1 ; depends: libapi (>= 3)",
            "impl 1 ; provides: libapi (= 2)",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Err("app → libapi (>= 3) not available (available: impl 1 provides libapi 2)"),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "conflict blocks a choice and forces the alternative",
        packages: &[
            "app 1 ; depends: libssl, mta",
            "libssl 3.0 ; conflicts: exim",
            "mta 1 ; depends: exim | postfix",
            "exim 4.96",
            "postfix 3.7",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "libssl 3.0", "mta 1", "postfix 3.7"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "conflict on a virtual name blocks its providers",
        packages: &[
            "app 1 ; depends: tool, mailer",
            "tool 1 ; conflicts: mail-transport-agent",
            "mailer 1 ; depends: exim | mutt",
            "exim 4 ; provides: mail-transport-agent",
            "mutt 2",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "mailer 1", "mutt 2", "tool 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "breaks with version forces an older candidate",
        packages: &[
            "app 1 ; depends: libx, liby",
            "libx 2.0 ; breaks: liby (>= 3)",
            "liby 3.1",
            "liby 2.9",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "libx 2.0", "liby 2.9"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "self conflict via provides is ignored",
        packages: &[
            "app 1 ; depends: mawk",
            "mawk 1.3 ; provides: awk ; conflicts: awk",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "mawk 1.3"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "conflict between two requests is unsatisfiable",
        packages: &["a 1 ; conflicts: b", "b 1"],
        requests: &["a", "b"],
        exclude: NONE,
        locked: &[],
        expect: Err("a conflicts with b: b 1 is needed via b"),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "exclude drops dependencies",
        packages: &[
            "app 1 ; depends: libc6 (>= 2.36), libfoo",
            "libfoo 1 ; depends: libc6",
            "libc6 2.36 ; depends: libgcc",
            "libgcc 12",
            "perl-base 5.36",
        ],
        requests: &["app"],
        exclude: &["libc6", "perl-base"],
        locked: &[],
        expect: Ok(&["app 1", "libfoo 1"]),
        expect_excluded: &["libc6 2.36"],
    },
    SolveCase {
        name: "exclude via provides: excluded mawk satisfies awk, gawk not installed",
        packages: &[
            "app 1 ; depends: awk",
            "gawk 5.2 ; provides: awk",
            "mawk 1.3 ; provides: awk",
        ],
        requests: &["app"],
        exclude: &["mawk"],
        locked: &[],
        expect: Ok(&["app 1"]),
        expect_excluded: &["mawk 1.3"],
    },
    SolveCase {
        name: "excluded names are never installed, even when required directly",
        packages: &[
            "app 1 ; depends: gawk | busybox",
            "gawk 5.2",
            "busybox 1.36",
        ],
        requests: &["app", "busybox"],
        exclude: &["gawk", "busybox"],
        locked: &[],
        expect: Ok(&["app 1"]),
        expect_excluded: &["busybox 1.36", "gawk 5.2"],
    },
    SolveCase {
        name: "excluded provider that does not satisfy a versioned requirement",
        packages: &[
            "app 1 ; depends: awk (>= 5)",
            "mawk 1.3 ; provides: awk",
            "gawk 5.2 ; provides: awk (= 5.2)",
        ],
        requests: &["app"],
        exclude: &["mawk"],
        locked: &[],
        expect: Ok(&["app 1", "gawk 5.2"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "highest version across repositories",
        packages: &[
            "libfoo 1.0 ; repo: 0",
            "libfoo 1.2 ; repo: 1",
            "libfoo 1.1 ; repo: 2",
        ],
        requests: &["libfoo"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["libfoo 1.2"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "pinned request =",
        packages: &["python3 3.11.2", "python3 3.12.1", "python3 3.10.0"],
        requests: &["python3 (= 3.11.2)"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["python3 3.11.2"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "pinned request >=",
        packages: &["python3 3.11.2", "python3 3.12.1", "python3 3.10.0"],
        requests: &["python3 (>= 3.11)"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["python3 3.12.1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "pinned request <",
        packages: &["python3 3.11.2", "python3 3.12.1", "python3 3.10.0"],
        requests: &["python3 (<< 3.11)"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["python3 3.10.0"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "pinned request prefix",
        packages: &[
            "tzdata 2024.9-1",
            "tzdata 2025.1-1",
            "tzdata 2025.2-1",
            "tzdata 20251-1",
            "tzdata 2026.1-1",
        ],
        requests: &["tzdata~2025"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["tzdata 2025.2-1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "pinned request with no matching version",
        packages: &["python3 3.11.2", "python3 3.10.0"],
        requests: &["python3 (= 3.9)"],
        exclude: NONE,
        locked: &[],
        expect: Err("python3 (= 3.9) not available (available: 3.11.2, 3.10.0)"),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "unsatisfiable chain",
        packages: &[
            "python3 3.11.2 ; depends: libpython3.11-stdlib, python3-minimal",
            "python3-minimal 3.11.2",
            "libpython3.11-stdlib 3.11.2 ; depends: libc6, libffi8 (>= 3.4)",
            "libc6 2.36",
            "libffi8 3.3-1",
        ],
        requests: &["python3"],
        exclude: NONE,
        locked: &[],
        expect: Err(
            "python3 → libpython3.11-stdlib → libffi8 (>= 3.4) not available (available: 3.3-1)",
        ),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "unsatisfiable newest falls back to an older installable version",
        packages: &["app 2 ; depends: libnew", "app 1 ; depends: libc", "libc 1"],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "libc 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "not found with hint",
        packages: &["python3 3.11", "python3-minimal 3.11"],
        requests: &["pyhton3"],
        exclude: NONE,
        locked: &[],
        expect: Err("package `pyhton3` not found (did you mean python3"),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "locked version chosen over newer",
        packages: &["app 1 ; depends: libfoo", "libfoo 1.0", "libfoo 2.0"],
        requests: &["app"],
        exclude: NONE,
        locked: &[("libfoo", "1.0")],
        expect: Ok(&["app 1", "libfoo 1.0"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "locked version unavailable",
        packages: &["app 1 ; depends: libfoo", "libfoo 2.0"],
        requests: &["app"],
        exclude: NONE,
        locked: &[("libfoo", "1.0")],
        expect: Err("app → libfoo not available (available: 2.0; libfoo is locked to 1.0)"),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "dependency cycle",
        packages: &["a 1 ; depends: b", "b 1 ; depends: a", "c 1"],
        requests: &["a"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["a 1", "b 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "request through a virtual name",
        packages: &[
            "mawk 1.3 ; provides: awk",
            "gawk 5.2 ; provides: awk (= 5.2)",
        ],
        requests: &["awk (>= 5)"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["gawk 5.2"]),
        expect_excluded: NONE,
    },
];

/// Cases for install_if and tagged repositories (rules-independent, run
/// under [`APK_RULES`]) and for apk-tools' provide rules.
const APK_CASES: &[SolveCase] = &[
    SolveCase {
        name: "install_if: installed when every atom holds",
        packages: &[
            "foo 1",
            "docs 1",
            "foo-doc 1 ; install_if: foo, docs",
            "bar-doc 1 ; install_if: bar, docs",
        ],
        requests: &["foo", "docs"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["docs 1", "foo 1", "foo-doc 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "install_if: not installed when one atom does not hold",
        packages: &["foo 1", "docs 1", "foo-doc 1 ; install_if: foo, docs"],
        requests: &["foo"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["foo 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "install_if: versioned atom must match",
        packages: &["foo 2", "docs 1", "foo-doc 1 ; install_if: foo (= 1), docs"],
        requests: &["foo", "docs"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["docs 1", "foo 2"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "install_if: negative atom blocks when the name is installed",
        packages: &["bar 1", "baz 1", "foo 1 ; install_if: bar, !baz"],
        requests: &["bar", "baz"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["bar 1", "baz 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "install_if: negative atom holds when the name is absent",
        packages: &["bar 1", "baz 1", "foo 1 ; install_if: bar, !baz, !nosuch"],
        requests: &["bar"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["bar 1", "foo 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "install_if: chains and pulls its own dependencies",
        packages: &[
            "app 1",
            "app-lang 1 ; depends: langdata ; install_if: app",
            "langdata 1",
            "app-lang-extra 1 ; install_if: app-lang",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "app-lang 1", "app-lang-extra 1", "langdata 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name:
            "install_if: an uninstallable triggered version falls back, a hopeless one is skipped",
        packages: &[
            "app 1",
            "plugin 2 ; depends: missing ; install_if: app",
            "plugin 1 ; install_if: app",
            "broken 1 ; depends: missing ; install_if: app",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "plugin 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "install_if: satisfied through an excluded name",
        packages: &["base 1", "app 1", "app-base 1 ; install_if: app, base"],
        requests: &["app"],
        exclude: &["base"],
        locked: &[],
        expect: Ok(&["app 1", "app-base 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "tags: a tagged record is not a candidate without its tag",
        packages: &["a 2", "a 3 ; tag: testing"],
        requests: &["a"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["a 2"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "tags: only in a tagged repository, the error says how to ask",
        packages: &["c 3 ; tag: local"],
        requests: &["c"],
        exclude: NONE,
        locked: &[],
        expect: Err("available only in the tagged repository @local; ask for it as c@local"),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "tags: asked with the tag, the tagged record is preferred",
        packages: &[
            "a 2 ; depends: b",
            "a 3 ; depends: b ; tag: testing",
            "b 2",
            "b 3 ; tag: testing",
        ],
        requests: &["a@testing"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["a 3", "b 2"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "tags: same version in both, the tag decides",
        packages: &["s 10", "s 10 ; tag: testing"],
        requests: &["s@testing"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["s 10"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "tags: dependencies inherit the tag when they need it",
        packages: &[
            "c 2 ; depends: a (>= 2)",
            "c 3 ; depends: a (>= 3) ; tag: testing",
            "a 2 ; depends: b",
            "a 3 ; depends: b ; tag: testing",
            "b 2",
            "b 3 ; tag: testing",
        ],
        requests: &["c@testing"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["a 3", "b 2", "c 3"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "tags: an unrelated request does not inherit the tag",
        packages: &["a 2", "a 3 ; tag: testing", "c 2", "c 3 ; tag: testing"],
        requests: &["a@testing", "c (>= 3)"],
        exclude: NONE,
        locked: &[],
        expect: Err(
            "c 3: available only in the tagged repository @testing; ask for it as c@testing",
        ),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "tags: install_if inherits the tag of its trigger",
        packages: &[
            "a 2",
            "a 3 ; tag: t",
            "iif 3 ; install_if: a ; tag: t",
            "other 1",
            "oif 1 ; install_if: other ; tag: t",
        ],
        requests: &["a@t", "other"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["a 3", "iif 3", "other 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "apk: versioned provides are exclusive",
        packages: &[
            "server-a 1 ; provides: theservice (= 1)",
            "server-b 1 ; provides: theservice (= 2)",
        ],
        requests: &["server-a", "server-b"],
        exclude: NONE,
        locked: &[],
        expect: Err("cannot satisfy"),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "apk: a package named like another's versioned provide clashes",
        packages: &["libfoo 1 ; provides: so:foo (= 1)", "so:foo 2"],
        requests: &["libfoo", "so:foo (= 2)"],
        exclude: NONE,
        locked: &[],
        expect: Err("cannot satisfy"),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "apk: unversioned provides may be shared",
        packages: &[
            "busybox-binsh 1 ; provides: /bin/sh ; priority: 100",
            "dash-binsh 1 ; provides: /bin/sh ; priority: 60",
        ],
        requests: &["busybox-binsh", "dash-binsh"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["busybox-binsh 1", "dash-binsh 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "apk: an unversioned virtual without priority is not auto-selected",
        packages: &[
            "testr 1 ; depends: foopkg",
            "testp 1 ; provides: foopkg",
            "testq 1 ; provides: foopkg",
        ],
        requests: &["testr"],
        exclude: NONE,
        locked: &[],
        expect: Err("is a virtual name provided by testp, testq"),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "apk: ...unless a provider is asked for by name",
        packages: &[
            "testr 1 ; depends: foopkg",
            "testp 1 ; provides: foopkg",
            "testq 1 ; provides: foopkg",
        ],
        requests: &["testp", "testr"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["testp 1", "testr 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "apk: the highest provided version wins over provider priority",
        packages: &[
            "app 1 ; depends: cmd:sh",
            "old-sh 1 ; provides: cmd:sh (= 1) ; priority: 100",
            "new-sh 1 ; provides: cmd:sh (= 2)",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "new-sh 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "apk: a package providing its own name is uninstallable",
        packages: &["self-provide 0.1 ; provides: self-provide"],
        requests: &["self-provide"],
        exclude: NONE,
        locked: &[],
        expect: Err("provides its own name"),
        expect_excluded: NONE,
    },
];

/// The features RPM needs, under the default rules (no world names).
const FEATURE_CASES: &[SolveCase] = &[
    SolveCase {
        name: "obsoletes keep the obsoleted name out",
        packages: &[
            "app 1 ; depends: libnew, libold",
            "libnew 2 ; obsoletes: libold (<< 2)",
            "libold 1",
            "libold 2",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "libnew 2", "libold 2"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "obsoletes match names, not provides",
        packages: &[
            "app 1 ; depends: libnew, compat",
            "libnew 2 ; obsoletes: compat",
            "shim 1 ; provides: compat",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "libnew 2", "shim 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "an obsoleted request cannot be installed",
        packages: &["libnew 2 ; obsoletes: libold", "libold 1"],
        requests: &["libnew", "libold"],
        exclude: NONE,
        locked: &[],
        expect: Err("cannot satisfy"),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "with: one package satisfies a version range",
        packages: &[
            "app 1 ; depends: lib (>= 1) with lib (<< 2)",
            "lib 2.1",
            "lib 1.5",
            "lib 0.9",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "lib 1.5"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "with: the provider must give both names",
        packages: &[
            "app 1 ; depends: tls with crypto",
            "gnutls 3 ; provides: tls",
            "openssl 3 ; provides: tls, crypto",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "openssl 3"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "if: the dependency applies when the condition is installed",
        packages: &[
            "app 1 ; depends: app-bash if bash",
            "app-bash 1",
            "bash 5",
            "tool 1 ; depends: bash",
        ],
        requests: &["app", "tool"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "app-bash 1", "bash 5", "tool 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "if: and not otherwise",
        packages: &["app 1 ; depends: app-bash if bash", "app-bash 1", "bash 5"],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "unless: the alternative is preferred when nothing lifts it",
        packages: &[
            "app 1 ; depends: fallback unless native",
            "fallback 1",
            "native 1",
        ],
        requests: &["app"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "fallback 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "unless: a lifting package installed anyway makes it unnecessary",
        packages: &[
            "app 1 ; depends: fallback unless native",
            "fallback 1 ; conflicts: native",
            "native 1",
        ],
        requests: &["app", "native"],
        exclude: NONE,
        locked: &[],
        expect: Ok(&["app 1", "native 1"]),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "a virtual request provided only by excluded packages is an error",
        packages: &["mawk 1.3 ; provides: awk", "tool 1 ; depends: awk"],
        requests: &["awk"],
        exclude: &["mawk"],
        locked: &[],
        expect: Err("awk is provided only by excluded mawk"),
        expect_excluded: NONE,
    },
    SolveCase {
        name: "but a dependency on it is satisfied by the exclusion",
        packages: &["mawk 1.3 ; provides: awk", "tool 1 ; depends: awk"],
        requests: &["tool"],
        exclude: &["mawk"],
        locked: &[],
        expect: Ok(&["tool 1"]),
        expect_excluded: &["mawk 1.3"],
    },
];

#[test]
fn feature_cases() {
    check_cases(FEATURE_CASES, Rules::default());
}

#[test]
fn the_default_syntax_is_neutral() {
    struct Plain;
    impl VersionScheme for Plain {
        fn compare(&self, a: &str, b: &str) -> Ordering {
            a.cmp(b)
        }
    }
    let packages = vec![pkg("app 1 ; depends: lib (>= 2)"), pkg("lib 1")];
    let mut task = SolveTask::new(&packages, &Plain);
    task.requests.push(Requirement::any("app"));
    let err = solve(&task).expect_err("unsatisfiable").to_string();
    assert!(err.contains("app → lib >= 2 not available"), "{err}");
}

fn build(case: &SolveCase) -> Vec<PackageRecord> {
    case.packages.iter().map(|s| pkg(s)).collect()
}

fn run(case: &SolveCase, packages: &[PackageRecord]) -> Result<Solution, SolveError> {
    run_with(case, packages, Rules::default())
}

fn run_with(
    case: &SolveCase,
    packages: &[PackageRecord],
    rules: Rules,
) -> Result<Solution, SolveError> {
    let mut task = SolveTask::new(packages, &Dotted);
    task.rules = rules;
    for text in case.requests {
        let (req, tag) = tagged_request(text);
        if let Some(tag) = tag {
            task.request_tags.insert(req.name.clone(), tag);
        }
        task.requests.push(req);
    }
    task.exclude = case.exclude.iter().map(|s| s.to_string()).collect();
    task.locked = case
        .locked
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect::<BTreeMap<_, _>>();
    solve(&task)
}

fn labels(packages: &[PackageRecord], indices: &[usize]) -> Vec<String> {
    indices.iter().map(|&i| packages[i].label()).collect()
}

#[test]
fn solve_cases() {
    check_cases(CASES, Rules::default());
}

#[test]
fn apk_rule_cases() {
    check_cases(APK_CASES, APK_RULES);
}

fn check_cases(cases: &[SolveCase], rules: Rules) {
    let mut failures = Vec::new();
    for case in cases {
        let packages = build(case);
        let got = run_with(case, &packages, rules);
        match (&case.expect, &got) {
            (Ok(want), Ok(solution)) => {
                let have = labels(&packages, &solution.installed);
                if have != *want {
                    failures.push(format!("{}: installed {have:?}, want {want:?}", case.name));
                }
                let excluded = labels(&packages, &solution.excluded);
                if excluded != case.expect_excluded {
                    failures.push(format!(
                        "{}: excluded {excluded:?}, want {:?}",
                        case.name, case.expect_excluded
                    ));
                }
            }
            (Err(want), Err(err)) => {
                let text = err.to_string();
                if !text.contains(want) {
                    failures.push(format!("{}: error {text:?} lacks {want:?}", case.name));
                }
            }
            (want, got) => failures.push(format!("{}: got {got:?}, want {want:?}", case.name)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unsatisfiable_chain_is_exact_and_details_kept() {
    let case = CASES
        .iter()
        .find(|c| c.name == "unsatisfiable chain")
        .expect("case");
    let packages = build(case);
    match run(case, &packages) {
        Err(SolveError::Unsatisfiable { chain, details }) => {
            assert_eq!(
                chain,
                "python3 → libpython3.11-stdlib → libffi8 (>= 3.4) not available (available: 3.3-1)"
            );
            assert!(details.contains("libffi8"), "{details}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn not_found_suggests_close_names() {
    let packages = vec![
        pkg("python3 3.11"),
        pkg("python3-minimal 3.11"),
        pkg("perl 5.36"),
    ];
    let mut task = SolveTask::new(&packages, &Dotted);
    task.requests.push(Requirement::any("pyhton3"));
    match solve(&task) {
        Err(SolveError::NotFound { name, suggestions }) => {
            assert_eq!(name, "pyhton3");
            assert_eq!(suggestions, vec!["python3".to_string()]);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn deterministic() {
    for case in CASES {
        let packages = build(case);
        let first = run(case, &packages);
        for _ in 0..3 {
            assert_eq!(run(case, &packages), first, "{}", case.name);
        }
    }
    let packages = synthetic(5_000, 7, false);
    let mut task = SolveTask::new(&packages, &Dotted);
    task.requests = synthetic_requests(&packages, 40);
    let first = solve(&task);
    assert_eq!(solve(&task), first);
}

/// A deterministic pseudo-random generator (64-bit LCG).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `count` records: names `p{i}` with 1–3 versions each, some alternatives,
/// some versioned dependencies, some virtual provides and conflicts.
///
/// `dense`: dependencies mostly on the next 200 names, so a closure spans
/// most of the universe (a stress case). Otherwise layered like a real
/// distribution: dependencies point at lower-numbered names, heavily biased
/// towards the first ones (the "libc"s), with a few random edges (cycles).
fn synthetic(count: usize, seed: u64, dense: bool) -> Vec<PackageRecord> {
    let mut rng = Lcg(seed);
    let names = count / 2;
    let mut out = Vec::with_capacity(count);
    let mut n = 0;
    while out.len() < count {
        let versions = 1 + rng.below(3);
        for v in 0..versions {
            if out.len() >= count {
                break;
            }
            let mut rec =
                PackageRecord::new(format!("p{n}"), format!("{}.{}", 1 + v, rng.below(10)));
            rec.repo = rng.below(2);
            let deps = if n == 0 { 0 } else { rng.below(5) };
            for _ in 0..deps {
                let target = if rng.below(20) == 0 {
                    rng.below(names)
                } else if dense {
                    (n + 1 + rng.below(200)).min(names - 1)
                } else {
                    let r = rng.below(1_000_000) as f64 / 1_000_000.0;
                    (n as f64 * r * r * r) as usize
                };
                // Every name has a 1.x version, so versioned dependencies
                // are satisfiable; conflicts (below) force older choices.
                let mut alternatives = vec![match rng.below(6) {
                    0 => Requirement::with(format!("p{target}"), Op::Ge, "1.0"),
                    1 => Requirement::with(format!("p{target}"), Op::Lt, "3"),
                    _ => Requirement::any(format!("p{target}")),
                }];
                if rng.below(6) == 0 {
                    alternatives.push(Requirement::any(format!("v{}", rng.below(names / 10))));
                }
                rec.depends.push(Dependency::any_of(alternatives));
            }
            if rng.below(8) == 0 {
                rec.provides.push(Provide {
                    name: format!("v{}", rng.below(names / 10)),
                    version: None,
                });
            }
            if rng.below(30) == 0 {
                rec.conflicts.push(Requirement::with(
                    format!("p{}", rng.below(names)),
                    Op::Lt,
                    "1.5",
                ));
            }
            out.push(rec);
        }
        n += 1;
    }
    out
}

fn synthetic_requests(packages: &[PackageRecord], count: usize) -> Vec<Requirement> {
    let mut rng = Lcg(99);
    (0..count)
        .map(|_| Requirement::any(packages[rng.below(packages.len())].name.clone()))
        .collect()
}

/// Check that every dependency of every installed record is satisfied by an
/// installed record or an excluded name, and that no conflict holds.
fn check_solution(packages: &[PackageRecord], solution: &Solution, exclude: &[&str]) {
    let mut by_name: HashMap<&str, Vec<&PackageRecord>> = HashMap::new();
    for &i in solution.installed.iter().chain(&solution.excluded) {
        let rec = &packages[i];
        by_name.entry(rec.name.as_str()).or_default().push(rec);
        for p in &rec.provides {
            if p.name != rec.name {
                by_name.entry(p.name.as_str()).or_default().push(rec);
            }
        }
    }
    let mut names: Vec<&str> = solution
        .installed
        .iter()
        .map(|&i| packages[i].name.as_str())
        .collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "sorted by name");
    names.dedup();
    assert_eq!(names.len(), solution.installed.len(), "one record per name");
    for &i in &solution.installed {
        let rec = &packages[i];
        for dep in &rec.depends {
            let ok = dep.alternatives.iter().any(|alt| {
                exclude.contains(&alt.name.as_str())
                    || by_name
                        .get(alt.name.as_str())
                        .is_some_and(|c| c.iter().any(|other| satisfies(other, alt)))
            });
            assert!(ok, "{} lacks {dep}", rec.label());
        }
        for conflict in &rec.conflicts {
            let hit = by_name.get(conflict.name.as_str()).is_some_and(|c| {
                c.iter().any(|other| {
                    other.name != rec.name
                        && !exclude.contains(&other.name.as_str())
                        && satisfies(other, conflict)
                })
            });
            assert!(!hit, "{} conflicts with {conflict}", rec.label());
        }
    }
}

#[allow(clippy::print_stderr)] // the timing is the point of this helper
fn time_universe(dense: bool) {
    let packages = synthetic(60_000, 42, dense);
    let mut task = SolveTask::new(&packages, &Dotted);
    task.requests = synthetic_requests(&packages, 50);
    let start = Instant::now();
    let result = solve(&task);
    let elapsed = start.elapsed();
    let kind = if dense { "dense" } else { "layered" };
    match &result {
        Ok(solution) => {
            eprintln!(
                "60000 packages ({kind}): {} installed in {elapsed:?}",
                solution.installed.len()
            );
            check_solution(&packages, solution, &[]);
        }
        Err(e) => panic!("60000 packages ({kind}): unsatisfiable in {elapsed:?}: {e}"),
    }
}

#[test]
fn large_synthetic_universe() {
    time_universe(false);
}

/// A stress case: the closure spans ~22 000 records. Takes seconds in
/// release and far longer in debug builds (resolvo checks its decision
/// queue invariants on every decision there), so it only runs on demand:
/// `cargo test --release -p whittle-solve -- --ignored`.
#[test]
#[ignore = "stress case; run in release with --ignored"]
fn large_dense_synthetic_universe() {
    time_universe(true);
}

#[test]
fn case_solutions_are_consistent() {
    for case in CASES {
        let packages = build(case);
        if let Ok(solution) = run(case, &packages) {
            check_solution(&packages, &solution, case.exclude);
        }
    }
    for case in APK_CASES {
        let packages = build(case);
        let first = run_with(case, &packages, APK_RULES);
        assert_eq!(run_with(case, &packages, APK_RULES), first, "{}", case.name);
        if let Ok(solution) = first {
            check_solution(&packages, &solution, case.exclude);
        }
    }
}

fn satisfies(rec: &PackageRecord, req: &Requirement) -> bool {
    let ok = |v: &str| match &req.constraint {
        None => true,
        Some((op, want)) => Dotted.matches(v, *op, want),
    };
    (rec.name == req.name && ok(&rec.version))
        || rec.provides.iter().any(|p| {
            p.name == req.name
                && match (&req.constraint, &p.version) {
                    (None, _) => true,
                    (Some(_), Some(v)) => ok(v),
                    (Some(_), None) => false,
                }
        })
}

#[test]
fn equal_versions_prefer_the_lower_repository() {
    let mut packages = vec![pkg("libfoo 1.0 ; repo: 2"), pkg("libfoo 1.0 ; repo: 1")];
    packages.push(pkg("libfoo 0.9 ; repo: 0"));
    let mut task = SolveTask::new(&packages, &Dotted);
    task.requests.push(Requirement::any("libfoo"));
    let solution = solve(&task).unwrap();
    assert_eq!(solution.installed, vec![1]);
}

#[test]
fn empty_request_list_installs_nothing() {
    let packages = vec![pkg("libfoo 1.0")];
    let task = SolveTask::new(&packages, &Dotted);
    assert_eq!(solve(&task).unwrap(), Solution::default());
}
