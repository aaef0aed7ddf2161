//! `ref+` references to secret stores in Helm values files, as vals (helmfile/vals) writes
//! them: `ref+<scheme>://path[?params][#/fragment][+]`, resolved in memory.
//!
//! [`Resolver::resolve_yaml`] reads a values file (YAML, or JSON by its suffix), looks at every
//! string value (keys and comments are left alone) and replaces references:
//!
//! * a string that is exactly one reference becomes the resolved value with its type: with a
//!   fragment, the number, boolean, null, mapping or sequence found there; without one, the
//!   whole secret or file as a string (as in vals);
//! * a reference inside a longer string is replaced by the value's text (scalars only);
//! * nested references (`ref+echo://ref+envsubst://$X/p`) are resolved from the inside out,
//!   at most [`MAX_NESTING`] deep, and must resolve to scalars;
//! * a `+` right after a reference closes it (vals' "explicit end"), so that text can follow.
//!
//! The result is written back as YAML by sops-core's store, comments and key order kept. A file
//! without `ref+` anywhere is returned unchanged, byte for byte.
//!
//! Schemes: `sops`, `file`, `envsubst`, `echo` (`local`), and with the cargo feature `aws`
//! `awssecrets` and `awsssm` (`aws`), and with the feature `vault` `vault` (HashiCorp Vault KV
//! v1 and v2, through the Vault backend's client of sops-keys). `SOPS_RS_REF_SCHEMES` (a comma list, or `none`) narrows
//! which may be used. Unset or empty, it allows them all, except under Argo CD
//! (`ARGOCD_APP_NAME` set, [`ARGOCD_ENV`]) or when a path switch is false
//! ([`PathPolicy::is_strict`]): then it allows none.
//!
//! Confinement: `file` and `sops` read their files through the [`PathPolicy`] of the
//! environment's `HELM_SECRETS_VALUES_ALLOW_*` switches and `HELM_SECRETS_VALUES_ROOT`. Callers
//! use the same policy for the values files themselves. It covers the tree root, `..`, symlinks
//! and absolute paths, and checks the opened file rather than the path. It reads regular files
//! only (no devices, FIFOs or `/proc` files) and at most [`MAX_FILE_SIZE`] bytes.
//!
//! Any reference that cannot be resolved (unknown or disallowed scheme, refused or missing file,
//! missing key, provider error) fails the whole evaluation with a [`RefError`] naming the
//! reference and the values file. Resolved values never appear in messages. When nested
//! references were substituted into a reference's text, only the original text and the kind of
//! failure are told.
//!
//! The process environment is not read: the caller hands over a [`RefEnv`] (the variables
//! `SOPS_RS_REF_SCHEMES`, `VALS_<NAME>`, `envsubst://` and the AWS settings read) and, for
//! `ref+sops://`, the key sources to decrypt with ([`SopsKeys`]). (With the feature `aws`, the
//! SDK's credential providers past the static keys and profile files, such as SSO, web
//! identity or instance metadata, still read the process's.) Everything happens in memory:
//! decrypted files and fetched secrets are not written anywhere, and the strings holding them
//! are zeroized when dropped.
//!
//! ```
//! use sops_refs::{RefEnv, Resolver};
//! use std::path::Path;
//!
//! let env = RefEnv::new().with("REPLICAS", "3");
//! let values = b"name: ref+echo://web\nreplicas: ref+envsubst://$REPLICAS#/\n";
//! let out = Resolver::new(&env).resolve_yaml(values, Path::new("values.yaml"))?;
//! assert_eq!(String::from_utf8_lossy(&out), "name: web\nreplicas: \"3\"\n");
//! # Ok::<(), sops_refs::RefError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "aws")]
use aws::Aws;
use error::Failure;
use parse::{find_nested, find_ref, may_contain_ref, navigate, Found, Ref};
use sops_core::store::Format;
use sops_core::tree::{MapItem, Mapping, Node, Scalar, SeqItem};
use sops_core::SecretText;
use std::collections::HashMap;
use std::path::Path;

