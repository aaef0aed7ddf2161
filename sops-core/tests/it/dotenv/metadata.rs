//! The flattened `sops` metadata of dotenv and INI files (`__map_`/`__list_` keys): how it is
//! written (`sops_`-prefixed dotenv lines, a `[sops]` INI section), read back in any order, and
//! how damaged input fails without panicking.

use sops_core::metadata::{Metadata, PartialRule};
use sops_core::store::dotenv::DotenvStore;
use sops_core::store::ini::IniStore;
use sops_core::store::Store;
use sops_core::tree::{Mapping, Node, Tree};
use sops_core::{ErrorKind, KeyEntry};

const AGE1: &str = "age1kqzkxccncjjnlrdyf2lamgdtlxpegqn8su4w4rt8wpnu845pgu6ssnu6xg";
const TIME: &str = "2026-11-24T18:39:36Z";

fn entry(key_type: &str, fields: &[(&str, &str)]) -> KeyEntry {
    let mut e = KeyEntry::new(key_type);
    for (k, v) in fields {
        e.set_field(k, *v);
    }
    e
}

/// Two groups (PGP + KMS with an encryption context; age), Shamir, and every flag.
fn rich_metadata() -> Metadata {
    let mut kms = entry("kms", &[("arn", "arn:aws:kms:eu-west-1:1:key/k")]);
    let mut context = Mapping::default();
    context.push("alpha", Node::string("1"));
    context.push("beta", Node::string("b;#"));
    kms.fields.push(("context".into(), Node::Mapping(context)));
    for (k, v) in [("created_at", TIME), ("enc", "E"), ("aws_profile", "")] {
        kms.set_field(k, v);
    }
    let pgp = entry(
        "pgp",
        &[
            ("created_at", TIME),
            (
                "enc",
                "-----BEGIN PGP MESSAGE-----\n\nwcBM\n-----END PGP MESSAGE-----",
            ),
            ("fp", "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4"),
        ],
    );
    let age = entry(
        "age",
        &[
            ("recipient", AGE1),
            (
                "enc",
                "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n",
            ),
        ],
    );
    Metadata {
        key_groups: vec![vec![kms, pgp], vec![age]],
        shamir_threshold: 2,
        last_modified: TIME.into(),
        mac: "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]".into(),
        partial: Some(PartialRule::EncryptedRegex("^(a|b);#".into())),
        mac_only_encrypted: true,
        version: Some("3.11.0".into()),
        layout: Default::default(),
    }
}

const RICH_DOTENV: &str = "\
sops_encrypted_regex=^(a|b);#
sops_key_groups__list_0__map_kms__list_0__map_arn=arn:aws:kms:eu-west-1:1:key/k
sops_key_groups__list_0__map_kms__list_0__map_aws_profile=
sops_key_groups__list_0__map_kms__list_0__map_context__map_alpha=1
sops_key_groups__list_0__map_kms__list_0__map_context__map_beta=b;#
sops_key_groups__list_0__map_kms__list_0__map_created_at=2026-11-24T18:39:36Z
sops_key_groups__list_0__map_kms__list_0__map_enc=E
sops_key_groups__list_0__map_pgp__list_0__map_created_at=2026-11-24T18:39:36Z
sops_key_groups__list_0__map_pgp__list_0__map_enc=-----BEGIN PGP MESSAGE-----\\n\\nwcBM\\n-----END PGP MESSAGE-----
sops_key_groups__list_0__map_pgp__list_0__map_fp=FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4
sops_key_groups__list_1__map_age__list_0__map_enc=-----BEGIN AGE ENCRYPTED FILE-----\\nYWdl\\n-----END AGE ENCRYPTED FILE-----\\n
sops_key_groups__list_1__map_age__list_0__map_recipient=age1kqzkxccncjjnlrdyf2lamgdtlxpegqn8su4w4rt8wpnu845pgu6ssnu6xg
sops_lastmodified=2026-11-24T18:39:36Z
sops_mac=ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]
sops_mac_only_encrypted=true
sops_shamir_threshold=2
sops_version=3.11.0
";

fn empty_tree() -> Tree {
    Tree {
        branches: vec![Mapping::default()],
    }
}

fn read_back(store: &dyn Store, bytes: &[u8]) -> Result<Metadata, sops_core::Error> {
    let (_, sops) = store.load_encrypted(bytes)?;
    Metadata::from_mapping(&sops)
}

fn fails<T>(result: Result<T, sops_core::Error>) -> sops_core::Error {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn dotenv_metadata_is_flattened_sorted_with_sops_encodings() {
    let out = DotenvStore::new()
        .emit_encrypted(&empty_tree(), &rich_metadata())
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out), RICH_DOTENV);
}

