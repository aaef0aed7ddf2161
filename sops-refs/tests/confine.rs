//! Confinement of `ref+file://` and `ref+sops://` (issue 15, items 2, 6 and 7): the path
//! switches (traversal, absolute paths, symlinks, the tree root), regular files only (no
//! `/proc`, no devices, no FIFOs), the size cap, no schemes by default under Argo CD or with a
//! switch false, kind-only errors for nested references, and values files flipped between a
//! file and a symlink while they are read.

mod support;

use sops_refs::{PathPolicy, RefEnv, RefError, Resolver, Target, MAX_FILE_SIZE};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use support::{alice, data};

/// The content of the file outside the tree.
const OUTSIDE: &str = "outside-secret-text";
/// A value of `credentials.yaml`, which is encrypted for age key `alice`.
const SECRET: &str = "s3cr3t-from-sops";

/// `<tmp>/tree/chart/` (the values file's directory) holds `inside.txt`, `creds.yaml`, a
/// symlink `inlink.txt` to `inside.txt` and a symlink `outlink.txt` to `<tmp>/outside/x.txt`;
/// `<tmp>/outside/` holds `x.txt` and `other.yaml` (encrypted, as `creds.yaml`).
struct Layout {
    dir: tempfile::TempDir,
}

impl Layout {
    fn new() -> Layout {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let layout = Layout { dir };
        let (chart, outside) = (layout.chart(), layout.outside());
        std::fs::create_dir_all(&chart).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(chart.join("inside.txt"), "inside").unwrap();
        std::fs::write(outside.join("x.txt"), OUTSIDE).unwrap();
        let creds = data().join("credentials.yaml");
        std::fs::copy(&creds, chart.join("creds.yaml")).unwrap();
        std::fs::copy(&creds, outside.join("other.yaml")).unwrap();
        std::os::unix::fs::symlink("inside.txt", chart.join("inlink.txt")).unwrap();
        std::os::unix::fs::symlink(outside.join("x.txt"), chart.join("outlink.txt")).unwrap();
        layout
    }

    fn tree(&self) -> PathBuf {
        self.dir.path().join("tree")
    }

    fn chart(&self) -> PathBuf {
        self.tree().join("chart")
    }

    fn outside(&self) -> PathBuf {
        self.dir.path().join("outside")
    }

    /// The tree as root, `file`, `sops` and `echo` allowed, and the switches `off` false.
    fn env(&self, off: &[&str]) -> RefEnv {
        let mut env = RefEnv::new()
            .with("HELM_SECRETS_VALUES_ROOT", self.tree().to_string_lossy())
            .with("SOPS_RS_REF_SCHEMES", "file,sops,echo");
        for name in off {
            env.set(format!("HELM_SECRETS_VALUES_ALLOW_{name}"), "false");
        }
        env
    }

    /// `values` resolved as `chart/values.yaml`.
    fn resolve(&self, env: &RefEnv, values: &str) -> Result<String, RefError> {
        let keys = alice();
        Resolver::new(env)
            .with_keys(&keys)
            .resolve_yaml(values.as_bytes(), &self.chart().join("values.yaml"))
            .map(|out| String::from_utf8(out).expect("UTF-8"))
    }
}

const ALL: [&str; 3] = ["PATH_TRAVERSAL", "SYMLINKS", "ABSOLUTE_PATH"];

/// The error of resolving `values`, checked to hold neither the outside file nor the secret.
fn refused(layout: &Layout, env: &RefEnv, values: &str, why: &str) -> String {
    match layout.resolve(env, values) {
        Ok(out) => panic!("{values}: expected a refusal, got {out}"),
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.contains(why),
                "{values}: expected {why:?}: {message}"
            );
            assert!(
                !message.contains(OUTSIDE) && !message.contains(SECRET),
                "{message}"
            );
            message
        }
    }
}

