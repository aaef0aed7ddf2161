//! MLKEM768-X25519 (X-Wing), the hybrid KEM of age's post-quantum recipient type, as an
//! [`hpke::Kem`] so that the HPKE key schedule and AEAD of the `hpke` crate do the rest.
//!
//! Facts from draft-ietf-hpke-pq (as implemented by `filippo.io/hpke`, which age 1.3 uses):
//!
//! * KEM id `0x647a`; the private key is a 32-byte seed. `SHAKE256(seed)` gives 64 bytes of
//!   ML-KEM-768 seed (`d || z`) and then the X25519 scalar (32 bytes).
//! * The public key is `ek_mlkem (1184) || pk_x25519 (32)`; the encapsulated key is
//!   `ct_mlkem (1088) || ct_x25519 (32)`, the X25519 part being an ephemeral public key.
//! * The shared secret is `SHA3-256(ss_mlkem || ss_x25519 || ct_x25519 || pk_x25519 || label)`
//!   with the six-byte label `\./` `/^\`.
//! * An all-zero X25519 shared secret (low-order point) is an error, as in Go's `crypto/ecdh`.
//!
//! Encapsulation draws 32 bytes for ML-KEM and then 32 for the ephemeral X25519 scalar, the
//! order of the specification's test vectors, so [`encap_derand`] reproduces them.

use hpke::generic_array::typenum::{self, Unsigned, U32};
use hpke::kem::SharedSecret;
use hpke::{Deserializable, HpkeError, Serializable};
use ml_kem::kem::{Decapsulate, EncapsulationKey};
use ml_kem::{Ciphertext, EncapsulateDeterministic, EncodedSizeUser, KemCore, MlKem768};
use rand::{CryptoRng, RngCore};
use sha3::digest::{ExtendableOutput, Update, XofReader};
use sha3::{Digest, Sha3_256, Shake256};
use x25519_dalek::{PublicKey as XPublic, StaticSecret};
use zeroize::Zeroizing;

/// The combiner's label, `\./` followed by `/^\`.
const LABEL: &[u8] = b"\\.//^\\";

type MlKemEk = <MlKem768 as KemCore>::EncapsulationKey;
type MlKemDk = <MlKem768 as KemCore>::DecapsulationKey;
type EkSize = <MlKemEk as EncodedSizeUser>::EncodedSize;
type CtSize = <MlKem768 as KemCore>::CiphertextSize;

/// Length of an ML-KEM-768 encapsulation key.
const EK_LEN: usize = 1184;
/// Length of an ML-KEM-768 ciphertext.
const CT_LEN: usize = 1088;
/// Length of a public key (the age recipient's payload).
pub(crate) const PUBLIC_KEY_LEN: usize = EK_LEN + 32;
/// Length of an encapsulated key (the stanza's argument).
pub(crate) const ENC_LEN: usize = CT_LEN + 32;

/// The KEM: MLKEM768-X25519 with HPKE KEM id `0x647a`.
pub(crate) struct XWing;

/// A private key: the seed and what it expands to. No `Debug`.
#[derive(Clone)]
pub(crate) struct PrivateKey {
    seed: Zeroizing<[u8; 32]>,
    dk_pq: MlKemDk,
    sk_t: StaticSecret,
    public: PublicKey,
}

impl PrivateKey {
    /// The key for a 32-byte seed (an `AGE-SECRET-KEY-PQ-1…` payload).
    pub(crate) fn from_seed(seed: &[u8; 32]) -> Self {
        let mut expanded = Zeroizing::new([0u8; 96]);
        let mut xof = Shake256::default();
        xof.update(seed);
        xof.finalize_xof().read(&mut expanded[..]);
        let d = ml_kem::B32::try_from(&expanded[..32]).expect("32 bytes");
        let z = ml_kem::B32::try_from(&expanded[32..64]).expect("32 bytes");
        let (dk_pq, ek_pq) = MlKem768::generate_deterministic(&d, &z);
        let mut scalar = Zeroizing::new([0u8; 32]);
        scalar.copy_from_slice(&expanded[64..]);
        let sk_t = StaticSecret::from(*scalar);
        let pk_t = XPublic::from(&sk_t);
        PrivateKey {
            seed: Zeroizing::new(*seed),
            dk_pq,
            sk_t,
            public: PublicKey { ek_pq, pk_t },
        }
    }

    /// The seed, for encoding the identity.
    pub(crate) fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    /// The matching public key.
    pub(crate) fn public(&self) -> &PublicKey {
        &self.public
    }
}

impl PartialEq for PrivateKey {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.seed.ct_eq(&*other.seed).into()
    }
}
impl Eq for PrivateKey {}

impl Serializable for PrivateKey {
    type OutputSize = U32;
    fn write_exact(&self, buf: &mut [u8]) {
        buf.copy_from_slice(&self.seed[..]);
    }
}

