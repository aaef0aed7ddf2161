//! Differential: whenever the fast block scanner does not fall back, the loader must build
//! from its events exactly the tree (values, types, comments, errors) that it builds from the
//! full parser's events.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sops_core::store::yaml::fast_and_full_trees;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let (fast, full) = fast_and_full_trees(src);
    if let Some(fast) = fast {
        assert!(
            fast == full,
            "the fast scanner and the parser disagree on {src:?}:\nfast: {}\nfull: {}",
            String::from_utf8_lossy(fast.as_deref().unwrap_or_default()),
            String::from_utf8_lossy(full.as_deref().unwrap_or_default()),
        );
    }
});
