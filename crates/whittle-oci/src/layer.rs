//! Layers: the uncompressed tar written to a temporary file while its diff
//! ID is computed, gzip-compressed from there in a streaming pass into
//! another temporary file, or a compressed layer from elsewhere (a cache)
//! adopted only once it decompresses to the tar just built.

use std::io::{self, Read, Write};
use std::path::Path;

use flate2::{Compress, Compression, FlushCompress, Status};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::blob::{Blob, BlobReader};
use crate::error::OciError;
use crate::temp::TempFile;

/// The size of the blocks a layer is cut into for parallel compression
/// (1 MiB). Part of the output format: changing it changes layer digests.
pub const BLOCK_SIZE: usize = 1 << 20;

/// The deflate level (zlib's default). Part of the output format.
const LEVEL: u32 = 6;

/// gzip header: magic, CM=deflate, no flags, mtime 0, XFL 0, OS 255.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// At most this many blocks are in memory at once while compressing (in
/// and out), whatever the number of threads.
const MAX_BATCH: usize = 32;

/// Mode of temporary layer files: private to the user.
const SCRATCH_MODE: u32 = 0o600;

/// One compressed layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// The gzip-compressed layer tar.
    pub blob: Blob,
    /// `sha256:<hex>` of `blob`.
    pub digest: String,
    /// `sha256:<hex>` of the uncompressed tar.
    pub diff_id: String,
    /// The length of `blob` in bytes.
    pub size: u64,
}

/// `sha256:<hex>` of some bytes.
pub(crate) fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The diff ID of an uncompressed layer tar: `sha256:<hex>` of its bytes.
pub fn diff_id(tar: &[u8]) -> String {
    sha256_digest(tar)
}

/// gzip-compress an uncompressed layer tar held in memory on all cores
/// (the current rayon pool) and compute its digests; the layer stays in
/// memory. Builds use [`LayerTar`] instead. The output does not depend on
/// the number of threads; see the crate docs for the format.
pub fn compress_layer(tar: &[u8]) -> Layer {
    let (blob, diff_id) = rayon::join(|| gzip(tar), || diff_id(tar));
    let digest = sha256_digest(&blob);
    Layer {
        size: blob.len() as u64,
        blob: Blob::from_bytes(blob),
        digest,
        diff_id,
    }
}

/// gzip-compress bytes in parallel, deterministically: fixed [`BLOCK_SIZE`]
/// blocks deflated independently (sync flush between them), one gzip
/// member, CRC-32s combined. Any gzip reader decompresses it.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    // Reading a slice and writing a Vec cannot fail.
    let _ = gzip_stream(&mut &data[..], data.len() as u64, &mut out);
    out
}

/// [`gzip`] as a streaming pass: `len` bytes read from `input` (which must
/// have that many) become the same gzip bytes, written to `out`. Blocks are
/// compressed in parallel a batch at a time, so memory stays at a few dozen
/// blocks whatever the size.
pub fn gzip_stream(input: &mut dyn Read, len: u64, out: &mut dyn Write) -> io::Result<()> {
    let block = BLOCK_SIZE as u64;
    let blocks = len.div_ceil(block).max(1);
    let batch = (rayon::current_num_threads() * 2).clamp(2, MAX_BATCH) as u64;
    out.write_all(&GZIP_HEADER)?;
    let mut crc = crc32fast::Hasher::new();
    let mut next = 0u64;
    while next < blocks {
        let count = (blocks - next).min(batch);
        let mut inputs = Vec::with_capacity(count as usize);
        for index in next..next + count {
            let size = if index + 1 == blocks {
                len - index * block
            } else {
                block
            };
            let mut buf = vec![0u8; size as usize];
            input.read_exact(&mut buf)?;
            inputs.push(buf);
        }
        let parts: Vec<(Vec<u8>, crc32fast::Hasher)> = inputs
            .par_iter()
            .enumerate()
            .map(|(i, data)| {
                let mut crc = crc32fast::Hasher::new();
                crc.update(data);
                (deflate_block(data, next + i as u64 + 1 == blocks), crc)
            })
            .collect();
        drop(inputs);
        for (part, block_crc) in &parts {
            out.write_all(part)?;
            crc.combine(block_crc);
        }
        next += count;
    }
    out.write_all(&crc.finalize().to_le_bytes())?;
    // ISIZE is the input length modulo 2^32 (RFC 1952).
    out.write_all(&((len & 0xffff_ffff) as u32).to_le_bytes())?;
    Ok(())
}

/// A temporary file filled through a buffer while its SHA-256 is computed.
struct HashingFile {
    temp: TempFile,
    buf: Vec<u8>,
    hasher: Sha256,
    len: u64,
}

