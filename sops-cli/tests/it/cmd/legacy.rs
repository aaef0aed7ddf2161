//! The flag forms without a subcommand that helm-secrets and older scripts use, and `--help`,
//! against the reference sops 3.11.0. Verified with sops 3.11.0:
//!
//! * `--decrypt --input-type yaml --output-type yaml FILE` and `-d FILE`: as `decrypt`.
//! * `--decrypt --input-type json --output-type json /dev/stdin` with the file piped in: the
//!   plaintext (helm-secrets' form for stdin).
//! * `--encrypt --age R --input-type yaml --output-type yaml --output OUT FILE`: writes OUT
//!   (mode 0666 less the umask), prints nothing.
//! * `-d -i FILE`: decrypts in place.
//! * A bare `sops --input-type yaml --output-type yaml FILE` (and `sops FILE`) edits FILE.
//! * `-r FILE` rotates; `-r` of a missing file is **100**.
//! * No arguments at all: help and exit **100** ("no file specified").
//! * `--help` of every subcommand: exit 0.

use crate::support;

use crate::support::{
    age_recipient, assert_parity, assert_parity_with, mode, normalize_encrypted, read, Sandbox,
    Tool,
};

const BOTH: [Tool; 2] = [Tool::Sops, Tool::SopsRs];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn legacy_decrypt_forms_match_sops() {
    let sandbox = Sandbox::new();
    let yaml = support::fixture("sops-3.11.0/yaml-age.yaml");
    let json = support::fixture("sops-3.11.0/json-age.json");
    let (y, j) = (yaml.to_str().unwrap(), json.to_str().unwrap());
    assert_parity(
        &sandbox,
        &[
            "--decrypt",
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
            y,
        ],
        0,
    );
    assert_parity(&sandbox, &["-d", y], 0);
    assert_parity(&sandbox, &["-d", "--output-type", "json", y], 0);
    assert_parity(&sandbox, &["-d", "--extract", r#"["app"]["name"]"#, y], 0);
    assert_parity_with(
        &sandbox,
        &[
            "--decrypt",
            "--input-type",
            "json",
            "--output-type",
            "json",
            "/dev/stdin",
        ],
        Some(&read(&json)),
        0,
    );
    assert_parity_with(
        &sandbox,
        &[
            "--decrypt",
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
            "/dev/stdin",
        ],
        Some(&read(&yaml)),
        0,
    );
    assert_parity(&sandbox, &["-d", j], 0);
    let missing = sandbox.file("missing.yaml");
    assert_parity(&sandbox, &["-d", missing.to_str().unwrap()], 100);
}

#[test]
fn legacy_decrypt_in_place_matches_sops() {
    let sandbox = Sandbox::new();
    let mut results = Vec::new();
    for tool in BOTH {
        let file = sandbox.copy_fixture(
            "sops-3.11.0/yaml-age.yaml",
            &format!("{}.yaml", tool.name()),
        );
        let out = sandbox.cmd(tool).args(["-d", "-i"]).arg(&file).run();
        assert!(out.success() && out.stdout.is_empty(), "{}", out.describe());
        results.push(read(&file));
    }
    support::assert_same_bytes("the file after -d -i", &results[0], &results[1]);
    support::assert_same_bytes(
        "the file after -d -i",
        &read(&support::fixture("sops-3.11.0/yaml-age.plain.yaml")),
        &results[1],
    );
}

#[test]
fn legacy_encrypt_with_output_matches_sops() {
    let sandbox = Sandbox::new();
    let plain = support::fixture("sops-3.11.0/yaml-age.plain.yaml");
    let alice = age_recipient("age-alice");
    let mut written = Vec::new();
    for tool in BOTH {
        let target = sandbox.file(&format!("{}-out.yaml", tool.name()));
        let out = sandbox
            .cmd(tool)
            .args([
                "--encrypt",
                "--age",
                &alice,
                "--input-type",
                "yaml",
                "--output-type",
                "yaml",
                "--output",
            ])
            .arg(&target)
            .arg(&plain)
            .run();
        assert!(out.success() && out.stdout.is_empty(), "{}", out.describe());
        let back = sandbox
            .cmd(Tool::Sops)
            .arg("decrypt")
            .arg(&target)
            .run()
            .expect_success();
        support::assert_same_bytes(
            "sops decrypt of the --output file",
            &read(&plain),
            &back.stdout,
        );
        written.push((normalize_encrypted(&text(&read(&target))), mode(&target)));
    }
    support::assert_same_bytes(
        "layout of -e --output",
        written[0].0.as_bytes(),
        written[1].0.as_bytes(),
    );
    assert_eq!(
        format!("{:o}", written[1].1),
        format!("{:o}", written[0].1),
        "mode of a new encrypted --output file"
    );
    // -e to stdout.
    let layouts: Vec<String> = BOTH
        .iter()
        .map(|&tool| {
            let out = sandbox
                .cmd(tool)
                .args(["-e", "--age", &alice])
                .arg(&plain)
                .run();
            assert!(out.success(), "{}", out.describe());
            normalize_encrypted(&text(&out.stdout))
        })
        .collect();
    support::assert_same_bytes("layout of -e", layouts[0].as_bytes(), layouts[1].as_bytes());
}

#[test]
fn bare_file_argument_edits_like_sops() {
    let sandbox = Sandbox::new();
    let editor = sandbox.script("edit.sh", "sed -i 's/replicas: 3/replicas: 6/' \"$1\"\n");
    let expected = text(&read(&support::fixture("sops-3.11.0/yaml-age.plain.yaml")))
        .replace("replicas: 3", "replicas: 6");
    for args in [
        &["--input-type", "yaml", "--output-type", "yaml"][..],
        &[][..],
    ] {
        for tool in BOTH {
            let file = sandbox.copy_fixture(
                "sops-3.11.0/yaml-age.yaml",
                &format!("{}-bare.yaml", tool.name()),
            );
            let out = sandbox
                .cmd(tool)
                .args(args)
                .arg(&file)
                .env("EDITOR", &editor)
                .run();
            assert_eq!(out.code, Some(0), "{}", out.describe());
            let back = sandbox
                .cmd(Tool::Sops)
                .arg("decrypt")
                .arg(&file)
                .run()
                .expect_success();
            support::assert_same_bytes(
                &format!("{} {args:?} FILE as edit", tool.name()),
                expected.as_bytes(),
                &back.stdout,
            );
            // Unchanged: 200, as `edit`.
            let out = sandbox
                .cmd(tool)
                .args(args)
                .arg(&file)
                .env("EDITOR", "true")
                .run();
            assert_eq!(out.code, Some(200), "{}", out.describe());
        }
    }
}

#[test]
fn legacy_rotate_and_usage_errors_match_sops() {
    let sandbox = Sandbox::new();
    let file = support::fixture("sops-3.11.0/yaml-age.yaml");
    let plain = read(&support::fixture("sops-3.11.0/yaml-age.plain.yaml"));
    for tool in BOTH {
        let out = sandbox.cmd(tool).arg("-r").arg(&file).run();
        assert!(out.success(), "{}", out.describe());
        let rotated = sandbox.write(&format!("{}-rotated.yaml", tool.name()), &out.stdout);
        let back = sandbox
            .cmd(Tool::Sops)
            .arg("decrypt")
            .arg(&rotated)
            .run()
            .expect_success();
        support::assert_same_bytes("decrypt after -r", &plain, &back.stdout);
    }
    let missing = sandbox.file("missing.yaml");
    assert_parity(&sandbox, &["-r", missing.to_str().unwrap()], 100);
    // No arguments: usage on stdout (different texts) and exit 100.
    for tool in BOTH {
        let out = sandbox.cmd(tool).run();
        assert_eq!(out.code, Some(100), "{}", out.describe());
    }
}

#[test]
fn help_of_every_subcommand_is_exit_0() {
    let sandbox = Sandbox::new();
    for sub in [
        &[][..],
        &["decrypt"],
        &["encrypt"],
        &["edit"],
        &["rotate"],
        &["updatekeys"],
        &["set"],
        &["unset"],
        &["exec-env"],
        &["exec-file"],
        &["filestatus"],
        &["groups"],
        &["groups", "add"],
        &["groups", "delete"],
        &["completion"],
    ] {
        for tool in BOTH {
            let out = sandbox.cmd(tool).args(sub).arg("--help").run();
            assert_eq!(out.code, Some(0), "{sub:?} --help: {}", out.describe());
            assert!(
                !out.stdout.is_empty(),
                "{sub:?} --help prints the help on stdout"
            );
        }
    }
    // `completion bash` prints a script.
    for tool in BOTH {
        let out = sandbox.cmd(tool).args(["completion", "bash"]).run();
        assert!(
            out.success() && text(&out.stdout).contains("complete"),
            "{}",
            out.describe()
        );
    }
}
