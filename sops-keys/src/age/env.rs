//! The environment age identities are discovered from: the variables sops reads and the home
//! directory, copied from the process or given explicitly (for tests and embedders).
//!
//! It may hold `SOPS_AGE_KEY`, which is secret: values are zeroized on drop and nothing here has
//! `Debug`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// `SOPS_AGE_SSH_PRIVATE_KEY_FILE`: path of an SSH private key to use as an age identity.
pub const SSH_KEY_FILE_VAR: &str = "SOPS_AGE_SSH_PRIVATE_KEY_FILE";
/// `SOPS_AGE_SSH_PRIVATE_KEY_CMD` (sops 3.12+): a command (split shell-style) whose stdout is
/// one SSH private key to use as an age identity.
pub const SSH_KEY_CMD_VAR: &str = "SOPS_AGE_SSH_PRIVATE_KEY_CMD";
/// `SOPS_AGE_KEY`: age identity text, one identity per line.
pub const KEY_VAR: &str = "SOPS_AGE_KEY";
/// `SOPS_AGE_KEY_FILE`: path of a file of age identities.
pub const KEY_FILE_VAR: &str = "SOPS_AGE_KEY_FILE";
/// `SOPS_AGE_KEY_CMD`: a command (split shell-style) that prints age identities.
pub const KEY_CMD_VAR: &str = "SOPS_AGE_KEY_CMD";
/// `SOPS_AGE_RECIPIENT`: set for `SOPS_AGE_KEY_CMD` and `SOPS_AGE_SSH_PRIVATE_KEY_CMD` to the
/// recipient being decrypted.
pub const RECIPIENT_VAR: &str = "SOPS_AGE_RECIPIENT";

/// The environment variables [`IdentityEnv::from_process`] copies.
const VARS: [&str; 7] = [
    SSH_KEY_FILE_VAR,
    SSH_KEY_CMD_VAR,
    KEY_VAR,
    KEY_FILE_VAR,
    KEY_CMD_VAR,
    "XDG_CONFIG_HOME",
    "APPDATA",
];

/// The environment identities are discovered from: variables and the home directory.
///
/// It may hold `SOPS_AGE_KEY`, which is secret, so it has no `Debug` and is zeroized on drop.
pub struct IdentityEnv {
    vars: BTreeMap<String, Zeroizing<String>>,
    home: Option<PathBuf>,
}

impl IdentityEnv {
    /// The variables that matter here, read from this process, and the home directory
    /// (`$HOME`, or `%USERPROFILE%` on Windows).
    pub fn from_process() -> Self {
        let mut env = IdentityEnv::empty();
        for name in VARS {
            if let Ok(value) = std::env::var(name) {
                env.vars.insert(name.to_owned(), Zeroizing::new(value));
            }
        }
        let home_var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
        env.home = std::env::var_os(home_var)
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        env
    }

    /// An environment with no variables set and no home directory: no source is configured.
    pub fn empty() -> Self {
        IdentityEnv {
            vars: BTreeMap::new(),
            home: None,
        }
    }

    /// An environment with exactly `vars` and the home directory `home`.
    pub fn new<K, V>(vars: impl IntoIterator<Item = (K, V)>, home: Option<PathBuf>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut env = IdentityEnv::empty().with_home(home);
        for (k, v) in vars {
            env.vars.insert(k.into(), Zeroizing::new(v.into()));
        }
        env
    }

    /// This environment with variable `name` set to `value`.
    pub fn with_var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), Zeroizing::new(value.into()));
        self
    }

    /// This environment with the home directory replaced by `home`.
    pub fn with_home(mut self, home: Option<PathBuf>) -> Self {
        self.home = home;
        self
    }

    /// The value of variable `name`, if set (an empty value counts as set, as in sops).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.as_str())
    }

    /// The home directory, if known.
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }

    /// The default identity file `<user config dir>/sops/age/keys.txt`, or why it cannot be
    /// determined. The config dir follows Go's `os.UserConfigDir` (and sops' macOS override).
    pub fn default_keys_file(&self) -> Result<PathBuf, String> {
        Ok(self
            .user_config_dir()?
            .join("sops")
            .join("age")
            .join("keys.txt"))
    }

    fn user_config_dir(&self) -> Result<PathBuf, String> {
        let xdg = self.var("XDG_CONFIG_HOME").filter(|v| !v.is_empty());
        if cfg!(windows) {
            return match self.var("APPDATA").filter(|v| !v.is_empty()) {
                Some(dir) => Ok(PathBuf::from(dir)),
                None => Err("%AppData% is not set".to_owned()),
            };
        }
        if cfg!(target_os = "macos") {
            if let Some(dir) = xdg {
                return Ok(PathBuf::from(dir));
            }
            return match self.home() {
                Some(home) => Ok(home.join("Library").join("Application Support")),
                None => Err("the home directory is unknown".to_owned()),
            };
        }
        match (xdg, self.home()) {
            (Some(dir), _) if Path::new(dir).is_absolute() => Ok(PathBuf::from(dir)),
            (Some(dir), _) => Err(format!("path in $XDG_CONFIG_HOME is relative: {dir}")),
            (None, Some(home)) => Ok(home.join(".config")),
            (None, None) => Err("neither $XDG_CONFIG_HOME nor $HOME is set".to_owned()),
        }
    }
}
