//! The tree as a deterministic layer tar.
//!
//! Entries are written in key order with GNU headers (long names through
//! GNU long-name records), numeric owners only, no user or group names, and
//! each node's own mode and time; extended attributes (file capabilities)
//! go in a PAX header before their entry as `SCHILY.xattr.NAME`, as GNU
//! tar and containerd read them. Identical trees give identical bytes.
//! Hard links always point at an entry written before them: of a group of
//! linked paths the one that sorts first carries the content.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use tar::{EntryType, Header};

use crate::node::{Node, NodeKind};
use crate::tree::RootFs;

impl RootFs {
    /// Write the whole tree (without the root entry) as a tar stream.
    pub fn write_tar<W: Write>(&self, out: W) -> io::Result<W> {
        self.write_tar_filtered(out, |_| true)
    }

    /// Write only the entries whose key `keep` accepts, e.g. one layer's
    /// share of the tree. Hard-link groups are kept whole when any member
    /// is kept, so a layer never links to a file it lacks.
    pub fn write_tar_filtered<W: Write>(
        &self,
        out: W,
        keep: impl Fn(&str) -> bool,
    ) -> io::Result<W> {
        let groups = hardlink_groups(self);
        let mut builder = tar::Builder::new(out);
        builder.mode(tar::HeaderMode::Complete);
        for (key, node) in self.node_map() {
            if key.is_empty() {
                continue;
            }
            let group = groups.get(key.as_str());
            let kept = match group {
                Some(members) => members.iter().any(|m| keep(m)),
                None => keep(key),
            };
            if !kept {
                continue;
            }
            match group {
                Some(members) => write_group_member(&mut builder, self, key, node, members)?,
                None => write_entry(&mut builder, key, node)?,
            }
        }
        builder.into_inner()
    }
}

/// For every path taking part in a hard-link group, the sorted members.
fn hardlink_groups(fs: &RootFs) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut by_target: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (key, node) in fs.node_map() {
        if let NodeKind::Hardlink(target) = &node.kind {
            let set = by_target.entry(target.as_str()).or_default();
            set.insert(target.as_str());
            set.insert(key.as_str());
        }
    }
    let mut out = BTreeMap::new();
    for members in by_target.values() {
        for m in members {
            out.insert(*m, members.clone());
        }
    }
    out
}

fn write_group_member<W: Write>(
    builder: &mut tar::Builder<W>,
    fs: &RootFs,
    key: &str,
    node: &Node,
    members: &BTreeSet<&str>,
) -> io::Result<()> {
    let Some(first) = members.iter().next().copied() else {
        return write_entry(builder, key, node);
    };
    // The file every member shares: the one that is not itself a link.
    let data_node = members
        .iter()
        .filter_map(|m| fs.node_map().get(*m))
        .find(|n| matches!(n.kind, NodeKind::File(_)))
        .unwrap_or(node);
    if key == first {
        write_entry(builder, key, data_node)
    } else {
        let mut header = base_header(data_node, EntryType::Link);
        builder.append_link(&mut header, key, first)
    }
}

fn base_header(node: &Node, kind: EntryType) -> Header {
    let mut header = Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(node.mode);
    header.set_uid(u64::from(node.uid));
    header.set_gid(u64::from(node.gid));
    header.set_mtime(u64::try_from(node.mtime).unwrap_or(0));
    header.set_size(0);
    header
}

fn write_entry<W: Write>(builder: &mut tar::Builder<W>, key: &str, node: &Node) -> io::Result<()> {
    if !node.xattrs.is_empty() {
        let records: Vec<(String, &[u8])> = node
            .xattrs
            .iter()
            .map(|(name, value)| (format!("SCHILY.xattr.{name}"), value.as_slice()))
            .collect();
        builder.append_pax_extensions(records.iter().map(|(k, v)| (k.as_str(), *v)))?;
    }
    match &node.kind {
        NodeKind::Dir => {
            let mut header = base_header(node, EntryType::Directory);
            builder.append_data(&mut header, format!("{key}/"), io::empty())
        }
        NodeKind::File(content) => {
            let mut header = base_header(node, EntryType::Regular);
            header.set_size(content.len());
            builder.append_data(&mut header, key, content.reader())
        }
        NodeKind::Symlink(target) => {
            let mut header = base_header(node, EntryType::Symlink);
            builder.append_link(&mut header, key, target)
        }
        NodeKind::Hardlink(target) => {
            let mut header = base_header(node, EntryType::Link);
            builder.append_link(&mut header, key, target)
        }
        NodeKind::CharDevice { major, minor } => {
            let mut header = base_header(node, EntryType::Char);
            header.set_device_major(*major)?;
            header.set_device_minor(*minor)?;
            builder.append_data(&mut header, key, io::empty())
        }
        NodeKind::Fifo => {
            let mut header = base_header(node, EntryType::Fifo);
            builder.append_data(&mut header, key, io::empty())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xattrs_travel_as_schily_pax_records() {
        let caps = vec![0, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut fs = RootFs::new();
        fs.insert("usr", Node::dir(0o755)).unwrap();
        fs.insert(
            "usr/ping",
            Node::file(b"elf".to_vec(), 0o755).xattr("security.capability", caps.clone()),
        )
        .unwrap();
        fs.insert("usr/plain", Node::file(b"x".to_vec(), 0o644))
            .unwrap();
        let bytes = fs.write_tar(Vec::new()).unwrap();
        let mut archive = tar::Archive::new(&bytes[..]);
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            let records: Vec<(String, Vec<u8>)> = entry
                .pax_extensions()
                .unwrap()
                .into_iter()
                .flatten()
                .map(|r| {
                    let r = r.unwrap();
                    (r.key().unwrap().to_string(), r.value_bytes().to_vec())
                })
                .collect();
            seen.push((path, records));
        }
        assert_eq!(
            seen,
            vec![
                ("usr/".to_string(), vec![]),
                (
                    "usr/ping".to_string(),
                    vec![("SCHILY.xattr.security.capability".to_string(), caps)]
                ),
                ("usr/plain".to_string(), vec![]),
            ]
        );
    }
}
