//! `sops-rs git merge-driver BASE OURS THEIRS [PATH]`: git's merge-driver contract (`%O %A %B
//! %P`) for SOPS files.
//!
//! The three versions are decrypted in memory, each with its own data key and checked against
//! its own MAC; [`sops_core::merge`] merges the trees key by key and the metadata setting by
//! setting. The result is encrypted into OURS with the data key of our side (or of theirs, when
//! only they rotated it), reusing the IVs of every value whose plaintext is unchanged, so that
//! those keep their exact ciphertext; when both sides share the data key, a value only they
//! changed keeps *their* ciphertext too. A recipient only the other side added gets the data
//! key wrapped for it. The MAC and `lastmodified` are written anew.
//!
//! Exit 0 is a clean merge. On conflicts OURS is still written, a valid SOPS file holding our
//! side's value at each conflicting key (so nothing half-merged can be committed by mistake and
//! the reference sops opens it), every conflicting key path is listed on stderr in sops's index
//! syntax with how to resolve it, and the exit code is 1: git then marks the path unmerged and
//! keeps the three versions in the index (stages 1, 2, 3). Any failure (a side that does not
//! decrypt, a bad MAC) also exits non-zero and leaves OURS as it was.
//!
//! Nothing plaintext is written: the trees live in zeroizing memory, the file written is
//! encrypted, and messages name key paths only. When none of the versions is a SOPS file (a
//! path the attributes cover but that is not encrypted yet), the ordinary text merge of
//! `git merge-file` runs instead.

use crate::cli::MergeDriverArgs;
use crate::common::{format_for, open_error, store_options};
use crate::error::{codes, CliError};
use crate::keys::{load_config, KeySources};
use crate::write::{write_file, NewFile, Policy, Role};
use sops_core::internal::{encrypt_tree_reusing, open_file, wrap_data_key, OpenedFile};
use sops_core::merge::{
    merge_metadata, merge_trees, Conflict, ConflictKind, DataKeySide, Rotation,
};
use sops_core::tree::Tree;
use sops_core::DecryptOptions;
use std::path::Path;

/// The exit code of a merge with conflicts.
const CONFLICTS: i32 = 1;

pub(crate) fn run(args: &MergeDriverArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let shown = args.path.as_deref().unwrap_or(&args.ours);
    let format = format_for(shown, args.input_type.as_deref());
    // Only the `stores:` settings apply (indentation); a broken config does not stop a merge.
    let config = load_config(config_path).ok().flatten();
    let options = store_options(config.as_ref(), None);
    let store = format.store_with(&options);
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| {
            CliError::new(
                codes::COULD_NOT_READ_INPUT,
                format!("sops-rs git merge-driver: cannot read {}: {e}", p.display()),
            )
        })
    };
    let (base, ours, theirs) = (read(&args.base)?, read(&args.ours)?, read(&args.theirs)?);
    let is_sops = |b: &[u8]| store.load_encrypted(b).is_ok();
    let (base_sops, ours_sops, theirs_sops) = (is_sops(&base), is_sops(&ours), is_sops(&theirs));
    if !ours_sops && !theirs_sops && !base_sops {
        return text_merge(args);
    }
    if !(ours_sops && theirs_sops) {
        let side = if ours_sops { "their" } else { "our" };
        return Err(CliError::new(
            CONFLICTS,
            format!(
                "sops-rs git merge-driver: {}: {side} side is not a SOPS file; resolve by hand \
                 (`git checkout --ours` or `--theirs`, then `sops-rs encrypt -i` if needed)",
                shown.display()
            ),
        ));
    }

    let sources = KeySources::from_env();
    let open = |bytes: &[u8], side: &str| {
        open_file(
            bytes,
            store.as_ref(),
            &sources.as_list(),
            &DecryptOptions::default(),
        )
        .map_err(|e| {
            let e = open_error(&sources, e);
            CliError::new(
                e.code,
                format!(
                    "sops-rs git merge-driver: {}: {side} side: {e}",
                    shown.display()
                ),
            )
        })
    };
    // A base that is not a SOPS file (the file was encrypted on both branches) counts as none.
    let base = if base_sops {
        Some(open(&base, "base")?)
    } else {
        None
    };
    let ours = open(&ours, "our")?;
    let theirs = open(&theirs, "their")?;

    let same_key = |a: &OpenedFile, b: &OpenedFile| a.data_key == b.data_key;
    let rotation = match &base {
        Some(b) => Rotation {
            ours: !same_key(&ours, b),
            theirs: !same_key(&theirs, b),
        },
        None => Rotation {
            ours: true,
            theirs: true,
        },
    };
    let empty = Tree::default();
    let merged_tree = merge_trees(
        base.as_ref().map_or(&empty, |b| &b.tree),
        &ours.tree,
        &theirs.tree,
    );
    let merged_meta = merge_metadata(
        base.as_ref().map(|b| &b.metadata),
        &ours.metadata,
        &theirs.metadata,
        rotation,
    );
    let shared_key = same_key(&ours, &theirs);
    let (chosen, other) = match merged_meta.data_key {
        DataKeySide::Ours => (ours, theirs),
        DataKeySide::Theirs => (theirs, ours),
    };
    let OpenedFile {
        data_key,
        mut stash,
        ..
    } = chosen;
    if shared_key {
        stash.absorb(other.stash);
    }
    let mut metadata = merged_meta.metadata;
    wrap_missing(&mut metadata, &data_key, &sources)?;
    let mut tree = merged_tree.value;
    encrypt_tree_reusing(&mut tree, &mut metadata, &data_key, Some(&mut stash))?;
    let output = store.emit_encrypted(&tree, &metadata)?;
    write_file(
        &args.ours,
        &output,
        Policy::Keep(NewFile::Encrypted),
        Role::InPlace,
    )?;

    let conflicts: Vec<Conflict> = merged_tree
        .conflicts
        .into_iter()
        .chain(merged_meta.conflicts)
        .collect();
    if conflicts.is_empty() {
        return Ok(());
    }
    Err(CliError::new(CONFLICTS, conflict_report(shown, &conflicts)))
}

