//! sha256 helpers.

use std::io::Read;

use sha2::{Digest, Sha256};

/// Whether `s` looks like a sha256 digest in hex (64 hex digits, either case).
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The sha256 of `data` as lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Hash everything `reader` yields; returns (lowercase hex digest, byte count).
pub(crate) fn hash_reader(mut reader: impl Read) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), total))
}

/// Reads a cache blob and checks, at its end, that it still hashes to its
/// name (see [`crate::Cache::open_blob`]).
#[derive(Debug)]
pub struct BlobReader {
    file: fs_err::File,
    path: std::path::PathBuf,
    expected: String,
    hasher: Sha256,
    checked: bool,
}

impl BlobReader {
    pub(crate) fn new(file: fs_err::File, path: std::path::PathBuf, expected: String) -> Self {
        BlobReader {
            file,
            path,
            expected,
            hasher: Sha256::new(),
            checked: false,
        }
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        if n > 0 {
            self.hasher.update(&buf[..n]);
            return Ok(n);
        }
        if !buf.is_empty() && !self.checked {
            self.checked = true;
            let actual = hex::encode(std::mem::take(&mut self.hasher).finalize());
            if actual != self.expected {
                // Deleting a corrupt entry is best effort; the error below
                // is what the caller acts on.
                let _ = fs_err::remove_file(&self.path);
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "cache entry {} no longer hashes to its name (it was changed on disk); removed",
                        self.path.display()
                    ),
                ));
            }
        }
        Ok(0)
    }
}
