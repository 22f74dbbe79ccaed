//! What a deputy's device checks before it encrypts a ballot (`spec/protocol.md` §6.6): that
//! the election the server hands it is the election pinned out of band.
//!
//! The pin is the election fingerprint `F` (§6.4), carried by the credential sheet's QR link
//! (in the URL fragment, never sent to a server) or its short form (§6.5), printed on the sheet
//! and shown on the hall screen. The server serves the manifest, the key-ceremony transcript and
//! the credential list; the device
//!
//! 1. verifies the transcript (`CeremonyTranscript::verify`, as V2.1) and so computes the joint
//!    key `K` and the verification keys itself;
//! 2. if the server also served an output (`GET …/ceremony` → `output`), confirms it is that
//!    output (a server that serves its own `K` is caught here, by name);
//! 3. computes `F` from the manifest, the announcements' signing keys, its own output and the
//!    credential list (§6.4);
//! 4. confirms that `F` matches the pin, and that its own credential is on the list;
//!
//! and builds the ballot from that `F` and that `K` only: never from values the server states.

use crate::ballot::ElectionContext;
use crate::credential::{CredentialKey, CredentialList};
use crate::dkg::dealer::CeremonyTranscript;
use crate::dkg::{CeremonyError, CeremonyOutput};
use crate::encoding::{Bytes, DecodeError, Digest32};
use crate::fingerprint::{ShortFingerprint, ShortFingerprintError};
use crate::manifest::{Manifest, ManifestError};
use crate::record::{ElectionData, RECORD_VERSION, ceremony_params};

/// The election as a deputy pinned it: the whole fingerprint, or its short form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pin {
    /// The fingerprint `F` (from the sheet's QR link, or typed as 43 base64url characters).
    Full(Digest32),
    /// Its short form (from the sheet or the hall screen).
    Short(ShortFingerprint),
}

/// Why a text is not a pin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinParseError {
    /// Neither 43 base64url characters nor 20 digits.
    #[error(
        "a fingerprint is 43 base64url characters (the full form) or 20 digits (the short form)"
    )]
    Form,
    /// 43 characters that are not the base64url of 32 bytes.
    #[error("the full fingerprint does not decode: {0}")]
    Full(DecodeError),
    /// 20 digits that are not a short fingerprint.
    #[error(transparent)]
    Short(ShortFingerprintError),
}

impl Pin {
    /// Reads a pin: the full form (43 base64url characters) or the short form (20 digits,
    /// spaces and `-` ignored).
    pub fn parse(text: &str) -> Result<Self, PinParseError> {
        let text = text.trim();
        if text.len() == 43 && !text.contains(' ') {
            return Digest32::from_base64(text)
                .map(Pin::Full)
                .map_err(PinParseError::Full);
        }
        let digits = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .all(|c| c.is_ascii_digit());
        if digits {
            return ShortFingerprint::parse(text)
                .map(Pin::Short)
                .map_err(PinParseError::Short);
        }
        Err(PinParseError::Form)
    }

    /// The short form of the pin, what a person compares.
    pub fn short(&self) -> ShortFingerprint {
        match self {
            Pin::Full(d) => ShortFingerprint::of(d),
            Pin::Short(s) => *s,
        }
    }

    /// Whether the fingerprint `f` is the pinned one (for the short form: has that short form).
    pub fn matches(&self, f: &Digest32) -> bool {
        match self {
            Pin::Full(p) => p == f,
            Pin::Short(s) => s.matches(f),
        }
    }
}

impl std::fmt::Display for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pin::Full(d) => write!(f, "{d}"),
            Pin::Short(s) => write!(f, "{s}"),
        }
    }
}

/// What the server hands a deputy's device about an election.
#[derive(Debug, Clone)]
pub struct ServedElection {
    /// The manifest (`GET /api/elections/{id}` → `manifest`).
    pub manifest: Manifest,
    /// The key ceremony's messages (`GET …/ceremony` → `transcript`).
    pub transcript: CeremonyTranscript,
    /// The output the server states (`GET …/ceremony` → `output`), if it states one.
    pub output: Option<CeremonyOutput>,
    /// The credential list (`GET …/credentials` → `keys`).
    pub credentials: CredentialList,
}

