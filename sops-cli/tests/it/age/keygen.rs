//! `sops-rs age-keygen`: the identity file age-keygen writes (compared with Debian's
//! `age-keygen` on the same machine), `-y`, and the refusals.

use super::{new_key, stdout};
use crate::support::{mode, program_on_path, Identity, Sandbox, Tool};
use std::process::Command;

fn debian_age_keygen() -> std::path::PathBuf {
    program_on_path("age-keygen")
        .expect("age-keygen is not installed (apt-get install age; bash .ci/run does it)")
}

/// The shape of an identity file, secrets and times replaced by their kind.
fn shape(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            if let Some(t) = l.strip_prefix("# created: ") {
                let ok = t.len() >= 20 && t.as_bytes()[10] == b'T';
                format!("# created: <{}>", if ok { "RFC 3339" } else { t })
            } else if let Some(r) = l.strip_prefix("# public key: ") {
                format!("# public key: <{}>", &r[..r.find('1').unwrap_or(0)])
            } else {
                format!("<{}>", &l[..l.rfind('1').unwrap_or(0)])
            }
        })
        .collect()
}

#[test]
fn the_identity_file_is_age_keygens_and_age_reads_it() {
    let sandbox = Sandbox::with_identity(Identity::None);
    let out = sandbox
        .run(Tool::SopsRs, &["age-keygen", "-o", "ours.txt"])
        .expect_success();
    let ours = std::fs::read_to_string(sandbox.file("ours.txt")).unwrap();
    let status = Command::new(debian_age_keygen())
        .arg("-o")
        .arg(sandbox.file("theirs.txt"))
        .output()
        .unwrap();
    assert!(status.status.success());
    let theirs = std::fs::read_to_string(sandbox.file("theirs.txt")).unwrap();
    assert_eq!(
        shape(&ours),
        shape(&theirs),
        "ours:\n{ours}\ntheirs:\n{theirs}"
    );
    assert!(ours.ends_with('\n'));
    assert_eq!(
        mode(&sandbox.file("ours.txt")),
        mode(&sandbox.file("theirs.txt"))
    );
    assert_eq!(mode(&sandbox.file("ours.txt")), 0o600);
    let recipient = ours
        .lines()
        .nth(1)
        .unwrap()
        .strip_prefix("# public key: ")
        .unwrap();
    assert_eq!(out.stderr_text(), format!("Public key: {recipient}\n"));

    // Debian's age-keygen derives the same recipient from our identity, and we from its.
    let y = Command::new(debian_age_keygen())
        .arg("-y")
        .arg(sandbox.file("ours.txt"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(y.stdout).unwrap(),
        format!("{recipient}\n")
    );
    let theirs_recipient = theirs
        .lines()
        .nth(1)
        .unwrap()
        .strip_prefix("# public key: ")
        .unwrap();
    let ys = stdout(sandbox.run(Tool::SopsRs, &["age-keygen", "-y", "theirs.txt"]));
    assert_eq!(ys, format!("{theirs_recipient}\n"));
}

#[test]
fn y_lists_every_recipient_from_a_file_or_stdin() {
    let sandbox = Sandbox::with_identity(Identity::None);
    let (a, ra) = new_key(&sandbox, "a.txt", false);
    let (b, rb) = new_key(&sandbox, "b.txt", true);
    let mut both = std::fs::read(&a).unwrap();
    both.extend(std::fs::read(&b).unwrap());
    let listed = stdout(
        sandbox
            .cmd(Tool::SopsRs)
            .args(["age-keygen", "-y"])
            .stdin(both)
            .run(),
    );
    assert_eq!(listed, format!("{ra}\n{rb}\n"));
    let to_file = sandbox.run(Tool::SopsRs, &["age-keygen", "-y", "-o", "r.txt", "b.txt"]);
    assert!(to_file.expect_success().stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(sandbox.file("r.txt")).unwrap(),
        format!("{rb}\n")
    );
    assert!(rb.starts_with("age1pq1") && rb.len() == 1959, "{rb}");
}

#[test]
fn refusals_exit_1_and_leave_files_alone() {
    let sandbox = Sandbox::with_identity(Identity::None);
    let (path, _) = new_key(&sandbox, "k.txt", false);
    let before = std::fs::read(&path).unwrap();
    let again = sandbox.run(Tool::SopsRs, &["age-keygen", "-o", "k.txt"]);
    assert_eq!(again.code, Some(1), "{}", again.describe());
    assert!(
        again.stderr_text().contains("failed to open output file"),
        "{}",
        again.describe()
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);

    let empty = sandbox
        .cmd(Tool::SopsRs)
        .args(["age-keygen", "-y"])
        .stdin("# nothing\n")
        .run();
    assert_eq!(empty.code, Some(1));
    assert!(
        empty.stderr_text().contains("no identities found"),
        "{}",
        empty.describe()
    );
    let secret = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ";
    let bad = sandbox
        .cmd(Tool::SopsRs)
        .args(["age-keygen", "-y"])
        .stdin(secret)
        .run();
    assert_eq!(bad.code, Some(1));
    assert!(
        !bad.stderr_text().contains(&secret[20..]),
        "{}",
        bad.describe()
    );
    let both = sandbox.run(Tool::SopsRs, &["age-keygen", "--pq", "-y", "k.txt"]);
    assert_ne!(both.code, Some(0), "{}", both.describe());
}
