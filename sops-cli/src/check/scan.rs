//! The value scan of `sops-rs check`: walks an encrypted file's tree and lists, by key path,
//! every value (and comment) that should be `ENC[…]` but is not.
//!
//! A leaf must be encrypted when any of the given [`PathPolicy`]s says so: `check` passes the
//! policy of the file's own metadata (a value that it says is encrypted but is not breaks
//! `sops decrypt`) and the policy of the matching creation rule (what the repository demands).
//! The walk mirrors sops-core's decrypting walk: keys matching a policy are counted along the
//! path, and comments are stacked per mapping or sequence level for the comment rules. Nulls and
//! empty strings pass, as sops leaves them unencrypted.
//!
//! Findings carry the key path in sops's `["key"][0]` syntax and the value's type, never the
//! value itself.

use sops_core::internal::cipher::parse_encrypted;
use sops_core::internal::PathPolicy;
use sops_core::tree::{MapItem, Mapping, Node, Scalar, SeqItem, Sequence, Tree};

/// What is wrong at a key path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    /// A value in plaintext where the policy wants `ENC[…]`.
    PlaintextValue,
    /// A value that starts like `ENC[` but is not a well-formed sops value.
    MalformedValue,
    /// A comment in plaintext where sops would have encrypted it (a warning only).
    PlaintextComment,
}

/// One finding of the scan.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub(crate) problem: Problem,
    /// The key path, e.g. `["db"]["password"]`; prefixed with the document for YAML files
    /// with several documents.
    pub(crate) path: String,
    /// The value's type, e.g. `string` or `int` (`comment` for comments).
    pub(crate) type_name: &'static str,
}

/// Scans every document of `tree` under the union of `policies`.
pub(crate) fn scan(tree: &Tree, policies: &[PathPolicy]) -> Vec<Finding> {
    let mut scan = Scan {
        policies,
        matching: vec![0; policies.len()],
        comments: Vec::new(),
        path: Vec::new(),
        prefix: String::new(),
        findings: Vec::new(),
    };
    let several = tree.branches.len() > 1;
    for (i, branch) in tree.branches.iter().enumerate() {
        scan.prefix = if several {
            format!("(document {}) ", i + 1)
        } else {
            String::new()
        };
        scan.mapping(branch);
    }
    scan.findings
}

enum Segment<'t> {
    Key(&'t str),
    Index(usize),
}

struct Scan<'p, 't> {
    policies: &'p [PathPolicy],
    /// Per policy: how many keys on the current path it matches.
    matching: Vec<usize>,
    /// Comment texts seen so far, one list per open mapping or sequence.
    comments: Vec<Vec<String>>,
    path: Vec<Segment<'t>>,
    prefix: String,
    findings: Vec<Finding>,
}