impl Deserializable for PrivateKey {
    fn from_bytes(encoded: &[u8]) -> Result<Self, HpkeError> {
        let seed: &[u8; 32] = encoded
            .try_into()
            .map_err(|_| HpkeError::IncorrectInputLength(32, encoded.len()))?;
        Ok(Self::from_seed(seed))
    }
}

/// A public key: the ML-KEM-768 encapsulation key and the X25519 public key.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PublicKey {
    ek_pq: MlKemEk,
    pk_t: XPublic,
}

impl Eq for PublicKey {}

impl Serializable for PublicKey {
    type OutputSize = typenum::Sum<EkSize, U32>;
    fn write_exact(&self, buf: &mut [u8]) {
        buf[..EK_LEN].copy_from_slice(&self.ek_pq.as_bytes());
        buf[EK_LEN..].copy_from_slice(self.pk_t.as_bytes());
    }
}

impl Deserializable for PublicKey {
    fn from_bytes(encoded: &[u8]) -> Result<Self, HpkeError> {
        if encoded.len() != PUBLIC_KEY_LEN {
            return Err(HpkeError::IncorrectInputLength(
                PUBLIC_KEY_LEN,
                encoded.len(),
            ));
        }
        let (pq, t) = encoded.split_at(EK_LEN);
        // FIPS 203's encapsulation key check: every 12-bit coefficient is below q.
        if !coefficients_reduced(&pq[..pq.len() - 32]) {
            return Err(HpkeError::ValidationError);
        }
        let pq = ml_kem::array::Array::<u8, EkSize>::try_from(pq).expect("length checked");
        let t: [u8; 32] = t.try_into().expect("length checked");
        Ok(PublicKey {
            ek_pq: EncapsulationKey::from_bytes(&pq),
            pk_t: XPublic::from(t),
        })
    }
}

/// Whether every 12-bit little-endian coefficient packed in `bytes` is below 3329.
fn coefficients_reduced(bytes: &[u8]) -> bool {
    bytes.chunks_exact(3).all(|c| {
        let a = u16::from(c[0]) | (u16::from(c[1] & 0x0f) << 8);
        let b = u16::from(c[1] >> 4) | (u16::from(c[2]) << 4);
        a < 3329 && b < 3329
    })
}

/// An encapsulated key: the ML-KEM ciphertext and the ephemeral X25519 public key.
#[derive(Clone)]
pub(crate) struct EncappedKey {
    ct_pq: Ciphertext<MlKem768>,
    ct_t: [u8; 32],
}

impl Serializable for EncappedKey {
    type OutputSize = typenum::Sum<CtSize, U32>;
    fn write_exact(&self, buf: &mut [u8]) {
        buf[..CT_LEN].copy_from_slice(&self.ct_pq);
        buf[CT_LEN..].copy_from_slice(&self.ct_t);
    }
}

impl Deserializable for EncappedKey {
    fn from_bytes(encoded: &[u8]) -> Result<Self, HpkeError> {
        if encoded.len() != ENC_LEN {
            return Err(HpkeError::IncorrectInputLength(ENC_LEN, encoded.len()));
        }
        let (pq, t) = encoded.split_at(CT_LEN);
        Ok(EncappedKey {
            ct_pq: Ciphertext::<MlKem768>::try_from(pq).expect("length checked"),
            ct_t: t.try_into().expect("length checked"),
        })
    }
}

/// The combiner: SHA3-256 over both shared secrets, the X25519 ciphertext and public key.
fn combine(ss_pq: &[u8], ss_t: &[u8], ct_t: &[u8], pk_t: &[u8]) -> SharedSecret<XWing> {
    let mut h = Sha3_256::new();
    Digest::update(&mut h, ss_pq);
    Digest::update(&mut h, ss_t);
    Digest::update(&mut h, ct_t);
    Digest::update(&mut h, pk_t);
    Digest::update(&mut h, LABEL);
    let mut out = SharedSecret::<XWing>::default();
    out.0.copy_from_slice(&h.finalize());
    out
}

/// X25519 that refuses the all-zero result (a low-order or identity point).
fn x25519(sk: &StaticSecret, pk: &XPublic) -> Result<Zeroizing<[u8; 32]>, HpkeError> {
    let shared = sk.diffie_hellman(pk);
    if !shared.was_contributory() {
        return Err(HpkeError::DecapError);
    }
    Ok(Zeroizing::new(*shared.as_bytes()))
}

/// Encapsulation with explicit randomness: `m` for ML-KEM, `eph` the X25519 scalar.
pub(crate) fn encap_derand(
    pk: &PublicKey,
    m: &[u8; 32],
    eph: &[u8; 32],
) -> Result<(SharedSecret<XWing>, EncappedKey), HpkeError> {
    let m = ml_kem::B32::from(*m);
    let (ct_pq, ss_pq) = pk
        .ek_pq
        .encapsulate_deterministic(&m)
        .map_err(|()| HpkeError::EncapError)?;
    let sk_e = StaticSecret::from(*eph);
    let ct_t = XPublic::from(&sk_e).to_bytes();
    let ss_t = x25519(&sk_e, &pk.pk_t).map_err(|_| HpkeError::EncapError)?;
    let ss = combine(&ss_pq, &ss_t[..], &ct_t, pk.pk_t.as_bytes());
    Ok((ss, EncappedKey { ct_pq, ct_t }))
}

