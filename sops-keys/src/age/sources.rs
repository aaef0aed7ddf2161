//! Reading every identity source in sops' order (see the [`age`](super) module docs), including
//! the ones that are not plain identity text: SSH private key files, `SOPS_AGE_KEY_CMD` and
//! `SOPS_AGE_SSH_PRIVATE_KEY_CMD`.
//!
//! SSH keys (OpenSSH or PEM, ed25519 or RSA) become age SSH identities. A passphrase-protected
//! key is reported, never prompted for.
//!
//! As in sops, the key command line is split shell-style (the rules of
//! `github.com/google/shlex`: whitespace separates words, `'…'` is literal, `"…"` and bare words
//! take `\` escapes, and a word starting with `#` begins a comment). It runs without a shell,
//! with stdin closed, stderr passed through to the user, the process environment plus
//! `SOPS_AGE_RECIPIENT=<recipient>`. The stdout of `SOPS_AGE_KEY_CMD` is parsed as identity text;
//! that of `SOPS_AGE_SSH_PRIVATE_KEY_CMD` (sops 3.12+) as one SSH private key, which must not
//! be passphrase-protected.

use super::env::{
    IdentityEnv, KEY_FILE_VAR, KEY_VAR, RECIPIENT_VAR, SSH_KEY_CMD_VAR, SSH_KEY_FILE_VAR,
};
use super::identities::{
    is_encrypted, parse_identity_text, read_file, Found, IdentitySet, SourceState,
};
use super::passphrase::EncryptedIdentityFile;
use std::path::Path;
use std::process::{Command, Stdio};
use zeroize::Zeroizing;

/// Where the statuses of the per-recipient commands belong among the fixed sources' statuses.
#[derive(Clone, Copy)]
pub(crate) struct Slots {
    /// The index of `SOPS_AGE_SSH_PRIVATE_KEY_CMD`'s statuses (after the SSH key file).
    pub(crate) ssh_cmd: usize,
    /// The index of `SOPS_AGE_KEY_CMD`'s statuses (before the default keys file).
    pub(crate) key_cmd: usize,
}

/// Loads every source except the two commands, in sops' order. Returns the set and where the
/// commands' statuses belong.
pub(crate) fn load_fixed_sources(env: &IdentityEnv) -> (IdentitySet, Slots) {
    let mut set = IdentitySet::default();
    match env.var(SSH_KEY_FILE_VAR) {
        Some(path) => set.add(
            format!("{SSH_KEY_FILE_VAR}={path}"),
            read_ssh_key_file(Path::new(path)),
        ),
        None => set.add(SSH_KEY_FILE_VAR.to_owned(), Err(SourceState::NotSet)),
    }
    let ssh_cmd = set.statuses.len();
    for name in ["id_ed25519", "id_rsa"] {
        match env.home() {
            Some(home) => {
                let path = home.join(".ssh").join(name);
                let found = read_ssh_key_file(&path);
                set.add(path.display().to_string(), found);
            }
            None => set.add(
                format!("~/.ssh/{name}"),
                Err(SourceState::Failed(
                    "the home directory is unknown".to_owned(),
                )),
            ),
        }
    }
    match env.var(KEY_VAR) {
        Some(text) => set.add(
            KEY_VAR.to_owned(),
            parse_identity_text(text).map_err(SourceState::Failed),
        ),
        None => set.add(KEY_VAR.to_owned(), Err(SourceState::NotSet)),
    }
    match env.var(KEY_FILE_VAR) {
        Some(path) => set.add(
            format!("{KEY_FILE_VAR}={path}"),
            read_identity_file(Path::new(path), KEY_FILE_VAR),
        ),
        None => set.add(KEY_FILE_VAR.to_owned(), Err(SourceState::NotSet)),
    }
    let key_cmd = set.statuses.len();
    match env.default_keys_file() {
        Ok(path) => {
            let location = path.display().to_string();
            set.add(location.clone(), read_identity_file(&path, &location))
        }
        Err(why) => set.add(
            "sops/age/keys.txt in the user config directory".to_owned(),
            Err(SourceState::Failed(format!("cannot locate it: {why}"))),
        ),
    }
    (set, Slots { ssh_cmd, key_cmd })
}

