//! Flag groups several subcommands share: input and output, master keys, partial encryption,
//! decryption options, key services, and the key changes of `rotate`.

use clap::Args;
use std::path::PathBuf;

/// Where data comes from and goes to.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct IoArgs {
    /// Write the output back to the same file instead of stdout.
    #[arg(short = 'i', long = "in-place")]
    pub(crate) in_place: bool,
    /// Save the output to this file.
    #[arg(long)]
    pub(crate) output: Option<PathBuf>,
    /// Input format: yaml, json, dotenv, ini or binary (default: from the file name).
    #[arg(long = "input-type")]
    pub(crate) input_type: Option<String>,
    /// Output format (default: from the file name).
    #[arg(long = "output-type")]
    pub(crate) output_type: Option<String>,
    /// Use this file name instead of the argument to pick formats and rules (needed with stdin).
    #[arg(long = "filename-override")]
    pub(crate) filename_override: Option<PathBuf>,
    /// Indentation of YAML output (default 4) or JSON output (default a tab).
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) indent: Option<i32>,
    /// The file; stdin when absent.
    pub(crate) file: Option<PathBuf>,
}

/// Master keys to encrypt to. Any of these replaces the keys of `.sops.yaml` completely.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct KeyArgs {
    /// Comma-separated age recipients.
    #[arg(short = 'a', long = "age", env = "SOPS_AGE_RECIPIENTS")]
    pub(crate) age: Option<String>,
    /// Comma-separated PGP fingerprints.
    #[arg(short = 'p', long = "pgp", env = "SOPS_PGP_FP")]
    pub(crate) pgp: Option<String>,
    /// Comma-separated AWS KMS ARNs (`ARN+ROLE_ARN` assumes a role).
    #[arg(short = 'k', long = "kms", env = "SOPS_KMS_ARN")]
    pub(crate) kms: Option<String>,
    /// KMS encryption context, `key:value,key:value`.
    #[arg(long = "encryption-context")]
    pub(crate) encryption_context: Option<String>,
    /// AWS profile for KMS keys.
    #[arg(long = "aws-profile")]
    pub(crate) aws_profile: Option<String>,
    /// GCP KMS resource IDs.
    #[arg(long = "gcp-kms", env = "SOPS_GCP_KMS_IDS")]
    pub(crate) gcp_kms: Option<String>,
    /// Azure Key Vault key URLs.
    #[arg(long = "azure-kv", env = "SOPS_AZURE_KEYVAULT_URLS")]
    pub(crate) azure_kv: Option<String>,
    /// HashiCorp Vault transit key URIs (`https://vault:8200/v1/transit/keys/NAME`).
    #[arg(long = "hc-vault-transit", env = "SOPS_VAULT_URIS")]
    pub(crate) hc_vault_transit: Option<String>,
    /// HuaweiCloud KMS key IDs.
    #[arg(long = "hckms", env = "SOPS_HUAWEICLOUD_KMS_IDS")]
    pub(crate) hckms: Option<String>,
}

/// Which values are encrypted. A non-empty flag overrides `.sops.yaml`.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct PartialArgs {
    /// Keys whose names end with this suffix stay in plaintext (default _unencrypted).
    #[arg(long = "unencrypted-suffix")]
    pub(crate) unencrypted_suffix: Option<String>,
    /// Only keys whose names end with this suffix are encrypted.
    #[arg(long = "encrypted-suffix")]
    pub(crate) encrypted_suffix: Option<String>,
    /// Keys matching this regular expression stay in plaintext.
    #[arg(long = "unencrypted-regex")]
    pub(crate) unencrypted_regex: Option<String>,
    /// Only keys matching this regular expression are encrypted.
    #[arg(long = "encrypted-regex")]
    pub(crate) encrypted_regex: Option<String>,
    /// Values after a comment matching this regular expression stay in plaintext.
    #[arg(long = "unencrypted-comment-regex")]
    pub(crate) unencrypted_comment_regex: Option<String>,
    /// Only values after a comment matching this regular expression are encrypted.
    #[arg(long = "encrypted-comment-regex")]
    pub(crate) encrypted_comment_regex: Option<String>,
    /// Compute the MAC over encrypted values only.
    #[arg(long = "mac-only-encrypted")]
    pub(crate) mac_only_encrypted: bool,
    /// Number of key groups needed to decrypt (Shamir secret sharing).
    #[arg(long = "shamir-secret-sharing-threshold", default_value_t = 0)]
    pub(crate) shamir_threshold: u64,
}

