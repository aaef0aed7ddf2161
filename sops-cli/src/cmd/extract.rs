//! The `--extract '["a"][0]'` path syntax of sops, and looking a path up in a tree.

use crate::error::{codes, CliError};
use sops_core::tree::{MapItem, Mapping, Node, SeqItem};

/// One step of a path.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

/// Parses `["key"]['key'][3]`: quotes are stripped by position, no escapes (as in sops).
pub(crate) fn parse_path(path: &str) -> Result<Vec<Step>, CliError> {
    let bad = |why: &str| {
        CliError::new(
            codes::INVALID_TREE_PATH,
            format!("invalid tree path {path:?}: {why}; expected e.g. '[\"key\"][0]'"),
        )
    };
    let mut steps = Vec::new();
    let mut rest = path.trim();
    while !rest.is_empty() {
        let inner_end = rest.find(']').ok_or_else(|| bad("missing ]"))?;
        if !rest.starts_with('[') {
            return Err(bad("each component must be in brackets"));
        }
        let inner = &rest[1..inner_end];
        let quoted = inner.len() >= 2
            && ((inner.starts_with('"') && inner.ends_with('"'))
                || (inner.starts_with('\'') && inner.ends_with('\'')));
        if quoted {
            steps.push(Step::Key(inner[1..inner.len() - 1].to_owned()));
        } else {
            let index = inner
                .parse()
                .map_err(|_| bad("an index must be a number, a key must be quoted"))?;
            steps.push(Step::Index(index));
        }
        rest = &rest[inner_end + 1..];
    }
    Ok(steps)
}

fn show(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => format!("['{k}']"),
            Step::Index(i) => format!("[{i}]"),
        })
        .collect()
}

/// Follows `steps` from `root`; a missing component is sops's "component … not found" (exit 1).
pub(crate) fn lookup(root: &Mapping, steps: &[Step]) -> Result<Node, CliError> {
    let mut current = Node::Mapping(root.clone());
    for (i, step) in steps.iter().enumerate() {
        let not_found = || {
            CliError::new(
                codes::GENERIC,
                format!("component {} not found", show(&steps[i..=i])),
            )
        };
        let next = match (step, &current) {
            (Step::Key(k), Node::Mapping(m)) => m
                .items
                .iter()
                .find_map(|item| match item {
                    MapItem::Pair(key, v) if key == k => Some(v.clone()),
                    _ => None,
                })
                .ok_or_else(not_found)?,
            (Step::Index(n), Node::Sequence(s)) => s
                .items
                .iter()
                .filter_map(|item| match item {
                    SeqItem::Value(v) => Some(v),
                    SeqItem::Comment(_) => None,
                })
                .nth(*n)
                .cloned()
                .ok_or_else(not_found)?,
            _ => return Err(not_found()),
        };
        current = next;
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sops_paths() {
        assert_eq!(
            parse_path(r#"["a"]['b'][2]"#).unwrap(),
            vec![Step::Key("a".into()), Step::Key("b".into()), Step::Index(2)]
        );
        assert!(parse_path("[a]").is_err());
        assert_eq!(parse_path("a").unwrap_err().code, 91);
        assert!(parse_path("").unwrap().is_empty());
    }
}
