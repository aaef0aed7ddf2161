//! Whole-file operations: encrypt a plaintext file, decrypt an encrypted one, and the steps in
//! between (unwrapping and wrapping the data key, walking the tree, checking the MAC).

use crate::cipher::{ValueCipher, ValueType};
use crate::error::{Error, ErrorKind};
use crate::go::CivilTime;
use crate::keys::{groups, KeyEntry, KeySource};
use crate::mac::macs_equal;
use crate::metadata::{Metadata, PartialRule};
use crate::secret::DataKey;
use crate::store::{Format, Store};
use crate::tree::{Mapping, Tree};
use crate::walk::{Direction, IvStash, PathPolicy, Prefetched, Walker};

/// The version sops-rs writes into metadata: the sops release whose format it produces.
pub const SOPS_VERSION: &str = "3.11.0";

/// Options for decryption.
#[derive(Clone, Debug, Default)]
pub struct DecryptOptions {
    /// Skip the MAC check (`--ignore-mac`).
    pub ignore_mac: bool,
    /// Key types to try first, in order (`--decryption-order`); default `age,pgp`.
    pub decryption_order: Vec<String>,
}

/// Options for encryption: who can open the file and which values are encrypted.
#[derive(Clone, Debug, Default)]
pub struct EncryptOptions {
    /// Key groups of recipient entries (one group unless Shamir secret sharing is used).
    pub key_groups: Vec<Vec<KeyEntry>>,
    /// `shamir_threshold`; 0 means all groups, and with several groups the group count is
    /// written to the file (as sops does). [`EncryptOptions::builder`] fills it in.
    pub shamir_threshold: u64,
    /// The partial-encryption option; `None` writes sops's default `unencrypted_suffix`.
    pub partial: Option<PartialRule>,
    /// `mac_only_encrypted`.
    pub mac_only_encrypted: bool,
}

/// Recovers the data key from the metadata with the first master key that opens it (or, with
/// several key groups, from the Shamir shares of enough groups).
pub fn unwrap_data_key(
    metadata: &Metadata,
    sources: &[&dyn KeySource],
    decryption_order: &[String],
) -> Result<DataKey, Error> {
    groups::unwrap_data_key(
        &metadata.key_groups,
        metadata.shamir_threshold,
        sources,
        decryption_order,
    )
}

/// Wraps `data_key` for every recipient entry of `metadata`'s key groups, each with the first
/// source of its type that succeeds. A `shamir_threshold` of 0 with several groups becomes the
/// number of groups, as in sops.
pub fn wrap_data_key(
    metadata: &mut Metadata,
    data_key: &DataKey,
    sources: &[&dyn KeySource],
) -> Result<(), Error> {
    // As sops: several key groups and no threshold means every group, written to the file.
    let groups = metadata.key_groups.len() as u64;
    if groups > 1 && metadata.shamir_threshold == 0 {
        metadata.shamir_threshold = groups;
    }
    groups::wrap_data_key(
        &mut metadata.key_groups,
        metadata.shamir_threshold,
        data_key,
        sources,
    )
}

/// Decrypts every value of `tree` in place and checks the MAC unless `ignore_mac`.
pub fn decrypt_tree(
    tree: &mut Tree,
    metadata: &Metadata,
    data_key: &DataKey,
    ignore_mac: bool,
) -> Result<(), Error> {
    decrypt_tree_stashing(tree, metadata, data_key, ignore_mac, None)
}

/// Walks every branch in `direction` under `metadata`'s partial-encryption rule and returns the
/// MAC of the values.
fn walk_tree(
    tree: &mut Tree,
    metadata: &Metadata,
    cipher: &ValueCipher,
    direction: Direction,
    stash: Option<&mut IvStash>,
) -> Result<String, Error> {
    let policy = PathPolicy::new(metadata.partial.as_ref())?;
    let walker =
        Walker::new(cipher, &policy, metadata.mac_only_encrypted, direction).with_stash(stash);
    let prefetched = Prefetched::compute(tree, &policy, cipher, direction, walker.stash());
    let mut walker = walker.with_prefetched(prefetched);
    for branch in &mut tree.branches {
        walker.walk_mapping(branch)?;
    }
    Ok(walker.mac.finish())
}

