//! An election run entirely in one process: the tellers' key ceremony, registration, voting
//! (with some ballots audited), tally, threshold decryption and the result. Used by
//! `piaojue demo`, the end-to-end tests, the benchmarks and the spec's test vectors.
//!
//! Every random choice comes from one seeded generator, so a seed gives the same record, byte
//! for byte.

use chacha20::ChaCha20Rng;
use ed25519_dalek::SigningKey;
use piaojue_crypto::ballot::{AuditedBallot, Ballot, Selection, VerifiedBallot, verify_ballots};
use piaojue_crypto::credential::{Credential, CredentialList};
use piaojue_crypto::decryption::{BoardHeadRef, DecryptionShare};
use piaojue_crypto::dkg::dealer::CeremonyTranscript;
use piaojue_crypto::dkg::{CeremonyOutput, TellerKey, party::Teller};
use piaojue_crypto::manifest::Manifest;
use piaojue_crypto::record::{
    ElectionData, ElectionRecord, RECORD_VERSION, TallyResult, ceremony_params,
};
use piaojue_crypto::tally::{EncryptedTally, decrypt_counts, select_counted};
use rand::{Rng, RngExt, SeedableRng};

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The manifest.
    pub manifest: Manifest,
    /// Deputies on the roll.
    pub deputies: usize,
    /// Deputies who cast a ballot (the first `voters` of the roll).
    pub voters: usize,
    /// Ballots built, audited and discarded before the voter casts a fresh one.
    pub audited: usize,
    /// Which tellers (1-based) take part in decryption; at least `t`.
    pub decrypting_tellers: Vec<u32>,
    /// Seed of every random choice.
    pub seed: [u8; 32],
}

/// The secrets a simulation hands out, for tests that go on from a record.
pub struct Secrets {
    /// Tellers' signing keys, by index − 1.
    pub teller_signing: Vec<SigningKey>,
    /// Tellers' key shares, by index − 1.
    pub teller_keys: Vec<TellerKey>,
    /// Deputies' credentials, in roll order.
    pub credentials: Vec<Credential>,
}

/// Runs the tellers' key ceremony in memory.
pub fn key_ceremony<R: Rng + rand::CryptoRng>(
    manifest: &Manifest,
    rng: &mut R,
) -> anyhow::Result<(
    CeremonyTranscript,
    CeremonyOutput,
    Vec<SigningKey>,
    Vec<TellerKey>,
)> {
    let params = ceremony_params(manifest);
    let n = manifest.tellers.n;
    let signing: Vec<SigningKey> = (0..n).map(|_| SigningKey::generate(rng)).collect();
    let mut transcript = CeremonyTranscript::default();
    let mut states = Vec::new();
    for (i, sk) in signing.iter().enumerate() {
        let (s, a) = Teller::new(params, i as u32 + 1, sk.clone(), rng)?;
        states.push(s);
        transcript.announcements.push(a);
    }
    let mut next = Vec::new();
    for s in states {
        let (s, c) = s.commit(&transcript.announcements, rng)?;
        next.push(s);
        transcript.commitments.push(c);
    }
    let mut revealed = Vec::new();
    for s in next {
        let (s, r) = s.reveal(&transcript.commitments)?;
        revealed.push(s);
        transcript.reveals.push(r);
    }
    let mut checked = Vec::new();
    for s in revealed {
        let (s, c) = s.check_shares(&transcript.reveals, rng)?;
        checked.push(s);
        transcript.checks.push(c);
    }
    let keys = checked
        .into_iter()
        .map(|s| s.finish(&transcript.checks))
        .collect::<Result<Vec<_>, _>>()?;
    let output = keys[0].output.clone();
    Ok((transcript, output, signing, keys))
}

/// A random valid selection: in each contest, a uniformly random number of options in
/// `[min, max]`, chosen uniformly.
pub fn random_selection<R: Rng>(manifest: &Manifest, rng: &mut R) -> Selection {
    let chosen: Vec<Vec<usize>> = manifest
        .contests
        .iter()
        .map(|c| {
            let k = rng.random_range(c.min..=c.max) as usize;
            let mut idx: Vec<usize> = (0..c.options.len()).collect();
            for i in 0..k {
                let j = rng.random_range(i..idx.len());
                idx.swap(i, j);
            }
            idx.truncate(k);
            idx.sort_unstable();
            idx
        })
        .collect();
    Selection::from_chosen(manifest, &chosen).expect("a random selection within the range is valid")
}

