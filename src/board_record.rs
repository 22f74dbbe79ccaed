//! A synthetic election written straight to a record in board form (`spec/record.md` §8.4), of
//! any size, for the benchmarks: the same log a ballot server keeps, built in one process
//! without holding the ballots in memory. Ballots are built in parallel chunks, each entry is
//! written to `board.jsonl` as it comes, the Merkle frontier and the running tally follow, and
//! a tree head is signed every `ballots_per_head` ballots, as the server's group commits do.
//!
//! Deterministic for a seed: deputy `i`'s credential is derived from the seed and `i`, so the
//! credentials need not be kept (only their public keys, for the list).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chacha20::ChaCha20Rng;
use piaojue_crypto::attendance::Attendance;
use piaojue_crypto::ballot::Ballot;
use piaojue_crypto::board::merkle::{MerkleFrontier, leaf_hash};
use piaojue_crypto::board::{BoardKey, Entry, Event, SignedTreeHead, TreeHead, log_id};
use piaojue_crypto::credential::{Credential, CredentialKey, CredentialList};
use piaojue_crypto::decryption::{BoardHeadRef, DecryptionShare};
use piaojue_crypto::encoding::Bytes;
use piaojue_crypto::manifest::Manifest;
use piaojue_crypto::record::{BoardInfo, ElectionData, RECORD_VERSION};
use piaojue_crypto::tally::{RunningTally, decrypt_counts};
use rand::SeedableRng;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::simulate::{key_ceremony, random_selection};

/// Ballots built and written per parallel chunk.
const CHUNK: usize = 2048;
/// Credentials per `credentials` entry (as a registrar uploads them in batches).
const CREDENTIALS_PER_ENTRY: usize = 10_000;

/// What to write.
#[derive(Debug, Clone)]
pub struct BoardRecordSpec {
    /// The manifest (its election id names the log).
    pub manifest: Manifest,
    /// Deputies on the roll; every one casts a ballot.
    pub ballots: usize,
    /// A signed tree head after every this many ballots (and after the set-up and at the end).
    pub ballots_per_head: usize,
    /// Which tellers (1-based) decrypt; at least `t`.
    pub decrypting_tellers: Vec<u32>,
    /// Seed of every random choice.
    pub seed: [u8; 32],
}

/// `SHA-256(label ‖ seed ‖ i)`.
fn derive(label: &[u8], seed: &[u8; 32], i: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(label);
    h.update(seed);
    h.update(i.to_be_bytes());
    h.finalize().into()
}

/// Deputy `i`'s credential: its seed is `SHA-256("piaojue bench credential" ‖ seed ‖ i)`.
pub fn credential(seed: &[u8; 32], i: u64) -> Credential {
    Credential::from_seed(&derive(b"piaojue bench credential", seed, i))
}

/// The log as it is written: entries to `board.jsonl`, heads to `tree_heads.jsonl`.
struct LogFiles {
    key: BoardKey,
    log_id: Bytes<32>,
    entries: BufWriter<File>,
    heads: BufWriter<File>,
    frontier: MerkleFrontier,
    time_ms: u64,
    bytes: u64,
}

impl LogFiles {
    fn post(&mut self, event: Event) -> anyhow::Result<()> {
        let entry = Entry {
            index: self.frontier.len(),
            time_ms: self.time_ms,
            event,
        };
        self.write(&entry.to_bytes())
    }

    fn write(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.frontier.push(leaf_hash(bytes));
        self.entries.write_all(bytes)?;
        self.entries.write_all(b"\n")?;
        self.bytes += bytes.len() as u64 + 1;
        Ok(())
    }

    fn sign_head(&mut self) -> anyhow::Result<()> {
        self.time_ms += 1;
        let head: SignedTreeHead = self.key.sign(TreeHead {
            log_id: self.log_id,
            size: self.frontier.len(),
            root: Bytes(self.frontier.root()),
            timestamp_ms: self.time_ms,
        });
        serde_json::to_writer(&mut self.heads, &head)?;
        self.heads.write_all(b"\n")?;
        Ok(())
    }
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    /// Entries in the log.
    pub entries: u64,
    /// Bytes of `board.jsonl`.
    pub log_bytes: u64,
    /// Bytes of the cast ballots' entries alone.
    pub ballot_bytes: u64,
}