#[test]
fn traversal_out_of_the_tree_is_refused() {
    let l = Layout::new();
    let env = l.env(&["PATH_TRAVERSAL"]);
    refused(
        &l,
        &env,
        "a: ref+file://../../outside/x.txt\n",
        "Path traversal is not allowed",
    );
    refused(
        &l,
        &env,
        "a: ref+sops://../../outside/other.yaml#/password\n",
        "Path traversal",
    );
    // A symlink that leads out of the tree is traversal too; inside the tree `..` is fine.
    refused(
        &l,
        &env,
        "a: ref+file://outlink.txt\n",
        "Path traversal is not allowed",
    );
    let out = l
        .resolve(&env, "a: ref+file://../chart/inlink.txt\n")
        .unwrap();
    assert_eq!(out, "a: inside\n");
    let out = l
        .resolve(&env, "a: ref+sops://creds.yaml#/password\n")
        .unwrap();
    assert_eq!(out, format!("a: {SECRET}\n"));
}

#[test]
fn absolute_paths_are_refused() {
    let l = Layout::new();
    let env = l.env(&["ABSOLUTE_PATH"]);
    let abs = l.outside().join("x.txt");
    let values = format!("a: ref+file://{}\n", abs.display());
    refused(&l, &env, &values, "Absolute paths are not allowed");
    let other = l.outside().join("other.yaml");
    let values = format!("a: ref+sops://{}#/password\n", other.display());
    refused(&l, &env, &values, "Absolute paths are not allowed");
    // With every switch false as well.
    refused(&l, &l.env(&ALL), &values, "Absolute paths are not allowed");
}

#[test]
fn symlinks_are_refused() {
    let l = Layout::new();
    let env = l.env(&["SYMLINKS"]);
    refused(&l, &env, "a: ref+file://inlink.txt\n", "is a symlink");
    refused(&l, &env, "a: ref+file://outlink.txt\n", "is a symlink");
    std::os::unix::fs::symlink(l.outside(), l.chart().join("dirlink")).unwrap();
    refused(&l, &env, "a: ref+file://dirlink/x.txt\n", "symlink");
    refused(
        &l,
        &env,
        "a: ref+sops://dirlink/other.yaml#/password\n",
        "symlink",
    );
    assert_eq!(
        l.resolve(&env, "a: ref+file://inside.txt\n").unwrap(),
        "a: inside\n"
    );
}

#[test]
fn only_regular_files_are_read_and_never_more_than_the_cap() {
    let l = Layout::new();
    // Every switch true: the file-type rules still hold for references.
    let env = RefEnv::new();
    let bounded = |values: &'static str, why: &'static str| {
        let (tx, rx) = std::sync::mpsc::channel();
        let env = env.clone();
        let chart = l.chart();
        std::thread::spawn(move || {
            let keys = alice();
            let resolver = Resolver::new(&env).with_keys(&keys);
            let result = resolver.resolve_yaml(values.as_bytes(), &chart.join("v.yaml"));
            let _ = tx.send(result.map(|_| ()).map_err(|e| e.to_string()));
        });
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(Err(message)) => assert!(message.contains(why), "{values}: {message}"),
            Ok(Ok(())) => panic!("{values} was read"),
            Err(_) => panic!("{values}: still reading after 20 s"),
        }
    };
    bounded("a: ref+file:///dev/zero\n", "not a regular file");
    bounded("a: ref+file:///proc/self/environ\n", "pseudo file system");
    bounded(
        "a: ref+file:///proc/self/status#/Name\n",
        "pseudo file system",
    );
    bounded("a: ref+sops:///dev/zero#/a\n", "not a regular file");
    bounded("a: ref+file:///tmp\n", "not a regular file");
    let fifo = l.chart().join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    bounded("a: ref+file://fifo\n", "not a regular file");
    // A sparse file one byte larger than the cap.
    let big = std::fs::File::create(l.chart().join("big.txt")).unwrap();
    big.set_len(MAX_FILE_SIZE + 1).unwrap();
    bounded("a: ref+file://big.txt\n", "larger than 64 MiB");
}

