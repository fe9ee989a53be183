//! Outputs that are never lost or half-written (issue 7): the previous
//! image and SBOMs survive any failure, an OCI layout gains exactly the
//! blobs of a finished build, interrupts and crashes leave no temporaries,
//! a tampered layer cache cannot change an image, and layers stay off the
//! heap. Each test reproduces one failure against the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use whittle_test::{DebRepo, DebSpec};
use whittle_test_env::host::skip;

/// `n` MiB that deflate cannot shrink (a pseudo-random MiB repeated, which
/// xz's 8 MiB window folds away, so the .deb stays small).
fn incompressible(mib: usize) -> Vec<u8> {
    let mut block = vec![0u8; 1 << 20];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for b in &mut block {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = (x >> 24) as u8;
    }
    block.repeat(mib)
}

/// A small repository: `app` (a program), `extra` (one more file, to make
/// a second, different image), `big` (`mib` MiB that do not compress, so
/// writing the output takes a while).
fn repo(mib: usize) -> DebRepo {
    let mut repo = DebRepo::new("stable");
    repo.add(
        DebSpec::new("app", "1.0")
            .file("usr/bin/app", b"#!app\n", 0o755)
            .file("etc/app.conf", b"real = yes\n", 0o644),
    )
    .add(DebSpec::new("extra", "1.0").file("usr/share/extra", b"extra\n", 0o644))
    .add(DebSpec::new("big", "1.0").file("usr/share/big", &incompressible(mib), 0o644));
    repo.publish();
    repo
}

/// A test directory with a repository served on 127.0.0.1.
struct Env {
    dir: tempfile::TempDir,
    repo: DebRepo,
    srv: whittle_net::TestServer,
}

impl Env {
    fn new(mib: usize) -> Env {
        let repo = repo(mib);
        let srv = repo.serve();
        Env {
            dir: tempfile::tempdir().unwrap(),
            repo,
            srv,
        }
    }

    /// Outputs go under `o/`; the cache and recipes beside it.
    fn outputs(&self) -> PathBuf {
        let o = self.dir.path().join("o");
        fs_err::create_dir_all(&o).unwrap();
        o
    }

    fn path(&self, name: &str) -> PathBuf {
        self.outputs().join(name)
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// `whittle build` of `packages` into `output` (tag `t:TAG`), with
    /// the repository at `url` (the served one when `None`).
    fn command(&self, packages: &str, output: &Path, url: Option<&str>, args: &[&str]) -> Command {
        let recipes = self
            .dir
            .path()
            .join(format!("recipe-{}", packages.replace([',', ' '], "")));
        fs_err::create_dir_all(&recipes).unwrap();
        let url = url.map_or_else(|| self.srv.url(), str::to_string);
        let recipe = deb_recipe(&recipes, &url, &self.repo.keyring_path(), packages, "");
        let mut c = whittle();
        c.arg("build")
            .arg(recipe)
            .arg("t:1")
            .arg(output)
            .arg("--cache-dir")
            .arg(self.cache())
            .arg("--build-date")
            .arg("1700000000")
            .args(args);
        c
    }

    fn build(&self, packages: &str, output: &Path, args: &[&str]) -> Output {
        run(&mut self.command(packages, output, None, args), false)
    }
}

/// Every file under `dir` with its content, sorted (directories with none).
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs_err::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
                out.push((p, Vec::new()));
            } else {
                let data = fs_err::read(&p).unwrap_or_default();
                out.push((p, data));
            }
        }
    }
    out.sort();
    out
}

/// Temporary files of outputs and layers anywhere under `dir` (the cache's
/// own download files, `*.part`, are the cache's to sweep).
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    snapshot(dir)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.file_name().unwrap().to_string_lossy().ends_with(".tmp"))
        .collect()
}

fn assert_ok(out: &Output) {
    assert!(out.status.success(), "build failed:\n{}", stderr(out));
}

fn assert_failed(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert!(!out.status.success(), "should have failed:\n{err}");
    for n in needles {
        assert!(err.contains(n), "error does not mention {n:?}:\n{err}");
    }
}

