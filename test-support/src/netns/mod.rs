//! A private network and mount namespace for tests that talk to cloud services by their real
//! host names (`login.microsoftonline.com`, `*.vault.azure.net`, HuaweiCloud's regional hosts).
//!
//! [`isolate`] re-runs the calling test under `unshare --net --mount` (the machine's network and
//! `/etc/hosts` are never touched). Inside, it brings the loopback interface up, bind-mounts a
//! hosts file mapping the given names to 127.0.0.1 over `/etc/hosts` (in that mount namespace
//! only) and makes a test CA whose bundle is the process's `SSL_CERT_FILE`. The test then starts
//! a [`TlsServer`] on 127.0.0.1:443 with a certificate for those names, and every program it
//! runs (the reference sops through the vendors' Go SDKs, sops-rs) resolves the names to it and
//! trusts it through `SSL_CERT_FILE`.
//!
//! ```no_run
//! # fn handler(_: &sops_test_support::netns::Request) -> sops_test_support::netns::Response { todo!() }
//! #[test]
//! fn talks_to_the_cloud() {
//!     let Some(ns) = sops_test_support::netns::isolate(&["kms.example.com"]) else {
//!         return; // the outer run: the test ran inside the namespace and passed
//!     };
//!     let server = ns.serve(handler);
//!     // … run programs with SSL_CERT_FILE = ns.ca_file() …
//! }
//! ```
//!
//! Without `unshare` or the right to make namespaces (not root), the test fails and says so;
//! it never skips silently.

mod http;
mod tls;

pub use http::{Request, Response};
pub use tls::{TestCa, TlsServer};

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Set in the re-run test process: it is inside the namespace.
const INSIDE: &str = "SOPS_RS_TEST_NETNS";

/// The namespace a test runs in: its hosts file, its CA and a scratch directory.
pub struct Namespace {
    dir: tempfile::TempDir,
    ca: TestCa,
    names: Vec<String>,
}

/// Runs the calling test inside a private network and mount namespace where `names` resolve to
/// 127.0.0.1.
///
/// In the test process started by the harness this re-runs the same test (found by the name of
/// the current thread, which libtest and nextest set to the test's path) under
/// `unshare --net --mount`, waits for it, fails if it failed and returns `None`: the caller
/// returns at once. In the re-run process it prepares the namespace and returns it.
pub fn isolate(names: &[&str]) -> Option<Namespace> {
    if std::env::var_os(INSIDE).is_some() {
        return Some(Namespace::prepare(names));
    }
    rerun_inside();
    None
}

fn rerun_inside() {
    let test = std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .map(str::to_owned)
        .expect(
            "netns::isolate must be called from the test's own thread (libtest names it after \
             the test); run the test with the standard harness",
        );
    let exe = std::env::current_exe().expect("the path of the test binary");
    let out = Command::new("unshare")
        .args(["--net", "--mount", "--"])
        .arg(&exe)
        .args(["--exact", &test, "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `unshare` ({e}): these tests need util-linux's unshare and the right \
                 to create network and mount namespaces (run them as root, as .ci/run does)"
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        out.status.success(),
        "{test} failed inside its private namespace ({}).\n\
         If the output says `unshare: unshare failed: Operation not permitted`, these tests need \
         root (or CAP_SYS_ADMIN) to create network and mount namespaces: run them as root, as \
         .ci/run does.",
        out.status
    );
    assert!(
        stdout.contains("1 passed"),
        "{test}: the run inside the namespace did not report the test as passed:\n{stdout}"
    );
}

impl Namespace {
    fn prepare(names: &[&str]) -> Namespace {
        run("ip", &["link", "set", "lo", "up"]);
        let dir = tempfile::Builder::new()
            .prefix("sops-rs-netns-")
            .tempdir()
            .expect("create a temporary directory");
        let mut hosts = String::from("127.0.0.1 localhost\n::1 localhost\n");
        for name in names {
            hosts.push_str(&format!("127.0.0.1 {name}\n"));
        }
        let hosts_file = dir.path().join("hosts");
        std::fs::write(&hosts_file, hosts).expect("write the namespace's hosts file");
        // `unshare --mount` made this mount namespace private: the bind mount stays in it.
        run(
            "mount",
            &[
                "--bind",
                hosts_file.to_str().expect("UTF-8 path"),
                "/etc/hosts",
            ],
        );
        let ca = TestCa::new(names);
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca.ca_pem()).expect("write the CA bundle");
        // In-process clients (sops-keys' tests) read it from here; child processes inherit it
        // unless a sandbox clears their environment (then pass `ca_file()` yourself).
        std::env::set_var("SSL_CERT_FILE", &ca_file);
        std::env::remove_var("SSL_CERT_DIR");
        Namespace {
            dir,
            ca,
            names: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    /// The PEM bundle of the test CA, to pass as `SSL_CERT_FILE`.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A scratch directory that lives as long as the namespace.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The host names that resolve to 127.0.0.1 here.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Serves `handler` over HTTPS on 127.0.0.1:443 with a certificate for every name, until
    /// the returned server is dropped.
    pub fn serve<H>(&self, handler: H) -> TlsServer
    where
        H: Fn(&Request) -> Response + Send + Sync + 'static,
    {
        TlsServer::start(&self.ca, 443, handler)
    }
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}) inside the test namespace"));
    assert!(
        out.status.success(),
        "`{program} {}` failed inside the test namespace: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}
