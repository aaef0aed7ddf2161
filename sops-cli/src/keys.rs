//! The master-key backends the CLI offers, and recipients from flags and environment.

use crate::error::{codes, CliError};
use sops_core::KeyEntry;
use sops_keys::age::{parse_recipients, AgeKeySource};

/// Every backend this build of sops-rs can use, configured from the environment.
pub(crate) struct KeySources {
    pub(crate) age: AgeKeySource,
}

impl KeySources {
    pub(crate) fn from_env() -> Self {
        KeySources {
            age: AgeKeySource::from_env(),
        }
    }

    pub(crate) fn as_list(&self) -> Vec<&dyn sops_core::KeySource> {
        vec![&self.age]
    }

    /// Adds to a "could not retrieve the data key" error the places each backend looked.
    pub(crate) fn explain(&self, error: sops_core::Error) -> CliError {
        if error.kind() == sops_core::ErrorKind::DataKeyUnavailable {
            let report = self.age.no_identity_error();
            return CliError::new(error.exit_code(), format!("{error}\n{report}"));
        }
        error.into()
    }
}

/// Recipient entries from `--age` (or `SOPS_AGE_RECIPIENTS`), as one key group.
pub(crate) fn recipient_group(age: Option<&str>) -> Result<Vec<KeyEntry>, CliError> {
    let mut group = Vec::new();
    if let Some(list) = age {
        let recipients = parse_recipients(list)
            .map_err(|e| CliError::new(codes::GENERIC, format!("failed to parse input, {e}")))?;
        for r in recipients {
            let mut entry = KeyEntry::new("age");
            entry.set_field("recipient", r);
            group.push(entry);
        }
    }
    if group.is_empty() {
        return Err(CliError::new(
            codes::GENERIC,
            "config file not found, or has no creation rules, and no keys provided through command line options\n  hint: pass --age RECIPIENT (or set SOPS_AGE_RECIPIENTS)",
        ));
    }
    Ok(group)
}