/// Writes the whole election's record in board form into `dir` (created). `progress` is told
/// the number of ballots written so far.
pub fn write(
    spec: &BoardRecordSpec,
    dir: &Path,
    progress: &(dyn Fn(usize) + Sync),
) -> anyhow::Result<Written> {
    // Every deputy has a credential and casts one ballot.
    let mut manifest = spec.manifest.clone();
    manifest.deputies = u32::try_from(spec.ballots)?;
    // The board is the one whose key signs the log (the manifest names it, record.md §3.7).
    manifest.board.key = BoardKey::from_seed(&spec.seed).public();
    let m = &manifest;
    m.validate()?;
    std::fs::create_dir_all(dir)?;
    let mut rng = ChaCha20Rng::from_seed(spec.seed);
    let (ceremony, output, teller_signing, teller_keys) = key_ceremony(m, &mut rng)?;
    let keys: Vec<CredentialKey> = (0..spec.ballots as u64)
        .into_par_iter()
        .map(|i| credential(&spec.seed, i).public())
        .collect();
    let list = CredentialList::new(keys.iter().copied())?;
    let mut election = ElectionData {
        version: RECORD_VERSION,
        manifest: m.clone(),
        ceremony: ceremony.clone(),
        ceremony_output: output.clone(),
        credentials: list,
        fingerprint: Bytes([0; 32]),
        attendance: None,
    };
    election.fingerprint = election.compute_fingerprint();
    let fingerprint = election.fingerprint;
    let tellers = election.teller_keys();
    // Teller 1, the chief scrutineer: every deputy signed in.
    let attendance = Attendance::sign(fingerprint.0, 1, m.deputies, &teller_signing[0]);
    let ctx = election.context()?;

    let key = BoardKey::from_seed(&spec.seed);
    let info = BoardInfo {
        election_id: m.election_id.clone(),
        log_id: log_id(&m.election_id),
        board_key: key.public(),
    };
    std::fs::write(
        dir.join("board.json"),
        serde_json::to_string_pretty(&info)? + "\n",
    )?;
    // No witnesses cosigned this generated log.
    std::fs::write(dir.join("cosignatures.jsonl"), "")?;
    let mut log = LogFiles {
        key,
        log_id: info.log_id,
        entries: BufWriter::with_capacity(1 << 20, File::create(dir.join("board.jsonl"))?),
        heads: BufWriter::new(File::create(dir.join("tree_heads.jsonl"))?),
        frontier: MerkleFrontier::new(),
        time_ms: 1_790_000_000_000,
        bytes: 0,
    };
    log.post(Event::Manifest(m.clone()))?;
    log.post(Event::Tellers {
        signing_keys: tellers,
    })?;
    for a in &ceremony.announcements {
        log.post(Event::Announcement(a.clone()))?;
    }
    for c in &ceremony.commitments {
        log.post(Event::Commitment(c.clone()))?;
    }
    for r in &ceremony.reveals {
        log.post(Event::Reveal(r.clone()))?;
    }
    for c in &ceremony.checks {
        log.post(Event::ShareCheck(c.clone()))?;
    }
    log.post(Event::CeremonyOutput(output))?;
    for batch in keys.chunks(CREDENTIALS_PER_ENTRY) {
        log.post(Event::Credentials {
            keys: batch.to_vec(),
        })?;
    }
    drop(keys);
    log.post(Event::Attendance(attendance))?;
    log.post(Event::Open {
        fingerprint,
        credentials: spec.ballots as u64,
    })?;
    log.sign_head()?;

    let mut tally = RunningTally::new(m);
    let mut ballot_bytes = 0u64;
    let per_head = spec.ballots_per_head.max(1);
    for start in (0..spec.ballots).step_by(CHUNK) {
        let end = (start + CHUNK).min(spec.ballots);
        let built: Vec<(Ballot, Vec<u8>)> = (start..end)
            .into_par_iter()
            .map(|i| {
                let mut rng =
                    ChaCha20Rng::from_seed(derive(b"piaojue bench ballot", &spec.seed, i as u64));
                let sel = random_selection(m, &mut rng);
                let cred = credential(&spec.seed, i as u64);
                let (ballot, _) = Ballot::build(&ctx, &cred, &sel, &mut rng)
                    .expect("a random selection is valid");
                let json =
                    serde_json::to_vec(&Event::Ballot(ballot.clone())).expect("events serialize");
                (ballot, json)
            })
            .collect();
        let part = built
            .par_chunks(256)
            .map(|c| {
                let mut t = RunningTally::new(m);
                c.iter().for_each(|(b, _)| t.add(b));
                t
            })
            .reduce_with(|mut a, b| {
                a.merge(&b);
                a
            });
        if let Some(part) = part {
            tally.merge(&part);
        }
        for (k, (_, event)) in built.into_iter().enumerate() {
            // The entry's JSON: {"index":…,"time_ms":…,"kind":"ballot","data":…}, as
            // Entry::to_bytes writes it, with the event's JSON spliced in.
            let index = log.frontier.len();
            let mut bytes =
                format!("{{\"index\":{index},\"time_ms\":{},", log.time_ms).into_bytes();
            bytes.extend_from_slice(&event[1..]);
            ballot_bytes += bytes.len() as u64 + 1;
            log.write(&bytes)?;
            if (start + k + 1) % per_head == 0 {
                log.sign_head()?;
            }
        }
        progress(end);
    }
    log.post(Event::Close {
        ballots: spec.ballots as u64,
    })?;
    let tally = tally.finish();
    log.post(Event::Tally(tally.clone()))?;
    let flat = tally.flatten();
    let mut shares = Vec::new();
    for &j in &spec.decrypting_tellers {
        let i = j as usize - 1;
        // The head of the log so far, as the teller verified it.
        let head = BoardHeadRef {
            size: log.frontier.len(),
            root: Bytes(log.frontier.root()),
        };
        let share = DecryptionShare::compute(
            fingerprint.0,
            &teller_signing[i],
            &teller_keys[i],
            head,
            &flat,
            &mut rng,
        );
        log.post(Event::DecryptionShare(share.clone()))?;
        shares.push(share);
    }
    let counted = spec.ballots as u64;
    let counts = decrypt_counts(m, &tally, &shares, counted)?;
    let outcome = m
        .decision
        .apply(&m.contests, &counts, counted, u64::from(m.deputies));
    log.post(Event::Result { counts, outcome })?;
    log.post(Event::Published)?;
    log.sign_head()?;
    log.entries.flush()?;
    log.heads.flush()?;
    Ok(Written {
        entries: log.frontier.len(),
        log_bytes: log.bytes,
        ballot_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use piaojue_crypto::manifest::TellerParams;
    use piaojue_crypto::samples;

    #[test]
    fn the_written_log_is_what_entry_to_bytes_writes_and_it_verifies() {
        let dir = std::env::temp_dir().join(format!("piaojue-board-record-{}", std::process::id()));
        let spec = BoardRecordSpec {
            manifest: samples::up_to_k_of_n("board-record", 4, 2, TellerParams { n: 3, t: 2 }),
            ballots: 30,
            ballots_per_head: 7,
            decrypting_tellers: vec![1, 3],
            seed: [5; 32],
        };
        let w = write(&spec, &dir, &|_| {}).unwrap();
        let text = std::fs::read_to_string(dir.join("board.jsonl")).unwrap();
        assert_eq!(text.lines().count() as u64, w.entries);
        for (i, line) in text.lines().enumerate() {
            let e = Entry::from_bytes(line.as_bytes()).unwrap();
            assert_eq!(e.index, i as u64);
            assert_eq!(
                e.to_bytes(),
                line.as_bytes(),
                "entry {i} as Entry::to_bytes writes it"
            );
        }
        let report =
            piaojue_verifier::stream::verify_board_folder(&dir, &piaojue_verifier::NoProgress)
                .unwrap();
        assert!(
            report.passed(),
            "{}",
            report.render(piaojue_verifier::Lang::En)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