/// Why a device refuses the election it is served. Each says what did not match.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// The manifest is not a possible election.
    #[error("the served manifest is not valid: {0}")]
    Manifest(ManifestError),
    /// The key ceremony's transcript does not verify.
    #[error("the served key ceremony does not verify: {0}")]
    Ceremony(CeremonyError),
    /// The server states a joint key (or verification keys) other than the ceremony's.
    #[error("the server's election key is not the one its key ceremony gives")]
    JointKey,
    /// The election computed from what was served is not the pinned one.
    #[error(
        "the served election has fingerprint {computed} (short {computed_short}), not the pinned {pinned}"
    )]
    Fingerprint {
        /// The pin.
        pinned: Pin,
        /// The fingerprint of the served election.
        computed: Digest32,
        /// Its short form.
        computed_short: ShortFingerprint,
    },
    /// The deputy's credential is not on the served list.
    #[error("this credential is not on the election's credential list")]
    NotOnList,
}

/// The election a device verified: the set-up with the output and fingerprint it computed.
#[derive(Debug, Clone)]
pub struct VerifiedElection {
    /// The set-up, `ceremony_output` and `fingerprint` computed here.
    pub data: ElectionData,
}

impl VerifiedElection {
    /// The short form of the verified fingerprint, to show beside the ballot.
    pub fn short(&self) -> ShortFingerprint {
        ShortFingerprint::of(&self.data.fingerprint)
    }

    /// The context to build ballots in: the computed fingerprint and joint key.
    pub fn context(&self) -> Result<ElectionContext, ManifestError> {
        self.data.context()
    }
}

/// Steps 1–3 above: the set-up computed from what was served, with no pin (what a
/// registrar's tool prints on the credential sheets, §6.6).
pub fn verify_setup(served: ServedElection) -> Result<VerifiedElection, PinError> {
    served.manifest.validate().map_err(PinError::Manifest)?;
    let params = ceremony_params(&served.manifest);
    let output = served
        .transcript
        .verify(&params)
        .map_err(PinError::Ceremony)?;
    if served.output.as_ref().is_some_and(|o| *o != output) {
        return Err(PinError::JointKey);
    }
    let mut data = ElectionData {
        version: RECORD_VERSION,
        manifest: served.manifest,
        ceremony: served.transcript,
        ceremony_output: output,
        credentials: served.credentials,
        // Replaced at once by the fingerprint of this very data.
        fingerprint: Bytes([0; 32]),
        // Signs the fingerprint: not part of what a device pins.
        attendance: None,
    };
    data.fingerprint = data.compute_fingerprint();
    Ok(VerifiedElection { data })
}

/// Steps 1–4 above: verifies what was served against the pin and, when given, the deputy's own
/// credential key.
pub fn verify_served(
    served: ServedElection,
    pin: &Pin,
    credential: Option<&CredentialKey>,
) -> Result<VerifiedElection, PinError> {
    let verified = verify_setup(served)?;
    let f = verified.data.fingerprint;
    if !pin.matches(&f) {
        return Err(PinError::Fingerprint {
            pinned: *pin,
            computed: f,
            computed_short: ShortFingerprint::of(&f),
        });
    }
    if credential.is_some_and(|c| !verified.data.credentials.contains(c)) {
        return Err(PinError::NotOnList);
    }
    Ok(verified)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_in_both_forms() {
        let f = Bytes([0xff; 32]);
        let full = Pin::parse(&format!(" {f} ")).unwrap();
        assert_eq!(full, Pin::Full(f));
        let short = Pin::parse("1844-6744-0737-0955-1615").unwrap();
        assert!(full.matches(&f) && short.matches(&f));
        let mut g = f;
        g.0[31] = 0;
        assert!(
            !full.matches(&g) && short.matches(&g),
            "the short form is 64 bits"
        );
        g.0[0] = 0;
        assert!(!short.matches(&g));
        assert_eq!(
            Pin::parse("12 34"),
            Err(PinParseError::Short(ShortFingerprintError))
        );
        assert_eq!(Pin::parse("not a pin"), Err(PinParseError::Form));
        assert!(matches!(
            Pin::parse(&"!".repeat(43)),
            Err(PinParseError::Full(_))
        ));
    }
}
