//! The RPM header tags whittle reads or writes, by number (rpm's
//! `rpmtag.h` names, shortened).

/// The signature header's region tag (`HEADER_SIGNATURES`).
pub const SIGNATURES: u32 = 62;
/// The main header's immutable region tag (`HEADER_IMMUTABLE`).
pub const IMMUTABLE: u32 = 63;
/// The i18n table: locales of `I18NSTRING` values.
pub const I18NTABLE: u32 = 100;

// Signature header.
/// Signature size of header+payload (signature header: `SIGTAG_SIZE`).
pub const SIG_SIZE: u32 = 1000;
/// MD5 of header+payload (signature header: `SIGTAG_MD5`).
pub const SIG_MD5: u32 = 1004;
/// Legacy header+payload RSA signature (signature header: `SIGTAG_PGP`).
pub const SIG_PGP: u32 = 1002;
/// Legacy header+payload DSA/EdDSA signature (`SIGTAG_GPG`).
pub const SIG_GPG: u32 = 1005;
/// Uncompressed payload size (signature header: `SIGTAG_PAYLOADSIZE`).
pub const SIG_PAYLOADSIZE: u32 = 1007;
/// Header-only DSA, EdDSA or ECDSA signature.
pub const DSAHEADER: u32 = 267;
/// Header-only RSA signature.
pub const RSAHEADER: u32 = 268;
/// SHA-1 of the main header, hex.
pub const SHA1HEADER: u32 = 269;
/// 64-bit header+payload size.
pub const LONGSIGSIZE: u32 = 270;
/// 64-bit uncompressed payload size.
pub const LONGARCHIVESIZE: u32 = 271;
/// SHA-256 of the main header, hex.
pub const SHA256HEADER: u32 = 273;
/// rpm 6 OpenPGP signatures (base64 packets, an array).
pub const OPENPGP: u32 = 278;
/// rpm 6 SHA3-256 of the main header.
pub const SHA3_256HEADER: u32 = 279;

// Signature tags as they are merged into an installed header (rpmdb).
/// `SIGTAG_SIZE` in an installed header.
pub const INSTALLED_SIGSIZE: u32 = 257;
/// `SIGTAG_PGP` in an installed header.
pub const INSTALLED_SIGPGP: u32 = 259;
/// `SIGTAG_MD5` in an installed header.
pub const INSTALLED_SIGMD5: u32 = 261;
/// `SIGTAG_GPG` in an installed header.
pub const INSTALLED_SIGGPG: u32 = 262;
/// `SIGTAG_PAYLOADSIZE` in an installed header (`ARCHIVESIZE`).
pub const ARCHIVESIZE: u32 = 1046;
/// 64-bit archive size in an installed header.
pub const LONGARCHIVESIZE_INSTALLED: u32 = 271;