#[test]
fn no_scheme_is_allowed_by_default_under_argo_cd_or_with_a_switch_false() {
    let l = Layout::new();
    let values = "a: ref+echo://hello\n";
    let argocd = RefEnv::new().with("ARGOCD_APP_NAME", "app");
    let message = refused(
        &l,
        &argocd,
        values,
        "not allowed by SOPS_RS_REF_SCHEMES (allowed: none)",
    );
    assert!(message.contains("ARGOCD_APP_NAME"), "{message}");
    for name in ALL {
        let env = RefEnv::new().with(format!("HELM_SECRETS_VALUES_ALLOW_{name}"), "false");
        refused(&l, &env, values, "(allowed: none)");
    }
    // Named schemes are allowed again; without any guard every scheme is.
    let env = argocd.clone().with("SOPS_RS_REF_SCHEMES", "echo");
    assert_eq!(l.resolve(&env, values).unwrap(), "a: hello\n");
    assert_eq!(l.resolve(&RefEnv::new(), values).unwrap(), "a: hello\n");
}

#[test]
fn nested_reference_errors_tell_the_kind_only() {
    let keys = alice();
    let env = RefEnv::new();
    let resolver = Resolver::new(&env).with_keys(&keys);
    let values_file = data().join("values.yaml");
    for (values, reference, kind) in [
        (
            "a: ref+file://ref+sops://credentials.yaml#/password+\n",
            "ref+file://ref+sops://credentials.yaml#/password+",
            "its file does not exist",
        ),
        (
            "a: x-ref+file://ref+sops://credentials.yaml#/password+-y\n",
            "x-ref+file://ref+sops://credentials.yaml#/password+-y",
            "its file does not exist",
        ),
        (
            "a: ref+echo://ref+file://ref+sops://credentials.yaml#/password+#/k/j\n",
            "ref+echo://ref+file://ref+sops://credentials.yaml#/password+#/k/j",
            "its file does not exist",
        ),
        (
            "a: ref+echo://ref+sops://credentials.yaml#/password+#/nope\n",
            "ref+echo://ref+sops://credentials.yaml#/password+#/nope",
            "it could not be fetched",
        ),
    ] {
        let message = match resolver.resolve_yaml(values.as_bytes(), &values_file) {
            Ok(out) => panic!("{values}: resolved to {}", String::from_utf8_lossy(&out)),
            Err(e) => e.to_string(),
        };
        assert!(!message.contains(SECRET), "{message}");
        assert!(message.contains(reference), "{message}");
        assert!(message.contains(kind), "{values}: {message}");
    }
}

/// Reads `values.yaml` `rounds` times through `policy` while a thread flips it between a
/// regular file and a symlink to the outside file; no read may return the outside file.
fn flip_while_reading(l: &Layout, policy: &PathPolicy, rounds: usize) -> usize {
    let target = l.chart().join("values.yaml");
    std::fs::write(&target, "inside: 1\n").unwrap();
    let stop = AtomicBool::new(false);
    let mut refused = 0;
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let (file, link) = (l.chart().join("new.yaml"), l.chart().join("new.link"));
            let mut flips = 0u64;
            while !stop.load(Ordering::Relaxed) && flips < 1_000_000 {
                if flips % 2 == 0 {
                    let _ = std::os::unix::fs::symlink(l.outside().join("x.txt"), &link);
                    let _ = std::fs::rename(&link, &target);
                } else {
                    let _ = std::fs::write(&file, "inside: 1\n");
                    let _ = std::fs::rename(&file, &target);
                }
                flips += 1;
            }
        });
        for _ in 0..rounds {
            match policy.read(&l.chart(), Path::new("values.yaml"), Target::ValuesFile) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    assert!(!text.contains(OUTSIDE), "the outside file leaked");
                }
                Err(_) => refused += 1,
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    refused
}

#[test]
fn a_values_file_flipped_to_a_symlink_never_leaks() {
    let l = Layout::new();
    for off in [&["SYMLINKS"][..], &["PATH_TRAVERSAL"], &ALL] {
        let policy = PathPolicy::from_env(&l.env(off));
        let refused = flip_while_reading(&l, &policy, 3000);
        assert!(refused > 0, "{off:?}: the symlink was never seen");
    }
}
