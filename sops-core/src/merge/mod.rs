//! Three-way merge of decrypted trees and of metadata, for a git merge driver.
//!
//! [`merge_trees`] takes the plaintext trees of a common ancestor (`base`) and of two sides
//! (`ours`, `theirs`) and merges them key by key:
//!
//! - a key whose value is the same on both sides keeps it (the same change made twice is one
//!   change, and a key deleted on both sides stays deleted);
//! - a key changed, added or deleted on one side only takes that side's change;
//! - a key both sides changed to mappings is merged inside, key by key; a sequence both
//!   changed is merged element by element over the base's items, followed by what one side
//!   appended;
//! - anything else is a [`Conflict`]: two different changes, a change on one side and a
//!   deletion on the other, a key added twice with different values, or list edits that do not
//!   line up (items removed on a side, or different items appended on both). The merged tree keeps **our** side at every conflict, so it is a
//!   complete tree that can be encrypted as it is.
//!
//! Comments follow the same rule: each run of comment items travels with the key that follows
//! it (or with the end of its mapping), and two different changes to the same run are a
//! conflict too. Keys keep our side's order; a key only their side added is placed after the
//! key it follows on their side.
//!
//! [`merge_metadata`] does the same for what the `sops` block says about who can open the file
//! and how: key groups, the Shamir threshold and the partial-encryption rule each come from the
//! side that changed them, and the data key comes from their side only when they rotated it and
//! we did not. It is pure logic as well: the caller (the `sops-rs git merge-driver`) unwraps the
//! data keys, tells which sides rotated, wraps the data key for the merged recipients and
//! encrypts the merged tree with the IVs of the unchanged values, so that those keep their
//! exact ciphertext.
//!
//! Nothing here prints or stores a value: conflicts name key paths only.

mod metadata;
mod tree;

#[cfg(test)]
mod tests;

pub use metadata::{merge_metadata, DataKeySide, MergedMetadata, Rotation};
pub use tree::merge_trees;

use std::fmt;

/// One step of a key path: a mapping key or a sequence index (comments not counted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// Why a key path could not be merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictKind {
    /// Both sides changed the value, differently.
    BothChanged,
    /// Both sides added the key, with different values.
    BothAdded,
    /// We changed the value, they deleted the key (our value is kept).
    ChangedDeleted,
    /// We deleted the key, they changed the value (it stays deleted).
    DeletedChanged,
    /// Both sides changed a list in ways that do not line up (different lengths).
    ListEdits,
    /// Both sides changed the comments before this key (or at the end of this mapping).
    Comment,
    /// Both sides changed the number of YAML documents, differently.
    Documents,
    /// Both sides changed a metadata setting (key groups, threshold, partial encryption).
    Metadata,
}

impl ConflictKind {
    /// A short explanation for a conflict listing.
    pub fn describe(self) -> &'static str {
        match self {
            ConflictKind::BothChanged => "changed on both sides",
            ConflictKind::BothAdded => "added on both sides with different values",
            ConflictKind::ChangedDeleted => "changed on our side, deleted on theirs",
            ConflictKind::DeletedChanged => "deleted on our side, changed on theirs",
            ConflictKind::ListEdits => "list changed on both sides",
            ConflictKind::Comment => "comments changed on both sides",
            ConflictKind::Documents => "documents added or removed on both sides",
            ConflictKind::Metadata => "changed on both sides",
        }
    }
}

/// A place the merge could not decide: which document, which key path, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The YAML document (0 for every other format).
    pub document: usize,
    /// The key path inside the document; empty for the whole document.
    pub path: Vec<Step>,
    /// What the two sides did.
    pub kind: ConflictKind,
}

impl Conflict {
    /// The key path in sops's index syntax (`["app"]["password"]`, `["list"][0]`), as
    /// `--extract` and `set` take it; `[]` for a whole document.
    pub fn index_path(&self) -> String {
        index_path(&self.path)
    }
}

/// Writes `path` in sops's index syntax: `["key"]` for keys (with `"` and `\` escaped as in
/// JSON), `[N]` for indices.
pub fn index_path(path: &[Step]) -> String {
    if path.is_empty() {
        return "[]".to_owned();
    }
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                out.push_str("[\"");
                for c in k.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        c => out.push(c),
                    }
                }
                out.push_str("\"]");
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.document > 0 {
            write!(f, "document {}: ", self.document + 1)?;
        }
        write!(f, "{}: {}", self.index_path(), self.kind.describe())
    }
}

/// A merge result: the merged value (our side at each conflict) and the conflicts.
pub struct Merged<T> {
    /// The merged value.
    pub value: T,
    /// Where the sides disagreed, in document order.
    pub conflicts: Vec<Conflict>,
}

impl<T> Merged<T> {
    /// True when the sides did not disagree anywhere.
    pub fn is_clean(&self) -> bool {
        self.conflicts.is_empty()
    }
}
