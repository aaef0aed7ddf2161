//! `sops-rs set` / `unset` (and the legacy `--set`) against the reference sops 3.11.0.
//!
//! Each case runs both programs on their own copy of the same encrypted file and compares the
//! exit code, stdout, what `sops decrypt` makes of the result, the layout of the encrypted file
//! (ciphertexts masked) and whether the file was rewritten at all. Verified with sops 3.11.0:
//!
//! * `set FILE PATH JSON`: 0; missing keys and list items are created (`["new"]["deep"][3]` makes
//!   a mapping and a one-item list); objects become mappings; numbers keep their JSON text
//!   (`1.50` → 1.5, a 20-digit integer stays an integer).
//! * `--value-file FILE` and `--value-stdin` read the JSON value from a file or stdin; a value
//!   file that cannot be read is exit **1**.
//! * `--idempotent` with the value already set: 0 and the file is **not rewritten** (same bytes,
//!   same `lastmodified`); without it the file is rewritten (new `lastmodified` and MAC).
//! * `unset` of a missing key or index: **1** "key not found", file untouched; with
//!   `--idempotent`: 0, file untouched.
//! * A value that is not JSON, or a path that is not `["key"][0]` syntax: **7**.
//! * A file that does not exist: **2** ("Error reading file"), for `set` and `unset`.
//! * An empty path (`''`): sops **panics** (index out of range, exit **2**) and leaves the file
//!   alone. sops-rs refuses it with the same code and a message (it used to replace the whole
//!   document with the value).
//! * The wrong key: **128**.
//! * Legacy `--set '["a"]["b"] VALUE' FILE`: as `set`; without a space after `]`: **7**.

use crate::support;

use crate::support::{
    age_key_path, compare_runs, difference, normalize_encrypted, read, Failures, Sandbox, Tool,
};
use std::path::Path;

/// One case: arguments (with `FILE` standing for the copy of the encrypted file), stdin, the
/// exit code sops 3.11.0 gives, and whether the file must come out byte-identical.
struct Case {
    args: &'static [&'static str],
    stdin: Option<&'static str>,
    code: i32,
    unchanged: bool,
}

const fn case(args: &'static [&'static str], code: i32, unchanged: bool) -> Case {
    Case {
        args,
        stdin: None,
        code,
        unchanged,
    }
}

fn run_cases(fixture: &str, ext: &str, cases: &[Case], what: &str) {
    let sandbox = Sandbox::new();
    sandbox.write(
        "value.json",
        "{\"from\": \"file\", \"n\": [1, 2.5, true, null]}\n",
    );
    let original = read(&support::fixture(fixture));
    let mut failures = Failures::new();
    for (i, c) in cases.iter().enumerate() {
        let label = format!("{} {}", what, c.args.join(" "));
        let mut outs = Vec::new();
        for tool in [Tool::Sops, Tool::SopsRs] {
            let file = sandbox.write(&format!("{}-{i}.{ext}", tool.name()), &original);
            let args: Vec<String> = c
                .args
                .iter()
                .map(|a| a.replace("FILE", file.to_str().unwrap()))
                .collect();
            let mut cmd = sandbox.cmd(tool).args(&args);
            if let Some(stdin) = c.stdin {
                cmd = cmd.stdin(stdin);
            }
            let out = cmd.run();
            outs.push((out, file));
        }
        let (reference, ref_file) = &outs[0];
        let (ours, our_file) = &outs[1];
        if reference.code != Some(c.code) {
            failures.push(
                &label,
                format!(
                    "the reference sops no longer exits with {}: {}",
                    c.code,
                    reference.describe()
                ),
            );
        }
        let mut failure = compare_runs(reference, ours);
        if failure.is_none() {
            failure = check_files(&sandbox, &original, ref_file, our_file, c.unchanged);
        }
        failures.check(&label, failure);
    }
    failures.finish(what);
}