#[cfg(feature = "aws")]
mod aws;
mod confine;
mod env;
mod error;
mod keys;
mod local;
mod parse;
#[cfg(feature = "vault")]
mod vault;

pub use confine::{
    check_key_location, PathError, PathErrorKind, PathPolicy, Target, ALLOW_ABSOLUTE_PATH_ENV,
    ALLOW_PATH_TRAVERSAL_ENV, ALLOW_SYMLINKS_ENV, MAX_FILE_SIZE, VALUES_ROOT_ENV,
};
pub use env::RefEnv;
pub use error::RefError;
pub use keys::SopsKeys;
pub use parse::MAX_NESTING;

/// Every scheme this build resolves (`awssecrets` and `awsssm` with the feature `aws`, `vault`
/// with the feature `vault`).
pub const SCHEMES: &[&str] = &[
    "sops",
    "file",
    "envsubst",
    "echo",
    #[cfg(feature = "aws")]
    "awssecrets",
    #[cfg(feature = "aws")]
    "awsssm",
    #[cfg(feature = "vault")]
    "vault",
];

/// The environment variable that narrows the allowed schemes.
pub const SCHEMES_ENV: &str = "SOPS_RS_REF_SCHEMES";

/// Set by Argo CD for its tools: when it is set, no scheme is allowed unless [`SCHEMES_ENV`]
/// names it.
pub const ARGOCD_ENV: &str = "ARGOCD_APP_NAME";

/// Resolves references with one environment and, for `ref+sops://`, one set of key sources.
/// Each call is one evaluation: a document fetched twice in it is fetched once, AWS clients
/// are made once per region and profile.
pub struct Resolver<'a> {
    env: &'a RefEnv,
    keys: Option<&'a dyn SopsKeys>,
    policy: PathPolicy,
}

impl<'a> Resolver<'a> {
    /// A resolver reading variables from `env` only. Without [`Resolver::with_keys`],
    /// `ref+sops://` references fail ("no key sources").
    /// `file` and `sops` files are read through [`PathPolicy::from_env`] of `env`.
    pub fn new(env: &'a RefEnv) -> Self {
        Resolver {
            env,
            keys: None,
            policy: PathPolicy::from_env(env),
        }
    }

    /// This resolver, opening `ref+sops://` files with `keys`.
    #[must_use]
    pub fn with_keys(mut self, keys: &'a dyn SopsKeys) -> Self {
        self.keys = Some(keys);
        self
    }

    /// Resolves every reference in the values file `bytes` read from `path` (relative `file`
    /// and `sops` paths are taken against its directory; JSON by its suffix, else YAML) and
    /// returns the file as YAML. Bytes without `ref+` anywhere come back unchanged.
    pub fn resolve_yaml(&self, bytes: &[u8], path: &Path) -> Result<Vec<u8>, RefError> {
        if !may_contain_ref(bytes) {
            return Ok(bytes.to_vec());
        }
        let fail = |why: String| RefError::ValuesFile {
            path: path.to_path_buf(),
            why,
        };
        let format = match Format::from_path(path) {
            Format::Json => Format::Json,
            _ => Format::Yaml,
        };
        let mut tree = format
            .store()
            .load_plain(bytes)
            .map_err(|e| fail(format!("cannot parse it to resolve ref+ references: {e}")))?;
        let mut evaluation = self.evaluation(base_dir(path));
        for branch in &mut tree.branches {
            evaluation.walk_mapping(branch).map_err(&fail)?;
        }
        Format::Yaml
            .store()
            .emit_plain(&tree)
            .map_err(|e| fail(format!("cannot write it back: {e}")))
    }

    /// Resolves one reference (`ref+…` or `secretref+…`, the whole string) with relative
    /// paths taken against `base_dir`, keeping the resolved value's type.
    pub fn resolve_ref(&self, uri: &str, base_dir: &Path) -> Result<Node, RefError> {
        match self.evaluation(base_dir).resolve_scalar(uri) {
            Ok(Some(node)) => Ok(node),
            Ok(None) => Err(RefError::NotAReference {
                text: uri.to_owned(),
            }),
            Err(why) => Err(RefError::Unresolved { why }),
        }
    }

