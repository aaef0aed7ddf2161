//! Tampering with the shape of an encrypted file: keys deleted, keys added, keys given twice.
//! Each file is decrypted by the reference sops 3.11.0 and by sops-rs, which must exit the same
//! way (`tamper_support`).
//!
//! What SOPS detects (verified against sops 3.11.0):
//!
//! * Deleting a value, or a whole subtree of values, changes the MAC: exit **51**, in every
//!   store.
//! * The MAC covers values only, and only those with content: **deleting or adding a `null`
//!   value, an empty string or an empty mapping, and deleting an encrypted comment, go
//!   unnoticed** (exit 0). A plaintext comment added to the file is kept with a warning.
//! * A plaintext value added where the file's rule says values are encrypted does not match the
//!   `ENC[…]` format: **25**. Added under a name the rule leaves in plaintext (`…_unencrypted`)
//!   it is authenticated only by the MAC: **51**. A plaintext *number* added crashes sops 3.11
//!   (Go panic, exit 2); sops-rs refuses it with 25.
//! * Keys given twice: go-yaml refuses a duplicate in the mappings sops decodes into its
//!   structures, the top level and the `sops` block (exit **1**, "mapping key … already
//!   defined"), including a second `sops` block. Deeper in the data a duplicate is read: the
//!   same value twice is a MAC mismatch (**51**), another key's value under the duplicate
//!   fails authentication (**25**). JSON and dotenv keep duplicates: **51**.

use super::support::*;
use crate::support::Sandbox;

// --- deleted -------------------------------------------------------------------------------

#[test]
fn deleted_value_is_a_mac_mismatch_in_every_store() {
    let sandbox = Sandbox::new();
    refused(
        &sandbox,
        "deleted.yaml",
        &delete_line(&yaml(), "    name: ENC"),
        51,
    );
    refused(
        &sandbox,
        "deleted.json",
        &delete_line(&json(), "\t\"ratio\": "),
        51,
    );
    refused(
        &sandbox,
        "deleted.env",
        &delete_line(&dotenv(), "DB_PORT="),
        51,
    );
    refused(
        &sandbox,
        "deleted.ini",
        &delete_line(&ini(), "port     = "),
        51,
    );
}

#[test]
fn deleted_subtree_is_a_mac_mismatch() {
    let sandbox = Sandbox::new();
    let text = yaml();
    let start = text.find("nested_lists:\n").unwrap();
    let end = text.find("password_unencrypted:").unwrap();
    let tampered = format!("{}{}", &text[..start], &text[end..]);
    refused(&sandbox, "deleted-subtree.yaml", &tampered, 51);
}

#[test]
fn deleted_null_empty_and_comment_go_unnoticed() {
    // A limit of SOPS's design: the MAC hashes the bytes of each value, and null, "" and {}
    // have none; comments are not hashed at all.
    let sandbox = Sandbox::new();
    let text = yaml();
    let out = undetected(
        &sandbox,
        "no-null.yaml",
        &delete_line(&text, "    nothing: null"),
    );
    assert!(!stdout(&out).contains("nothing:"));
    let out = undetected(
        &sandbox,
        "no-empty.yaml",
        &delete_line(&text, "    empty: \"\""),
    );
    assert!(!stdout(&out).contains("empty:"));
    // The encrypted comment inside `app` and the one on the first line.
    let out = undetected(
        &sandbox,
        "no-comment.yaml",
        &delete_line(&text, "    #ENC["),
    );
    let first_line_end = text.find('\n').unwrap() + 1;
    assert!(text.starts_with("#ENC["));
    undetected(&sandbox, "no-top-comment.yaml", &text[first_line_end..]);
    let full = undetected(&sandbox, "untouched.yaml", &text);
    assert!(
        stdout(&full)
            .lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
            > stdout(&out)
                .lines()
                .filter(|l| l.trim_start().starts_with('#'))
                .count(),
        "the comment is gone from the output"
    );
}

// --- added ---------------------------------------------------------------------------------

#[test]
fn added_plaintext_value_is_refused() {
    let sandbox = Sandbox::new();
    refused(
        &sandbox,
        "added.yaml",
        &replace_once(
            &yaml(),
            "password_unencrypted",
            "extra: hello\npassword_unencrypted",
        ),
        25,
    );
    refused(
        &sandbox,
        "added.json",
        &replace_once(
            &json(),
            "\"nothing\": null",
            "\"nothing\": null,\n\t\"extra\": \"x\"",
        ),
        25,
    );
    refused(
        &sandbox,
        "added.env",
        &replace_once(&dotenv(), "EMPTY=\n", "EMPTY=\nNEW=plain\n"),
        25,
    );
    refused(
        &sandbox,
        "added.ini",
        &replace_once(&ini(), "[cache]\n", "[cache]\nnew = plain\n"),
        25,
    );
}

