//! Differential: whenever the fast block scanner does not fall back, the loader must build
//! from its events exactly the tree (values, types, comments) that it builds from the full
//! parser's events, and refuse exactly the texts the parser refuses. The wording of a refusal
//! may differ (the two readers notice a problem at different places).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sops_core::store::yaml::fast_and_full_trees;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let (fast, full) = fast_and_full_trees(src);
    let Some(fast) = fast else { return };
    let same = match (&fast, &full) {
        (Ok(fast), Ok(full)) => fast == full,
        (Err(_), Err(_)) => true,
        _ => false,
    };
    let show = |r: &Result<Vec<u8>, String>| match r {
        Ok(tree) => String::from_utf8_lossy(tree).into_owned(),
        Err(e) => format!("refused: {e}"),
    };
    assert!(
        same,
        "the fast scanner and the parser disagree on {src:?}:\nfast: {}\nfull: {}",
        show(&fast),
        show(&full),
    );
});
