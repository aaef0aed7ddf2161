//! Finding `.sops.yaml`: an explicit path (`--config`, `SOPS_CONFIG`), else the nearest
//! `.sops.yaml` in a directory or one of its parents, as sops 3.11 looks for it.

use super::ConfigError;
use std::path::{Path, PathBuf};

/// The only name sops reads its config under.
pub const CONFIG_FILE_NAME: &str = ".sops.yaml";

/// A name people give the config that sops does not read (it warns about it instead).
pub const IGNORED_CONFIG_FILE_NAME: &str = ".sops.yml";

/// How many directories the upward search looks at, the start included (sops: 100).
pub const MAX_SEARCH_DEPTH: usize = 100;

/// The outcome of [`find_config`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigSearch {
    /// The config file to load, if there is one.
    pub found: Option<PathBuf>,
    /// `.sops.yml` files passed on the way up, which are not read: worth a warning.
    pub ignored: Vec<PathBuf>,
}

/// Finds the config file: `explicit` when given (an error if it does not exist), else
/// `.sops.yaml` in `start_dir` or the nearest of its parents (at most [`MAX_SEARCH_DEPTH`]
/// levels). sops starts at the working directory, not at the file's directory.
pub fn find_config(start_dir: &Path, explicit: Option<&Path>) -> Result<ConfigSearch, ConfigError> {
    if let Some(path) = explicit {
        if !path.exists() {
            return Err(ConfigError::not_found(path));
        }
        return Ok(ConfigSearch {
            found: Some(path.to_path_buf()),
            ignored: Vec::new(),
        });
    }
    let mut search = ConfigSearch::default();
    for dir in start_dir.ancestors().take(MAX_SEARCH_DEPTH) {
        let candidate = dir.join(CONFIG_FILE_NAME);
        if candidate.is_file() {
            search.found = Some(candidate);
            break;
        }
        let alternate = dir.join(IGNORED_CONFIG_FILE_NAME);
        if alternate.is_file() {
            search.ignored.push(alternate);
        }
    }
    Ok(search)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_config_upward_wins_and_sops_yml_is_reported() {
        let root = tempfile::tempdir().unwrap();
        let deep = root.path().join("a/b/c");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(root.path().join(CONFIG_FILE_NAME), "").unwrap();
        std::fs::write(root.path().join("a").join(CONFIG_FILE_NAME), "").unwrap();
        std::fs::write(deep.join(IGNORED_CONFIG_FILE_NAME), "").unwrap();
        let search = find_config(&deep, None).unwrap();
        assert_eq!(
            search.found,
            Some(root.path().join("a").join(CONFIG_FILE_NAME))
        );
        assert_eq!(search.ignored, vec![deep.join(IGNORED_CONFIG_FILE_NAME)]);
    }

    #[test]
    fn a_directory_named_like_the_config_does_not_count() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(CONFIG_FILE_NAME)).unwrap();
        let search = find_config(root.path(), None).unwrap();
        assert_ne!(search.found, Some(root.path().join(CONFIG_FILE_NAME)));
    }

    #[test]
    fn an_explicit_path_must_exist() {
        let root = tempfile::tempdir().unwrap();
        let missing = root.path().join("nope.yaml");
        let error = find_config(root.path(), Some(&missing)).unwrap_err();
        assert_eq!(error.kind(), super::super::ConfigErrorKind::NotFound);
        assert_eq!(
            error.to_string(),
            format!(
                "error loading config: config file {} does not exist",
                missing.display()
            )
        );
        let search = find_config(Path::new("/"), Some(root.path())).unwrap();
        assert_eq!(search.found.as_deref(), Some(root.path()));
    }
}
