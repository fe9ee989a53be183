//! Lexical path handling for the sandbox: Go's `filepath.Clean` on
//! absolute paths (which is also how a path is clamped to the root: `..`
//! at `/` stays at `/`), and the directory and base name of a clean path.

/// `path` made clean the way Go's `filepath.Clean` does for an absolute
/// path: repeated slashes folded, `.` dropped, `..` applied lexically and
/// stopped at the root, no trailing slash except on `/` itself.
pub(crate) fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            name => parts.push(name),
        }
    }
    let mut out = String::with_capacity(path.len());
    for part in &parts {
        out.push('/');
        out.push_str(part);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The clean form Chisel checks permissions on: [`clean`], keeping one
/// trailing slash when the original had one (a directory), except for `/`.
pub(crate) fn clean_keep_slash(path: &str) -> String {
    let mut cpath = clean(path);
    if cpath != "/" && path.ends_with('/') {
        cpath.push('/');
    }
    cpath
}

/// The parent of a clean absolute path (`/a/b` → `/a`, `/a` → `/`).
pub(crate) fn parent(clean: &str) -> &str {
    match clean.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &clean[..i],
    }
}

/// `name` inside the clean absolute directory `dir`.
pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_matches_go() {
        for (input, want) in [
            ("/", "/"),
            ("//", "/"),
            ("/a/b/", "/a/b"),
            ("/a//b/./c", "/a/b/c"),
            ("/a/../b", "/b"),
            ("/../../x", "/x"),
            ("/foo/../../file1.txt", "/file1.txt"),
            ("/a/b/..", "/a"),
        ] {
            assert_eq!(clean(input), want, "{input}");
        }
    }

    #[test]
    fn keeps_directory_slash() {
        assert_eq!(clean_keep_slash("/foo/../bar/"), "/bar/");
        assert_eq!(clean_keep_slash("/foo/../bar"), "/bar");
        assert_eq!(clean_keep_slash("/"), "/");
        assert_eq!(clean_keep_slash("//"), "/");
    }

    #[test]
    fn parent_and_join() {
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "/");
        assert_eq!(parent("/"), "/");
        assert_eq!(join("/", "a"), "/a");
        assert_eq!(join("/a", "b"), "/a/b");
    }
}
