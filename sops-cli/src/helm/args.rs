//! The little languages of the Helm path, parsed as helm-secrets parses them:
//!
//! * values lists (`-f a.yaml,b.yaml`, `--set-file k=a,j=b`): split on commas that `\` does not
//!   escape;
//! * the per-file prefixes `?` (ignore the file when it is missing) and `backend!` (`sops`,
//!   `vals` or `noop` for this one file);
//! * the downloader URLs `secrets://`, `secrets+age-import://KEY?FILE`,
//!   `secrets+gpg-import://KEY?FILE` and `secrets+literal://TEXT`.
//!
//! Nothing here touches the file system; see `values` for reading and decrypting.

use crate::error::{codes, CliError};

/// How one values file is decrypted (helm-secrets' "backends").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    /// Decrypt sops files in-process; anything else passes through unchanged.
    Sops,
    /// Decrypt sops files, then resolve `ref+…` references (vals' syntax) in the YAML.
    Vals,
    /// Pass every file through unchanged.
    Noop,
}

impl Backend {
    pub(crate) fn from_name(name: &str) -> Option<Backend> {
        match name {
            "sops" => Some(Backend::Sops),
            "vals" => Some(Backend::Vals),
            "noop" => Some(Backend::Noop),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Backend::Sops => "sops",
            Backend::Vals => "vals",
            Backend::Noop => "noop",
        }
    }
}

/// Splits a values list on the commas that are not escaped with `\`. The pieces keep their
/// escapes (see [`unescape_commas`]); empty pieces are kept, as helm keeps them.
pub(crate) fn split_list(list: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in list.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' => {
                pieces.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push(&list[start..]);
    pieces
}

/// `a\,b` → `a,b`: the file name an escaped list item stands for.
pub(crate) fn unescape_commas(item: &str) -> String {
    item.replace("\\,", ",")
}

/// One item of a values list, with its prefixes taken off.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Item<'a> {
    /// `--set-file`'s `key=` (with the `=`); empty for `-f`.
    pub(crate) key: &'a str,
    /// `?file`: a missing file is an empty values file.
    pub(crate) optional: bool,
    /// `backend!file`, when `backend` names a backend.
    pub(crate) backend: Option<Backend>,
    /// What is left: a path, `-`, or a URL; still escaped.
    pub(crate) location: &'a str,
}

/// Parses one item of a wrapper values list. In the wrapper, a `name!` prefix whose name is
/// not a backend stays part of the path (helm-secrets' rule); `allowed` (from
/// `HELM_SECRETS_ALLOWED_BACKENDS`) rejects backends that are not listed.
pub(crate) fn parse_item<'a>(
    item: &'a str,
    with_key: bool,
    allowed: &AllowedBackends,
) -> Result<Item<'a>, CliError> {
    let (key, rest) = if with_key {
        match item.find('=') {
            Some(i) => item.split_at(i + 1),
            None => ("", item),
        }
    } else {
        ("", item)
    };
    let (optional, rest) = match rest.strip_prefix('?') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let (backend, location) = match rest.split_once('!') {
        Some((name, path)) => match Backend::from_name(name) {
            Some(b) => (Some(allowed.check(b)?), path),
            None => (None, rest),
        },
        None => (None, rest),
    };
    Ok(Item {
        key,
        optional,
        backend,
        location,
    })
}

/// `HELM_SECRETS_ALLOWED_BACKENDS`: a comma list; empty allows every backend.
#[derive(Clone, Debug, Default)]
pub(crate) struct AllowedBackends(Vec<String>);

impl AllowedBackends {
    pub(crate) fn from_list(list: &str) -> Self {
        AllowedBackends(
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    pub(crate) fn check(&self, backend: Backend) -> Result<Backend, CliError> {
        if self.0.is_empty() || self.0.iter().any(|b| b == backend.name()) {
            Ok(backend)
        } else {
            Err(CliError::new(
                codes::GENERIC,
                format!(
                    "secret backend '{}' not allowed (HELM_SECRETS_ALLOWED_BACKENDS={})",
                    backend.name(),
                    self.0.join(",")
                ),
            ))
        }
    }
}

/// The schemes of the downloader plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Secrets,
    AgeImport,
    GpgImport,
    Literal,
    AgeImportKubernetes,
    GpgImportKubernetes,
}

/// Every scheme the plugin registers, as `(scheme, Scheme)`. Longer names come first so that
/// prefix matching picks `secrets+age-import-kubernetes` over `secrets+age-import`.
pub(crate) const SCHEMES: &[(&str, Scheme)] = &[
    ("secrets+gpg-import-kubernetes", Scheme::GpgImportKubernetes),
    ("secrets+age-import-kubernetes", Scheme::AgeImportKubernetes),
    ("secrets+gpg-import", Scheme::GpgImport),
    ("secrets+age-import", Scheme::AgeImport),
    ("secrets+literal", Scheme::Literal),
    ("secrets", Scheme::Secrets),
];

/// A parsed downloader URL.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SecretsUrl {
    pub(crate) scheme: Scheme,
    /// `?` after the scheme: a missing file prints nothing.
    pub(crate) optional: bool,
    /// `backend!`; `None` means the default backend.
    pub(crate) backend: Option<Backend>,
    /// The key file (or `ns/secret#key`) of the `*-import` schemes.
    pub(crate) key: Option<String>,
    /// The file (or URL) to fetch, or the literal of `secrets+literal`.
    pub(crate) inner: String,
}