impl HashingFile {
    fn create(dir: &Path, stem: &str) -> io::Result<HashingFile> {
        Ok(HashingFile {
            temp: TempFile::create(dir, stem, SCRATCH_MODE)?,
            buf: Vec::with_capacity(1 << 20),
            hasher: Sha256::new(),
            len: 0,
        })
    }

    fn drain(&mut self) -> io::Result<()> {
        let mut file = self.temp.file();
        file.write_all(&self.buf).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("writing {}: {e}", self.temp.path().display()),
            )
        })?;
        self.buf.clear();
        Ok(())
    }

    /// The file, the `sha256:` digest and length of what was written.
    fn finish(mut self) -> io::Result<(TempFile, String, u64)> {
        self.drain()?;
        let digest = format!("sha256:{}", hex::encode(self.hasher.finalize()));
        Ok((self.temp, digest, self.len))
    }
}

impl Write for HashingFile {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > self.buf.capacity() {
            self.drain()?;
        }
        if data.len() >= self.buf.capacity() {
            let mut file = self.temp.file();
            file.write_all(data).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("writing {}: {e}", self.temp.path().display()),
                )
            })?;
        } else {
            self.buf.extend_from_slice(data);
        }
        self.hasher.update(data);
        self.len += data.len() as u64;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain()
    }
}

/// An uncompressed layer tar being written to a temporary file in a scratch
/// directory (removed when dropped), hashed as it goes: give it to a tar
/// writer as its `Write`, then [`LayerTar::finish`].
pub struct LayerTar(HashingFile);

impl LayerTar {
    /// Start a layer tar in `scratch` (a directory on a disk with room for
    /// the whole tar: the cache's temporary directory).
    pub fn create(scratch: &Path) -> io::Result<LayerTar> {
        HashingFile::create(scratch, "layer.tar").map(LayerTar)
    }

    /// The tar is complete: flush it and compute its diff ID.
    pub fn finish(self) -> io::Result<WrittenTar> {
        let (file, diff_id, len) = self.0.finish()?;
        Ok(WrittenTar { file, diff_id, len })
    }
}

impl Write for LayerTar {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.write(data)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// A complete uncompressed layer tar in a temporary file (removed when
/// dropped).
#[derive(Debug)]
pub struct WrittenTar {
    file: TempFile,
    diff_id: String,
    len: u64,
}

impl WrittenTar {
    /// `sha256:<hex>` of the tar.
    pub fn diff_id(&self) -> &str {
        &self.diff_id
    }

    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it is empty (never, for a tar).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A reader over the tar.
    pub fn reader(&self) -> BlobReader<'_> {
        BlobReader::File {
            file: self.file.file(),
            pos: 0,
            end: self.len,
        }
    }

    /// gzip-compress it into a new temporary file in `scratch`, streaming,
    /// with the same bytes [`compress_layer`] gives for the same tar.
    pub fn compress(&self, scratch: &Path) -> Result<Layer, OciError> {
        let mut out =
            HashingFile::create(scratch, "layer.tar.gz").map_err(|e| OciError::at(scratch, e))?;
        let path = out.temp.path().to_path_buf();
        gzip_stream(&mut self.reader(), self.len, &mut out).map_err(|e| OciError::at(&path, e))?;
        let (file, digest, size) = out.finish().map_err(|e| OciError::at(&path, e))?;
        Ok(Layer {
            blob: Blob::from_file(file, size),
            digest,
            diff_id: self.diff_id.clone(),
            size,
        })
    }
}

/// A reader that copies what it reads into a [`HashingFile`], keeping
/// apart a failure to read the source from one to write the copy.
struct Tee<'a> {
    source: &'a mut dyn Read,
    copy: HashingFile,
    read_error: Option<io::Error>,
    write_error: Option<io::Error>,
}

impl Read for Tee<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.source.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                let report = io::Error::new(e.kind(), e.to_string());
                self.read_error = Some(e);
                return Err(report);
            }
        };
        if let Err(e) = self.copy.write_all(&buf[..n]) {
            let report = io::Error::new(e.kind(), e.to_string());
            self.write_error = Some(e);
            return Err(report);
        }
        Ok(n)
    }
}