/// [`decrypt_tree`], recording each value's IV in `stash` for a later [`encrypt_tree_reusing`].
pub fn decrypt_tree_stashing(
    tree: &mut Tree,
    metadata: &Metadata,
    data_key: &DataKey,
    ignore_mac: bool,
    stash: Option<&mut IvStash>,
) -> Result<(), Error> {
    let cipher = ValueCipher::new(data_key);
    let computed = walk_tree(tree, metadata, &cipher, Direction::Decrypt, stash)?;
    if ignore_mac {
        return Ok(());
    }
    if metadata.mac.is_empty() {
        return Err(Error::new(
            ErrorKind::MacMismatch,
            format!("MAC mismatch. File has no MAC, computed {computed}"),
        )
        .with_hint("the file was written without a MAC; the ignore_mac option (sops: --ignore-mac) decrypts it anyway"));
    }
    let aad = metadata.mac_aad()?;
    let stored = cipher.decrypt(&metadata.mac, aad.as_bytes()).map_err(|e| {
        // sops 3.11's codes.go names 24 for this, but the binary exits 51 (checked).
        Error::new(
            ErrorKind::MacMismatch,
            format!("Cannot decrypt MAC: {}", e.message()),
        )
        .with_hint("the mac or lastmodified field was changed")
    })?;
    let stored = String::from_utf8_lossy(&stored.plaintext);
    if !macs_equal(&stored, &computed) {
        return Err(Error::new(
            ErrorKind::MacMismatch,
            format!("MAC mismatch. File has {stored}, computed {computed}"),
        )
        .with_hint(
            "a value was changed, added or removed outside sops; the ignore_mac option (sops: --ignore-mac) decrypts it anyway",
        ));
    }
    Ok(())
}

/// Encrypts every value of `tree` in place, then sets `lastmodified` and the encrypted MAC.
pub fn encrypt_tree(
    tree: &mut Tree,
    metadata: &mut Metadata,
    data_key: &DataKey,
) -> Result<(), Error> {
    encrypt_tree_reusing(tree, metadata, data_key, None)
}

/// [`encrypt_tree`], reusing the IVs of unchanged values from `stash` so that only edited values
/// get new ciphertext.
pub fn encrypt_tree_reusing(
    tree: &mut Tree,
    metadata: &mut Metadata,
    data_key: &DataKey,
    stash: Option<&mut IvStash>,
) -> Result<(), Error> {
    let cipher = ValueCipher::new(data_key);
    let mac = walk_tree(tree, metadata, &cipher, Direction::Encrypt, stash)?;
    let now = CivilTime::now_utc().rfc3339();
    metadata.mac = cipher.encrypt(mac.as_bytes(), now.as_bytes(), ValueType::Str);
    metadata.last_modified = now;
    Ok(())
}

/// An encrypted file opened for changes: its plaintext tree, metadata, data key and the IVs
/// of its values.
pub struct OpenedFile {
    /// The decrypted tree.
    pub tree: Tree,
    /// The file's metadata.
    pub metadata: Metadata,
    /// The data key.
    pub data_key: DataKey,
    /// IVs of the decrypted values, for re-encrypting unchanged values identically.
    pub stash: IvStash,
}

/// Opens an encrypted file for changes (edit, set, unset, rotate, updatekeys).
pub fn open_file(
    input: &[u8],
    store: &dyn Store,
    sources: &[&dyn KeySource],
    options: &DecryptOptions,
) -> Result<OpenedFile, Error> {
    let (mut tree, metadata_node) = store.load_encrypted(input)?;
    let metadata = Metadata::from_mapping(&metadata_node)?;
    let data_key = unwrap_data_key(&metadata, sources, &options.decryption_order)?;
    let mut stash = IvStash::default();
    decrypt_tree_stashing(
        &mut tree,
        &metadata,
        &data_key,
        options.ignore_mac,
        Some(&mut stash),
    )?;
    Ok(OpenedFile {
        tree,
        metadata,
        data_key,
        stash,
    })
}

