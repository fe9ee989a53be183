//! Layer compression and digests.

use flate2::{Compress, Compression, FlushCompress, Status};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

/// The size of the blocks a layer is cut into for parallel compression
/// (1 MiB). Part of the output format: changing it changes layer digests.
pub const BLOCK_SIZE: usize = 1 << 20;

/// The deflate level (zlib's default). Part of the output format.
const LEVEL: u32 = 6;

/// gzip header: magic, CM=deflate, no flags, mtime 0, XFL 0, OS 255.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// One compressed layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// The gzip-compressed layer tar.
    pub blob: Vec<u8>,
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

/// gzip-compress an uncompressed layer tar on all cores (the current rayon
/// pool) and compute its digests. The output does not depend on the number
/// of threads; see the crate docs for the format.
pub fn compress_layer(tar: &[u8]) -> Layer {
    let (blob, diff_id) = rayon::join(|| gzip(tar), || diff_id(tar));
    let digest = sha256_digest(&blob);
    Layer {
        size: blob.len() as u64,
        blob,
        digest,
        diff_id,
    }
}

/// gzip-compress bytes in parallel, deterministically: fixed [`BLOCK_SIZE`]
/// blocks deflated independently (sync flush between them), one gzip
/// member, CRC-32s combined. Any gzip reader decompresses it.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let blocks: Vec<&[u8]> = if data.is_empty() {
        vec![data]
    } else {
        data.chunks(BLOCK_SIZE).collect()
    };
    let last = blocks.len() - 1;
    let parts: Vec<(Vec<u8>, crc32fast::Hasher)> = blocks
        .par_iter()
        .enumerate()
        .map(|(i, block)| {
            let mut crc = crc32fast::Hasher::new();
            crc.update(block);
            (deflate_block(block, i == last), crc)
        })
        .collect();

    let total: usize = parts.iter().map(|(p, _)| p.len()).sum();
    let mut out = Vec::with_capacity(GZIP_HEADER.len() + total + 8);
    out.extend_from_slice(&GZIP_HEADER);
    let mut crc = crc32fast::Hasher::new();
    for (part, block_crc) in &parts {
        out.extend_from_slice(part);
        crc.combine(block_crc);
    }
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    // ISIZE is the input length modulo 2^32 (RFC 1952).
    out.extend_from_slice(&((data.len() as u64 & 0xffff_ffff) as u32).to_le_bytes());
    out
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
}