/// Compares what both files decrypt to and their layouts; checks they are (un)changed.
fn check_files(
    sandbox: &Sandbox,
    original: &[u8],
    ref_file: &Path,
    our_file: &Path,
    unchanged: bool,
) -> Option<String> {
    let (ref_bytes, our_bytes) = (read(ref_file), read(our_file));
    if unchanged {
        if ref_bytes != original {
            return Some(
                "the reference sops rewrote the file; the test expects it untouched".into(),
            );
        }
        return difference(original, &our_bytes)
            .map(|d| format!("sops-rs changed the file (sops leaves it byte-identical): {d}"));
    }
    if our_bytes == original {
        return Some("sops-rs did not rewrite the file (sops does)".into());
    }
    let decrypt = |f: &Path| sandbox.cmd(Tool::Sops).arg("decrypt").arg(f).run();
    let (r, o) = (decrypt(ref_file), decrypt(our_file));
    if !o.success() {
        return Some(format!(
            "sops cannot decrypt the file sops-rs wrote: {}",
            o.describe()
        ));
    }
    if let Some(d) = difference(&r.stdout, &o.stdout) {
        return Some(format!("sops decrypts the two files differently: {d}"));
    }
    let layout = |b: &[u8]| normalize_encrypted(&String::from_utf8_lossy(b));
    difference(layout(&ref_bytes).as_bytes(), layout(&our_bytes).as_bytes())
        .map(|d| format!("layout of the rewritten file differs: {d}"))
}

