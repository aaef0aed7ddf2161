//! Secret hygiene of the age backend: `AgeKeySource` holds identities and cannot be formatted,
//! and its errors do not quote identity text. (The types of sops-core: sops-core/tests/hygiene.rs.)

use sops_keys::age::AgeKeySource;

/// `<T as NotDebug<_>>::check` resolves only when `T` does not implement `Debug`.
trait NotDebug<A> {
    fn check() {}
}
impl<T: ?Sized> NotDebug<()> for T {}
impl<T: ?Sized + std::fmt::Debug> NotDebug<u8> for T {}

trait NotDisplay<A> {
    fn check() {}
}
impl<T: ?Sized> NotDisplay<()> for T {}
impl<T: ?Sized + std::fmt::Display> NotDisplay<u8> for T {}

#[test]
fn age_key_source_has_no_debug_or_display() {
    <AgeKeySource as NotDebug<_>>::check();
    <AgeKeySource as NotDisplay<_>>::check();
}

#[test]
fn a_bad_identity_text_is_not_quoted_in_the_error() {
    // A real key with one character changed: close enough to be a secret.
    let text = "AGE-SECRET-KEY-1NZTDTHZ24MW6EHL0AJWUX6ZFSWMNMVJXPHEEYZUHXDAAGALMCXVQYXA3MX\n";
    let err = match AgeKeySource::from_identity_text(text) {
        Ok(_) => panic!("a damaged key must not parse"),
        Err(e) => e,
    };
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains("NZTDTHZ24MW6EHL0"), "{shown}");
    }
}
