//! `sops-rs exec-env` and `exec-file` against the reference sops 3.11.0. Verified with
//! sops 3.11.0:
//!
//! * `exec-env FILE CMD` runs `CMD` with `/bin/sh -c`, the file's top-level values added to the
//!   environment: strings as they are, other values with `stores.ValToString` (floats in Go's
//!   `'G'` format with `.0` added to integral ones: `5432.0`, `1.234567E+06`, `1E-05`, `+Inf`;
//!   null as `<nil>`; times in RFC 3339). `--pristine` passes nothing else (`/bin/sh` then
//!   falls back to its default `PATH`). A top-level mapping or list is exit **1**.
//! * The command's exit code is the exit code ("exit status N" on stderr); a command killed
//!   by a signal gives **255** (Go's `ExitCode()` of -1). `--same-process` behaves the same.
//! * `exec-file FILE CMD`: every `{}` becomes the path of the decrypted file: a **FIFO** (mode
//!   0600) by default, a regular 0600 file with `--no-fifo`, in a fresh 0700 directory, removed
//!   afterwards. `--filename NAME` names it; `--output-type` converts. A command that never
//!   reads the FIFO does not hang; one that opens it twice waits forever for a second writer
//!   (sops and sops-rs alike, so no test does that).
//! * A file that does not exist: **2** for both commands.
//!
//! Deliberate difference: without `--filename`, sops's `--no-fifo` file is `tmp-file<random>`,
//! sops-rs's is `tmp-file` (its directory is private and fresh either way).

use crate::support;

use crate::support::{compare_runs, entries_under_dir, Failures, Output, Sandbox, Tool};
use std::path::PathBuf;

const BOTH: [Tool; 2] = [Tool::Sops, Tool::SopsRs];

/// A sandbox with `flat.yaml`, `nums.yaml` (encrypted by sops) and a `tmp` directory.
fn setup() -> Sandbox {
    let sandbox = Sandbox::new();
    let alice = support::age_recipient("age-alice");
    for (name, plain) in [
        (
            "flat.yaml",
            "password: s3cr3t\nuser: admin\nport: 5432\nratio: 0.5\nenabled: true\nempty: \"\"\n\
             nothing: null\nmulti: |\n    line one\n    line two\n# a comment\nwhen: 2024-01-02T03:04:05Z\n",
        ),
        (
            "nums.yaml",
            "a: 1234567.0\nb: 100000.0\nc: 0.0001\nd: 0.00001\ne: 123456.5\nf: -2.5e-9\ng: .inf\n\
             h: .nan\ni: 1.0e+6\nl: -0.0\nm: 12\n",
        ),
        ("nested.yaml", "top: {inner: 1}\n"),
    ] {
        let out = sandbox
            .cmd(Tool::Sops)
            .args(["encrypt", "--age", &alice, "--filename-override", name])
            .stdin(plain)
            .run()
            .expect_success();
        sandbox.write(name, &out.stdout);
    }
    std::fs::create_dir(sandbox.file("tmp")).unwrap();
    sandbox
}

fn run(sandbox: &Sandbox, tool: Tool, args: &[&str]) -> Output {
    sandbox
        .cmd(tool)
        .args(args)
        .env("TMPDIR", sandbox.file("tmp"))
        .env("FROM_PARENT", "inherited")
        .run()
}

/// Runs `args` with both programs: same exit code and stdout, and nothing left in TMPDIR.
fn check(sandbox: &Sandbox, failures: &mut Failures, args: &[&str], code: i32) {
    let reference = run(sandbox, Tool::Sops, args);
    let case = args.join(" ");
    if reference.code != Some(code) {
        failures.push(
            &case,
            format!(
                "the reference sops no longer exits with {code}: {}",
                reference.describe()
            ),
        );
    }
    let ours = run(sandbox, Tool::SopsRs, args);
    let left: Vec<PathBuf> = entries_under_dir(&sandbox.file("tmp"));
    let failure = compare_runs(&reference, &ours)
        .or_else(|| (!left.is_empty()).then(|| format!("files left in TMPDIR: {left:?}")));
    failures.check(&case, failure);
}