/// A selection by a deputy with preferences: option `o` of contest `c` is chosen with
/// probability `popularity[c][o]`, then options are dropped or added at random until the count
/// is in `[min, max]`.
pub fn preference_selection<R: Rng>(
    manifest: &Manifest,
    popularity: &[Vec<f64>],
    rng: &mut R,
) -> Selection {
    let chosen: Vec<Vec<usize>> = manifest
        .contests
        .iter()
        .zip(popularity)
        .map(|(c, pop)| {
            let mut picked: Vec<usize> = (0..c.options.len())
                .filter(|&o| rng.random_bool(pop[o]))
                .collect();
            while picked.len() > c.max as usize {
                picked.swap_remove(rng.random_range(0..picked.len()));
            }
            while picked.len() < c.min as usize {
                let o = rng.random_range(0..c.options.len());
                if !picked.contains(&o) {
                    picked.push(o);
                }
            }
            picked.sort_unstable();
            picked
        })
        .collect();
    Selection::from_chosen(manifest, &chosen).expect("trimmed to the range")
}

impl Simulation {
    /// Runs the election and returns its record and secrets.
    pub fn run(&self) -> anyhow::Result<(ElectionRecord, Secrets)> {
        // Every deputy has a credential: the roll is the simulation's deputies.
        let mut manifest = self.manifest.clone();
        manifest.deputies = u32::try_from(self.deputies)?;
        let manifest = &manifest;
        manifest.validate()?;
        anyhow::ensure!(self.voters <= self.deputies, "more voters than deputies");
        let mut rng = ChaCha20Rng::from_seed(self.seed);
        let (ceremony, ceremony_output, teller_signing, teller_keys) =
            key_ceremony(manifest, &mut rng)?;

        let credentials: Vec<Credential> = (0..self.deputies)
            .map(|_| Credential::generate(&mut rng))
            .collect();
        let list = CredentialList::new(credentials.iter().map(Credential::public))?;
        let mut election = ElectionData {
            version: RECORD_VERSION,
            manifest: manifest.clone(),
            ceremony,
            ceremony_output,
            credentials: list,
            fingerprint: piaojue_crypto::encoding::Bytes([0; 32]),
            attendance: None,
        };
        election.fingerprint = election.compute_fingerprint();
        // Teller 1, the chief scrutineer: everyone who votes signed in.
        election.attendance = Some(piaojue_crypto::attendance::Attendance::sign(
            election.fingerprint.0,
            1,
            u32::try_from(self.voters)?,
            &teller_signing[0],
        ));
        let ctx = election.context()?;

        // How much the deputies like each option: between 30% and 95%.
        let popularity: Vec<Vec<f64>> = self
            .manifest
            .contests
            .iter()
            .map(|c| {
                c.options
                    .iter()
                    .map(|_| rng.random_range(0.30..0.95))
                    .collect()
            })
            .collect();
        let mut audited = Vec::new();
        let mut ballots = Vec::new();
        for (i, cred) in credentials.iter().take(self.voters).enumerate() {
            if i < self.audited {
                let sel = random_selection(manifest, &mut rng);
                let (ballot, secrets) = Ballot::build(&ctx, cred, &sel, &mut rng)?;
                audited.push(AuditedBallot {
                    ballot,
                    opening: secrets.open(),
                });
            }
            let sel = preference_selection(manifest, &popularity, &mut rng);
            let (ballot, _secrets) = Ballot::build(&ctx, cred, &sel, &mut rng)?;
            ballots.push(ballot);
        }

        let outcome = verify_ballots(&ctx, &election.credentials, ballots.clone());
        anyhow::ensure!(
            outcome.rejected.is_empty(),
            "honest ballots rejected: {:?}",
            outcome.rejected
        );
        let verified: Vec<VerifiedBallot> =
            select_counted(manifest.revote, outcome.verified).counted;
        let tally = EncryptedTally::aggregate(manifest, &verified);
        let flat = tally.flatten();
        let shares: Vec<DecryptionShare> = self
            .decrypting_tellers
            .iter()
            .map(|&j| {
                let k = &teller_keys[j as usize - 1];
                DecryptionShare::compute(
                    election.fingerprint.0,
                    &teller_signing[j as usize - 1],
                    k,
                    BoardHeadRef::WITHOUT_BOARD,
                    &flat,
                    &mut rng,
                )
            })
            .collect();
        let counted = verified.len() as u64;
        let counts = decrypt_counts(manifest, &tally, &shares, counted)?;
        let outcome = manifest.decision.apply(
            &manifest.contests,
            &counts,
            counted,
            u64::from(manifest.deputies),
        );
        let record = ElectionRecord {
            election,
            ballots,
            audited,
            result: Some(TallyResult {
                counted,
                tally,
                shares,
                counts,
                outcome,
            }),
            board: None,
        };
        Ok((
            record,
            Secrets {
                teller_signing,
                teller_keys,
                credentials,
            },
        ))
    }
}