/// Wraps the data key for the recipients that have no wrapped copy of it yet (those the other
/// side added). With one key group only those entries are wrapped; with several (Shamir) every
/// group gets a new share.
fn wrap_missing(
    metadata: &mut sops_core::Metadata,
    data_key: &sops_core::DataKey,
    sources: &KeySources,
) -> Result<(), CliError> {
    let missing = |e: &sops_core::KeyEntry| e.field("enc").is_none();
    if !metadata.key_groups.iter().flatten().any(missing) {
        return Ok(());
    }
    let list = sources.as_list();
    if metadata.key_groups.len() > 1 {
        return wrap_data_key(metadata, data_key, &list).map_err(CliError::from);
    }
    for entry in metadata
        .key_groups
        .iter_mut()
        .flatten()
        .filter(|e| missing(e))
    {
        let mut failures = Vec::new();
        let key_type = entry.key_type.clone();
        let mut wrapped = false;
        for source in list.iter().filter(|s| s.key_type() == key_type) {
            match source.wrap(entry, data_key.secret_bytes()) {
                Ok(()) => {
                    wrapped = true;
                    break;
                }
                Err(e) => failures.push(e.message),
            }
        }
        if !wrapped {
            return Err(CliError::new(
                codes::GENERIC,
                format!(
                    "sops-rs git merge-driver: cannot wrap the data key for {} (added on the \
                     other side): {}",
                    entry.describe(),
                    if failures.is_empty() {
                        "no backend for this key type".to_owned()
                    } else {
                        failures.join("; ")
                    }
                ),
            ));
        }
    }
    Ok(())
}

/// The conflict listing: every key path with a one-line hint, then how to see their side.
fn conflict_report(shown: &Path, conflicts: &[Conflict]) -> String {
    let file = shlex::try_quote(&shown.to_string_lossy())
        .map(|q| q.into_owned())
        .unwrap_or_else(|_| shown.display().to_string());
    let count = conflicts.len();
    let mut out = format!(
        "sops-rs git merge-driver: {}: {count} conflict{}; the file is a valid SOPS file with \
         our side's value at each:",
        shown.display(),
        if count == 1 { "" } else { "s" }
    );
    for c in conflicts {
        let path = c.index_path();
        let quoted = shlex::try_quote(&path)
            .map(|q| q.into_owned())
            .unwrap_or_else(|_| path.clone());
        let hint = match c.kind {
            ConflictKind::Metadata => {
                format!(
                    "resolve: sops-rs updatekeys {file} (recipients) or sops-rs rotate -i {file}"
                )
            }
            ConflictKind::BothChanged
            | ConflictKind::BothAdded
            | ConflictKind::ChangedDeleted
            | ConflictKind::DeletedChanged
                if c.document == 0 && !c.path.is_empty() =>
            {
                format!("resolve: sops-rs set {file} {quoted} JSON-VALUE, or sops-rs edit {file}")
            }
            _ => format!("resolve: sops-rs edit {file}"),
        };
        out.push_str(&format!("\n  {c}; {hint}"));
    }
    let repo_path = shown.to_string_lossy();
    out.push_str(&format!(
        "\n  their side: git show --textconv :3:{repo_path} (ours: :2:); when resolved: git add {file}"
    ));
    out
}

/// `git merge-file` for paths under the attribute whose versions are not SOPS files.
fn text_merge(args: &MergeDriverArgs) -> Result<(), CliError> {
    let status = std::process::Command::new("git")
        .arg("merge-file")
        .args(["-L", "ours", "-L", "base", "-L", "theirs"])
        .arg(&args.ours)
        .arg(&args.base)
        .arg(&args.theirs)
        .status()
        .map_err(|e| CliError::new(codes::GENERIC, format!("cannot run git merge-file: {e}")))?;
    match status.code() {
        Some(0) => Ok(()),
        _ => Err(CliError::new(
            CONFLICTS,
            "sops-rs git merge-driver: not a SOPS file: merged as text, with conflicts",
        )),
    }
}
