//! Files written by sops 3.13 (issue #17, item 5). sops 3.13.2 writes the `sops` metadata with
//! its keys sorted at every level (an age entry `enc` before `recipient`; in JSON, empty key lists
//! of a key group as `[]`), keeps a YAML comment on its scalar's line (`a: ENC[…] #ENC[…]`) and
//! types JSON integers `int`. `fixtures/sops-3.13-layout/make.py` makes such files from the
//! reference's output by exactly those rules; the reference reads them.
//!
//! * sops-rs decrypts them as the reference does;
//! * when sops-rs rewrites one (set, unset, rotate, updatekeys, groups add, edit), the metadata
//!   stays sorted, JSON integers stay `int`, and the reference still decrypts the result. sops
//!   3.13 itself moves an encrypted inline comment back above its key when it decrypts the tree
//!   (set, unset, rotate, edit: the decrypted comment loses its "inline" mark), and so does
//!   sops-rs; updatekeys and groups write the tree back as read, so the YAML data part keeps its
//!   bytes, inline comments included;
//! * a new file, and a file in the 3.11 layout, keep the 3.11 layout.

use crate::support::{compare_runs, fixture, Failures, Identity, Sandbox, Tool};
use sops_core::{Format, MetadataLayout};
use std::path::Path;

const FILES: [&str; 4] = [
    "comments.enc.yaml",
    "shamir.enc.yaml",
    "numbers.enc.json",
    "shamir.enc.json",
];

fn both_keys(sandbox: &Sandbox) -> Identity {
    sandbox.age_keys(&["age-alice", "age-bob"])
}

/// The layout of the metadata of the encrypted file at `path`.
fn layout(path: &Path) -> MetadataLayout {
    let bytes = std::fs::read(path).expect("read");
    let format = Format::from_path(path);
    let store = format.store();
    let (_, metadata) = match store.load_encrypted(&bytes) {
        Ok(loaded) => loaded,
        Err(e) => panic!("{}: {e}", path.display()),
    };
    MetadataLayout::detect(&metadata)
}

fn copy(sandbox: &Sandbox, name: &str) -> String {
    let path = sandbox.copy_fixture(&format!("sops-3.13-layout/{name}"), name);
    assert_eq!(layout(&path), MetadataLayout::Sorted, "fixture {name}");
    path.to_str().expect("utf-8").to_owned()
}

#[test]
fn files_in_the_313_layout_decrypt_as_the_reference_decrypts_them() {
    let sandbox = Sandbox::new();
    let keys = both_keys(&sandbox);
    let mut failures = Failures::new();
    for name in FILES {
        let file = copy(&sandbox, name);
        let run = |tool| {
            sandbox
                .cmd(tool)
                .args(["decrypt", &file])
                .identity(keys.clone())
                .run()
        };
        let reference = run(Tool::Sops);
        assert!(reference.success(), "{}", reference.describe());
        failures.check(name, compare_runs(&reference, &run(Tool::SopsRs)));
    }
    failures.finish("decrypting sops 3.13 files");
}

/// The rewrites of the 3.13-layout files: (what, arguments, whether the tree is decrypted).
fn rewrites(file: &str, config: &str) -> Vec<(&'static str, Vec<String>, bool)> {
    let s = |v: &[&str]| v.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    let bob = crate::support::age_recipient("age-bob");
    vec![
        ("set", s(&["set", file, "[\"name\"]", "\"renamed\""]), true),
        ("unset", s(&["unset", file, "[\"ports\"]"]), true),
        ("rotate", s(&["rotate", "-i", file]), true),
        (
            "updatekeys",
            s(&["--config", config, "updatekeys", "-y", file]),
            false,
        ),
        (
            "groups add",
            s(&["groups", "add", "--file", file, "-i", "--age", &bob]),
            false,
        ),
    ]
}

