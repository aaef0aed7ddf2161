//! Shared by the `tamper::*` suites: the sops 3.11 fixtures encrypted to alice (the sandbox's
//! identity) and small text surgery on them, plus the comparison with the reference sops.
//!
//! Every case runs `decrypt` with both programs on the same tampered file ([`refused`]) and
//! checks that sops 3.11.0 still exits with the code the test documents, that sops-rs exits
//! with the same code and prints the same stdout: nothing when the file is refused, the same
//! plaintext when the change is one SOPS cannot detect ([`undetected`]).
#![allow(dead_code)] // each suite uses a different part

use crate::support::{assert_parity, fixture, read, Output, Sandbox, Tool};

/// An encrypted fixture of `fixtures/sops-3.11.0` as text.
pub fn encrypted(name: &str) -> String {
    String::from_utf8(read(&fixture(&format!("sops-3.11.0/{name}")))).expect("fixtures are UTF-8")
}

pub fn yaml() -> String {
    encrypted("yaml-age.yaml")
}
pub fn json() -> String {
    encrypted("json-age.json")
}
pub fn dotenv() -> String {
    encrypted("env-age.env")
}
pub fn ini() -> String {
    encrypted("ini-age.ini")
}

/// The `ENC[…]` value that follows the first occurrence of `marker` (e.g. `"    name: "`).
pub fn enc_after(text: &str, marker: &str) -> String {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} not found"))
        + marker.len();
    let rest = &text[at..];
    assert!(rest.starts_with("ENC["), "no ENC value after {marker:?}");
    let end = rest.find(']').expect("closing bracket") + 1;
    rest[..end].to_owned()
}

/// Every `ENC[…]` value in `text`, in order.
pub fn all_enc(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("ENC[AES256_GCM,") {
        let end = rest[at..].find(']').expect("closing bracket") + at + 1;
        out.push(rest[at..end].to_owned());
        rest = &rest[end..];
    }
    out
}

/// `text` with `from` (which must occur) replaced once by `to`.
pub fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not found");
    text.replacen(from, to, 1)
}

/// `text` with the first occurrences of `a` and `b` exchanged.
pub fn swap(text: &str, a: &str, b: &str) -> String {
    assert_ne!(a, b);
    let marker = "\u{1}SWAP\u{1}";
    let text = replace_once(text, a, marker);
    let text = replace_once(&text, b, a);
    replace_once(&text, marker, b)
}

/// `text` without the (first) whole line that contains `needle`.
pub fn delete_line(text: &str, needle: &str) -> String {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not found"));
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
    format!("{}{}", &text[..start], &text[end..])
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `value` (an `ENC[…]` string) with exactly one bit flipped in the bytes of `field` (`data`,
/// `iv` or `tag`): the lowest bit of the field's first base64 digit, i.e. bit 2 of its first
/// byte. The result is still valid base64 of the same length.
pub fn flip_bit(value: &str, field: &str) -> String {
    let key = format!("{field}:");
    let at = value
        .find(&key)
        .unwrap_or_else(|| panic!("no {field} in {value}"))
        + key.len();
    let digit = value.as_bytes()[at];
    let index = B64
        .iter()
        .position(|&c| c == digit)
        .expect("a base64 digit");
    let flipped = B64[index ^ 1] as char;
    format!("{}{flipped}{}", &value[..at], &value[at + 1..])
}

/// `text` with the value `value` replaced by `flip_bit(value, field)`.
pub fn with_flipped(text: &str, value: &str, field: &str) -> String {
    replace_once(text, value, &flip_bit(value, field))
}

/// Writes `contents` as `name` in `sandbox` and runs `decrypt` (with `extra` flags first) with
/// both programs; sops must exit with `code`, sops-rs exactly like it. Returns both outputs.
pub fn decrypt_parity(
    sandbox: &Sandbox,
    name: &str,
    contents: &str,
    extra: &[&str],
    code: i32,
) -> (Output, Output) {
    let file = sandbox.write(name, contents);
    let mut args = vec!["decrypt"];
    args.extend_from_slice(extra);
    args.push(file.to_str().expect("UTF-8 path"));
    assert_parity(sandbox, &args, code)
}

/// The file is refused by both programs with `code`, nothing on stdout, a message on stderr.
pub fn refused(sandbox: &Sandbox, name: &str, contents: &str, code: i32) -> Output {
    assert_ne!(code, 0);
    let (_, ours) = decrypt_parity(sandbox, name, contents, &[], code);
    assert!(
        ours.stdout.is_empty(),
        "a refused file must print nothing: {}",
        ours.describe()
    );
    assert!(
        !ours.stderr_text().trim().is_empty(),
        "a refusal must say why: {}",
        ours.describe()
    );
    ours
}

/// The change goes unnoticed by both programs, which print the same plaintext: a limit of
/// SOPS's design, documented by the calling test. Returns sops-rs's output.
pub fn undetected(sandbox: &Sandbox, name: &str, contents: &str) -> Output {
    let (_, ours) = decrypt_parity(sandbox, name, contents, &[], 0);
    ours
}

/// Runs only sops-rs's `decrypt` on `contents` (for the cases where sops 3.11 crashes).
pub fn ours_only(sandbox: &Sandbox, name: &str, contents: &str) -> (Output, Output) {
    let file = sandbox.write(name, contents);
    let file = file.to_str().expect("UTF-8 path");
    (
        sandbox.run(Tool::Sops, &["decrypt", file]),
        sandbox.run(Tool::SopsRs, &["decrypt", file]),
    )
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
