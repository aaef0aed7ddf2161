//! Issue 15, items 2, 6 and 7 through the binary: `ref+file://` and `ref+sops://` in values
//! files given as `secrets://vals!…` or to the wrapper follow the path switches, read regular
//! files only (bounded), no scheme is allowed by default under Argo CD or with a switch false,
//! nested references fail without showing resolved text, and a values file flipped between a
//! file and a symlink never leaks the outside file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The content of the file outside the tree (valid YAML, so a leak would be printed).
const OUTSIDE: &str = "outside-secret-text";
/// A value of `tests/data/refs/credentials.yaml`, which is encrypted for age key `alice`.
const SECRET: &str = "s3cr3t-from-sops";

const ALL: [&str; 3] = ["PATH_TRAVERSAL", "SYMLINKS", "ABSOLUTE_PATH"];

/// `<tmp>/repo/.git`, `<tmp>/repo/chart/` (the working directory, with `creds.yaml`) and
/// `<tmp>/outside/` with `x.txt` and `other.yaml` (encrypted for alice).
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let s = Sandbox {
            dir: tempfile::tempdir().expect("a temporary directory"),
        };
        std::fs::create_dir_all(s.path().join("repo/.git")).unwrap();
        std::fs::create_dir_all(s.chart()).unwrap();
        std::fs::create_dir_all(s.outside()).unwrap();
        std::fs::write(s.outside().join("x.txt"), format!("leak: {OUTSIDE}\n")).unwrap();
        let creds = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/refs/credentials.yaml");
        std::fs::copy(&creds, s.outside().join("other.yaml")).unwrap();
        std::fs::copy(&creds, s.chart().join("creds.yaml")).unwrap();
        s
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn chart(&self) -> PathBuf {
        self.path().join("repo/chart")
    }

    fn outside(&self) -> PathBuf {
        self.path().join("outside")
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.chart().join(name), text).unwrap();
    }

    /// `sops-rs ARGS` in the chart with a clean environment (alice's key) plus `env`.
    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let key = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/keys/age-alice.txt");
        let mut c = Command::new(env!("CARGO_BIN_EXE_sops-rs"));
        c.args(args)
            .current_dir(self.chart())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("TMPDIR", self.path())
            .env("SOPS_AGE_KEY_FILE", key)
            .env("HELM_SECRETS_HELM_PATH", "/bin/true")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            c.env(name, value);
        }
        c
    }

    /// Runs it, killed after 30 s.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut child = self.command(args, env).spawn().expect("running sops-rs");
        let start = Instant::now();
        while child.try_wait().expect("waiting").is_none() {
            if start.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                panic!("sops-rs {args:?} still runs after 30 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().expect("its output")
    }

    /// The downloader, as helm runs it.
    fn download(&self, url: &str, env: &[(&str, &str)]) -> Output {
        self.run(&["helm", "downloader", "", "", "", url], env)
    }
}

/// The switches `off` set to false.
fn switches(off: &[&str]) -> Vec<(String, &'static str)> {
    off.iter()
        .map(|name| (format!("HELM_SECRETS_VALUES_ALLOW_{name}"), "false"))
        .collect()
}

/// Checks that `output` failed with `why`, and that nothing outside the policy got out.
fn refused(output: &Output, why: &str) {
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(!output.status.success(), "expected a failure: {out}{err}");
    assert!(err.contains(why), "expected {why:?}: {err}");
    for text in [&out, &err] {
        assert!(
            !text.contains(OUTSIDE) && !text.contains(SECRET),
            "leaked: {out}{err}"
        );
        assert!(
            !text.contains("HOME="),
            "the environment leaked: {out}{err}"
        );
    }
}