/// Parses a downloader URL; `Ok(None)` when it does not use one of the plugin's schemes.
/// In a URL, text before the first `!` must name a backend (an empty name, i.e. a leading
/// `!`, keeps the default, which is how paths containing `!` are written).
pub(crate) fn parse_secrets_url(
    url: &str,
    allowed: &AllowedBackends,
) -> Result<Option<SecretsUrl>, CliError> {
    let Some((scheme, rest)) = SCHEMES.iter().find_map(|(name, scheme)| {
        url.strip_prefix(name)
            .and_then(|r| r.strip_prefix("://"))
            .map(|r| (*scheme, r))
    }) else {
        return Ok(None);
    };
    let (optional, rest) = match rest.strip_prefix('?') {
        Some(r) if scheme != Scheme::Literal => (true, r),
        _ => (false, rest),
    };
    let (backend, rest) = match rest.split_once('!') {
        Some(("", r)) => (None, r),
        Some((name, r)) => match Backend::from_name(name) {
            Some(b) => (Some(allowed.check(b)?), r),
            None => {
                return Err(CliError::new(
                    codes::GENERIC,
                    format!("unknown secret backend '{name}' in {url} (write a leading '!' for a path that contains '!')"),
                ))
            }
        },
        None => (None, rest),
    };
    let (key, inner) = match scheme {
        Scheme::Secrets | Scheme::Literal => (None, rest.to_owned()),
        _ => match rest.split_once('?') {
            Some((key, inner)) if !key.is_empty() => (Some(key.to_owned()), inner.to_owned()),
            _ => {
                let name = SCHEMES.iter().find(|(_, s)| *s == scheme).map(|(n, _)| *n);
                return Err(CliError::new(
                    codes::GENERIC,
                    format!(
                        "Invalid syntax: {}://[path to key]?[path secrets.yaml]",
                        name.unwrap_or("secrets")
                    ),
                ));
            }
        },
    };
    Ok(Some(SecretsUrl {
        scheme,
        optional,
        backend,
        key,
        inner,
    }))
}

/// True for `scheme://…` with a scheme helm could have a getter for (`https://`, `oci://`,
/// `git+https://`, …): letters, digits, `+`, `-` and `.` before `://`.
pub(crate) fn is_url(location: &str) -> bool {
    match location.split_once("://") {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `true`/`false` for helm-secrets' boolean options and variables (anything but `true` is
/// false, as in its shell tests).
pub(crate) fn is_true(value: &str) -> bool {
    value == "true"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_unescaped_commas() {
        assert_eq!(split_list("a.yaml"), vec!["a.yaml"]);
        assert_eq!(split_list("a,b"), vec!["a", "b"]);
        assert_eq!(split_list(r"a\,b,c"), vec![r"a\,b", "c"]);
        assert_eq!(split_list(r"a\\,b"), vec![r"a\\", "b"]);
        assert_eq!(split_list("a,"), vec!["a", ""]);
        assert_eq!(unescape_commas(r"a\,b"), "a,b");
    }

    #[test]
    fn item_prefixes() {
        let all = AllowedBackends::default();
        let item = parse_item("?vals!x.yaml", false, &all).unwrap();
        assert!(item.optional);
        assert_eq!(item.backend, Some(Backend::Vals));
        assert_eq!(item.location, "x.yaml");
        let item = parse_item("k=?a!b.yaml", true, &all).unwrap();
        assert_eq!(item.key, "k=");
        assert!(item.optional);
        assert_eq!(item.backend, None);
        assert_eq!(item.location, "a!b.yaml");
        let only_sops = AllowedBackends::from_list("sops");
        assert!(parse_item("vals!x.yaml", false, &only_sops).is_err());
        assert!(parse_item("sops!x.yaml", false, &only_sops).is_ok());
    }

    #[test]
    fn downloader_urls() {
        let all = AllowedBackends::default();
        let u = parse_secrets_url("secrets://?vals!dir/s.yaml", &all)
            .unwrap()
            .unwrap();
        assert_eq!((u.scheme, u.optional), (Scheme::Secrets, true));
        assert_eq!(
            (u.backend, u.inner.as_str()),
            (Some(Backend::Vals), "dir/s.yaml")
        );
        let u = parse_secrets_url("secrets:///abs/s.yaml", &all)
            .unwrap()
            .unwrap();
        assert_eq!(u.inner, "/abs/s.yaml");
        let u = parse_secrets_url("secrets+age-import:///k/key.txt?s.yaml?x", &all)
            .unwrap()
            .unwrap();
        assert_eq!(u.scheme, Scheme::AgeImport);
        assert_eq!(u.key.as_deref(), Some("/k/key.txt"));
        assert_eq!(u.inner, "s.yaml?x");
        assert!(parse_secrets_url("secrets+gpg-import://s.yaml", &all).is_err());
        assert!(parse_secrets_url("secrets://bogus!s.yaml", &all).is_err());
        let u = parse_secrets_url("secrets://!a!b.yaml", &all)
            .unwrap()
            .unwrap();
        assert_eq!((u.backend, u.inner.as_str()), (None, "a!b.yaml"));
        let u = parse_secrets_url("secrets+literal://?x", &all)
            .unwrap()
            .unwrap();
        assert_eq!((u.optional, u.inner.as_str()), (false, "?x"));
        assert_eq!(parse_secrets_url("https://x", &all).unwrap(), None);
        assert_eq!(parse_secrets_url("secret://x", &all).unwrap(), None);
    }

    #[test]
    fn urls() {
        assert!(is_url("https://example.invalid/v.yaml"));
        assert!(is_url("git+https://x/y"));
        assert!(!is_url("dir/v.yaml"));
        assert!(!is_url("C:/x"));
        assert!(!is_url("a b://x"));
    }
}
