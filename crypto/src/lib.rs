//! # piaojue-crypto
//!
//! The protocol library of Piaojue (票决), a verifiable voting system for livelihood-project
//! ballots. Pure computation: no I/O, no async, no global state, no `unsafe`.
//!
//! * [`elgamal`] — exponential ElGamal on Ristretto255 and the bounded discrete log ([`dlog`]).
//! * [`proofs`] — Schnorr, Chaum-Pedersen (DLEQ) and disjunctive range proofs over Merlin
//!   transcripts ([`transcript`]), each with a batch form ([`batch`]).
//! * [`dkg`] — the tellers' t-of-n key ceremony and [`decryption`] shares.
//! * [`manifest`], [`credential`], [`ballot`], [`tally`], [`rules`], [`record`] — the election
//!   model, from the manifest to the published result.
//! * [`text`] — what a blank human text is.
//! * [`encoding`] and [`canonical`] — the one place for each encoding: base64url JSON and the
//!   canonical bytes that are hashed and signed; [`signature`] — ed25519 verification, alone
//!   or batched, with one verdict; [`json`] — the one place where JSON is decoded, strictly
//!   (`spec/record.md` §2.2).
//!
//! The protocol is specified in `spec/protocol.md`; every function here that implements a
//! verification step names that step in its documentation.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod attendance;
pub mod ballot;
pub mod batch;
pub mod board;
pub mod canonical;
pub mod credential;
pub mod decryption;
pub mod dkg;
pub mod dlog;
pub mod elgamal;
pub mod encoding;
pub mod fingerprint;
pub mod json;
pub mod manifest;
pub mod pin;
pub mod proofs;
pub mod record;
pub mod rules;
pub mod samples;
pub mod signature;
pub mod tally;
pub mod text;
pub mod tracking;
pub mod transcript;

pub use curve25519_dalek::{RistrettoPoint, Scalar};

/// The protocol version written into every record and every transcript.
pub const PROTOCOL_VERSION: u32 = 2;
