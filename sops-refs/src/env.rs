//! [`RefEnv`]: the environment variables a resolution may read, handed over by the caller
//! instead of being read from the process (`std::env`), so that two resolutions in one process
//! (two tests, two tenants of a service) can see different environments.

use std::collections::HashMap;
use zeroize::Zeroizing;

/// The variables `ref+` resolution reads: `SOPS_RS_REF_SCHEMES`, the `VALS_<NAME>` fallbacks of
/// query parameters, whatever `envsubst://` expands, and (feature `aws`) the `AWS_*` settings
/// of the SDK (region, profile, credentials, endpoints, configuration files).
///
/// A command line builds it from its own environment; a test or an embedder lists the
/// variables it wants. Values are zeroized when dropped; there is no `Debug`, because
/// credentials may be among them.
///
/// ```
/// let env = sops_refs::RefEnv::new().with("WHO", "ada");
/// assert_eq!(env.get("WHO"), Some("ada"));
/// assert_eq!(env.get("HOME"), None);
/// ```
#[derive(Default, Clone)]
pub struct RefEnv {
    vars: HashMap<String, Zeroizing<String>>,
}

impl RefEnv {
    /// An environment without any variable.
    pub fn new() -> Self {
        RefEnv::default()
    }

    /// An environment holding `vars` (a later value of a name replaces an earlier one), e.g.
    /// the process's: `RefEnv::from_vars(std::env::vars())`.
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut env = RefEnv::new();
        for (name, value) in vars {
            env.set(name, value);
        }
        env
    }

    /// Sets `name` to `value`.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.vars.insert(name.into(), Zeroizing::new(value.into()));
        self
    }

    /// This environment with `name` set to `value`.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set(name, value);
        self
    }

    /// The value of `name`, if it is set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.as_str())
    }

    /// The value of `name` when it is set and not empty.
    #[cfg(feature = "aws")]
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for RefEnv {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(vars: I) -> Self {
        RefEnv::from_vars(vars)
    }
}