/// Mount a tmpfs of `size` at `dir` (root only): false, with a loud skip,
/// where that is not possible.
fn mount_tmpfs(dir: &Path, size: &str, what: &str) -> bool {
    fs_err::create_dir_all(dir).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        skip(&format!(
            "cannot mount a tmpfs here (needs root); {what} did NOT run"
        ));
    }
    ok
}

/// Unmounts when dropped (also when an assertion fails).
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Fill the file system holding `dir` until a write fails.
fn fill(dir: &Path) {
    use std::io::Write;
    let mut f = fs_err::File::create(dir.join("filler")).unwrap();
    let chunk = vec![0xa5u8; 4096];
    while f.write_all(&chunk).and_then(|()| f.flush()).is_ok() {}
    let _ = f.sync_all();
}

/// Failure 6, and "a missing --sbom-path directory is found only after the
/// whole build": an SBOM directory that is absent or read-only is refused
/// before any repository is contacted (the recipe's repository is a closed
/// port, so a late check would fail on the network instead), and the
/// previous image and SBOMs stay as they were.
#[test]
fn an_unusable_sbom_directory_is_refused_before_the_build() {
    let env = Env::new(1);
    let out = env.path("out.tar");
    let sboms = env.path("sboms");
    fs_err::create_dir_all(&sboms).unwrap();
    let sbom_arg = sboms.to_str().unwrap().to_string();
    assert_ok(&env.build("app", &out, &["--sbom-path", &sbom_arg]));
    let before = snapshot(&env.outputs());
    let dead = Some("http://127.0.0.1:9/debian");

    let missing = env.path("no-such-dir");
    let res = run(
        &mut env.command(
            "app, extra",
            &out,
            dead,
            &["--sbom-path", missing.to_str().unwrap()],
        ),
        false,
    );
    assert_failed(&res, &["no-such-dir", "does not exist", "--sbom-path"]);
    assert!(!stderr(&res).contains("127.0.0.1:9"), "{}", stderr(&res));
    assert_eq!(snapshot(&env.outputs()), before);

    let ro = env.path("ro");
    if !mount_tmpfs(&ro, "1m", "the read-only SBOM directory case") {
        return;
    }
    let _mounted = Mounted(ro.clone());
    let ro_arg = ro.to_str().unwrap().to_string();
    assert_ok(&env.build("app", &out, &["--sbom-path", &ro_arg]));
    let old_sbom = fs_err::read(ro.join("sbom-amd64.spdx.json")).unwrap();
    let image = fs_err::read(&out).unwrap();
    assert!(Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&ro)
        .status()
        .unwrap()
        .success());
    let res = run(
        &mut env.command("app, extra", &out, dead, &["--sbom-path", &ro_arg]),
        false,
    );
    assert_failed(&res, &["ro", "cannot create files", "--sbom-path"]);
    assert!(!stderr(&res).contains("127.0.0.1:9"), "{}", stderr(&res));
    assert_eq!(fs_err::read(&out).unwrap(), image);
    assert_eq!(
        fs_err::read(ro.join("sbom-amd64.spdx.json")).unwrap(),
        old_sbom
    );
    assert!(temporaries(env.dir.path()).is_empty());
}

