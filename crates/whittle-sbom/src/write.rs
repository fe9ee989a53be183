//! Atomic file writes.

use std::io::{self, Write as _};
use std::path::Path;

/// Write `text` to `path` atomically: the bytes go to a temporary file in the
/// same directory, which is flushed to disk and then renamed over `path`, so
/// readers see either the old file or the complete new one. The file gets mode
/// 0644 on Unix. Errors name the path.
pub fn write_atomic(path: &Path, text: &str) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let with_path = |e: io::Error, what: &str| {
        io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".whittle-sbom-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| with_path(e, "creating a temporary file for"))?;
    tmp.write_all(text.as_bytes())
        .and_then(|()| tmp.flush())
        .map_err(|e| with_path(e, "writing"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| with_path(e, "setting permissions of"))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| with_path(e, "syncing"))?;
    tmp.persist(path)
        .map_err(|e| with_path(e.error, "renaming a temporary file to"))?;
    // Make the rename itself durable. Best effort: some file systems do not
    // support syncing a directory.
    #[cfg(unix)]
    if let Ok(d) = fs_err::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sbom.spdx.json");
        write_atomic(&path, "one\n").unwrap();
        assert_eq!(fs_err::read_to_string(&path).unwrap(), "one\n");
        write_atomic(&path, "two\n").unwrap();
        assert_eq!(fs_err::read_to_string(&path).unwrap(), "two\n");
        // No temporary files left behind.
        let names: Vec<_> = fs_err::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("sbom.spdx.json")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs_err::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }
    }

    #[test]
    fn error_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("sbom.json");
        let err = write_atomic(&path, "x").unwrap_err();
        assert!(err.to_string().contains("sbom.json"), "{err}");
    }
}
