//! Shamir secret sharing of a secret, byte-wise in GF(2^8) with the AES polynomial
//! (x^8 + x^4 + x^3 + x + 1), as sops splits the data key across key groups.
//!
//! As in sops (and unlike upstream Vault), share *i* has the fixed x-coordinate *i + 1*, stored
//! as the share's last byte, and the polynomial of each byte has random coefficients from the
//! operating system's generator.

use crate::error::{Error, ErrorKind};
use crate::secret::SecretBytes;
use zeroize::Zeroizing;

/// The product of `a` and `b` in GF(2^8).
fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            product ^= a;
        }
        let carry = a & 0x80;
        a <<= 1;
        if carry != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    product
}

/// The inverse of `a` (non-zero) in GF(2^8).
fn gf_inv(a: u8) -> u8 {
    // a^254 = a^-1 in GF(2^8).
    let mut result = 1u8;
    let mut base = a;
    let mut exp = 254u32;
    while exp > 0 {
        if exp & 1 != 0 {
            result = gf_mul(result, base);
        }
        base = gf_mul(base, base);
        exp >>= 1;
    }
    result
}

/// Splits `secret` into `parts` shares, any `threshold` of which recover it.
pub(crate) fn split(secret: &[u8], parts: usize, threshold: usize) -> Vec<SecretBytes> {
    use rand::RngCore;
    let mut shares: Vec<Vec<u8>> = (1..=parts)
        .map(|_| Vec::with_capacity(secret.len() + 1))
        .collect();
    let mut coefficients = Zeroizing::new(vec![0u8; threshold]);
    for &byte in secret {
        coefficients[0] = byte;
        rand::rngs::OsRng.fill_bytes(&mut coefficients[1..]);
        for (i, share) in shares.iter_mut().enumerate() {
            let x = (i + 1) as u8;
            // Horner evaluation of the polynomial at x.
            let y = coefficients
                .iter()
                .rev()
                .fold(0u8, |acc, &c| gf_mul(acc, x) ^ c);
            share.push(y);
        }
    }
    shares
        .into_iter()
        .enumerate()
        .map(|(i, mut share)| {
            share.push((i + 1) as u8);
            SecretBytes::new(share)
        })
        .collect()
}

/// Recovers a secret from shares by Lagrange interpolation at x = 0.
pub(crate) fn combine(shares: &[SecretBytes]) -> Result<Zeroizing<Vec<u8>>, Error> {
    let bad = |m: &str| {
        Error::new(
            ErrorKind::DataKeyUnavailable,
            format!("cannot combine Shamir shares: {m}"),
        )
    };
    if shares.len() < 2 {
        return Err(bad("at least two shares are required"));
    }
    let len = shares[0].secret_bytes().len();
    if len < 2 || shares.iter().any(|s| s.secret_bytes().len() != len) {
        return Err(bad("the shares have different or too short lengths"));
    }
    let xs: Vec<u8> = shares.iter().map(|s| s.secret_bytes()[len - 1]).collect();
    for (i, x) in xs.iter().enumerate() {
        if xs[..i].contains(x) {
            return Err(bad("two shares have the same x coordinate"));
        }
    }
    let mut secret = Zeroizing::new(vec![0u8; len - 1]);
    for (j, xj) in xs.iter().enumerate() {
        // Lagrange basis polynomial l_j(0) = prod_{m != j} x_m / (x_m - x_j); minus is xor.
        let mut basis = 1u8;
        for (m, xm) in xs.iter().enumerate() {
            if m != j {
                basis = gf_mul(basis, gf_mul(*xm, gf_inv(xm ^ xj)));
            }
        }
        for (out, y) in secret.iter_mut().zip(shares[j].secret_bytes()) {
            *out ^= gf_mul(*y, basis);
        }
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_threshold_subset_recovers() {
        let secret: Vec<u8> = (0..32).collect();
        let shares = split(&secret, 3, 2);
        assert_eq!(shares[2].secret_bytes()[32], 3);
        for pair in [[0, 1], [0, 2], [1, 2]] {
            let subset = vec![shares[pair[0]].clone(), shares[pair[1]].clone()];
            assert_eq!(&combine(&subset).unwrap()[..], &secret[..]);
        }
    }

    #[test]
    fn field_inverse() {
        for a in 1..=255u8 {
            assert_eq!(gf_mul(a, gf_inv(a)), 1);
        }
    }
}
