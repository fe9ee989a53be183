//! File capabilities: a `FILECAPS` header string (libcap's `cap_to_text`
//! form, `cap_net_raw=ep`) turned into the `security.capability` extended
//! attribute the kernel reads, as rpm's `cap_set_fd` would write it.
//!
//! The attribute is `struct vfs_cap_data` revision 2
//! (`linux/capability.h`): a little-endian `magic_etc` word
//! (`0x02000000`, plus `0x000001` when the effective flag is set), then
//! permitted and inheritable words for capabilities 0–31, then for 32–63.
//! The text grammar is libcap's `cap_from_text(3)`: clauses separated by
//! white space, each a comma-separated capability list (empty or `all`
//! meaning every capability) followed by one or more `op flags` pairs,
//! `op` one of `=` (reset, then raise), `+` (raise), `-` (lower) and
//! `flags` letters of `e`, `i`, `p`.

/// Capability names (without the `cap_` prefix) by number, as libcap
/// spells them; the numbers are the kernel's (`CAP_CHOWN` = 0 …
/// `CAP_CHECKPOINT_RESTORE` = 40).
pub const CAPABILITY_NAMES: [&str; 41] = [
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/// `VFS_CAP_REVISION_2`.
const REVISION_2: u32 = 0x0200_0000;
/// `VFS_CAP_FLAGS_EFFECTIVE`.
const FLAG_EFFECTIVE: u32 = 0x0000_0001;
/// Highest capability number `vfs_cap_data` revision 2 can hold.
const MAX_CAP: u32 = 63;
/// Longest capability text accepted (real ones are well under 1 KiB).
const MAX_TEXT: usize = 16 << 10;

/// A capability string that libcap would not accept either.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("file capabilities {text:?} cannot be read: {reason}")]
pub struct CapError {
    /// The text (possibly shortened).
    pub text: String,
    /// What is wrong.
    pub reason: String,
}

/// The number of a capability name (`cap_net_raw`, `CAP_NET_RAW`,
/// `net_raw`; or a bare number up to 63, as libcap prints unnamed ones).
pub fn capability_number(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    if !lower.is_empty() && lower.bytes().all(|b| b.is_ascii_digit()) {
        return lower.parse().ok().filter(|n| *n <= MAX_CAP);
    }
    let short = lower.strip_prefix("cap_").unwrap_or(&lower);
    CAPABILITY_NAMES
        .iter()
        .position(|n| *n == short)
        .and_then(|i| u32::try_from(i).ok())
}

/// The three capability sets, one bit per capability.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Sets {
    effective: u64,
    permitted: u64,
    inheritable: u64,
}

impl Sets {
    fn apply(&mut self, op: u8, flags: &[u8], caps: u64) {
        if op == b'=' {
            self.effective &= !caps;
            self.permitted &= !caps;
            self.inheritable &= !caps;
        }
        for flag in flags {
            let set = match flag {
                b'e' => &mut self.effective,
                b'p' => &mut self.permitted,
                _ => &mut self.inheritable,
            };
            if op == b'-' {
                *set &= !caps;
            } else {
                *set |= caps;
            }
        }
    }
}

/// The `security.capability` attribute for a `FILECAPS` string, `None`
/// for the empty string (no capabilities: rpm sets no attribute). Any
/// other string gives an attribute, even one granting nothing (`=`), as
/// libcap writes one.
pub fn vfs_cap_data(text: &str) -> Result<Option<Vec<u8>>, CapError> {
    let fail = |reason: String| CapError {
        text: text.chars().take(200).collect(),
        reason,
    };
    if text.len() > MAX_TEXT {
        return Err(fail(format!("longer than {MAX_TEXT} bytes")));
    }
    if text.trim().is_empty() {
        return Ok(None);
    }
    let mut sets = Sets::default();
    for clause in text.split_ascii_whitespace() {
        parse_clause(clause, &mut sets).map_err(|reason| fail(format!("{clause:?}: {reason}")))?;
    }
    if sets.effective & !(sets.permitted | sets.inheritable) != 0 {
        return Err(fail(
            "a capability is effective without being permitted or inheritable, \
             which a file cannot carry"
                .to_string(),
        ));
    }
    let magic = REVISION_2
        | if sets.effective == 0 {
            0
        } else {
            FLAG_EFFECTIVE
        };
    let mut out = Vec::with_capacity(20);
    out.extend_from_slice(&magic.to_le_bytes());
    for half in [0u32, 32] {
        for set in [sets.permitted, sets.inheritable] {
            let word = (set >> half) & 0xffff_ffff;
            out.extend_from_slice(&(word as u32).to_le_bytes());
        }
    }
    Ok(Some(out))
}