impl hpke::Kem for XWing {
    type PublicKey = PublicKey;
    type PrivateKey = PrivateKey;
    type EncappedKey = EncappedKey;
    type NSecret = U32;
    const KEM_ID: u16 = 0x647a;

    fn sk_to_pk(sk: &PrivateKey) -> PublicKey {
        sk.public.clone()
    }

    /// Not used by age (identities are seeds); derives the seed with SHAKE256 as
    /// draft-ietf-hpke-pq's `DeriveKeyPair` does.
    fn derive_keypair(ikm: &[u8]) -> (PrivateKey, PublicKey) {
        let mut seed = Zeroizing::new([0u8; 32]);
        let mut xof = Shake256::default();
        xof.update(ikm);
        xof.update(b"HPKE-v1");
        xof.update(b"KEM");
        xof.update(&Self::KEM_ID.to_be_bytes());
        xof.update(&13u16.to_be_bytes());
        xof.update(b"DeriveKeyPair");
        xof.update(&32u16.to_be_bytes());
        xof.finalize_xof().read(&mut seed[..]);
        let sk = PrivateKey::from_seed(&seed);
        let pk = sk.public.clone();
        (sk, pk)
    }

    fn decap(
        sk: &PrivateKey,
        pk_sender_id: Option<&PublicKey>,
        enc: &EncappedKey,
    ) -> Result<SharedSecret<Self>, HpkeError> {
        if pk_sender_id.is_some() {
            return Err(HpkeError::DecapError);
        }
        // ML-KEM decapsulation rejects implicitly: a wrong key gives a random secret.
        let ss_pq = sk
            .dk_pq
            .decapsulate(&enc.ct_pq)
            .map_err(|()| HpkeError::DecapError)?;
        let ss_t = x25519(&sk.sk_t, &XPublic::from(enc.ct_t))?;
        Ok(combine(
            &ss_pq,
            &ss_t[..],
            &enc.ct_t,
            sk.public.pk_t.as_bytes(),
        ))
    }

    fn encap<R: CryptoRng + RngCore>(
        pk: &PublicKey,
        sender_id_keypair: Option<(&PrivateKey, &PublicKey)>,
        csprng: &mut R,
    ) -> Result<(SharedSecret<Self>, EncappedKey), HpkeError> {
        if sender_id_keypair.is_some() {
            return Err(HpkeError::EncapError);
        }
        let mut m = Zeroizing::new([0u8; 32]);
        let mut eph = Zeroizing::new([0u8; 32]);
        csprng.fill_bytes(&mut m[..]);
        csprng.fill_bytes(&mut eph[..]);
        encap_derand(pk, &m, &eph)
    }
}

/// Length checks the type system cannot see.
const _: () = {
    assert!(<EkSize as Unsigned>::USIZE == EK_LEN);
    assert!(<CtSize as Unsigned>::USIZE == CT_LEN);
};

#[cfg(test)]
mod tests {
    //! The MLKEM768-X25519 vectors of draft-ietf-hpke-pq (`fixtures/age-pq/hpke-xwing.json`):
    //! key expansion, deterministic encapsulation and decapsulation.
    use super::*;
    use hpke::Kem;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn draft_vectors() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/age-pq/hpke-xwing.json"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let vectors: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        assert!(!vectors.is_empty());
        for v in &vectors {
            let field = |k: &str| hex(v[k].as_str().unwrap());
            let seed: [u8; 32] = field("skRm").try_into().unwrap();
            let sk = PrivateKey::from_seed(&seed);
            assert_eq!(sk.public().to_bytes().as_slice(), field("pkRm"));
            let pk = PublicKey::from_bytes(&field("pkRm")).unwrap();
            let ikm = field("ikmE");
            let (m, eph) = ikm.split_at(32);
            let (ss, enc) =
                encap_derand(&pk, m.try_into().unwrap(), eph.try_into().unwrap()).unwrap();
            assert_eq!(enc.to_bytes().as_slice(), field("enc"));
            assert_eq!(ss.0.as_slice(), field("shared_secret"));
            let parsed = EncappedKey::from_bytes(&field("enc")).unwrap();
            let back = XWing::decap(&sk, None, &parsed).unwrap();
            assert_eq!(back.0.as_slice(), field("shared_secret"));
        }
    }

    #[test]
    fn unreduced_encapsulation_keys_are_refused() {
        let mut bytes = PrivateKey::from_seed(&[1; 32]).public().to_bytes().to_vec();
        bytes[0] = 0xff;
        bytes[1] |= 0x0f;
        assert!(PublicKey::from_bytes(&bytes).is_err());
    }
}