    fn evaluation<'e>(&'e self, base_dir: &'e Path) -> Evaluation<'e> {
        Evaluation {
            base_dir,
            env: self.env,
            policy: &self.policy,
            allowed: None,
            keys: self.keys,
            #[cfg(feature = "aws")]
            aws: Aws::default(),
            cache: HashMap::new(),
        }
    }
}

/// The directory relative references start from: the file's, or `.`.
fn base_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// What one fetch gave: a whole value, or a document a fragment selects from.
enum Fetched {
    Text(SecretText),
    Document(Node),
}

/// The state of one evaluation: allowed schemes and AWS clients made on first use, and what
/// was fetched, by reference (without fragment).
struct Evaluation<'a> {
    base_dir: &'a Path,
    env: &'a RefEnv,
    policy: &'a PathPolicy,
    allowed: Option<Result<Vec<String>, String>>,
    keys: Option<&'a dyn SopsKeys>,
    #[cfg(feature = "aws")]
    aws: Aws,
    cache: HashMap<(String, bool), Fetched>,
}

impl Evaluation<'_> {
    fn walk_mapping(&mut self, mapping: &mut Mapping) -> Result<(), String> {
        for item in &mut mapping.items {
            if let MapItem::Pair(_, value) = item {
                self.walk(value)?;
            }
        }
        Ok(())
    }

    fn walk(&mut self, node: &mut Node) -> Result<(), String> {
        match node {
            Node::Mapping(m) => self.walk_mapping(m),
            Node::Sequence(s) => {
                for item in &mut s.items {
                    if let SeqItem::Value(value) = item {
                        self.walk(value)?;
                    }
                }
                Ok(())
            }
            Node::Scalar(Scalar::Str(text)) => {
                if let Some(resolved) = self.resolve_scalar(text.as_str())? {
                    *node = resolved;
                }
                Ok(())
            }
            Node::Scalar(_) => Ok(()),
        }
    }

    /// The new value of a string scalar, `None` when it holds no reference.
    fn resolve_scalar(&mut self, original: &str) -> Result<Option<Node>, String> {
        if find_ref(original, 0).is_none() {
            return Ok(None);
        }
        let text = self.resolve_nested(original)?;
        // After a substitution the text holds a resolved value: messages name the original
        // and the kind of failure only.
        let nested = text.as_str() != original;
        let name = |found: &Found| {
            if nested {
                original.to_owned()
            } else {
                found.text(original).to_owned()
            }
        };
        let told = |failure: Failure| {
            if nested {
                failure.kind.to_owned()
            } else {
                failure.why
            }
        };
        let Some(first) = find_ref(text.as_str(), 0) else {
            return Ok(Some(Node::Scalar(Scalar::Str(text))));
        };
        let text = text.as_str();
        if first.start == 0 && first.end == text.len() {
            let node = self
                .lookup(&first.body)
                .map_err(|f| cannot(&name(&first), &told(f)))?;
            return Ok(Some(node));
        }
        let mut out = zeroize::Zeroizing::new(String::with_capacity(text.len()));
        let mut at = 0;
        while let Some(found) = find_ref(text, at) {
            out.push_str(&text[at..found.start]);
            let node = self
                .lookup(&found.body)
                .map_err(|f| cannot(&name(&found), &told(f)))?;
            let value = scalar_text(&node).map_err(|why| cannot(&name(&found), &why))?;
            out.push_str(value.as_str());
            at = found.end;
        }
        out.push_str(&text[at..]);
        Ok(Some(Node::Scalar(Scalar::Str(SecretText::new(
            out.as_str(),
        )))))
    }

    /// `text` with nested references replaced by their values, innermost first.
    fn resolve_nested(&mut self, original: &str) -> Result<SecretText, String> {
        let mut text = SecretText::new(original);
        for depth in 0..=MAX_NESTING {
            let Some(inner) = find_nested(text.as_str()) else {
                return Ok(text);
            };
            if depth == MAX_NESTING {
                break;
            }
            // From the second level on, the inner reference's text holds resolved values.
            let (shown, node) = match self.lookup(&inner.body) {
                Ok(node) if depth == 0 => (inner.text(original), node),
                Ok(node) => (original, node),
                Err(f) if depth == 0 => return Err(cannot(inner.text(original), &f.why)),
                Err(f) => return Err(cannot(original, f.kind)),
            };
            let value = scalar_text(&node).map_err(|why| {
                cannot(shown, &format!("nested references must be scalars: {why}"))
            })?;
            let t = text.as_str();
            text = SecretText::new(format!(
                "{}{}{}",
                &t[..inner.start],
                value.as_str(),
                &t[inner.end..]
            ));
        }
        Err(cannot(
            original,
            &format!("nesting is deeper than {MAX_NESTING} levels"),
        ))
    }

    /// The value of one reference body (`scheme://…`).
    fn lookup(&mut self, body: &str) -> Result<Node, Failure> {
        let r = Ref::parse(body).map_err(|why| Failure::new("it is not a valid reference", why))?;
        self.check_allowed(&r.scheme)
            .map_err(|why| Failure::new("its scheme is unknown or not allowed", why))?;
        let with_fragment = !r.fragment.is_empty();
        let key = (r.document_key(), with_fragment);
        if !self.cache.contains_key(&key) {
            let fetched = self.fetch(&r, with_fragment)?;
            self.cache.insert(key.clone(), fetched);
        }
        match &self.cache[&key] {
            Fetched::Text(text) => Ok(Node::Scalar(Scalar::Str(text.clone()))),
            Fetched::Document(doc) => navigate(doc, &r.fragment)
                .map_err(|why| Failure::new("its fragment selects no value", why)),
        }
    }

    fn fetch(&mut self, r: &Ref, document: bool) -> Result<Fetched, Failure> {
        let (base, env, policy) = (self.base_dir, self.env, self.policy);
        let keys = || self.keys.ok_or_else(|| Failure::from("no key sources"));
        let text = |t: SecretText| Fetched::Text(t);
        Ok(match (r.scheme.as_str(), document) {
            ("echo", false) => text(local::echo_string(r)),
            ("echo", true) => Fetched::Document(parse::echo_document(&r.path)?),
            ("file", false) => text(local::file_string(policy, base, r, env)?),
            ("file", true) => Fetched::Document(local::file_document(policy, base, r)?),
            ("envsubst", false) => text(local::envsubst_string(r, env)?),
            ("envsubst", true) => Fetched::Document(local::envsubst_document(r, env)?),
            ("sops", false) => text(local::sops_string(policy, base, r, env, keys()?)?),
            ("sops", true) => {
                Fetched::Document(local::sops_document(policy, base, r, env, keys()?)?)
            }
            #[cfg(feature = "aws")]
            ("awssecrets", false) => text(self.aws.secret_string(r, env)?),
            #[cfg(feature = "aws")]
            ("awssecrets", true) => {
                let secret = self.aws.secret_string(r, env)?;
                Fetched::Document(local::parse_document(secret.as_bytes(), Format::Yaml)?)
            }
            #[cfg(feature = "aws")]
            ("awsssm", false) => text(self.aws.parameter(r, env)?),
            #[cfg(feature = "aws")]
            ("awsssm", true) => Fetched::Document(self.aws.parameter_document(r, env)?),
            #[cfg(feature = "vault")]
            ("vault", false) => text(vault::string(r, env)?),
            #[cfg(feature = "vault")]
            ("vault", true) => Fetched::Document(vault::document(r, env)?),
            (other, _) => {
                return Err(format!(
                    "no provider for scheme {other:?} (sops-rs resolves {})",
                    SCHEMES.join(", ")
                )
                .into())
            }
        })
    }

    /// Fails unless `scheme` is allowed by `SOPS_RS_REF_SCHEMES` (read on first use; unset,
    /// none under Argo CD or with a path switch false).
    fn check_allowed(&mut self, scheme: &str) -> Result<(), String> {
        let guarded = self.env.get(ARGOCD_ENV).is_some() || self.policy.is_strict();
        let allowed = self
            .allowed
            .get_or_insert_with(|| allowed_schemes(self.env.get(SCHEMES_ENV), guarded));
        let list = allowed.as_ref().map_err(Clone::clone)?;
        if list.iter().any(|s| s == scheme) {
            return Ok(());
        }
        if !SCHEMES.contains(&scheme) {
            return Err(format!(
                "no provider for scheme {scheme:?} (sops-rs resolves {})",
                SCHEMES.join(", ")
            ));
        }
        let unset = self
            .env
            .get(SCHEMES_ENV)
            .is_none_or(|v| v.trim().is_empty());
        let why = if unset && guarded {
            format!(
                "; by default none is allowed under Argo CD ({ARGOCD_ENV}) or when a \
                 HELM_SECRETS_VALUES_ALLOW_* switch is false: name the schemes in {SCHEMES_ENV}"
            )
        } else {
            String::new()
        };
        Err(format!(
            "scheme {scheme:?} is not allowed by {SCHEMES_ENV} (allowed: {}){why}",
            if list.is_empty() {
                "none".to_owned()
            } else {
                list.join(", ")
            }
        ))
    }
}