/// One clause: `list` then `op flags` pairs.
fn parse_clause(clause: &str, sets: &mut Sets) -> Result<(), String> {
    let bytes = clause.as_bytes();
    let first_op = bytes
        .iter()
        .position(|b| matches!(b, b'=' | b'+' | b'-'))
        .ok_or("no `=`, `+` or `-` operator")?;
    let list = &clause[..first_op];
    let mut caps = cap_list(list)?;
    if list.is_empty() {
        if bytes[first_op] != b'=' {
            return Err("a capability list is needed before `+` or `-`".to_string());
        }
        caps = all_caps();
    }
    let mut at = first_op;
    while at < bytes.len() {
        let op = bytes[at];
        let end = bytes[at + 1..]
            .iter()
            .position(|b| matches!(b, b'=' | b'+' | b'-'))
            .map_or(bytes.len(), |p| at + 1 + p);
        let flags = &bytes[at + 1..end];
        if let Some(bad) = flags.iter().find(|f| !matches!(f, b'e' | b'i' | b'p')) {
            return Err(format!(
                "unknown flag {:?} (flags are e, i and p)",
                char::from(*bad)
            ));
        }
        if op != b'=' && flags.is_empty() {
            return Err(format!("no flags after `{}`", char::from(op)));
        }
        sets.apply(op, flags, caps);
        at = end;
    }
    Ok(())
}

/// The bits of a comma-separated capability list.
fn cap_list(list: &str) -> Result<u64, String> {
    if list.is_empty() {
        return Ok(0);
    }
    let mut caps = 0u64;
    for name in list.split(',') {
        if name.eq_ignore_ascii_case("all") {
            caps |= all_caps();
            continue;
        }
        let n = capability_number(name).ok_or_else(|| format!("unknown capability {name:?}"))?;
        caps |= 1u64 << n;
    }
    Ok(caps)
}

/// Every capability the kernel names (what libcap's `all` means).
fn all_caps() -> u64 {
    (1u64 << CAPABILITY_NAMES.len()) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(text: &str) -> Vec<u8> {
        vfs_cap_data(text).expect("parses").expect("some caps")
    }

    #[test]
    fn known_vectors() {
        // cap 10 → permitted bit 10 → 0x00000400 little-endian.
        assert_eq!(
            bytes("cap_net_bind_service=ep"),
            [1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        // caps 19 and 21: 0x00280000.
        assert_eq!(
            bytes("cap_sys_ptrace,cap_sys_admin=ep"),
            [1, 0, 0, 2, 0, 0, 0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        // cap 7 inheritable only: no effective flag.
        assert_eq!(
            bytes("cap_setuid+i"),
            [0, 0, 0, 2, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(bytes("= cap_net_raw+ep"), bytes("cap_net_raw=ep"));
        // cap 38 (perfmon) lands in the high words.
        assert_eq!(
            bytes("cap_perfmon=p"),
            [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            bytes("="),
            [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(vfs_cap_data(""), Ok(None));
        assert_eq!(capability_number("CAP_CHECKPOINT_RESTORE"), Some(40));
        assert_eq!(capability_number("cap_chown"), Some(0));
    }

    #[test]
    fn operators_combine_as_libcap_does() {
        assert_eq!(bytes("cap_net_raw+ep-e"), bytes("cap_net_raw=p"));
        assert_eq!(bytes("all=p cap_chown-p"), {
            let mut v = bytes("all=p");
            v[4] &= !1;
            v
        });
        assert_eq!(bytes("=ep cap_kill-ep")[4], 0xdf);
    }

    #[test]
    fn refuses_what_libcap_refuses() {
        for bad in [
            "cap_no_such=ep",
            "cap_chown",
            "cap_chown=x",
            "+ep",
            "cap_chown+",
            "cap_chown=e",
            "64=p",
        ] {
            assert!(vfs_cap_data(bad).is_err(), "{bad}");
        }
    }

    /// Compare with what the host's `setcap` writes, when it can (root,
    /// a file system with extended attributes, `python3` to read them).
    #[test]
    fn matches_the_host_setcap() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("f");
        fs_err::write(&file, b"").expect("write");
        for text in [
            "cap_net_bind_service=ep",
            "cap_sys_ptrace,cap_sys_admin=ep",
            "= cap_net_raw+ep",
            "cap_setuid+i",
            "cap_perfmon,cap_bpf,cap_chown=eip",
            "=",
            "all=ep cap_setfcap-ep",
        ] {
            let set = std::process::Command::new("setcap")
                .arg(text)
                .arg(&file)
                .output();
            if !set.is_ok_and(|o| o.status.success()) {
                return; // no setcap, or not allowed here
            }
            let read = std::process::Command::new("python3")
                .args([
                    "-c",
                    "import os,sys;print(os.getxattr(sys.argv[1],'security.capability').hex())",
                ])
                .arg(&file)
                .output();
            let Some(read) = read.ok().filter(|o| o.status.success()) else {
                return;
            };
            let host = String::from_utf8_lossy(&read.stdout).trim().to_string();
            assert_eq!(hex::encode(bytes(text)), host, "{text}");
        }
    }
}
