//! [`normalize_encrypted`]: an encrypted file with its random parts replaced, so that two
//! encryptions of the same input compare equal.

/// Rewrites an encrypted file so that two encryptions of the same input compare equal: every
/// `ENC[AES256_GCM,data:…,iv:…,tag:…,type:T]` keeps only the lengths of its parts and its type,
/// each age armor block becomes `<age armor>`, and the `lastmodified` timestamp becomes `<time>`.
/// What is left is the layout: keys, order, quoting, comments, types and metadata fields.
pub fn normalize_encrypted(text: &str) -> String {
    let text = replace_enc_values(text);
    let text = replace_between(
        &text,
        "-----BEGIN AGE ENCRYPTED FILE-----",
        "-----END AGE ENCRYPTED FILE-----",
        "<age armor>",
    );
    replace_lastmodified(&text)
}

fn replace_enc_values(text: &str) -> String {
    const START: &str = "ENC[AES256_GCM,";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(START) {
        out.push_str(&rest[..at]);
        let after = &rest[at + START.len()..];
        let Some(end) = after.find(']') else {
            out.push_str(&rest[at..]);
            return out;
        };
        out.push_str("ENC[");
        let parts: Vec<String> = after[..end]
            .split(',')
            .map(|part| match part.split_once(':') {
                Some(("type", t)) => format!("type:{t}"),
                Some((name, value)) => format!("{name}:<{} chars>", value.len()),
                None => part.to_string(),
            })
            .collect();
        out.push_str(&parts.join(","));
        out.push(']');
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn replace_between(text: &str, begin: &str, end: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(b) = rest.find(begin) {
        let Some(e) = rest[b..].find(end) else { break };
        out.push_str(&rest[..b]);
        out.push_str(with);
        rest = &rest[b + e + end.len()..];
    }
    out.push_str(rest);
    out
}

fn replace_lastmodified(text: &str) -> String {
    const KEY: &str = "lastmodified";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        let (head, after) = rest.split_at(at + KEY.len());
        out.push_str(head);
        // `lastmodified: "…"` (YAML) or `lastmodified": "…"` (JSON).
        let value = [": \"", "\": \""]
            .into_iter()
            .find(|p| after.starts_with(p))
            .and_then(|p| Some((p, after[p.len()..].find('"')?)));
        match value {
            Some((prefix, len)) => {
                out.push_str(prefix);
                out.push_str("<time>");
                rest = &after[prefix.len() + len..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}
