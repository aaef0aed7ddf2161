//! Metadata parsing: `Metadata::from_mapping` on the `sops` block of a YAML file (or a JSON one,
//! when the input starts with `{`). What parses writes back (`to_mapping`) to a mapping that
//! parses to the same metadata, and `mac_aad` never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sops_core::metadata::EmptyListStyle;
use sops_core::store::json::JsonStore;
use sops_core::store::yaml::YamlStore;
use sops_core::store::Store;
use sops_core::Metadata;

fuzz_target!(|data: &[u8]| {
    let yaml = YamlStore::new(4);
    let json = JsonStore::new(-1);
    let store: &dyn Store = if data.first() == Some(&b'{') {
        &json
    } else {
        &yaml
    };
    let Ok((_, node)) = store.load_encrypted(data) else {
        return;
    };
    let metadata = match Metadata::from_mapping(&node) {
        Ok(m) => m,
        Err(e) => {
            assert!(!e.message().is_empty());
            return;
        }
    };
    let _ = metadata.mac_aad();
    if !sops_rs_fuzz::has_keys(&metadata) {
        // Written as nothing, read back as "No keys found in file" (as sops does).
        return;
    }
    for style in [EmptyListStyle::EmptySequence, EmptyListStyle::Null] {
        let written = metadata.to_mapping(style);
        let again = Metadata::from_mapping(&written)
            .unwrap_or_else(|e| panic!("written metadata does not parse: {e}"));
        let first = yaml
            .emit_value(&sops_core::tree::Node::Mapping(written))
            .unwrap();
        let second = yaml
            .emit_value(&sops_core::tree::Node::Mapping(again.to_mapping(style)))
            .unwrap();
        assert!(
            first == second,
            "metadata round trip differs:\n{}\n---\n{}",
            sops_rs_fuzz::show(&first),
            sops_rs_fuzz::show(&second)
        );
    }
});
