//! The tree walk that encrypts and decrypts values and feeds the MAC.

/// Decides which leaves are encrypted (the partial-encryption rule).
pub struct PathPolicy;
