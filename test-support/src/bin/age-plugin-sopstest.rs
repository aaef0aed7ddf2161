//! `age-plugin-sopstest`: an age plugin for the tests only (never for real secrets), built on
//! the `age-plugin` crate, so that the reference sops (Go age's plugin client) and sops-rs (the
//! Rust age crate's client) are tested against the same plugin.
//!
//! Its keys are symmetric toys: the identity `AGE-PLUGIN-SOPSTEST-1…` and the recipient
//! `age1sopstest1…` carry the same 32 bytes, and a file key is sealed with ChaCha20-Poly1305
//! under them in a `sopstest` stanza. Run without arguments it prints a new identity and its
//! recipient. If `SOPSTEST_PIN` is set, unwrapping first asks the client for a PIN (a secret
//! request, which the client shows on the terminal) and fails unless it matches; every wrap
//! sends a message to the client.

use age_core::format::{FileKey, Stanza};
use age_core::primitives::{aead_decrypt, aead_encrypt};
use age_core::secrecy::ExposeSecret;
use age_plugin::identity::{self, IdentityPluginV1};
use age_plugin::recipient::{self, RecipientPluginV1};
use age_plugin::{print_new_identity, run_state_machine, Callbacks, PluginHandler};
use std::collections::{HashMap, HashSet};
use std::io;

const NAME: &str = "sopstest";

fn key_of(bytes: &[u8]) -> Option<[u8; 32]> {
    bytes.try_into().ok()
}

struct Handler;

impl PluginHandler for Handler {
    type RecipientV1 = Wrapper;
    type IdentityV1 = Unwrapper;

    fn recipient_v1(self) -> io::Result<Wrapper> {
        Ok(Wrapper(Vec::new()))
    }

    fn identity_v1(self) -> io::Result<Unwrapper> {
        Ok(Unwrapper(Vec::new()))
    }
}

struct Wrapper(Vec<[u8; 32]>);

impl RecipientPluginV1 for Wrapper {
    fn add_recipient(
        &mut self,
        index: usize,
        name: &str,
        bytes: &[u8],
    ) -> Result<(), recipient::Error> {
        match key_of(bytes).filter(|_| name == NAME) {
            Some(key) => {
                self.0.push(key);
                Ok(())
            }
            None => Err(recipient::Error::Recipient {
                index,
                message: "invalid sopstest recipient".into(),
            }),
        }
    }

    fn add_identity(
        &mut self,
        index: usize,
        name: &str,
        bytes: &[u8],
    ) -> Result<(), recipient::Error> {
        match key_of(bytes).filter(|_| name == NAME) {
            Some(key) => {
                self.0.push(key);
                Ok(())
            }
            None => Err(recipient::Error::Identity {
                index,
                message: "invalid sopstest identity".into(),
            }),
        }
    }

    fn labels(&mut self) -> HashSet<String> {
        HashSet::new()
    }

    fn wrap_file_keys(
        &mut self,
        file_keys: Vec<FileKey>,
        mut callbacks: impl Callbacks<recipient::Error>,
    ) -> io::Result<Result<Vec<Vec<Stanza>>, Vec<recipient::Error>>> {
        let _ = callbacks.message("sopstest: wrapping a file key")?;
        Ok(Ok(file_keys
            .iter()
            .map(|file_key| {
                self.0
                    .iter()
                    .map(|key| Stanza {
                        tag: NAME.to_owned(),
                        args: Vec::new(),
                        body: aead_encrypt(key, file_key.expose_secret()),
                    })
                    .collect()
            })
            .collect()))
    }
}

struct Unwrapper(Vec<[u8; 32]>);

impl IdentityPluginV1 for Unwrapper {
    fn add_identity(
        &mut self,
        index: usize,
        name: &str,
        bytes: &[u8],
    ) -> Result<(), identity::Error> {
        match key_of(bytes).filter(|_| name == NAME) {
            Some(key) => {
                self.0.push(key);
                Ok(())
            }
            None => Err(identity::Error::Identity {
                index,
                message: "invalid sopstest identity".into(),
            }),
        }
    }

    fn unwrap_file_keys(
        &mut self,
        files: Vec<Vec<Stanza>>,
        mut callbacks: impl Callbacks<identity::Error>,
    ) -> io::Result<HashMap<usize, Result<FileKey, Vec<identity::Error>>>> {
        if let Ok(pin) = std::env::var("SOPSTEST_PIN") {
            let typed = match callbacks.request_secret("sopstest PIN:")? {
                Ok(typed) => typed,
                Err(_) => return Ok(HashMap::new()),
            };
            if typed.expose_secret() != pin {
                let mut out = HashMap::new();
                for i in 0..files.len() {
                    out.insert(
                        i,
                        Err(vec![identity::Error::Internal {
                            message: "wrong sopstest PIN".into(),
                        }]),
                    );
                }
                return Ok(out);
            }
        }
        let mut out = HashMap::new();
        for (i, stanzas) in files.iter().enumerate() {
            let found = stanzas.iter().filter(|s| s.tag == NAME).find_map(|s| {
                self.0
                    .iter()
                    .find_map(|key| aead_decrypt(key, 16, &s.body).ok())
            });
            if let Some(plain) = found {
                let key = FileKey::init_with_mut(|k| k.copy_from_slice(&plain));
                out.insert(i, Ok(key));
            }
        }
        Ok(out)
    }
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a.starts_with("--age-plugin")) {
        Some(i) => {
            let machine = match args[i].strip_prefix("--age-plugin=") {
                Some(m) => m.to_owned(),
                None => args.get(i + 1).cloned().unwrap_or_default(),
            };
            run_state_machine(&machine, Handler)
        }
        None => {
            let mut key = [0u8; 32];
            getrandom(&mut key);
            print_new_identity(NAME, &key, &key);
            Ok(())
        }
    }
}

/// Random bytes from the OS, without another dependency.
fn getrandom(buf: &mut [u8]) {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(buf))
        .expect("read /dev/urandom");
}
