//! Comparisons: byte differences explained, table-driven failures collected, and the parity of
//! a `sops-rs` run with a reference `sops` run.

use super::output::truncate;
use super::{Output, Sandbox, Tool};

/// `None` if `actual == expected`, else a short explanation: sizes and the first line that
/// differs, with both versions escaped so that whitespace and bytes are visible.
pub fn difference(expected: &[u8], actual: &[u8]) -> Option<String> {
    if expected == actual {
        return None;
    }
    if actual.is_empty() {
        return Some(format!(
            "expected {} bytes, got nothing (is the command implemented?)",
            expected.len()
        ));
    }
    let exp_lines: Vec<&[u8]> = expected.split_inclusive(|&b| b == b'\n').collect();
    let act_lines: Vec<&[u8]> = actual.split_inclusive(|&b| b == b'\n').collect();
    let line = exp_lines
        .iter()
        .zip(&act_lines)
        .position(|(e, a)| e != a)
        .unwrap_or(exp_lines.len().min(act_lines.len()));
    let show = |lines: &[&[u8]]| match lines.get(line) {
        Some(l) => truncate(&escape(l), 300),
        None => "(end of output)".to_string(),
    };
    Some(format!(
        "expected {} bytes, got {}; first difference at line {}:\n    expected: {}\n    actual:   {}",
        expected.len(),
        actual.len(),
        line + 1,
        show(&exp_lines),
        show(&act_lines),
    ))
}

/// `bytes` as a Rust string literal: control characters escaped, other text kept readable;
/// invalid UTF-8 shown byte by byte.
pub fn escape(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => format!("{text:?}"),
        Err(_) => format!("b\"{}\"", bytes.escape_ascii()),
    }
}

/// Fails the test if `actual` differs from `expected`, explaining where.
pub fn assert_same_bytes(what: &str, expected: &[u8], actual: &[u8]) {
    if let Some(diff) = difference(expected, actual) {
        panic!("{what}: {diff}");
    }
}

/// Collects failures of a table-driven test so that one run reports all of them.
#[derive(Default)]
pub struct Failures {
    failures: Vec<String>,
    checked: usize,
}

impl Failures {
    pub fn new() -> Failures {
        Failures::default()
    }

    /// Counts one case; records `failure` if there is one.
    pub fn check(&mut self, case: &str, failure: Option<String>) {
        self.checked += 1;
        if let Some(f) = failure {
            self.failures.push(format!("{case}: {f}"));
        }
    }

    /// Records a failure of `case` (counted by an earlier or later `check`).
    pub fn push(&mut self, case: &str, failure: String) {
        self.failures.push(format!("{case}: {failure}"));
    }

    /// Fails the test if any case failed, or if there was no case at all.
    pub fn finish(self, what: &str) {
        assert!(
            self.checked > 0,
            "{what}: no case was checked; are the fixtures missing?"
        );
        if !self.failures.is_empty() {
            panic!(
                "{what}: {} of {} cases failed:\n\n{}\n",
                self.failures.len(),
                self.checked,
                self.failures.join("\n\n")
            );
        }
    }
}

/// Compares a `sops-rs` run with a `sops` run of the same command: the exit code must be the
/// same and so must stdout (empty on failure). Returns the failure, if any.
pub fn compare_runs(reference: &Output, ours: &Output) -> Option<String> {
    if ours.code != reference.code {
        return Some(format!(
            "exit code differs from sops: expected {:?}, got {:?}\n  sops:    {}\n  sops-rs: {}",
            reference.code,
            ours.code,
            reference.describe(),
            ours.describe()
        ));
    }
    difference(&reference.stdout, &ours.stdout).map(|diff| {
        format!(
            "stdout differs from sops: {diff}\n  sops:    {}\n  sops-rs: {}",
            reference.describe(),
            ours.describe()
        )
    })
}

/// Runs the same arguments with `sops` and with `sops-rs` in `sandbox`, checks that `sops`
/// exits with `documented_code` (what this suite verified against sops 3.11.0), then that
/// `sops-rs` exits the same way with the same stdout.
pub fn assert_parity(sandbox: &Sandbox, args: &[&str], documented_code: i32) -> (Output, Output) {
    assert_parity_with(sandbox, args, None, documented_code)
}

/// [`assert_parity`] with bytes on stdin.
pub fn assert_parity_with(
    sandbox: &Sandbox,
    args: &[&str],
    stdin: Option<&[u8]>,
    documented_code: i32,
) -> (Output, Output) {
    let run = |tool| {
        let mut cmd = sandbox.cmd(tool).args(args);
        if let Some(bytes) = stdin {
            cmd = cmd.stdin(bytes);
        }
        cmd.run()
    };
    let reference = run(Tool::Sops);
    assert_eq!(
        reference.code,
        Some(documented_code),
        "the reference sops no longer behaves as this test documents: {}",
        reference.describe()
    );
    let ours = run(Tool::SopsRs);
    if let Some(failure) = compare_runs(&reference, &ours) {
        panic!("{failure}");
    }
    (reference, ours)
}
