//! A loaded `.sops.yaml`: its `stores` settings and its creation rules, and the rule for a file.

use super::rules::{path_regex, CreationRule};
use super::schema::type_errors;
use super::ConfigError;
use crate::store::{Format, StoreOptions};
use crate::tree::{Mapping, Node, Scalar, SeqItem};
use std::path::{Path, PathBuf};

/// A `.sops.yaml`, checked against sops's schema. Its rules are read when a file is matched
/// against them, as in sops: a broken rule after the one that matches does not matter.
#[derive(Clone)]
pub struct Config {
    directory: PathBuf,
    stores: StoreOptions,
    /// `None` without `creation_rules` (or with `creation_rules: null`): no rules at all.
    creation_rules: Option<Vec<Mapping>>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("directory", &self.directory)
            .field("stores", &self.stores)
            .field(
                "creation_rules",
                &self.creation_rules.as_ref().map(Vec::len),
            )
            .finish()
    }
}

impl Config {
    /// Reads and checks the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let bytes = std::fs::read(path).map_err(|e| ConfigError::unreadable(path, &e))?;
        let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let directory = absolute.parent().map(Path::to_path_buf).unwrap_or_default();
        Config::from_yaml(&bytes, path, &directory)
    }

    /// Reads a config from its YAML text: `path` names it in messages, `directory` is where
    /// `path_regex` paths are relative to (the config file's absolute directory).
    pub fn from_yaml(yaml: &[u8], path: &Path, directory: &Path) -> Result<Config, ConfigError> {
        // A file of comments only is an empty config for sops (go-yaml), not an error.
        let root = if has_yaml_document(yaml) {
            let tree = Format::Yaml
                .store()
                .load_plain(yaml)
                .map_err(|e| ConfigError::syntax(path, e.message()))?;
            tree.branches.into_iter().next().unwrap_or_default()
        } else {
            Mapping::default()
        };
        let errors = type_errors(&root, &String::from_utf8_lossy(yaml));
        if !errors.is_empty() {
            return Err(ConfigError::types(&errors));
        }
        let creation_rules = match root.get("creation_rules") {
            Some(Node::Sequence(seq)) => Some(
                seq.items
                    .iter()
                    .filter_map(|item| match item {
                        SeqItem::Value(Node::Mapping(m)) => Some(m.clone()),
                        // `- ~` is a rule with every field at its zero value.
                        SeqItem::Value(_) => Some(Mapping::default()),
                        SeqItem::Comment(_) => None,
                    })
                    .collect(),
            ),
            _ => None,
        };
        let mut stores = StoreOptions::default();
        if let Some(Node::Mapping(section)) = root.get("stores") {
            read_stores(section, &mut stores);
        }
        Ok(Config {
            directory: directory.to_path_buf(),
            stores,
            creation_rules,
        })
    }

    /// The directory `path_regex` is matched relative to.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The `stores:` settings (indentation of YAML and JSON output).
    pub fn stores(&self) -> StoreOptions {
        self.stores
    }

    /// True when the config has `creation_rules` (even an empty list). sops treats a config
    /// without them as no config when it looks for keys.
    pub fn has_creation_rules(&self) -> bool {
        self.creation_rules.is_some()
    }

    /// The first creation rule that matches `file`, read and checked. A relative `file` is
    /// taken from the working directory; `path_regex` sees its absolute path with the config
    /// directory's prefix removed (`secrets/app.yaml`). Rules are tried in order, each
    /// `path_regex` compiled when it is reached; a rule without one matches every file.
    pub fn rule_for(&self, file: &Path) -> Result<CreationRule, ConfigError> {
        let relative = self.relative_path(file);
        for (index, rule) in self.rules().iter().enumerate() {
            let regex = path_regex(rule)?;
            if regex.as_ref().is_none_or(|re| re.is_match(&relative)) {
                return CreationRule::read(index, rule, regex);
            }
        }
        Err(ConfigError::no_matching_rule())
    }

    /// Every rule, read and checked, in order; the first broken one is an error.
    pub fn creation_rules(&self) -> Result<Vec<CreationRule>, ConfigError> {
        self.rules()
            .iter()
            .enumerate()
            .map(|(index, rule)| CreationRule::read(index, rule, path_regex(rule)?))
            .collect()
    }

    /// Every rule that matches `file`, in order (the first is the one [`Config::rule_for`]
    /// picks), after reading and checking all of them as [`Config::creation_rules`] does.
    pub fn matching_rules(&self, file: &Path) -> Result<Vec<CreationRule>, ConfigError> {
        let relative = self.relative_path(file);
        let mut rules = self.creation_rules()?;
        rules.retain(|rule| rule.matches(&relative));
        Ok(rules)
    }

    fn rules(&self) -> &[Mapping] {
        self.creation_rules.as_deref().unwrap_or_default()
    }

    /// `file`'s absolute path with the config directory's prefix removed, as `path_regex` sees
    /// it.
    pub fn relative_path(&self, file: &Path) -> String {
        let absolute = if file.is_absolute() {
            file.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|d| d.join(file))
                .unwrap_or_else(|_| file.to_path_buf())
        };
        let absolute = absolute.to_string_lossy().into_owned();
        let prefix = format!("{}/", self.directory.to_string_lossy());
        match absolute.strip_prefix(&prefix) {
            Some(relative) => relative.to_owned(),
            None => absolute,
        }
    }
}

/// False for a file of blank lines, comments and document markers only.
fn has_yaml_document(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && t != "---" && t != "..."
    })
}

/// `stores.yaml.indent` (when positive; negative makes YAML output fail, as in sops),
/// `stores.json.indent`, `stores.json_binary.indent`.
fn read_stores(stores: &Mapping, options: &mut StoreOptions) {
    let indent = |name: &str| match stores.get(name) {
        Some(Node::Mapping(m)) => match m.get("indent") {
            Some(Node::Scalar(Scalar::Int(i))) => Some(*i),
            _ => None,
        },
        _ => None,
    };
    match indent("yaml") {
        Some(i) if i < 0 => options.yaml_negative_indent = true,
        Some(i) => {
            if let Ok(i @ 1..) = usize::try_from(i) {
                options.yaml_indent = i;
            }
        }
        None => {}
    }
    if let Some(i) = indent("json").and_then(|i| i32::try_from(i).ok()) {
        options.json_indent = i;
    }
    if let Some(i) = indent("json_binary").and_then(|i| i32::try_from(i).ok()) {
        options.json_binary_indent = i;
    }
}