/// Failure 6: the SBOM cannot be written once the image is (its disk is
/// full; or its name is taken by a directory, so only the final rename
/// fails). The previous image, its SBOMs and a layout's index.json and
/// blobs stay exactly as they were; nothing temporary is left; the error
/// says so and names the real cause.
#[test]
fn a_late_sbom_failure_keeps_the_previous_image_and_sboms() {
    let env = Env::new(1);
    let out = env.path("out.tar");
    let layout = env.path("layout");
    fs_err::create_dir_all(&layout).unwrap();
    let sboms = env.path("sboms");
    fs_err::create_dir_all(&sboms).unwrap();
    let sbom_arg = sboms.to_str().unwrap().to_string();
    assert_ok(&env.build("app", &out, &[]));
    assert_ok(&env.build("app", &layout, &["--sbom-path", &sbom_arg]));

    // The SBOM's name is a directory: everything is written, then the
    // renames fail at the SBOM and are undone.
    let in_the_way = env.path("out.sbom-amd64.spdx.json");
    fs_err::remove_file(&in_the_way).unwrap();
    fs_err::create_dir_all(in_the_way.join("x")).unwrap();
    let mut expected = snapshot(&env.outputs());
    let res = env.build("app, extra", &out, &[]);
    assert_failed(&res, &["out.sbom-amd64.spdx.json", "Nothing was changed"]);
    assert!(!stderr(&res).contains("removed again"), "{}", stderr(&res));
    assert_eq!(snapshot(&env.outputs()), expected);
    let layout_sbom = sboms.join("sbom-amd64.spdx.json");
    let sbom_text = fs_err::read(&layout_sbom).unwrap();
    fs_err::remove_file(&layout_sbom).unwrap();
    fs_err::create_dir_all(layout_sbom.join("x")).unwrap();
    expected = snapshot(&env.outputs());
    let res = env.build("app, extra", &layout, &["--sbom-path", &sbom_arg]);
    assert_failed(&res, &["sbom-amd64.spdx.json", "Nothing was changed"]);
    assert_eq!(snapshot(&env.outputs()), expected, "the layout changed");
    assert!(temporaries(env.dir.path()).is_empty());
    fs_err::remove_dir_all(&layout_sbom).unwrap();
    fs_err::write(&layout_sbom, &sbom_text).unwrap();
    fs_err::remove_dir_all(&in_the_way).unwrap();

    // The SBOM directory's disk is full.
    let small = env.path("small");
    if !mount_tmpfs(&small, "256k", "the full-disk SBOM case") {
        return;
    }
    let _mounted = Mounted(small.clone());
    let small_arg = small.to_str().unwrap().to_string();
    assert_ok(&env.build("app", &out, &["--sbom-path", &small_arg]));
    assert_ok(&env.build("app", &layout, &["--sbom-path", &small_arg]));
    fill(&small);
    let before = snapshot(&env.outputs());
    for target in [&out, &layout] {
        let res = env.build("app, extra", target, &["--sbom-path", &small_arg]);
        assert_failed(
            &res,
            &["SBOM", "No space left on device", "Nothing was changed"],
        );
        assert!(!stderr(&res).contains("tamper"), "{}", stderr(&res));
        assert_eq!(snapshot(&env.outputs()), before, "{}", target.display());
        assert!(temporaries(env.dir.path()).is_empty());
    }
}

/// Failure 7: a layout whose index.json is invalid gets nothing written
/// (no oci-layout, no blobs), the build is refused before it starts, and
/// the message names the file and what to do, and is true.
#[test]
fn an_invalid_layout_index_is_refused_before_anything_is_written() {
    let env = Env::new(1);
    let layout = env.path("layout");
    fs_err::create_dir_all(&layout).unwrap();
    fs_err::write(
        layout.join("index.json"),
        b"{\"schemaVersion\": 2, \"manifests\": [1]}",
    )
    .unwrap();
    let before = snapshot(&env.outputs());
    let dead = Some("http://127.0.0.1:9/debian");
    let res = run(
        &mut env.command("app", &layout, dead, &["--no-sbom"]),
        false,
    );
    assert_failed(
        &res,
        &[
            "index.json",
            "Repair or remove it",
            "Nothing was written there",
        ],
    );
    assert!(!stderr(&res).contains("127.0.0.1:9"), "{}", stderr(&res));
    assert_eq!(snapshot(&env.outputs()), before);
}