#[test]
fn set_matches_sops_on_yaml() {
    let cases = [
        case(
            &["set", "FILE", r#"["app"]["name"]"#, r#""renamed""#],
            0,
            false,
        ),
        case(&["set", "FILE", r#"["app"]["replicas"]"#, "42"], 0, false),
        case(&["set", "FILE", r#"["f"]"#, "1.50"], 0, false),
        case(
            &["set", "FILE", r#"["big"]"#, "12345678901234567890"],
            0,
            false,
        ),
        case(&["set", "FILE", r#"["s"]"#, r#""two\nlines""#], 0, false),
        case(
            &["set", "FILE", r#"["new"]["deep"][3]"#, r#""v""#],
            0,
            false,
        ),
        case(
            &[
                "set",
                "FILE",
                r#"["app"]["obj"]"#,
                r#"{"a": 1, "b": [true, null, "s"], "c": {"d": 2.5}}"#,
            ],
            0,
            false,
        ),
        case(
            &[
                "set",
                "FILE",
                r#"["app"]["database"]["tags"][1]"#,
                r#""replaced""#,
            ],
            0,
            false,
        ),
        case(
            &[
                "set",
                "FILE",
                r#"["app"]["database"]["tags"][9]"#,
                r#""appended""#,
            ],
            0,
            false,
        ),
        case(
            &[
                "set",
                "FILE",
                r#"["app"]["name"]["below"]"#,
                r#""scalar replaced""#,
            ],
            0,
            false,
        ),
        case(
            &[
                "set",
                "--value-file",
                "FILE",
                r#"["app"]["vf"]"#,
                "value.json",
            ],
            0,
            false,
        ),
        case(
            &[
                "set",
                "--value-file",
                "FILE",
                r#"["app"]["vf"]"#,
                "missing.json",
            ],
            1,
            true,
        ),
        Case {
            args: &["set", "--value-stdin", "FILE", r#"["app"]["vs"]"#],
            stdin: Some("{\"k\": \"from stdin\"}\n"),
            code: 0,
            unchanged: false,
        },
        // --idempotent: the value is already there, nothing is written.
        case(
            &[
                "set",
                "--idempotent",
                "FILE",
                r#"["app"]["name"]"#,
                r#""payments""#,
            ],
            0,
            true,
        ),
        case(
            &[
                "set",
                "--idempotent",
                "FILE",
                r#"["app"]["name"]"#,
                r#""other""#,
            ],
            0,
            false,
        ),
        // Without it the file is rewritten even if the value is the same.
        case(
            &["set", "FILE", r#"["app"]["name"]"#, r#""payments""#],
            0,
            false,
        ),
        case(&["set", "FILE", r#"["app"]["name"]"#, "not-json"], 7, true),
        case(&["set", "FILE", "app.name", r#""x""#], 7, true),
        case(&["set", "FILE", "", r#""x""#], 2, true),
        case(&["--set", r#"["app"]["name"] "legacy""#, "FILE"], 0, false),
        case(
            &["--set", r#"["app"]["obj"] {"a": [1, 2]}"#, "FILE"],
            0,
            false,
        ),
        case(&["--set", "no-space-after-bracket", "FILE"], 7, true),
    ];
    run_cases("sops-3.11.0/yaml-age.yaml", "yaml", &cases, "set (YAML)");
}

#[test]
fn unset_matches_sops_on_yaml() {
    let cases = [
        case(&["unset", "FILE", r#"["app"]["name"]"#], 0, false),
        case(&["unset", "FILE", r#"["app"]["database"]"#], 0, false),
        case(
            &["unset", "FILE", r#"["app"]["database"]["tags"][1]"#],
            0,
            false,
        ),
        case(
            &["unset", "FILE", r#"["list_of_maps"][0]["token"]"#],
            0,
            false,
        ),
        case(&["unset", "FILE", r#"["app"]["nope"]"#], 1, true),
        case(
            &["unset", "FILE", r#"["app"]["database"]["tags"][9]"#],
            1,
            true,
        ),
        case(
            &["unset", "--idempotent", "FILE", r#"["app"]["nope"]"#],
            0,
            true,
        ),
        case(
            &["unset", "--idempotent", "FILE", r#"["app"]["name"]"#],
            0,
            false,
        ),
        case(&["unset", "FILE", ""], 2, true),
    ];
    run_cases("sops-3.11.0/yaml-age.yaml", "yaml", &cases, "unset (YAML)");
}

#[test]
fn set_and_unset_match_sops_on_json() {
    let cases = [
        case(&["set", "FILE", r#"["name"]"#, r#""renamed""#], 0, false),
        case(
            &["set", "FILE", r#"["new"]["deep"][3]"#, r#"{"a": [1, 2]}"#],
            0,
            false,
        ),
        case(&["unset", "FILE", r#"["database"]"#], 0, false),
        case(&["unset", "FILE", r#"["nope"]"#], 1, true),
    ];
    run_cases(
        "sops-3.11.0/json-age.json",
        "json",
        &cases,
        "set/unset (JSON)",
    );
}

#[test]
fn missing_file_and_wrong_key_match_sops() {
    let sandbox = Sandbox::new();
    let missing = sandbox.file("missing.yaml");
    let missing = missing.to_str().unwrap();
    support::assert_parity(&sandbox, &["set", missing, r#"["a"]"#, "1"], 2);
    support::assert_parity(&sandbox, &["unset", missing, r#"["a"]"#], 2);
    support::assert_parity(&sandbox, &["--set", r#"["a"] 1"#, missing], 2);
    assert!(!sandbox.file("missing.yaml").exists());

    let file = sandbox.copy_fixture("sops-3.11.0/yaml-age.yaml", "secrets.yaml");
    for tool in [Tool::Sops, Tool::SopsRs] {
        let out = sandbox
            .cmd(tool)
            .args(["set", file.to_str().unwrap(), r#"["a"]"#, "1"])
            .identity(support::Identity::AgeKeyFile(age_key_path("age-carol")))
            .run();
        assert_eq!(out.code, Some(128), "{}", out.describe());
    }
    support::assert_same_bytes(
        "the file after set with the wrong key",
        &read(&support::fixture("sops-3.11.0/yaml-age.yaml")),
        &read(&file),
    );
}