#[test]
fn added_value_the_rule_leaves_in_plaintext_is_a_mac_mismatch() {
    let sandbox = Sandbox::new();
    refused(
        &sandbox,
        "added-unencrypted.yaml",
        &replace_once(
            &yaml(),
            "password_unencrypted",
            "extra_unencrypted: hello\npassword_unencrypted",
        ),
        51,
    );
}

#[test]
fn added_null_empty_and_plaintext_comment_go_unnoticed() {
    let sandbox = Sandbox::new();
    let text = yaml();
    let out = undetected(
        &sandbox,
        "added-null.yaml",
        &replace_once(
            &text,
            "password_unencrypted",
            "extra: null\npassword_unencrypted",
        ),
    );
    assert!(stdout(&out).contains("extra: null\n"));
    undetected(
        &sandbox,
        "added-empty.yaml",
        &replace_once(
            &text,
            "password_unencrypted",
            "extra: \"\"\npassword_unencrypted",
        ),
    );
    // sops warns ("Found possibly unencrypted comment") and keeps it.
    let out = undetected(
        &sandbox,
        "added-comment.yaml",
        &replace_once(
            &text,
            "password_unencrypted",
            "# injected\npassword_unencrypted",
        ),
    );
    assert!(stdout(&out).contains("# injected\n"));
}

#[test]
fn added_plaintext_number_crashes_sops_and_is_refused_by_sops_rs() {
    // sops 3.11: "panic: interface conversion: interface {} is int, not string" (exit 2).
    let sandbox = Sandbox::new();
    let tampered = replace_once(
        &yaml(),
        "password_unencrypted",
        "extra: 5\npassword_unencrypted",
    );
    let (sops, ours) = ours_only(&sandbox, "added-int.yaml", &tampered);
    assert_eq!(sops.code, Some(2), "sops 3.11 changed: {}", sops.describe());
    assert!(sops.stderr_text().contains("panic"), "{}", sops.describe());
    assert_eq!(ours.code, Some(25), "{}", ours.describe());
    assert!(ours.stdout.is_empty());
    assert!(ours.stderr_text().contains("extra"), "{}", ours.describe());
}

// --- duplicate keys ------------------------------------------------------------------------

#[test]
fn duplicate_keys_at_the_top_or_in_the_metadata_are_refused() {
    let sandbox = Sandbox::new();
    let text = yaml();
    let out = refused(
        &sandbox,
        "dup-top.yaml",
        &replace_once(
            &text,
            "password_unencrypted: visible-value\n",
            "password_unencrypted: visible-value\npassword_unencrypted: other\n",
        ),
        1,
    );
    assert!(
        out.stderr_text().contains("already defined"),
        "{}",
        out.describe()
    );
    refused(
        &sandbox,
        "dup-mac.yaml",
        &replace_once(
            &text,
            "    unencrypted_suffix",
            "    mac: garbage\n    unencrypted_suffix",
        ),
        1,
    );
    // A second `sops` block: which one would count?
    refused(
        &sandbox,
        "dup-sops.yaml",
        &format!("{text}sops:\n    mac: \"\"\n"),
        1,
    );
}

#[test]
fn duplicate_keys_in_the_data_are_caught_by_the_mac_or_the_cipher() {
    let sandbox = Sandbox::new();
    let text = yaml();
    let name = enc_after(&text, "    name: ");
    let line = format!("    name: {name}\n");
    // The same value twice: it decrypts twice, the MAC counts it twice.
    refused(
        &sandbox,
        "dup-same.yaml",
        &replace_once(&text, &line, &format!("{line}{line}")),
        51,
    );
    // Another key's value under the duplicate: authentication fails.
    let big = enc_after(&text, "    big: ");
    refused(
        &sandbox,
        "dup-other.yaml",
        &replace_once(&text, &line, &format!("{line}    name: {big}\n")),
        25,
    );
    // JSON and dotenv keep both.
    let j = json();
    let jname = enc_after(&j, "\"name\": \"");
    refused(
        &sandbox,
        "dup.json",
        &replace_once(
            &j,
            "\"nothing\": null",
            &format!("\"nothing\": null,\n\t\"name\": \"{jname}\""),
        ),
        51,
    );
    let e = dotenv();
    let host = enc_after(&e, "DB_HOST=");
    refused(
        &sandbox,
        "dup.env",
        &replace_once(&e, "EMPTY=\n", &format!("EMPTY=\nDB_HOST={host}\n")),
        51,
    );
}