/// Adopt a compressed layer from `source` (a cache entry claiming to be
/// `digest` for the tar whose diff ID is `diff_id`): copy it into a
/// temporary file in `scratch` and, in the same pass, check that the copy
/// is `digest` and decompresses to `diff_id`. `Ok(Err(why))` when it is not
/// (or cannot be read): the caller compresses the tar instead. `Err` only
/// when the copy cannot be written.
pub fn reuse_layer(
    source: &Path,
    digest: &str,
    diff_id: &str,
    scratch: &Path,
) -> Result<Result<Layer, String>, OciError> {
    let mut file = match fs_err::File::open(source) {
        Ok(f) => f,
        Err(e) => return Ok(Err(format!("it cannot be read: {e}"))),
    };
    let copy =
        HashingFile::create(scratch, "layer.tar.gz").map_err(|e| OciError::at(scratch, e))?;
    let mut tee = Tee {
        source: &mut file,
        copy,
        read_error: None,
        write_error: None,
    };
    let mut tar = Sha256::new();
    let decoded = {
        let mut gz = flate2::bufread::GzDecoder::new(io::BufReader::new(&mut tee));
        let decoded = io::copy(&mut gz, &mut HashSink(&mut tar));
        // Anything after the gzip member (read ahead into the buffer, or
        // still unread) is part of the blob but not of the layer: refused.
        decoded.and_then(|_| io::copy(&mut gz.into_inner(), &mut io::sink()))
    };
    if let Some(e) = tee.write_error.take() {
        return Err(OciError::at(tee.copy.temp.path(), e));
    }
    if let Some(e) = tee.read_error.take() {
        return Ok(Err(format!("it cannot be read: {e}")));
    }
    match decoded {
        Err(e) => return Ok(Err(format!("it is not a valid gzip stream ({e})"))),
        Ok(0) => {}
        Ok(n) => return Ok(Err(format!("{n} bytes follow its gzip stream"))),
    }
    let path = tee.copy.temp.path().to_path_buf();
    let (file, actual, size) = tee.copy.finish().map_err(|e| OciError::at(&path, e))?;
    if actual != digest {
        return Ok(Err(format!("its content is {actual}, not {digest}")));
    }
    let tar = format!("sha256:{}", hex::encode(tar.finalize()));
    if tar != diff_id {
        return Ok(Err(format!(
            "it decompresses to the tar {tar}, not to the layer just built ({diff_id})"
        )));
    }
    Ok(Ok(Layer {
        blob: Blob::from_file(file, size),
        digest: actual,
        diff_id: diff_id.to_string(),
        size,
    }))
}

/// A `Write` that only hashes.
struct HashSink<'a>(&'a mut Sha256);

