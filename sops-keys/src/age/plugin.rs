//! age plugins, as sops 3.10+ uses them: recipients `age1NAME1…` and identities
//! `AGE-PLUGIN-NAME-1…` are handled by the program `age-plugin-NAME` on `PATH`, through the
//! `age` crate's plugin client (the age-plugin protocol). What the plugin asks for (a PIN, a
//! touch, a confirmation) is shown and answered on the terminal ([`super::prompt`]).
//!
//! A missing plugin fails a recipient at once; an identity whose plugin is missing matches
//! nothing and says so in the list of places identities were looked for.

use age::secrecy::SecretString;
use age::DecryptError;
use age_core::format::{FileKey, Stanza};
use std::str::FromStr;

/// Whether `recipient` is a plugin recipient (`age1NAME1…`).
pub(crate) fn is_plugin_recipient(recipient: &str) -> bool {
    recipient.starts_with("age1") && recipient[4..].contains('1')
}

/// The prompts of a plugin, on the terminal.
#[derive(Clone)]
pub(crate) struct TerminalCallbacks;

impl age::Callbacks for TerminalCallbacks {
    fn display_message(&self, message: &str) {
        super::prompt::show(&format!("age: {message}"));
    }

    fn confirm(&self, message: &str, yes_string: &str, no_string: Option<&str>) -> Option<bool> {
        let choices = match no_string {
            Some(no) => format!("[1] {yes_string}, [2] {no}"),
            None => format!("[1] {yes_string}"),
        };
        let answer = super::prompt::read_visible(&format!("{message} {choices}:")).ok()?;
        match answer.trim() {
            "1" => Some(true),
            "2" if no_string.is_some() => Some(false),
            a if a.eq_ignore_ascii_case(yes_string) => Some(true),
            a if no_string.is_some_and(|no| a.eq_ignore_ascii_case(no)) => Some(false),
            _ => None,
        }
    }

    fn request_public_string(&self, description: &str) -> Option<String> {
        super::prompt::read_visible(description)
            .ok()
            .map(|s| s.to_string())
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        super::prompt::read_secret(description)
            .ok()
            .map(|s| SecretString::from(s.to_string()))
    }
}

/// The recipient `age1NAME1…`, wrapped by `age-plugin-NAME`; the error says what is missing.
pub(crate) fn recipient(text: &str) -> Result<Box<dyn age::Recipient>, String> {
    let parsed = age::plugin::Recipient::from_str(text).map_err(|e| e.to_owned())?;
    let name = parsed.plugin().to_owned();
    age::plugin::RecipientPluginV1::new(&name, &[parsed], &[], TerminalCallbacks)
        .map(|r| Box::new(r) as Box<dyn age::Recipient>)
        .map_err(|e| resolve_error(&name, &e))
}

/// The identity on one line of identity text (`AGE-PLUGIN-NAME-1…`). Plugin identities are
/// usually handles to a key on a device, but they are treated as secret all the same.
///
/// Returns the identity and how to describe it (it has no recipient of its own).
pub(crate) fn identity(
    line: &str,
) -> Result<(Box<dyn age::Identity + Send + Sync>, String), String> {
    let parsed = age::plugin::Identity::from_str(line).map_err(|e| e.to_owned())?;
    let name = parsed.plugin().to_owned();
    match age::plugin::IdentityPluginV1::new(&name, &[parsed], TerminalCallbacks) {
        Ok(identity) => Ok((Box::new(identity), format!("an age-plugin-{name} identity"))),
        Err(e) => {
            let why = resolve_error(&name, &e);
            Ok((
                Box::new(Unusable),
                format!("an age-plugin-{name} identity ({why})"),
            ))
        }
    }
}

fn resolve_error(name: &str, e: &age::plugin::ResolveError) -> String {
    match e {
        age::plugin::ResolveError::MissingPlugin { binary_name } => {
            format!("{binary_name} is not on PATH: install the age plugin {name:?}")
        }
        other => format!("{other}"),
    }
}

/// An identity whose plugin is missing: it matches nothing.
struct Unusable;

impl age::Identity for Unusable {
    fn unwrap_stanza(&self, _stanza: &Stanza) -> Option<Result<FileKey, DecryptError>> {
        None
    }
}
