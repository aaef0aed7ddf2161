//! Every flag the reference sops lists in `sops SUBCOMMAND --help` is accepted by sops-rs, once
//! and twice (a repeated string flag takes the last value, a repeated boolean is accepted, a
//! repeatable flag accumulates), on every subcommand the reference lists in `sops --help`.
//!
//! The flags are read from the reference's own help output at test time, so a flag a newer
//! reference adds is caught here. Each flag is given with a plausible value on a command line
//! that is otherwise valid; the command may still fail (a KMS key without credentials, a key
//! service that is not there), but never with a usage error: clap's `error: …` and `Usage:`
//! text with exit 1.

use crate::support as common;

use common::{age_recipient, Sandbox, Tool};

/// One flag as the help lists it: its first long name and whether it takes a value.
#[derive(Debug)]
struct Flag {
    name: String,
    takes_value: bool,
}

/// The lines of `section` (e.g. `COMMANDS:`) in a urfave/cli help text, up to the next section.
fn section<'a>(help: &'a str, title: &str) -> Vec<&'a str> {
    help.lines()
        .skip_while(|l| l.trim() != title)
        .skip(1)
        .take_while(|l| l.starts_with(' ') || l.is_empty())
        .filter(|l| !l.trim().is_empty())
        .collect()
}

