//! A guard for the one-binary layout: every test file must be a module of `tests/it/main.rs`.
//!
//! With `autotests = false` Cargo compiles only `tests/it/main.rs` and the modules it declares,
//! so a test file added directly under `tests/` (as before the single binary), or a file in
//! `tests/it/` that no `mod` names, would silently never run. [`unhooked_test_files`] finds such
//! files; each crate's binary has a test that fails on any.

use std::path::{Path, PathBuf};

/// The `.rs` files under `<crate_dir>/tests` (outside `tests/data`) that are not part of the
/// module tree of `tests/it/main.rs`, with why, relative to `crate_dir`. A file is part of the
/// tree when its parent module file (`main.rs`, a folder's `mod.rs`, or `folder.rs` beside the
/// folder) declares it with a `mod NAME;` line.
pub fn unhooked_test_files(crate_dir: &Path) -> Vec<String> {
    let tests = crate_dir.join("tests");
    let it = tests.join("it");
    let mut problems = Vec::new();
    for file in rust_files(&tests) {
        let shown = file.strip_prefix(crate_dir).unwrap_or(&file).display();
        if file.starts_with(tests.join("data")) {
            continue;
        }
        if !file.starts_with(&it) {
            problems.push(format!(
                "{shown}: outside tests/it/, so Cargo does not build it (move it into tests/it/ \
                 and add a `mod` line)"
            ));
            continue;
        }
        if file == it.join("main.rs") {
            continue;
        }
        let (parents, name) = parent_module_files(&file);
        let declared = parents
            .iter()
            .any(|parent| declares(parent, &name).unwrap_or(false));
        if !declared {
            problems.push(format!(
                "{shown}: no `mod {name};` in {}, so it is not compiled",
                parents
                    .iter()
                    .map(|p| p.strip_prefix(crate_dir).unwrap_or(p).display().to_string())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        }
    }
    problems
}

/// The files that may declare the module of `file`, and the module's name.
fn parent_module_files(file: &Path) -> (Vec<PathBuf>, String) {
    let dir = file.parent().unwrap_or(Path::new(""));
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (module_dir, name) = if stem == "mod" {
        let name = dir
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        (dir.parent().unwrap_or(Path::new("")), name)
    } else {
        (dir, stem)
    };
    let mut parents = vec![module_dir.join("main.rs"), module_dir.join("mod.rs")];
    if let (Some(up), Some(folder)) = (module_dir.parent(), module_dir.file_name()) {
        parents.push(up.join(format!("{}.rs", folder.to_string_lossy())));
    }
    parents.retain(|p| p.is_file() && p != file);
    (parents, name)
}

/// True if `parent` has a line `mod NAME;` (optionally `pub`, `pub(crate)`…).
fn declares(parent: &Path, name: &str) -> std::io::Result<bool> {
    let text = std::fs::read_to_string(parent)?;
    let wanted = format!("mod {name};");
    Ok(text.lines().any(|line| {
        let line = line.trim();
        line == wanted
            || (line.starts_with("pub") && line.ends_with(&wanted) && line.contains(" mod "))
    }))
}

/// Every `.rs` file under `dir`, recursively, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