/// Reads a file of identity text; a missing file is [`SourceState::NotFound`]. A file that is
/// an age file encrypted with a passphrase becomes one identity that asks for the passphrase
/// on first use; `location` is how the prompt names it.
pub(crate) fn read_identity_file(path: &Path, location: &str) -> Result<Vec<Found>, SourceState> {
    let bytes = read_file(path)?;
    if is_encrypted(&bytes) {
        let file = EncryptedIdentityFile::new(location.to_owned(), bytes);
        return Ok(vec![Found {
            identity: Box::new(file),
            recipient: "a passphrase-protected identity file (asked for on first use)".to_owned(),
        }]);
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| SourceState::Failed("the file is not UTF-8 text".to_owned()))?;
    parse_identity_text(text).map_err(SourceState::Failed)
}

/// Reads an SSH private key (OpenSSH or PEM) as an age identity.
pub(crate) fn read_ssh_key_file(path: &Path) -> Result<Vec<Found>, SourceState> {
    let bytes = read_file(path)?;
    ssh_identity(&bytes, path.display().to_string())
}

/// Parses an SSH private key (OpenSSH or PEM) named `name` as an age identity.
fn ssh_identity(bytes: &[u8], name: String) -> Result<Vec<Found>, SourceState> {
    use age::ssh::{Identity, UnsupportedKey};
    let fail = |m: String| SourceState::Failed(m);
    let identity = Identity::from_buffer(bytes, Some(name))
        .map_err(|e| fail(format!("not a usable SSH private key ({e})")))?;
    let public = age::ssh::Recipient::try_from(identity.clone())
        .map(|r| r.to_string())
        .ok();
    let no_prompt = "sops-rs does not prompt for passphrases; use an unencrypted copy of the key \
                     or an age identity";
    match identity {
        Identity::Unencrypted(_) => Ok(vec![Found {
            recipient: public.unwrap_or_else(|| "an SSH key".to_owned()),
            identity: Box::new(identity),
        }]),
        Identity::Encrypted(_) | Identity::Unsupported(UnsupportedKey::EncryptedSsh(_)) => {
            let which = public.map(|p| format!(" ({p})")).unwrap_or_default();
            Err(fail(format!(
                "passphrase-protected SSH key{which}: {no_prompt}"
            )))
        }
        Identity::Unsupported(UnsupportedKey::EncryptedPem) => {
            Err(fail(format!("passphrase-protected PEM key: {no_prompt}")))
        }
        Identity::Unsupported(UnsupportedKey::Hardware(t) | UnsupportedKey::Type(t)) => Err(fail(
            format!("SSH key type {t} cannot be used as an age identity"),
        )),
    }
}

/// Splits `line` into words the way `google/shlex` does.
pub(crate) fn split_shell_words(line: &str) -> Result<Vec<String>, String> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Between,
        Word,
        Escape,
        Double,
        DoubleEscape,
        Single,
        Comment,
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut state = State::Between;
    for c in line.chars() {
        state = match (state, c) {
            (State::Comment, '\n') => State::Between,
            (State::Comment, _) => State::Comment,
            (State::Between, c) if c.is_whitespace() => State::Between,
            (State::Between, '#') => State::Comment,
            (State::Between | State::Word, '\\') => State::Escape,
            (State::Between | State::Word, '"') => State::Double,
            (State::Between | State::Word, '\'') => State::Single,
            (State::Word, c) if c.is_whitespace() => {
                words.push(std::mem::take(&mut word));
                State::Between
            }
            (State::Between | State::Word, c) => {
                word.push(c);
                State::Word
            }
            (State::Escape, c) => {
                word.push(c);
                State::Word
            }
            (State::Double, '"') => State::Word,
            (State::Double, '\\') => State::DoubleEscape,
            (State::DoubleEscape, c) => {
                word.push(c);
                State::Double
            }
            (State::Single, '\'') => State::Word,
            (State::Double | State::Single, c) => {
                word.push(c);
                state
            }
        };
    }
    match state {
        State::Escape | State::DoubleEscape => Err("EOF found after escape character".to_owned()),
        State::Double | State::Single => Err("EOF found when expecting closing quote".to_owned()),
        State::Word => {
            words.push(word);
            Ok(words)
        }
        State::Between | State::Comment => Ok(words),
    }
}