/// How decryption treats the file.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct OpenArgs {
    /// Do not check the Message Authentication Code.
    #[arg(long = "ignore-mac")]
    pub(crate) ignore_mac: bool,
    /// Comma-separated key types to try first (default age,pgp).
    #[arg(long = "decryption-order", env = "SOPS_DECRYPTION_ORDER")]
    pub(crate) decryption_order: Option<String>,
    #[command(flatten)]
    pub(crate) services: KeyServiceArgs,
}

/// sops's key-service flags ([`crate::services`]).
#[derive(Args, Debug, Clone)]
pub(crate) struct KeyServiceArgs {
    /// Key services to use besides the local one, `tcp://host:port` or `unix:///path`
    /// (repeatable; asked in order after the local one).
    #[arg(long = "keyservice", env = "SOPS_KEYSERVICE", value_delimiter = ',')]
    pub(crate) keyservice: Vec<String>,
    /// Use the local key service (default true; `--enable-local-keyservice=false` uses only
    /// the key services given).
    #[arg(
        long = "enable-local-keyservice",
        env = "SOPS_ENABLE_LOCAL_KEYSERVICE",
        num_args = 0..=1,
        require_equals = true,
        default_value = "true",
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub(crate) enable_local_keyservice: bool,
}

impl Default for KeyServiceArgs {
    fn default() -> Self {
        KeyServiceArgs {
            keyservice: Vec::new(),
            enable_local_keyservice: true,
        }
    }
}

/// Keys to add to or remove from a file while rotating (`--add-*` go to the first key group,
/// `--rm-*` leave every group).
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct KeyChangeArgs {
    /// Add age recipients (to the first key group).
    #[arg(long = "add-age")]
    pub(crate) add_age: Option<String>,
    /// Remove age recipients (from every group).
    #[arg(long = "rm-age")]
    pub(crate) rm_age: Option<String>,
    /// Add PGP fingerprints.
    #[arg(long = "add-pgp")]
    pub(crate) add_pgp: Option<String>,
    /// Remove PGP fingerprints.
    #[arg(long = "rm-pgp")]
    pub(crate) rm_pgp: Option<String>,
    /// Add AWS KMS ARNs.
    #[arg(long = "add-kms")]
    pub(crate) add_kms: Option<String>,
    /// Remove AWS KMS ARNs.
    #[arg(long = "rm-kms")]
    pub(crate) rm_kms: Option<String>,
    /// Add GCP KMS resource IDs.
    #[arg(long = "add-gcp-kms")]
    pub(crate) add_gcp_kms: Option<String>,
    /// Remove GCP KMS resource IDs.
    #[arg(long = "rm-gcp-kms")]
    pub(crate) rm_gcp_kms: Option<String>,
    /// Add HuaweiCloud KMS key IDs.
    #[arg(long = "add-hckms")]
    pub(crate) add_hckms: Option<String>,
    /// Remove HuaweiCloud KMS key IDs.
    #[arg(long = "rm-hckms")]
    pub(crate) rm_hckms: Option<String>,
    /// Add Azure Key Vault key URLs.
    #[arg(long = "add-azure-kv")]
    pub(crate) add_azure_kv: Option<String>,
    /// Remove Azure Key Vault key URLs.
    #[arg(long = "rm-azure-kv")]
    pub(crate) rm_azure_kv: Option<String>,
    /// Add HashiCorp Vault transit key URIs.
    #[arg(long = "add-hc-vault-transit")]
    pub(crate) add_hc_vault_transit: Option<String>,
    /// Remove HashiCorp Vault transit key URIs.
    #[arg(long = "rm-hc-vault-transit")]
    pub(crate) rm_hc_vault_transit: Option<String>,
}