#[test]
fn rewrites_keep_the_313_layout_and_the_reference_reads_them() {
    let sandbox = Sandbox::new();
    let keys = both_keys(&sandbox);
    let config = sandbox.write(
        "sops-config.yaml",
        // alice only: updatekeys drops bob, so the metadata changes.
        format!(
            "creation_rules:\n  - age: {}\n",
            crate::support::age_recipient("age-alice"),
        ),
    );
    let config = config.to_str().expect("utf-8");
    for name in FILES {
        let is_json = name.ends_with(".json");
        for (what, args, decrypts) in rewrites("FILE", config) {
            if is_json && what == "unset" {
                continue; // the JSON files have no "ports"; `set` covers a decrypting rewrite
            }
            let file = copy(&sandbox, name);
            let args: Vec<String> = args
                .into_iter()
                .map(|a| if a == "FILE" { file.clone() } else { a })
                .collect();
            let out = sandbox
                .cmd(Tool::SopsRs)
                .args(&args)
                .identity(keys.clone())
                .run();
            assert!(out.success(), "{name} {what}: {}", out.describe());
            let path = Path::new(&file);
            assert_eq!(layout(path), MetadataLayout::Sorted, "{name} after {what}");
            let text = std::fs::read_to_string(path).expect("read");
            if what == "set" && !is_json {
                // As sops 3.13: the decrypted comment is written above its key again.
                assert!(
                    text.contains("type:comment]\nname: ENC["),
                    "{name} after {what}:\n{text}"
                );
            }
            if !decrypts && !is_json {
                // As sops 3.13, which writes its tree back as read: the data part is the same
                // bytes, inline comments included.
                let original =
                    std::fs::read_to_string(fixture(&format!("sops-3.13-layout/{name}")))
                        .expect("read");
                let data = |t: &str| t[..t.find("\nsops:\n").expect("metadata")].to_owned();
                assert_eq!(data(&text), data(&original), "{name} after {what}");
                assert!(
                    data(&text).contains(",type:str] #ENC["),
                    "{name} after {what}"
                );
                assert_ne!(text, original, "{name} after {what}: the metadata changed");
            }
            if is_json {
                assert!(
                    text.contains("tag:") && text.contains(",type:int]\",\n\t\"replicas\""),
                    "{name} after {what}: the integers must stay typed int:\n{text}"
                );
                assert!(!text.contains(": null"), "{name} after {what}:\n{text}");
            }
            let reference = sandbox
                .cmd(Tool::Sops)
                .args(["decrypt", &file])
                .identity(keys.clone())
                .run();
            assert!(
                reference.success(),
                "{name} after {what}: {}",
                reference.describe()
            );
            let ours = sandbox
                .cmd(Tool::SopsRs)
                .args(["decrypt", &file])
                .identity(keys.clone())
                .run();
            assert_eq!(reference.stdout, ours.stdout, "{name} after {what}");
        }
    }
}

#[test]
fn edit_keeps_the_313_layout() {
    let sandbox = Sandbox::new();
    let keys = both_keys(&sandbox);
    let editor = sandbox.script("editor.sh", "sed -i 's/demo/changed/' \"$1\"\n");
    for name in ["comments.enc.yaml", "numbers.enc.json"] {
        let file = copy(&sandbox, name);
        let out = sandbox
            .cmd(Tool::SopsRs)
            .args(["edit", &file])
            .identity(keys.clone())
            .env("EDITOR", &editor)
            .run();
        assert!(out.success(), "{name}: {}", out.describe());
        assert_eq!(layout(Path::new(&file)), MetadataLayout::Sorted, "{name}");
        let reference = sandbox
            .cmd(Tool::Sops)
            .args(["decrypt", &file])
            .identity(keys.clone())
            .run();
        assert!(reference.success(), "{}", reference.describe());
        assert!(String::from_utf8_lossy(&reference.stdout).contains("changed"));
        if name.ends_with(".json") {
            // The edited plaintext is read as sops 3.13.2 reads JSON: integers stay `int`.
            let text = std::fs::read_to_string(&file).expect("read");
            assert_eq!(text.matches(",type:int]").count(), 5, "{text}");
            assert_eq!(text.matches(",type:float]").count(), 2, "{text}");
        }
    }
}

#[test]
fn new_files_and_311_files_keep_the_311_layout() {
    let sandbox = Sandbox::new();
    let plain = sandbox.write("new.yaml", "a: 1\n");
    let out = sandbox.run(
        Tool::SopsRs,
        &[
            "encrypt",
            "--age",
            &crate::support::age_recipient("age-alice"),
            plain.to_str().expect("utf-8"),
        ],
    );
    assert!(out.success(), "{}", out.describe());
    let new = sandbox.write("new.enc.yaml", &out.stdout);
    assert_eq!(layout(&new), MetadataLayout::Struct);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("        - recipient: age1"), "{text}");

    let old = sandbox.copy_fixture("sops-3.11.0/yaml-age.yaml", "old.yaml");
    assert_eq!(layout(&old), MetadataLayout::Struct);
    let out = sandbox.run(
        Tool::SopsRs,
        &["set", old.to_str().expect("utf-8"), "[\"added\"]", "1"],
    );
    assert!(out.success(), "{}", out.describe());
    assert_eq!(layout(&old), MetadataLayout::Struct);
    assert!(fixture("sops-3.13-layout/make.py").exists());
}