// Main header.
/// Package name.
pub const NAME: u32 = 1000;
/// Version.
pub const VERSION: u32 = 1001;
/// Release.
pub const RELEASE: u32 = 1002;
/// Epoch (INT32; absent means none).
pub const EPOCH: u32 = 1003;
/// One-line summary.
pub const SUMMARY: u32 = 1004;
/// Build time, seconds.
pub const BUILDTIME: u32 = 1006;
/// Build host.
pub const BUILDHOST: u32 = 1007;
/// Install time (installed headers only).
pub const INSTALLTIME: u32 = 1008;
/// Installed size.
pub const SIZE: u32 = 1009;
/// Vendor.
pub const VENDOR: u32 = 1011;
/// Licence.
pub const LICENSE: u32 = 1014;
/// Packager.
pub const PACKAGER: u32 = 1015;
/// Group.
pub const GROUP: u32 = 1016;
/// Project URL.
pub const URL: u32 = 1020;
/// OS.
pub const OS: u32 = 1021;
/// Architecture.
pub const ARCH: u32 = 1022;
/// `%pre` script.
pub const PREIN: u32 = 1023;
/// `%post` script.
pub const POSTIN: u32 = 1024;
/// `%preun` script.
pub const PREUN: u32 = 1025;
/// `%postun` script.
pub const POSTUN: u32 = 1026;
/// Full file names of old packages.
pub const OLDFILENAMES: u32 = 1027;
/// File sizes (32-bit).
pub const FILESIZES: u32 = 1028;
/// File states (installed headers only).
pub const FILESTATES: u32 = 1029;
/// File modes (type and permissions, u16).
pub const FILEMODES: u32 = 1030;
/// Device numbers of device files.
pub const FILERDEVS: u32 = 1033;
/// File mtimes.
pub const FILEMTIMES: u32 = 1034;
/// File digests, hex.
pub const FILEDIGESTS: u32 = 1035;
/// Symlink targets.
pub const FILELINKTOS: u32 = 1036;
/// File flags (`%config`, `%ghost`, …).
pub const FILEFLAGS: u32 = 1037;
/// File owner names.
pub const FILEUSERNAME: u32 = 1039;
/// File group names.
pub const FILEGROUPNAME: u32 = 1040;
/// Source RPM file name.
pub const SOURCERPM: u32 = 1044;
/// Provided names.
pub const PROVIDENAME: u32 = 1047;
/// Required flags.
pub const REQUIREFLAGS: u32 = 1048;
/// Required names.
pub const REQUIRENAME: u32 = 1049;
/// Required versions.
pub const REQUIREVERSION: u32 = 1050;
/// Conflict flags.
pub const CONFLICTFLAGS: u32 = 1053;
/// Conflict names.
pub const CONFLICTNAME: u32 = 1054;
/// Conflict versions.
pub const CONFLICTVERSION: u32 = 1055;
/// `%pre` interpreter.
pub const PREINPROG: u32 = 1085;
/// `%post` interpreter.
pub const POSTINPROG: u32 = 1086;
/// `%preun` interpreter.
pub const PREUNPROG: u32 = 1087;
/// `%postun` interpreter.
pub const POSTUNPROG: u32 = 1088;
/// Obsoleted names.
pub const OBSOLETENAME: u32 = 1090;
/// File device numbers (with inodes: hard-link sets).
pub const FILEDEVICES: u32 = 1095;
/// File inode numbers.
pub const FILEINODES: u32 = 1096;
/// File languages.
pub const FILELANGS: u32 = 1097;
/// Provide flags.
pub const PROVIDEFLAGS: u32 = 1112;
/// Provide versions.
pub const PROVIDEVERSION: u32 = 1113;
/// Obsolete flags.
pub const OBSOLETEFLAGS: u32 = 1114;
/// Obsolete versions.
pub const OBSOLETEVERSION: u32 = 1115;
/// Directory index of each file.
pub const DIRINDEXES: u32 = 1116;
/// File base names.
pub const BASENAMES: u32 = 1117;
/// Directory names.
pub const DIRNAMES: u32 = 1118;
/// Payload format (`cpio`).
pub const PAYLOADFORMAT: u32 = 1124;
/// Payload compressor (`gzip`, `xz`, `zstd`, …).
pub const PAYLOADCOMPRESSOR: u32 = 1125;
/// Payload compression flags.
pub const PAYLOADFLAGS: u32 = 1126;
/// Install colour (installed headers only).
pub const INSTALLCOLOR: u32 = 1127;
/// Install transaction id (installed headers only).
pub const INSTALLTID: u32 = 1128;
/// `%pretrans` script.
pub const PRETRANS: u32 = 1151;
/// `%posttrans` script.
pub const POSTTRANS: u32 = 1152;
/// `%pretrans` interpreter.
pub const PRETRANSPROG: u32 = 1153;
/// `%posttrans` interpreter.
pub const POSTTRANSPROG: u32 = 1154;
/// File colours.
pub const FILECOLORS: u32 = 1140;
/// 64-bit file sizes.
pub const LONGFILESIZES: u32 = 5008;
/// 64-bit installed size.
pub const LONGSIZE: u32 = 5009;
/// File capabilities (`cap_to_text` strings).
pub const FILECAPS: u32 = 5010;
/// File digest algorithm (1 MD5, 2 SHA-1, 8 SHA-256, 9 SHA-384, 10 SHA-512).
pub const FILEDIGESTALGO: u32 = 5011;
/// Recommended names.
pub const RECOMMENDNAME: u32 = 5046;
/// Suggested names.
pub const SUGGESTNAME: u32 = 5049;
/// Supplemented names.
pub const SUPPLEMENTNAME: u32 = 5052;
/// Enhanced names.
pub const ENHANCENAME: u32 = 5055;
/// Payload digest (hex, of the compressed payload).
pub const PAYLOADDIGEST: u32 = 5092;
/// Payload digest algorithm.
pub const PAYLOADDIGESTALGO: u32 = 5093;
/// Payload digest of the uncompressed payload.
pub const PAYLOADDIGESTALT: u32 = 5097;

// File flags.
/// `%config`.
pub const FILE_CONFIG: u32 = 1;
/// `%doc`.
pub const FILE_DOC: u32 = 2;
/// `%ghost`: owned, never in the payload.
pub const FILE_GHOST: u32 = 64;
/// `%license`.
pub const FILE_LICENSE: u32 = 128;

// Dependency sense flags.
/// Less than.
pub const SENSE_LESS: u32 = 0x02;
/// Greater than.
pub const SENSE_GREATER: u32 = 0x04;
/// Equal.
pub const SENSE_EQUAL: u32 = 0x08;
/// `rpmlib(...)` requirement.
pub const SENSE_RPMLIB: u32 = 1 << 24;
/// Needed by scriptlets only: pre-requirement (`Requires(pre)`) and the
/// script sense bits.
pub const SENSE_SCRIPTS: u32 = (1 << 6) | (1 << 7) | (1 << 9) | (1 << 10) | (1 << 11);