/// Reads and decrypts an encrypted file into its plaintext tree and metadata.
pub fn open_tree(
    input: &[u8],
    store: &dyn Store,
    sources: &[&dyn KeySource],
    options: &DecryptOptions,
) -> Result<(Tree, Metadata), Error> {
    let (tree, metadata_node) = store.load_encrypted(input)?;
    open_loaded(tree, &metadata_node, sources, options)
}

/// Decrypts a tree that [`Store::load_encrypted`] read, with its `sops` metadata block: the
/// second half of [`open_tree`], for callers that free the file's bytes before decrypting.
pub fn open_loaded(
    mut tree: Tree,
    metadata_node: &Mapping,
    sources: &[&dyn KeySource],
    options: &DecryptOptions,
) -> Result<(Tree, Metadata), Error> {
    let metadata = Metadata::from_mapping(metadata_node)?;
    let data_key = unwrap_data_key(&metadata, sources, &options.decryption_order)?;
    decrypt_tree(&mut tree, &metadata, &data_key, options.ignore_mac)?;
    Ok((tree, metadata))
}

/// Decrypts a whole file in `format` and returns what `sops decrypt` prints.
pub fn decrypt_file(
    input: &[u8],
    format: Format,
    sources: &[&dyn KeySource],
    options: &DecryptOptions,
) -> Result<Vec<u8>, Error> {
    let store = format.store();
    let (tree, _) = open_tree(input, store.as_ref(), sources, options)?;
    store.emit_plain(&tree)
}

/// Builds the metadata of a new file from `options` (keys not yet wrapped).
pub fn new_metadata(options: &EncryptOptions, format: Format) -> Metadata {
    let partial = match (&options.partial, format) {
        (_, Format::Binary) => None,
        (Some(rule), _) => Some(rule.clone()),
        (None, _) => Some(PartialRule::UnencryptedSuffix("_unencrypted".to_owned())),
    };
    Metadata {
        key_groups: options.key_groups.clone(),
        shamir_threshold: options.shamir_threshold,
        partial,
        mac_only_encrypted: options.mac_only_encrypted && format != Format::Binary,
        version: Some(SOPS_VERSION.to_owned()),
        ..Metadata::default()
    }
}

/// Encrypts a plaintext tree read by `format`'s store: checks it is not already encrypted,
/// generates a data key, wraps it and encrypts the values.
pub fn seal_tree(
    tree: &mut Tree,
    format: Format,
    sources: &[&dyn KeySource],
    options: &EncryptOptions,
) -> Result<Metadata, Error> {
    if tree.branches.is_empty() {
        return Err(Error::new(
            ErrorKind::NoDocuments,
            "file cannot be completely empty, it must contain at least one document",
        ));
    }
    let first = &tree.branches[0];
    let has_metadata = first.get("sops").is_some()
        || (format == Format::Dotenv && first.pairs().any(|(k, _)| k.starts_with("sops_")));
    if has_metadata {
        return Err(Error::new(
            ErrorKind::AlreadyEncrypted,
            "the file already has sops metadata (a top-level `sops` key, or `sops_` keys in dotenv): it is already encrypted",
        )
        .with_hint("an encrypted file's keys are changed by rotating or updating them (sops: `rotate`, `updatekeys`), not by encrypting it again"));
    }
    let mut metadata = new_metadata(options, format);
    let data_key = DataKey::generate();
    wrap_data_key(&mut metadata, &data_key, sources)?;
    encrypt_tree(tree, &mut metadata, &data_key)?;
    Ok(metadata)
}

/// Encrypts a whole plaintext file in `format` and returns the encrypted file.
pub fn encrypt_file(
    input: &[u8],
    format: Format,
    sources: &[&dyn KeySource],
    options: &EncryptOptions,
) -> Result<Vec<u8>, Error> {
    let store = format.store();
    let mut tree = store.load_plain(input)?;
    let metadata = seal_tree(&mut tree, format, sources, options)?;
    store.emit_encrypted(&tree, &metadata)
}