#[test]
fn flattened_metadata_reads_back_to_the_same_metadata() {
    let metadata = rich_metadata();
    for store in [&DotenvStore::new() as &dyn Store, &IniStore::new()] {
        let bytes = store.emit_encrypted(&empty_tree(), &metadata).unwrap();
        assert_eq!(read_back(store, &bytes).unwrap(), metadata);
    }
}

#[test]
fn ini_metadata_section_is_aligned_and_quoted() {
    let out = IniStore::new()
        .emit_encrypted(&empty_tree(), &rich_metadata())
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("[sops]\nencrypted_regex "), "{text}");
    let width = "key_groups__list_0__map_kms__list_0__map_context__map_alpha".len();
    assert!(text.contains(&format!("{:width$} = `^(a|b);#`\n", "encrypted_regex")));
    let beta = "key_groups__list_0__map_kms__list_0__map_context__map_beta";
    assert!(text.contains(&format!("{beta:width$} = `b;#`\n")));
    assert!(text.contains(&format!("{:width$} = true\n", "mac_only_encrypted")));
    assert!(text.contains(&format!(
        "{:width$} = \n",
        "key_groups__list_0__map_kms__list_0__map_aws_profile"
    )));
}

#[test]
fn entry_fields_come_back_in_sops_struct_order() {
    // Written in reverse order (sops 3.11 writes `[sops]` in random order).
    let out = IniStore::new()
        .emit_encrypted(&empty_tree(), &rich_metadata())
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    let mut lines: Vec<&str> = text.lines().skip(1).collect();
    lines.reverse();
    let reversed = format!("[sops]\n{}\n", lines.join("\n"));
    let metadata = read_back(&IniStore::new(), reversed.as_bytes()).unwrap();
    let names = |e: &KeyEntry| e.fields.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    let groups = &metadata.key_groups;
    assert_eq!(
        names(&groups[0][0]),
        ["arn", "context", "created_at", "enc", "aws_profile"]
    );
    assert_eq!(names(&groups[0][1]), ["created_at", "enc", "fp"]);
    assert_eq!(names(&groups[1][0]), ["recipient", "enc"]);
    assert_eq!(metadata, rich_metadata());
}

fn single_age(extra: &str) -> String {
    format!(
        "A=1\nsops_age__list_0__map_recipient={AGE1}\nsops_age__list_0__map_enc=x\n\
         sops_lastmodified={TIME}\nsops_mac=\n{extra}"
    )
}

#[test]
fn non_string_fields_decode_as_sops_does() {
    let store = DotenvStore::new();
    let read = |extra: &str| read_back(&store, single_age(extra).as_bytes());
    assert_eq!(
        read("sops_shamir_threshold=3\n").unwrap().shamir_threshold,
        3
    );
    // Older sops wrote the threshold as a float.
    assert_eq!(
        read("sops_shamir_threshold=2.0\n")
            .unwrap()
            .shamir_threshold,
        2
    );
    let err = fails(read("sops_shamir_threshold=two\n"));
    assert_eq!(err.kind(), ErrorKind::Generic);
    assert!(err.message().contains("shamir_threshold is not an integer"));
    assert!(
        read("sops_mac_only_encrypted=true\n")
            .unwrap()
            .mac_only_encrypted
    );
    assert!(
        !read("sops_mac_only_encrypted=True\n")
            .unwrap()
            .mac_only_encrypted
    );
    // The last of repeated keys wins, as in sops's map.
    let m = read("sops_version=1\nsops_version=3.11.0\n").unwrap();
    assert_eq!(m.version.as_deref(), Some("3.11.0"));
}

#[test]
fn damaged_flattened_keys_fail_without_panicking() {
    let store = DotenvStore::new();
    let deep = format!("sops_a{}=1\n", "__map_b".repeat(100));
    for extra in [
        "sops_age=oops\n",
        "sops_age__map_x=1\n",
        "sops_age__list_99999999999__map_enc=x\n",
        "sops_age__list_-1__map_enc=x\n",
        &deep,
    ] {
        let err = fails(read_back(&store, single_age(extra).as_bytes()));
        assert_eq!(err.exit_code(), 1, "{extra}");
    }
}

#[test]
fn an_unreadable_list_index_counts_as_zero() {
    // Go ignores the `strconv.Atoi` error of `__list_x`.
    let input = format!(
        "sops_age__list_x__map_recipient={AGE1}\nsops_age__list_x__map_enc=e\n\
         sops_lastmodified={TIME}\nsops_mac=\n"
    );
    let metadata = read_back(&DotenvStore::new(), input.as_bytes()).unwrap();
    assert_eq!(metadata.key_groups[0][0].field("enc"), Some("e"));
}