impl Write for HashSink<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.update(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Raw-deflate one block. A non-final block ends with a sync flush (an
/// empty stored block, byte-aligned) so blocks can be concatenated; the
/// final one ends the deflate stream.
fn deflate_block(input: &[u8], last: bool) -> Vec<u8> {
    deflate_block_zlib(input, last).unwrap_or_else(|| stored_block(input, last))
}

fn deflate_block_zlib(input: &[u8], last: bool) -> Option<Vec<u8>> {
    let mut compress = Compress::new(Compression::new(LEVEL), false);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut out = Vec::with_capacity(input.len() + input.len() / 8 + 1024);
    loop {
        if out.len() == out.capacity() {
            out.reserve(64 * 1024);
        }
        let consumed = usize::try_from(compress.total_in()).ok()?;
        let (in_before, out_before) = (compress.total_in(), compress.total_out());
        let status = compress
            .compress_vec(input.get(consumed..)?, &mut out, flush)
            .ok()?;
        let done_input = usize::try_from(compress.total_in()).ok()? == input.len();
        match (last, status) {
            (true, Status::StreamEnd) => return Some(out),
            // A sync flush is complete once all input is in and the call
            // returned with output space to spare.
            (false, _) if done_input && out.len() < out.capacity() => return Some(out),
            _ => {}
        }
        let progressed = compress.total_in() != in_before || compress.total_out() != out_before;
        if !progressed && out.len() < out.capacity() {
            // The compressor is stuck; never loop forever.
            return None;
        }
    }
}

/// The same block as stored (uncompressed) deflate blocks: the fallback if
/// the compressor ever reports an error. Valid deflate all the same.
fn stored_block(input: &[u8], last: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + input.len() / 65535 * 5 + 10);
    let mut pieces: Vec<&[u8]> = input.chunks(65535).collect();
    if pieces.is_empty() {
        pieces.push(input);
    }
    let n = pieces.len();
    for (i, piece) in pieces.into_iter().enumerate() {
        let len = piece.len() as u16;
        out.push(u8::from(last && i + 1 == n)); // BFINAL, BTYPE=00
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(piece);
    }
    if !last {
        // Keep the sync-flush shape: an empty stored block.
        out.extend_from_slice(&[0, 0, 0, 0xff, 0xff]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn stored_fallback_is_valid_gzip() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut gz = GZIP_HEADER.to_vec();
        gz.extend(stored_block(&data[..70_000], false));
        gz.extend(deflate_block(&data[70_000..100_000], false));
        gz.extend(stored_block(&data[100_000..], true));
        gz.extend(crc32fast::hash(&data).to_le_bytes());
        gz.extend((data.len() as u32).to_le_bytes());
        assert_eq!(gunzip(&gz), data);

        let mut empty = GZIP_HEADER.to_vec();
        empty.extend(stored_block(&[], true));
        empty.extend(0u32.to_le_bytes());
        empty.extend(0u32.to_le_bytes());
        assert!(gunzip(&empty).is_empty());
    }

    #[test]
    fn header_is_fixed() {
        let gz = gzip(b"hello");
        assert_eq!(&gz[..10], &GZIP_HEADER);
        assert_eq!(gunzip(&gz), b"hello");
    }

    fn data(len: usize) -> Vec<u8> {
        (0..len as u64)
            .map(|i| ((i * 2_654_435_761) >> 13) as u8 & if i % 3 == 0 { 0xff } else { 0x0f })
            .collect()
    }

    fn streamed(tar: &[u8], scratch: &Path) -> (WrittenTar, Layer) {
        let mut w = LayerTar::create(scratch).unwrap();
        // Uneven writes, as a tar writer makes them.
        for chunk in tar.chunks(777) {
            w.write_all(chunk).unwrap();
        }
        let written = w.finish().unwrap();
        let layer = written.compress(scratch).unwrap();
        (written, layer)
    }

    #[test]
    fn streamed_layers_are_byte_identical_to_in_memory_ones() {
        let scratch = tempfile::tempdir().unwrap();
        for len in [
            0,
            1,
            BLOCK_SIZE - 1,
            BLOCK_SIZE,
            3 * BLOCK_SIZE + 5,
            70 * BLOCK_SIZE + 3,
        ] {
            let tar = data(len);
            let memory = compress_layer(&tar);
            let (written, layer) = streamed(&tar, scratch.path());
            assert_eq!(written.diff_id(), memory.diff_id, "{len}");
            assert_eq!(written.len(), len as u64);
            assert_eq!(layer.digest, memory.digest, "{len}");
            assert_eq!(layer.size, memory.size, "{len}");
            assert_eq!(layer.blob.to_vec().unwrap(), memory.blob.to_vec().unwrap());
            assert!(layer.blob.path().is_some_and(Path::exists));
            drop(written);
            let path = layer.blob.path().unwrap().to_path_buf();
            drop(layer);
            assert!(!path.exists(), "a layer's temporary file outlived it");
        }
        assert_eq!(fs_err::read_dir(scratch.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_reused_layer_must_decompress_to_the_tar() {
        let scratch = tempfile::tempdir().unwrap();
        let tar = data(2 * BLOCK_SIZE + 9);
        let good = compress_layer(&tar);
        let cached = scratch.path().join("cached");
        fs_err::write(&cached, good.blob.to_vec().unwrap()).unwrap();
        let reused = reuse_layer(&cached, &good.digest, &good.diff_id, scratch.path())
            .unwrap()
            .unwrap();
        assert_eq!(reused.digest, good.digest);
        assert_eq!(reused.blob.to_vec().unwrap(), good.blob.to_vec().unwrap());

        // Another tar's layer, stored with its own (consistent) digest.
        let other = compress_layer(&data(1000));
        fs_err::write(&cached, other.blob.to_vec().unwrap()).unwrap();
        let why = reuse_layer(&cached, &other.digest, &good.diff_id, scratch.path())
            .unwrap()
            .unwrap_err();
        assert!(why.contains("decompresses to"), "{why}");
        // A digest that does not match the content.
        let why = reuse_layer(&cached, &good.digest, &good.diff_id, scratch.path())
            .unwrap()
            .unwrap_err();
        assert!(why.contains("content is"), "{why}");
        // Bytes after the gzip member count.
        let mut padded = good.blob.to_vec().unwrap();
        padded.extend_from_slice(b"junk");
        fs_err::write(&cached, &padded).unwrap();
        let digest = sha256_digest(&padded);
        assert!(reuse_layer(&cached, &digest, &good.diff_id, scratch.path())
            .unwrap()
            .is_err_and(|why| why.contains("follow its gzip")));
        // Not gzip at all, and missing.
        fs_err::write(&cached, b"not gzip").unwrap();
        let digest = sha256_digest(b"not gzip");
        assert!(reuse_layer(&cached, &digest, &good.diff_id, scratch.path())
            .unwrap()
            .is_err());
        assert!(reuse_layer(
            &scratch.path().join("gone"),
            &digest,
            &good.diff_id,
            scratch.path()
        )
        .unwrap()
        .is_err());
        drop(reused);
        let left: Vec<_> = fs_err::read_dir(scratch.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["cached"]);
    }
}