/// The allowed schemes from `SOPS_RS_REF_SCHEMES`: when unset or empty all, or none when
/// `guarded` (Argo CD, or a path switch false); none for `none`, else the comma list, which may
/// only name schemes sops-rs resolves.
fn allowed_schemes(value: Option<&str>, guarded: bool) -> Result<Vec<String>, String> {
    let value = value.map(str::trim).unwrap_or_default();
    if value.is_empty() && guarded {
        return Ok(Vec::new());
    }
    if value.is_empty() {
        return Ok(SCHEMES.iter().map(|s| (*s).to_owned()).collect());
    }
    if value == "none" {
        return Ok(Vec::new());
    }
    let mut list = Vec::new();
    for name in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !SCHEMES.contains(&name) {
            return Err(format!(
                "{SCHEMES_ENV} names {name:?}, which sops-rs does not resolve (it resolves {})",
                SCHEMES.join(", ")
            ));
        }
        list.push(name.to_owned());
    }
    Ok(list)
}

/// The message for a reference that could not be resolved.
fn cannot(reference: &str, why: &str) -> String {
    format!("cannot resolve {reference}: {why}")
}

/// The text a resolved scalar takes inside a longer string.
fn scalar_text(node: &Node) -> Result<SecretText, String> {
    match node {
        Node::Scalar(Scalar::Str(s)) => Ok(s.clone()),
        Node::Scalar(Scalar::Null) => Err("it resolves to null".to_owned()),
        Node::Scalar(Scalar::Bytes(_)) => Err("it resolves to binary data".to_owned()),
        Node::Scalar(scalar) => {
            let out = Format::Yaml
                .store()
                .emit_value(&Node::Scalar(scalar.clone()))
                .map_err(|e| e.to_string())?;
            Ok(SecretText::new(String::from_utf8_lossy(&out).trim_end()))
        }
        other => Err(format!(
            "it resolves to a {}, which cannot be part of a longer string",
            other.kind_name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list_names_known_schemes() {
        assert_eq!(allowed_schemes(None, false).unwrap().len(), SCHEMES.len());
        assert_eq!(
            allowed_schemes(Some(" "), false).unwrap().len(),
            SCHEMES.len()
        );
        assert!(allowed_schemes(None, true).unwrap().is_empty());
        assert!(allowed_schemes(Some(""), true).unwrap().is_empty());
        assert!(allowed_schemes(Some("none"), false).unwrap().is_empty());
        assert_eq!(
            allowed_schemes(Some("sops, echo"), true).unwrap(),
            ["sops", "echo"]
        );
        assert!(allowed_schemes(Some("sops,tfstate"), false)
            .unwrap_err()
            .contains("\"tfstate\""));
    }
}