/// Runs `command` for `recipient` and parses its stdout as identity text.
pub(crate) fn run_key_command(command: &str, recipient: &str) -> Result<Vec<Found>, SourceState> {
    let stdout = run_command(command, recipient)?;
    let text = std::str::from_utf8(&stdout)
        .map_err(|_| SourceState::Failed("the command's output is not UTF-8 text".to_owned()))?;
    parse_identity_text(text)
        .map_err(|e| SourceState::Failed(format!("in the command's output, {e}")))
}

/// Runs `command` (`SOPS_AGE_SSH_PRIVATE_KEY_CMD`) for `recipient` and parses its stdout as
/// one SSH private key. Nothing of the key appears in a status.
pub(crate) fn run_ssh_key_command(
    command: &str,
    recipient: &str,
) -> Result<Vec<Found>, SourceState> {
    let stdout = run_command(command, recipient)?;
    ssh_identity(&stdout, format!("the output of {SSH_KEY_CMD_VAR}")).map_err(|state| match state {
        SourceState::Failed(m) => SourceState::Failed(format!("in the command's output, {m}")),
        other => other,
    })
}

/// Runs `command` (split shell-style, no shell) with `SOPS_AGE_RECIPIENT=recipient`, stdin
/// closed and stderr passed through; returns its stdout when it succeeds.
fn run_command(command: &str, recipient: &str) -> Result<Zeroizing<Vec<u8>>, SourceState> {
    let fail = |m: String| SourceState::Failed(m);
    let words = split_shell_words(command)
        .map_err(|e| fail(format!("cannot split the command line: {e}")))?;
    let Some((program, args)) = words.split_first() else {
        return Err(fail("the command line is empty".to_owned()));
    };
    let output = Command::new(program)
        .args(args)
        .env(RECIPIENT_VAR, recipient)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| fail(format!("cannot run `{program}`: {e}")))?;
    let stdout = Zeroizing::new(output.stdout);
    if !output.status.success() {
        return Err(fail(format!(
            "the command failed ({}); its stderr, if any, was shown above",
            output.status
        )));
    }
    Ok(stdout)
}

#[cfg(test)]
mod tests {
    use super::split_shell_words;

    fn split(s: &str) -> Vec<String> {
        split_shell_words(s).unwrap()
    }

    #[test]
    fn splits_on_whitespace() {
        assert_eq!(split("  cat  /tmp/k.txt\t-x "), ["cat", "/tmp/k.txt", "-x"]);
        assert!(split("   ").is_empty());
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(split(r#"sh -c 'echo "$X"'"#), ["sh", "-c", r#"echo "$X""#]);
        assert_eq!(split(r#"a "b c" d\ e"#), ["a", "b c", "d e"]);
        assert_eq!(split(r#""x\"y" 'p\q'"#), [r#"x"y"#, r"p\q"]);
        assert_eq!(split(r#"a"b"'c' """#), ["abc", ""]);
    }

    #[test]
    fn comments() {
        assert_eq!(split("cmd arg # a comment"), ["cmd", "arg"]);
        assert_eq!(split("cmd a#b"), ["cmd", "a#b"]);
    }

    #[test]
    fn errors() {
        assert!(split_shell_words("echo 'unterminated").is_err());
        assert!(split_shell_words("echo \"unterminated").is_err());
        assert!(split_shell_words("echo trailing\\").is_err());
    }
}
