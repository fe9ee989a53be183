//! Lexical path handling: splitting archive paths into clean components.

/// Split a path from an archive or a recipe into components, dropping empty
/// and `.` components. `..` is kept: only resolution against the tree can
/// say what it means once symlinks are involved.
pub(crate) fn components(path: &str) -> impl DoubleEndedIterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty() && *c != ".")
}

/// Clean a path lexically into the tree's key form (`usr/bin/x`, no leading
/// slash), resolving `..` against the components before it and never
/// climbing above the root. Use [`crate::RootFs::resolve`] when symlinks
/// must be honoured.
pub fn clean_relative(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in components(path) {
        if c == ".." {
            out.pop();
        } else {
            out.push(c);
        }
    }
    out.join("/")
}

/// The absolute form of a tree key, for messages and file lists (`/usr/bin/x`).
pub fn join_display(key: &str) -> String {
    format!("/{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_and_confines() {
        assert_eq!(clean_relative("./usr//bin/./x"), "usr/bin/x");
        assert_eq!(clean_relative("/../../etc/passwd"), "etc/passwd");
        assert_eq!(clean_relative("a/b/../c"), "a/c");
        assert_eq!(clean_relative("."), "");
    }
}