fn help_of(sandbox: &Sandbox, words: &[&str]) -> String {
    let mut args: Vec<&str> = words.to_vec();
    args.push("--help");
    let out = sandbox.run(Tool::Sops, &args);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The subcommand names of a help text (`help, h` and `completion`'s shells excluded).
fn subcommands(help: &str) -> Vec<String> {
    section(help, "COMMANDS:")
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .map(|n| n.trim_end_matches(',').to_owned())
        .filter(|n| n != "help")
        .collect()
}

/// The flags of a help text's `OPTIONS:` section, without `--help`.
fn flags(help: &str) -> Vec<Flag> {
    flags_in(help, "OPTIONS:")
}

/// The flags of one section of a help text, without `--help`.
fn flags_in(help: &str, title: &str) -> Vec<Flag> {
    section(help, title)
        .iter()
        .filter_map(|line| {
            let spec = line.trim().split("  ").next()?;
            let first = spec.split(", ").next()?;
            let mut words = first.split_whitespace();
            let name = words.next()?.trim_start_matches('-').to_owned();
            let takes_value = words.next() == Some("value");
            (name != "help").then_some(Flag { name, takes_value })
        })
        .collect()
}

/// A value sops would accept for `flag`.
fn value_for(flag: &str, sandbox: &Sandbox) -> String {
    let v = |s: &str| s.to_owned();
    match flag {
        "input-type" | "output-type" => v("yaml"),
        "age" | "add-age" | "rm-age" => age_recipient("age-alice"),
        "pgp" | "add-pgp" | "rm-pgp" => v("CC8CB3591DF8BB3CDE1036B4045E0B7A37651994"),
        "kms" | "add-kms" | "rm-kms" => v("arn:aws:kms:us-east-1:111122223333:key/abcd"),
        "gcp-kms" | "add-gcp-kms" | "rm-gcp-kms" => {
            v("projects/p/locations/global/keyRings/r/cryptoKeys/k")
        }
        "azure-kv" | "add-azure-kv" | "rm-azure-kv" => {
            v("https://v.vault.azure.net/keys/k/0123456789abcdef")
        }
        "hc-vault-transit" | "add-hc-vault-transit" | "rm-hc-vault-transit" => {
            v("https://vault.example.org:8200/v1/transit/keys/dev")
        }
        "hckms" | "add-hckms" | "rm-hckms" => v("tr-west-1:0a1b2c3d-0000-0000-0000-000000000000"),
        "aws-profile" => v("default"),
        "shamir-secret-sharing-threshold" => v("1"),
        "extract" => v(r#"["a"]"#),
        "decryption-order" => v("age,pgp"),
        "encryption-context" => v("team:dev"),
        "filename" => v("tmp-file"),
        "filename-override" => v("plain.yaml"),
        "user" => v("root"),
        "unencrypted-suffix" | "encrypted-suffix" => v("_x"),
        "unencrypted-regex" | "encrypted-regex" => v("^x"),
        "keyservice" => v("tcp://127.0.0.1:1"),
        "network" => v("tcp"),
        // Not an address: `keyservice` fails at once instead of serving.
        "address" => v("999.0.0.1:0"),
        "output" => sandbox.file("out.yaml").display().to_string(),
        "file" => sandbox.file("enc.yaml").display().to_string(),
        _ => v("x"),
    }
}

/// The arguments after the flags that make a valid command line for `words`.
fn positionals(words: &[&str], sandbox: &Sandbox, flag: &str) -> Vec<String> {
    let enc = sandbox.file("enc.yaml").display().to_string();
    let plain = sandbox.file("plain.yaml").display().to_string();
    let file_flag = |rest: &[&str]| {
        let mut out = Vec::new();
        if flag != "file" {
            out.extend(["--file".to_owned(), enc.clone()]);
        }
        out.extend(rest.iter().map(|s| s.to_string()));
        out
    };
    match words {
        ["encrypt"] => vec![plain],
        ["set"] => vec![enc, r#"["a"]"#.into(), r#""v""#.into()],
        ["unset"] => vec![enc, r#"["a"]"#.into()],
        ["exec-env"] | ["exec-file"] => vec![enc, "true".into()],
        // An address that cannot be bound, so that `keyservice` exits instead of serving.
        ["keyservice"] if flag != "address" => vec!["--address".into(), "999.0.0.1:0".into()],
        ["keyservice"] | ["completion", ..] => Vec::new(),
        ["groups", "add"] => file_flag(&[]),
        ["groups", "delete"] => file_flag(&["0"]),
        _ => vec![enc],
    }
}

/// The command lines (subcommand words) the reference lists, with `groups add|delete`.
fn command_lines(sandbox: &Sandbox) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for name in subcommands(&help_of(sandbox, &[])) {
        let nested = subcommands(&help_of(sandbox, &[&name]));
        if nested.is_empty() || name == "completion" {
            out.push(vec![name]);
        } else {
            out.extend(nested.into_iter().map(|sub| vec![name.clone(), sub]));
        }
    }
    out
}

fn fresh_files(sandbox: &Sandbox) {
    let plain = "a: secret\nb: 2\n";
    sandbox.write("plain.yaml", plain);
    let recipient = age_recipient("age-alice");
    let out = sandbox.run(
        Tool::SopsRs,
        &["encrypt", "--age", &recipient, &path(sandbox, "plain.yaml")],
    );
    assert!(out.success(), "cannot encrypt the test file");
    sandbox.write("enc.yaml", out.stdout);
    let _ = std::fs::remove_file(sandbox.file("out.yaml"));
}

fn path(sandbox: &Sandbox, name: &str) -> String {
    sandbox.file(name).display().to_string()
}

/// The refusal clap prints for an unknown, duplicate or malformed argument, if any.
fn usage_error(code: Option<i32>, stderr: &str) -> Option<String> {
    let clap_like = stderr.starts_with("error: ")
        || stderr.contains("\nUsage: ")
        || stderr.contains("cannot be used multiple times")
        || stderr.contains("unexpected argument");
    (code == Some(1) && clap_like).then(|| stderr.to_owned())
}

#[test]
fn every_flag_of_every_subcommand_is_accepted_once_and_twice() {
    let sandbox = Sandbox::new();
    let commands = command_lines(&sandbox);
    assert!(
        commands.len() >= 12,
        "the reference listed too few subcommands: {commands:?}"
    );
    let mut refused = Vec::new();
    let mut tried = 0;
    for words in &commands {
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        for flag in flags(&help_of(&sandbox, &words)) {
            for times in [1, 2] {
                fresh_files(&sandbox);
                let mut args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
                for _ in 0..times {
                    args.push(format!("--{}", flag.name));
                    if flag.takes_value {
                        args.push(value_for(&flag.name, &sandbox));
                    }
                }
                args.extend(positionals(&words, &sandbox, &flag.name));
                tried += 1;
                refused.extend(refusal(&sandbox, &args));
            }
        }
    }
    assert!(tried > 200, "only {tried} command lines were tried");
    assert!(
        refused.is_empty(),
        "{} of {tried} uses of sops's flags were refused:\n{}",
        refused.len(),
        refused.join("\n")
    );
}

/// Runs sops-rs with `args` (and the editor, AWS and stdin made harmless) and returns the
/// usage error it printed, if any.
fn refusal(sandbox: &Sandbox, args: &[String]) -> Option<String> {
    let out = sandbox
        .cmd(Tool::SopsRs)
        .args(args)
        .env("EDITOR", "true")
        .env("SOPS_EDITOR", "true")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "")
        .env("AWS_SECRET_ACCESS_KEY", "")
        .stdin(Vec::new())
        .run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    usage_error(out.code, &stderr)
        .map(|message| format!("sops-rs {}\n    {}", args.join(" "), message.trim()))
}

/// The global options of `sops --help`, once and twice, with the legacy `-d FILE` form (the
/// action flags themselves, `--set` and `--extract` excepted: they pick another action or
/// need a document path).
#[test]
fn every_global_flag_is_accepted_once_and_twice_with_legacy_decrypt() {
    let sandbox = Sandbox::new();
    let global = flags_in(&help_of(&sandbox, &[]), "GLOBAL OPTIONS:");
    let skip = ["decrypt", "encrypt", "rotate", "set", "version", "extract"];
    let mut refused = Vec::new();
    let mut tried = 0;
    for flag in global.iter().filter(|f| !skip.contains(&f.name.as_str())) {
        for times in [1, 2] {
            fresh_files(&sandbox);
            let mut args = Vec::new();
            for _ in 0..times {
                args.push(format!("--{}", flag.name));
                if flag.takes_value {
                    let value = match flag.name.as_str() {
                        "indent" => "2".to_owned(),
                        "config" => "/dev/null".to_owned(),
                        name => value_for(name, &sandbox),
                    };
                    args.push(value);
                }
            }
            args.extend(["-d".to_owned(), path(&sandbox, "enc.yaml")]);
            tried += 1;
            refused.extend(refusal(&sandbox, &args));
        }
    }
    assert!(tried > 80, "only {tried} command lines were tried");
    assert!(
        refused.is_empty(),
        "{} of {tried} uses of sops's global flags were refused:\n{}",
        refused.len(),
        refused.join("\n")
    );
}

#[test]
fn the_help_parser_reads_the_reference_help() {
    let sandbox = Sandbox::new();
    let help = help_of(&sandbox, &["decrypt"]);
    let parsed = flags(&help);
    let names: Vec<&str> = parsed.iter().map(|f| f.name.as_str()).collect();
    assert!(
        names.contains(&"in-place") && names.contains(&"keyservice"),
        "{names:?}"
    );
    assert!(parsed.iter().any(|f| f.name == "extract" && f.takes_value));
    assert!(parsed
        .iter()
        .any(|f| f.name == "ignore-mac" && !f.takes_value));
}

/// The key-service flags: the local key service is on by default and its variable takes Go's
/// boolean forms; a key service that is not there is not asked while the local keys open the
/// file, and fails as in sops (exit 128, gRPC's `Unavailable`) when only it may be used.
#[test]
fn key_service_flags_and_variables() {
    let sandbox = Sandbox::new();
    fresh_files(&sandbox);
    let enc = path(&sandbox, "enc.yaml");
    for value in ["1", "true", "True"] {
        let out = sandbox
            .cmd(Tool::SopsRs)
            .args(["decrypt", &enc])
            .env("SOPS_ENABLE_LOCAL_KEYSERVICE", value)
            .env("SOPS_KEYSERVICE", "")
            .run();
        assert!(out.success(), "{value}: {}", out.describe());
    }
    let out = sandbox.run(
        Tool::SopsRs,
        &["decrypt", "--keyservice", "tcp://127.0.0.1:1", &enc],
    );
    assert!(out.success(), "{}", out.describe());
    for value in ["0", "false"] {
        let out = sandbox
            .cmd(Tool::SopsRs)
            .args(["decrypt", "--keyservice", "tcp://127.0.0.1:1", &enc])
            .env("SOPS_ENABLE_LOCAL_KEYSERVICE", value)
            .run();
        assert_eq!(out.code, Some(128), "{value}: {}", out.describe());
        assert!(
            out.stderr_text().contains("code = Unavailable"),
            "{}",
            out.describe()
        );
        assert!(out.stdout.is_empty());
    }
    let out = sandbox.run(
        Tool::SopsRs,
        &[
            "decrypt",
            "--enable-local-keyservice=false",
            "--keyservice",
            "tcp://127.0.0.1:1",
            &enc,
        ],
    );
    assert_eq!(out.code, Some(128), "{}", out.describe());
}