#[test]
fn references_follow_the_path_switches() {
    let s = Sandbox::new();
    let outside = s.outside();
    s.write("trav.yaml", "a: ref+file://../../outside/x.txt\n");
    s.write(
        "abs.yaml",
        &format!("a: ref+file://{}\n", outside.join("x.txt").display()),
    );
    s.write(
        "sops.yaml",
        &format!(
            "a: ref+sops://{}#/password\n",
            outside.join("other.yaml").display()
        ),
    );
    s.write("environ.yaml", "a: ref+file:///proc/self/environ\n");
    let env = switches(&ALL);
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    // By default no scheme is allowed with a switch false...
    refused(&s.download("secrets://vals!trav.yaml", &env), "not allowed");
    // ... and when they are named, the files are confined all the same.
    env.push(("SOPS_RS_REF_SCHEMES", "file,sops"));
    let cases = [
        ("trav.yaml", "Path traversal is not allowed"),
        ("abs.yaml", "Absolute paths are not allowed"),
        ("sops.yaml", "Absolute paths are not allowed"),
        ("environ.yaml", "Absolute paths are not allowed"),
    ];
    for (file, why) in cases {
        refused(&s.download(&format!("secrets://vals!{file}"), &env), why);
        // The wrapper's values files resolve references with the sops backend too.
        refused(&s.run(&["helm", "template", ".", "-f", file], &env), why);
    }
    // Every switch true: still no pseudo files.
    let env = [("SOPS_RS_REF_SCHEMES", "file")];
    refused(
        &s.download("secrets://vals!environ.yaml", &env),
        "pseudo file system",
    );
}

#[test]
fn devices_are_refused_at_once() {
    let s = Sandbox::new();
    s.write("zero.yaml", "a: ref+file:///dev/zero\n");
    s.write("zero-sops.yaml", "a: ref+sops:///dev/zero#/a\n");
    for file in ["zero.yaml", "zero-sops.yaml"] {
        let output = s.download(&format!("secrets://vals!{file}"), &[]);
        refused(&output, "not a regular file");
    }
}

#[test]
fn no_scheme_is_allowed_by_default_under_argo_cd() {
    let s = Sandbox::new();
    s.write("echo.yaml", "a: ref+echo://hello\n");
    let argocd = [("ARGOCD_APP_NAME", "app")];
    refused(
        &s.download("secrets://vals!echo.yaml", &argocd),
        "ARGOCD_APP_NAME",
    );
    let named = [("ARGOCD_APP_NAME", "app"), ("SOPS_RS_REF_SCHEMES", "echo")];
    let output = s.download("secrets://vals!echo.yaml", &named);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "a: hello\n");
}

#[test]
fn nested_reference_errors_show_no_resolved_text() {
    let s = Sandbox::new();
    let reference = "ref+file://ref+sops://creds.yaml#/password+";
    s.write("nested.yaml", &format!("a: {reference}\n"));
    let output = s.download("secrets://vals!nested.yaml", &[]);
    refused(&output, reference);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("its file does not exist"), "{err}");
}

/// Runs the downloader `rounds` times on `values.yaml` while a thread flips it between a
/// regular file and a symlink to the outside file; returns how many runs were refused.
fn flip_while_downloading(s: &Sandbox, env: &[(&str, &str)], rounds: usize) -> usize {
    let chart = s.chart();
    let target = chart.join("values.yaml");
    std::fs::write(&target, "inside: 1\n").unwrap();
    let stop = AtomicBool::new(false);
    let mut refused = 0;
    let mut leaked = None;
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let (file, link) = (chart.join("new.yaml"), chart.join("new.link"));
            let mut flips = 0u64;
            while !stop.load(Ordering::Relaxed) && flips < 50_000_000 {
                if flips % 2 == 0 {
                    let _ = std::os::unix::fs::symlink(s.outside().join("x.txt"), &link);
                    let _ = std::fs::rename(&link, &target);
                } else {
                    let _ = std::fs::write(&file, "inside: 1\n");
                    let _ = std::fs::rename(&file, &target);
                }
                flips += 1;
            }
        });
        // The flipper is stopped before any assertion: a failure must not leave it spinning.
        for _ in 0..rounds {
            let output = s.download("secrets://values.yaml", env);
            let out = String::from_utf8_lossy(&output.stdout);
            if out.contains(OUTSIDE) {
                leaked = Some(out.into_owned());
                break;
            }
            if !output.status.success() {
                refused += 1;
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert!(leaked.is_none(), "the outside file leaked: {leaked:?}");
    refused
}

#[test]
fn a_values_file_flipped_to_a_symlink_never_leaks() {
    let s = Sandbox::new();
    for off in [&["SYMLINKS"][..], &["PATH_TRAVERSAL"]] {
        let env = switches(off);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let refused = flip_while_downloading(&s, &env, 150);
        assert!(refused > 0, "{off:?}: the symlink was never seen");
    }
}
