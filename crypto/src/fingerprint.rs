//! Hashes that name an election (`spec/protocol.md` §6).
//!
//! * The **manifest hash** `H("piaojue-v1/manifest", manifest)` names what is voted on.
//! * The **ceremony id** `H("piaojue-v1/ceremony", manifest hash)` binds the tellers' key
//!   ceremony to that manifest; it is the `election` of every ceremony transcript.
//! * The **election fingerprint** binds everything a ballot depends on — the manifest, the
//!   tellers, the joint key, the verification keys and the credential list — and is the
//!   `election` of every ballot and decryption transcript:
//!
//! ```text
//! fingerprint = SHA-256( str("piaojue-v1/election") ‖ manifest_hash ‖ u32(n) ‖ u32(t)
//!                        ‖ list(teller signing keys) ‖ K ‖ list(X₁ … Xₙ) ‖ credentials_hash )
//! ```
//!
//! `H(tag, x)` is SHA-256 over `str(tag) ‖ canonical(x)` ([`crate::canonical`]).

use crate::canonical::{Writer, tagged_hash};
use crate::credential::CredentialList;
use crate::encoding::{Bytes, Digest32, PublicKey};
use crate::manifest::Manifest;

/// `H("piaojue-v1/manifest", manifest)`.
pub fn manifest_hash(manifest: &Manifest) -> Digest32 {
    tagged_hash("piaojue-v1/manifest", manifest)
}

/// `H("piaojue-v1/ceremony", manifest hash)`: the key ceremony's id.
pub fn ceremony_id(manifest_hash: &Digest32) -> Digest32 {
    let mut w = Writer::tagged("piaojue-v1/ceremony");
    w.bytes(manifest_hash);
    w.sha256()
}

/// The public inputs of the election fingerprint.
#[derive(Debug, Clone, Copy)]
pub struct FingerprintInputs<'a> {
    /// The manifest.
    pub manifest: &'a Manifest,
    /// Tellers' ed25519 signing public keys, in index order.
    pub teller_keys: &'a [Bytes<32>],
    /// The joint election key.
    pub joint_key: &'a PublicKey,
    /// Tellers' verification keys, in index order.
    pub verification_keys: &'a [PublicKey],
    /// The credential list.
    pub credentials: &'a CredentialList,
}

/// The election fingerprint.
pub fn election_fingerprint(inputs: &FingerprintInputs) -> Digest32 {
    let mut w = Writer::tagged("piaojue-v1/election");
    w.bytes(&manifest_hash(inputs.manifest))
        .u32(inputs.manifest.tellers.n)
        .u32(inputs.manifest.tellers.t);
    w.list(inputs.teller_keys, |w, k| {
        w.bytes(k);
    });
    w.key(inputs.joint_key);
    w.list(inputs.verification_keys, |w, k| {
        w.key(k);
    });
    w.bytes(&inputs.credentials.hash());
    w.sha256()
}