/// The `sha256:` digests of the layers a build printed.
fn layer_digests(out: &Output) -> Vec<String> {
    stderr(out)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("layer "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect()
}

/// The diff IDs of an archive's single image, from its config.
fn diff_ids(archive: &Path) -> Vec<String> {
    let mut blobs = std::collections::BTreeMap::new();
    for e in tar::Archive::new(fs_err::File::open(archive).unwrap())
        .entries()
        .unwrap()
    {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        blobs.insert(name, data);
    }
    let docker: serde_json::Value = serde_json::from_slice(&blobs["manifest.json"]).unwrap();
    let config: serde_json::Value =
        serde_json::from_slice(&blobs[docker[0]["Config"].as_str().unwrap()]).unwrap();
    config["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect()
}

/// The files of an archive's single layer, with their contents.
fn layer_files(archive: &Path) -> Vec<(String, Vec<u8>)> {
    let mut outer = tar::Archive::new(fs_err::File::open(archive).unwrap());
    for e in outer.entries().unwrap() {
        let mut e = e.unwrap();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        if data.starts_with(&[0x1f, 0x8b]) {
            let mut inner = tar::Archive::new(flate2::read::GzDecoder::new(&data[..]));
            return inner
                .entries()
                .unwrap()
                .map(|e| {
                    let mut e = e.unwrap();
                    let mut d = Vec::new();
                    std::io::Read::read_to_end(&mut e, &mut d).unwrap();
                    (e.path().unwrap().to_string_lossy().into_owned(), d)
                })
                .collect();
        }
    }
    panic!("no layer in {}", archive.display());
}

/// Failure 4: someone who can write the cache replaces the compressed
/// layer stored for a tar, and the digest stored with it, consistently,
/// by another tar's layer. The next build notices that it does not
/// decompress to the tar just built, says so, and compresses again: the
/// image holds the real files and the same layer digest as before.
#[test]
fn a_poisoned_layer_cache_cannot_change_the_image() {
    let env = Env::new(1);
    let out = env.path("out.tar");
    let first = env.build("app", &out, &["--no-sbom"]);
    assert_ok(&first);
    let digests = layer_digests(&first);
    assert_eq!(digests.len(), 1, "{}", stderr(&first));
    let files = layer_files(&out);
    let diff_id = diff_ids(&out).remove(0);

    // A second build reuses the cached layer (the cache works).
    let again = env.build("app", &out, &["--no-sbom"]);
    assert_ok(&again);
    assert!(stderr(&again).contains("(reused)"), "{}", stderr(&again));

    // Poison: another tar's gzip, stored as a sound cache blob, and the
    // entry for the real tar's diff ID pointing at it.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_path("etc/app.conf").unwrap();
    h.set_size(9);
    h.set_mode(0o644);
    h.set_cksum();
    b.append(&h, &b"evil = 1\n"[..]).unwrap();
    let evil = whittle_oci::compress_layer(&b.into_inner().unwrap());
    let cache = whittle_cache::Cache::open(env.cache()).unwrap();
    let mut w = cache.new_blob().unwrap();
    std::io::Write::write_all(&mut w, &evil.blob.to_vec().unwrap()).unwrap();
    let (_, hex) = w.commit_named().unwrap();
    assert_eq!(format!("sha256:{hex}"), evil.digest);
    let key = format!("layer-gzip/{diff_id}");
    assert!(
        cache.get_keyed(&key).unwrap().is_some(),
        "the layer is not cached where expected"
    );
    cache.put_keyed(&key, evil.digest.as_bytes()).unwrap();

    let poisoned = env.build("app", &out, &["--no-sbom"]);
    assert_ok(&poisoned);
    let err = stderr(&poisoned);
    assert!(
        err.contains("did not match") && err.contains("rebuilt") && err.contains(&diff_id),
        "{err}"
    );
    assert!(!err.contains("(reused)"), "{err}");
    assert_eq!(layer_digests(&poisoned), digests);
    assert_eq!(layer_files(&out), files);
    // The entry names the real layer again.
    assert_eq!(
        cache.get_keyed(&key).unwrap().unwrap(),
        digests[0].as_bytes()
    );
}

/// The state of an output: the archive's bytes, or a layout's index.json
/// and blob names.
fn state(output: &Path) -> (Vec<u8>, Vec<String>) {
    if output.is_dir() {
        let index = fs_err::read(output.join("index.json")).unwrap_or_default();
        let mut blobs: Vec<String> = fs_err::read_dir(output.join("blobs/sha256"))
            .map(|rd| {
                rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        blobs.sort();
        (index, blobs)
    } else {
        (fs_err::read(output).unwrap(), Vec::new())
    }
}

/// Failure 5: SIGINT (and SIGTERM) at many points of a build leave no
/// temporary file beside the archive, in the layout or in the cache's
/// scratch directory, and the output is either the previous one, intact,
/// or the complete new one; the exit code is the signal's (130, 143).
#[test]
fn interrupts_leave_no_temporaries_and_the_previous_output_intact() {
    let env = Env::new(48);
    let out = env.path("out.tar");
    let layout = env.path("layout");
    fs_err::create_dir_all(&layout).unwrap();
    // The previous outputs: a different image.
    assert_ok(&env.build("app", &out, &[]));
    assert_ok(&env.build("app", &layout, &["--no-sbom"]));
    // The new image, once (this fills the cache), then timed as every
    // round will build it (from the cache).
    let first = env.build("app, big", &env.path("new.tar"), &[]);
    assert_ok(&first);
    let new_digest = stdout(&first).trim().to_string();
    let new_archive = state(&env.path("new.tar"));
    let started = std::time::Instant::now();
    assert_ok(&env.build("app, big", &env.path("new.tar"), &[]));
    let full = started.elapsed();
    fs_err::remove_file(env.path("new.tar")).unwrap();
    fs_err::remove_file(env.path("new.sbom-amd64.spdx.json")).unwrap();
    eprintln!("a build from the cache takes {full:?}");

    let mut delays: Vec<u64> = vec![50, 150, 300, 600];
    let ms = full.as_millis() as u64;
    delays.extend((1..10).map(|i| ms * i / 10));
    let mut interrupted = 0;
    for (i, delay) in delays.into_iter().enumerate() {
        let (target, signal, code) = match i % 3 {
            0 => (&out, "-INT", 130),
            1 => (&layout, "-INT", 130),
            _ => (&out, "-TERM", 143),
        };
        let before = state(target);
        let child = env
            .command("app, big", target, None, &[])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status();
        let res = child.wait_with_output().unwrap();
        let err = stderr(&res);
        let left = temporaries(env.dir.path());
        assert!(left.is_empty(), "after {delay} ms: left {left:?}\n{err}");
        let now = state(target);
        // The complete new image (the build, or its commit, finished
        // before the signal was handled).
        let complete = if target == &out {
            now == new_archive
        } else {
            let hex = new_digest.trim_start_matches("sha256:").to_string();
            String::from_utf8_lossy(&now.0).contains(&new_digest) && now.1.contains(&hex)
        };
        if res.status.success() {
            assert!(
                complete,
                "after {delay} ms: a successful build left {now:?}"
            );
        } else {
            assert_eq!(res.status.code(), Some(code), "after {delay} ms:\n{err}");
            assert!(
                now == before || complete,
                "after {delay} ms the output is neither the previous one nor the new one\n{err}"
            );
            interrupted += 1;
        }
        eprintln!(
            "{delay} ms {signal}: exit {:?}, {}",
            res.status.code(),
            if complete {
                "new image in place"
            } else {
                "previous output kept"
            }
        );
        if complete {
            // Back to the previous image for the next round.
            let args: &[&str] = if target == &out { &[] } else { &["--no-sbom"] };
            assert_ok(&env.build("app", target, args));
        }
    }
    // How many signals land before the build finishes depends on the
    // machine's load; the early ones (50 and 150 ms) always do.
    assert!(
        interrupted >= 2,
        "only {interrupted} builds were interrupted"
    );
}

/// Temporaries of runs that were killed (their process is gone) are swept
/// by the next build, beside the archive, in a layout and in the cache's
/// scratch directory; one of a running process is left alone, and so is a
/// recent one of an older whittle.
#[test]
fn stale_temporaries_of_dead_runs_are_swept() {
    let env = Env::new(1);
    let out = env.path("out.tar");
    let layout = env.path("layout");
    fs_err::create_dir_all(layout.join("blobs/sha256")).unwrap();
    assert_ok(&env.build("app", &out, &[]));
    let scratch = env.cache().join("v2/tmp");
    // A pid above the kernel's limit (2^22) never runs.
    let dead = [
        env.path(".out.tar.whittle-99999999-1f.tmp"),
        env.path(".out.sbom-amd64.spdx.json.whittle-99999999-2f.tmp"),
        layout.join(".index.json.whittle-99999999-3f.tmp"),
        layout.join(format!(
            "blobs/sha256/.{}.whittle-99999999-4f.tmp",
            "a".repeat(64)
        )),
        scratch.join(".layer.tar.gz.whittle-99999999-5f.tmp"),
    ];
    let old_legacy = env.path(".out.tar.AbC123.tmp");
    let live = env.path(&format!(".out.tar.whittle-{}-6f.tmp", std::process::id()));
    let young_legacy = env.path(".out.tar.XyZ789.tmp");
    for p in dead.iter().chain([&old_legacy, &live, &young_legacy]) {
        fs_err::write(p, vec![0u8; 4096]).unwrap();
    }
    assert!(Command::new("touch")
        .args(["-d", "3 hours ago"])
        .arg(&old_legacy)
        .status()
        .unwrap()
        .success());
    let res = env.build("app", &out, &[]);
    assert_ok(&res);
    let res2 = env.build("app", &layout, &["--no-sbom"]);
    assert_ok(&res2);
    for p in dead.iter().chain([&old_legacy]) {
        assert!(!p.exists(), "{} was not swept", p.display());
    }
    assert!(live.exists() && young_legacy.exists());
    let err = stderr(&res) + &stderr(&res2);
    assert!(err.contains("removed") && err.contains("99999999"), "{err}");
}

/// Peak RSS of building an image that holds one large file, measured with
/// `/usr/bin/time -v`. Run on demand:
/// `WHITTLE_RSS_MIB=1024 cargo test -p whittle-cli --test outputs -- --ignored peak_rss`
/// (`WHITTLE_BIN` measures another build of whittle, e.g. an older one).
#[test]
#[ignore = "a measurement: builds a large image"]
fn peak_rss_of_a_large_file_image() {
    if !Path::new("/usr/bin/time").exists() {
        skip("/usr/bin/time is not installed; nothing measured");
        return;
    }
    let mib: usize = std::env::var("WHITTLE_RSS_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let mut repo = DebRepo::new("stable");
    repo.add(
        DebSpec::new("big", "1.0")
            .file("usr/bin/app", b"#!app\n", 0o755)
            .file("usr/share/big/blob", &incompressible(mib), 0o644),
    );
    repo.publish();
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let recipe = deb_recipe(dir.path(), &srv.url(), &repo.keyring_path(), "big", "");
    let bin = std::env::var("WHITTLE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_whittle").into());
    let out = run(
        Command::new("/usr/bin/time")
            .arg("-v")
            .arg(&bin)
            .arg("build")
            .arg(&recipe)
            .arg("t:1")
            .arg(dir.path().join("big.tar"))
            .arg("--cache-dir")
            .arg(dir.path().join("cache"))
            .env_remove("WHITTLE_CACHE_DIR"),
        true,
    );
    let err = stderr(&out);
    let rss = err
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .unwrap();
    for line in err.lines().filter(|l| {
        l.starts_with("timings:") || l.contains("Elapsed (wall clock)") || l.contains("  layer ")
    }) {
        eprintln!("{}", line.trim());
    }
    let archive = fs_err::metadata(dir.path().join("big.tar")).unwrap().len();
    eprintln!(
        "peak RSS {} MiB for a {mib} MiB file ({bin}; archive {} MiB)",
        rss.parse::<u64>().unwrap() / 1024,
        archive >> 20
    );
}
