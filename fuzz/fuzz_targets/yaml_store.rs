//! The YAML store: `load_plain`, `load_encrypted`, `emit_*` and `emit_value` never panic, and
//! what loads is a fixed point of writing and reading again (see `sops_rs_fuzz`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sops_core::store::yaml::YamlStore;

fuzz_target!(|data: &[u8]| {
    let store = YamlStore::new(4);
    sops_rs_fuzz::plain_round_trip(&store, data, false, false);
    sops_rs_fuzz::encrypted_round_trip(&store, data, false);
});