#[test]
fn exec_env_matches_sops() {
    let sandbox = setup();
    let mut failures = Failures::new();
    let show_flat = "for v in password user port ratio enabled empty nothing when FROM_PARENT; do \
                     eval \"echo $v=[\\$$v]\"; done; printf '%s' \"$multi\"";
    check(
        &sandbox,
        &mut failures,
        &["exec-env", "flat.yaml", show_flat],
        0,
    );
    check(
        &sandbox,
        &mut failures,
        &["exec-env", "--pristine", "flat.yaml", show_flat],
        0,
    );
    check(
        &sandbox,
        &mut failures,
        &["exec-env", "--pristine", "flat.yaml", "echo \"[$PATH]\""],
        0,
    );
    check(
        &sandbox,
        &mut failures,
        &["exec-env", "--same-process", "flat.yaml", show_flat],
        0,
    );
    let show_nums = "for v in a b c d e f g h i l m; do eval \"echo $v=\\$$v\"; done";
    check(
        &sandbox,
        &mut failures,
        &["exec-env", "nums.yaml", show_nums],
        0,
    );
    check(
        &sandbox,
        &mut failures,
        &["exec-env", "flat.yaml", "exit 7"],
        7,
    );
    check(
        &sandbox,
        &mut failures,
        &[
            "exec-env",
            "--same-process",
            "flat.yaml",
            "echo $user; exit 3",
        ],
        3,
    );
    check(
        &sandbox,
        &mut failures,
        &["exec-env", "flat.yaml", "kill -TERM $$"],
        255,
    );
    check(
        &sandbox,
        &mut failures,
        &["exec-env", "nested.yaml", "true"],
        1,
    );
    check(
        &sandbox,
        &mut failures,
        &["exec-env", "missing.yaml", "true"],
        2,
    );
    failures.finish("exec-env");
}

#[test]
fn exec_file_matches_sops() {
    let sandbox = setup();
    let mut failures = Failures::new();
    check(
        &sandbox,
        &mut failures,
        &["exec-file", "flat.yaml", "cat {}"],
        0,
    );
    // Every `{}` is replaced (a FIFO can be read only once: sops and sops-rs would both wait
    // forever for a second writer, so it is read twice only with --no-fifo).
    check(
        &sandbox,
        &mut failures,
        &["exec-file", "flat.yaml", "[ \"{}\" = \"{}\" ] && cat {}"],
        0,
    );
    check(
        &sandbox,
        &mut failures,
        &["exec-file", "--no-fifo", "flat.yaml", "cat {} {}"],
        0,
    );
    check(
        &sandbox,
        &mut failures,
        &["exec-file", "--output-type", "json", "flat.yaml", "cat {}"],
        0,
    );
    check(
        &sandbox,
        &mut failures,
        &[
            "exec-file",
            "--output-type",
            "dotenv",
            "nums.yaml",
            "cat {}",
        ],
        0,
    );
    check(
        &sandbox,
        &mut failures,
        &[
            "exec-file",
            "--filename",
            "app.yaml",
            "flat.yaml",
            "basename {}; cat {}",
        ],
        0,
    );
    check(
        &sandbox,
        &mut failures,
        &[
            "exec-file",
            "--no-fifo",
            "--filename",
            "app.yaml",
            "flat.yaml",
            "basename {}; cat {}",
        ],
        0,
    );
    // The default is a FIFO; --no-fifo a regular file; both 0600 in a 0700 directory.
    let stat = "stat -c '%a %F' {}; stat -c '%a' \"$(dirname {})\"";
    check(
        &sandbox,
        &mut failures,
        &["exec-file", "flat.yaml", stat],
        0,
    );
    check(
        &sandbox,
        &mut failures,
        &["exec-file", "--no-fifo", "flat.yaml", stat],
        0,
    );
    check(
        &sandbox,
        &mut failures,
        &["exec-file", "--no-fifo", "flat.yaml", "cat {}"],
        0,
    );
    // A command that never opens the FIFO.
    check(
        &sandbox,
        &mut failures,
        &["exec-file", "flat.yaml", "echo not reading"],
        0,
    );
    check(
        &sandbox,
        &mut failures,
        &["exec-file", "flat.yaml", "cat {} >/dev/null; exit 9"],
        9,
    );
    check(
        &sandbox,
        &mut failures,
        &["exec-file", "missing.yaml", "true"],
        2,
    );
    failures.finish("exec-file");
}

#[test]
fn exec_file_removes_the_file_afterwards() {
    let sandbox = setup();
    for tool in BOTH {
        for extra in [&[][..], &["--no-fifo"][..]] {
            let out = sandbox
                .cmd(tool)
                .arg("exec-file")
                .args(extra)
                .args(["flat.yaml", "cat {} >/dev/null; echo {}"])
                .env("TMPDIR", sandbox.file("tmp"))
                .run();
            assert_eq!(out.code, Some(0), "{}", out.describe());
            let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            assert!(path.starts_with(sandbox.file("tmp")), "{}", out.describe());
            assert!(
                !path.exists(),
                "{}: {} still exists",
                tool.name(),
                path.display()
            );
            assert!(
                !path.parent().unwrap().exists(),
                "{}: its directory still exists",
                tool.name()
            );
        }
    }
}