impl<'t> Scan<'_, 't> {
    fn wants_encrypted(&self, is_comment: bool) -> bool {
        self.policies
            .iter()
            .zip(&self.matching)
            .any(|(p, &m)| p.should_encrypt(m, &self.comments, is_comment))
    }

    fn report(&mut self, problem: Problem, type_name: &'static str) {
        let mut path = self.prefix.clone();
        for segment in &self.path {
            match segment {
                Segment::Key(k) if k.contains('"') => path.push_str(&format!("['{k}']")),
                Segment::Key(k) => path.push_str(&format!("[\"{k}\"]")),
                Segment::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        self.findings.push(Finding {
            problem,
            path,
            type_name,
        });
    }

    fn push_comment(&mut self, text: &str) {
        if let Some(level) = self.comments.last_mut() {
            level.push(text.to_owned());
        }
    }

    fn clear_level(&mut self) {
        if let Some(level) = self.comments.last_mut() {
            level.clear();
        }
    }

    /// A comment item: sops encrypts it (as a `comment`-typed value) when the policy wants.
    fn comment(&mut self, text: &str) {
        self.push_comment(text);
        if !text.is_empty() && self.wants_encrypted(true) && parse_encrypted(text).is_none() {
            self.report(Problem::PlaintextComment, "comment");
        }
    }

    fn mapping(&mut self, mapping: &'t Mapping) {
        self.comments.push(Vec::new());
        for item in &mapping.items {
            match item {
                MapItem::Comment(text) => self.comment(text.as_str()),
                MapItem::Pair(key, value) => {
                    let hits: Vec<bool> =
                        self.policies.iter().map(|p| p.key_matches(key)).collect();
                    for (count, hit) in self.matching.iter_mut().zip(&hits) {
                        *count += usize::from(*hit);
                    }
                    self.path.push(Segment::Key(key));
                    self.node(value);
                    self.path.pop();
                    for (count, hit) in self.matching.iter_mut().zip(&hits) {
                        *count -= usize::from(*hit);
                    }
                    self.clear_level();
                }
            }
        }
        self.comments.pop();
    }

    fn sequence(&mut self, sequence: &'t Sequence) {
        self.comments.push(Vec::new());
        // Indices count elements as `sops decrypt` shows them: encrypted comments are not
        // elements there.
        let mut index = 0;
        for item in &sequence.items {
            match item {
                SeqItem::Comment(text) => self.comment(text.as_str()),
                SeqItem::Value(node) => {
                    let is_comment = node
                        .as_str()
                        .and_then(parse_encrypted)
                        .is_some_and(|v| v.value_type == "comment");
                    if !is_comment {
                        self.path.push(Segment::Index(index));
                        self.node(node);
                        self.path.pop();
                        index += 1;
                    }
                    self.clear_level();
                }
            }
        }
        self.comments.pop();
    }

    fn node(&mut self, node: &'t Node) {
        match node {
            Node::Mapping(m) => self.mapping(m),
            Node::Sequence(s) => self.sequence(s),
            Node::Scalar(scalar) => self.leaf(scalar),
        }
    }

    fn leaf(&mut self, scalar: &Scalar) {
        if matches!(scalar, Scalar::Null) || !self.wants_encrypted(false) {
            return;
        }
        let type_name = scalar_type(scalar);
        match scalar {
            Scalar::Str(text) if text.is_empty() => {}
            Scalar::Bytes(bytes) if bytes.secret_bytes().is_empty() => {}
            Scalar::Str(text) if parse_encrypted(text.as_str()).is_some() => {}
            Scalar::Str(text) if text.as_str().starts_with("ENC[") => {
                self.report(Problem::MalformedValue, type_name)
            }
            _ => self.report(Problem::PlaintextValue, type_name),
        }
    }
}

fn scalar_type(scalar: &Scalar) -> &'static str {
    match scalar {
        Scalar::Null => "null",
        Scalar::Bool(_) => "bool",
        Scalar::Int(_) => "int",
        Scalar::Float(_) => "float",
        Scalar::Time(_) => "timestamp",
        Scalar::Str(_) => "string",
        Scalar::Bytes(_) => "bytes",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sops_core::store::Format;
    use sops_core::PartialRule;

    fn findings(yaml: &str, rules: &[Option<PartialRule>]) -> Vec<(Problem, String)> {
        let tree = Format::Yaml.store().load_plain(yaml.as_bytes()).unwrap();
        let policies: Vec<PathPolicy> = rules
            .iter()
            .map(|r| PathPolicy::new(r.as_ref()).unwrap())
            .collect();
        scan(&tree, &policies)
            .into_iter()
            .map(|f| (f.problem, f.path))
            .collect()
    }

    const ENC: &str = "ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]";

    #[test]
    fn plaintext_values_named_by_path_nulls_and_empty_pass() {
        let yaml = format!("a: {ENC}\nb:\n  c: [x, '{ENC}']\nd: ~\ne: ''\nf_unencrypted: open\n");
        let got = findings(&yaml, &[None]);
        assert_eq!(
            got,
            vec![(Problem::PlaintextValue, r#"["b"]["c"][0]"#.into())]
        );
    }

    #[test]
    fn union_of_policies_and_encrypted_regex() {
        let rule = Some(PartialRule::EncryptedRegex("^data$".into()));
        let yaml = format!("kind: Secret\ndata:\n  token: plain\n  ok: {ENC}\n");
        assert_eq!(
            findings(&yaml, std::slice::from_ref(&rule)),
            vec![(Problem::PlaintextValue, r#"["data"]["token"]"#.into())]
        );
        assert_eq!(findings(&yaml, &[rule, None]).len(), 2);
    }

    #[test]
    fn malformed_values_and_comments() {
        let yaml = "# a plain comment\na: ENC[AES256_GCM,data:x]\n";
        let got = findings(yaml, &[None]);
        assert_eq!(got[0].0, Problem::PlaintextComment);
        assert_eq!(got[1], (Problem::MalformedValue, r#"["a"]"#.into()));
    }

    #[test]
    fn documents_are_named_and_encrypted_comments_are_not_elements() {
        let comment = ENC.replace("type:str", "type:comment");
        let yaml = format!("a: {ENC}\n---\nlist:\n  - '{comment}'\n  - '{ENC}'\n  - 3\n");
        let got = findings(&yaml, &[None]);
        assert_eq!(
            got,
            vec![(
                Problem::PlaintextValue,
                r#"(document 2) ["list"][1]"#.into()
            )]
        );
    }

    #[test]
    fn encrypted_comment_regex_follows_the_marker() {
        let rule = Some(PartialRule::EncryptedCommentRegex("sops:enc".into()));
        let yaml = "open: 1\n# sops:enc\nsecret: 2\n";
        let got = findings(yaml, &[rule]);
        assert_eq!(got, vec![(Problem::PlaintextValue, r#"["secret"]"#.into())]);
    }
}
