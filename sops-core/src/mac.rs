//! The MAC: SHA-512 over every value's plaintext in walk order.
