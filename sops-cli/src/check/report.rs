//! What `sops-rs check` found, per file, and its two renderings: lines for people
//! (`FILE: message`, warnings prefixed `warning:`) and one JSON document for machines.
//!
//! The JSON shape (`--format json`), one object on stdout:
//!
//! ```json
//! {"ok": false, "checked": 2, "failed": 1, "skipped": 1,
//!  "files": [{"file": "secrets/app.yaml", "status": "failed",
//!             "rules": [{"index": 0, "path_regex": "^secrets/"}],
//!             "problems": [{"kind": "plaintext_value", "path": "[\"db\"][\"password\"]",
//!                           "type": "string", "message": "plaintext string at …"}],
//!             "warnings": [], "mac": null, "skip_reason": null}]}
//! ```
//!
//! `status` is `ok`, `failed` or `skipped`; `mac` is null without `--verify-mac`, else
//! `verified`, `mismatch`, `no_key`, `failed` or `not_checked`. `path` and `type` are present
//! only for findings at a key path. No rendering ever contains a value of the file.

use super::scan::{Finding, Problem};
use serde_json::{json, Value};
use std::path::Path;

/// The outcome for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    Failed,
    Skipped,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }
}

/// One problem or warning.
#[derive(Debug, Clone)]
pub(crate) struct Issue {
    pub(crate) kind: &'static str,
    pub(crate) path: Option<String>,
    pub(crate) type_name: Option<&'static str>,
    pub(crate) message: String,
}

impl Issue {
    pub(crate) fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Issue {
            kind,
            path: None,
            type_name: None,
            message: message.into(),
        }
    }

    /// The issue for a finding of the value scan.
    pub(crate) fn at(finding: &Finding) -> Self {
        let shown = if finding.path.is_empty() {
            "the top level".to_owned()
        } else {
            finding.path.clone()
        };
        let (kind, message) = match finding.problem {
            Problem::PlaintextValue => (
                "plaintext_value",
                format!("plaintext {} at {shown}", finding.type_name),
            ),
            Problem::MalformedValue => (
                "malformed_value",
                format!("malformed ENC[…] value at {shown}"),
            ),
            Problem::PlaintextComment => (
                "plaintext_comment",
                format!("plaintext comment in {shown} (sops would encrypt it)"),
            ),
        };
        Issue {
            kind,
            path: Some(finding.path.clone()),
            type_name: Some(finding.type_name),
            message,
        }
    }

    fn to_json(&self) -> Value {
        let mut v = json!({ "kind": self.kind });
        if let Some(path) = &self.path {
            v["path"] = json!(path);
        }
        if let Some(t) = self.type_name {
            v["type"] = json!(t);
        }
        v["message"] = json!(self.message);
        v
    }
}

/// Everything `check` says about one file.
#[derive(Debug, Clone)]
pub(crate) struct FileReport {
    pub(crate) file: String,
    pub(crate) status: Status,
    /// The matching rules that have a `path_regex`: index and regex.
    pub(crate) rules: Vec<(usize, String)>,
    pub(crate) problems: Vec<Issue>,
    pub(crate) warnings: Vec<Issue>,
    pub(crate) mac: Option<&'static str>,
    pub(crate) skip_reason: Option<&'static str>,
}

impl FileReport {
    pub(crate) fn new(file: &Path) -> Self {
        FileReport {
            file: file.display().to_string(),
            status: Status::Ok,
            rules: Vec::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
            mac: None,
            skip_reason: None,
        }
    }

    pub(crate) fn fail(&mut self, issue: Issue) {
        self.problems.push(issue);
    }

    pub(crate) fn warn(&mut self, issue: Issue) {
        self.warnings.push(issue);
    }

    fn to_json(&self) -> Value {
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|(i, re)| json!({ "index": i, "path_regex": re }))
            .collect();
        json!({
            "file": self.file,
            "status": self.status.name(),
            "rules": rules,
            "problems": self.problems.iter().map(Issue::to_json).collect::<Vec<_>>(),
            "warnings": self.warnings.iter().map(Issue::to_json).collect::<Vec<_>>(),
            "mac": self.mac,
            "skip_reason": self.skip_reason,
        })
    }
}

fn count(reports: &[FileReport], status: Status) -> usize {
    reports.iter().filter(|r| r.status == status).count()
}

/// `--format json`: one document on stdout.
pub(crate) fn print_json(reports: &[FileReport]) {
    let failed = count(reports, Status::Failed);
    let skipped = count(reports, Status::Skipped);
    let doc = json!({
        "ok": failed == 0,
        "checked": reports.len() - skipped,
        "failed": failed,
        "skipped": skipped,
        "files": reports.iter().map(FileReport::to_json).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_owned());
    println!("{text}");
}

/// The text rendering: one line per problem and warning; a summary line when all is well
/// (on failure the caller's error message is the summary).
pub(crate) fn print_text(reports: &[FileReport]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for r in reports {
        for w in &r.warnings {
            let _ = writeln!(out, "warning: {}: {}", r.file, w.message);
        }
        for p in &r.problems {
            let _ = writeln!(out, "{}: {}", r.file, p.message);
        }
        if r.mac == Some("verified") {
            let _ = writeln!(out, "{}: MAC verified", r.file);
        }
    }
    let failed = count(reports, Status::Failed);
    if failed == 0 {
        let skipped = count(reports, Status::Skipped);
        let _ = writeln!(
            out,
            "sops-rs check: {} file(s) encrypted as the rules require, {skipped} skipped",
            reports.len() - skipped
        );
    }
}
