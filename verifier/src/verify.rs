//! The verification steps of `spec/verification.md`, in order.

use std::collections::{HashMap, HashSet};

use piaojue_crypto::ballot::{AuditedBallot, Ballot, ElectionContext, verify_ballots};
use piaojue_crypto::batch::BatchVerifier;
use piaojue_crypto::credential::CredentialList;
use piaojue_crypto::decryption::combine;
use piaojue_crypto::elgamal::encode_message;
use piaojue_crypto::encoding::Digest32;
use piaojue_crypto::manifest::Revote;
use piaojue_crypto::record::{ElectionData, ElectionRecord, RECORD_VERSION, TallyResult};
use piaojue_crypto::rules::{Outcome, Tie};
use piaojue_crypto::tally::{EncryptedTally, RunningTally};
use rayon::prelude::*;

use crate::board::verify_board;
use crate::limits::MAX_FAILURES;
use crate::message::{AuditProblem, Message, OutcomeField, ProjectField, Quote, Text, Value};
use crate::outcome::OutcomeSection;
use crate::progress::{NoProgress, Progress};
use crate::report::{Failures, Report, steps};
use crate::share_heads::ShareHeads;

/// How many ballots one batch verifies (one multiscalar multiplication per batch).
pub const BATCH_SIZE: usize = 128;

/// Verifies a whole record (every step of `spec/verification.md`).
pub fn verify_record(record: &ElectionRecord) -> Report {
    verify_record_with(record, &NoProgress)
}

/// [`verify_record`], telling `progress` how the long stages (cast ballots, board entries) go.
pub fn verify_record_with(record: &ElectionRecord, progress: &dyn Progress) -> Report {
    verify_record_summary(record, progress).0
}

/// [`verify_record_with`], also answering what V5 found (the counted ballots and their tally)
/// when the set-up verified far enough to check ballots.
pub fn verify_record_summary(
    record: &ElectionRecord,
    progress: &dyn Progress,
) -> (Report, Option<CastSummary>) {
    let mut report = Report {
        election_id: Some(record.election.manifest.election_id.clone()),
        ..Report::default()
    };
    let Some(ctx) = verify_election(&record.election, &mut report) else {
        return (report, None);
    };
    let cast = verify_cast_ballots_with(
        &ctx,
        &record.election.credentials,
        &record.ballots,
        progress,
        &mut report,
    );
    verify_audited(
        &ctx,
        &record.election.credentials,
        &record.audited,
        &cast,
        &mut report,
    );
    let heads = match &record.board {
        Some(board) => verify_board(record, board, progress, &mut report),
        None => {
            report.skip(steps::BOARD, Text::NoBoardLog);
            None
        }
    };
    verify_result(
        &record.election,
        &cast,
        record.result.as_ref(),
        heads.as_ref(),
        &mut report,
    );
    (report, Some(cast))
}

/// V1–V4: manifest, key ceremony, credentials, fingerprint. Returns the election context
/// when the set-up is sound enough to go on.
pub fn verify_election(e: &ElectionData, report: &mut Report) -> Option<ElectionContext> {
    // V1
    let mut failures: Vec<Message> = Vec::new();
    if e.version != RECORD_VERSION {
        failures.push(
            Text::RecordVersion {
                got: e.version,
                expected: RECORD_VERSION,
            }
            .into(),
        );
    }
    if let Err(err) = e.manifest.validate() {
        failures.push(Message::Manifest(err));
    }
    let m = &e.manifest;
    report.push(
        steps::MANIFEST,
        Text::ManifestSummary {
            contests: m.contests.len(),
            options: m.option_count(),
            t: m.tellers.t,
            n: m.tellers.n,
        },
        failures.clone(),
    );
    let manifest_ok = failures.is_empty();

    // V2
    let mut failures: Vec<Message> = Vec::new();
    let params = e.ceremony_params();
    match e.ceremony.verify(&params) {
        Ok(output) => {
            if output != e.ceremony_output {
                failures.push(Text::CeremonyOutputDiffers.into());
            }
        }
        Err(err) => failures.push(Message::Ceremony(err)),
    }
    let keys = e.teller_keys();
    let mut distinct = keys.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() != keys.len() {
        failures.push(Text::SharedSigningKey.into());
    }
    report.push(
        steps::CEREMONY,
        Text::CeremonySummary {
            announcements: e.ceremony.announcements.len(),
            commitments: e.ceremony.commitments.len(),
            reveals: e.ceremony.reveals.len(),
            checks: e.ceremony.checks.len(),
        },
        failures.clone(),
    );
    let ceremony_ok = failures.is_empty();

    // V3: sortedness, uniqueness and validity are enforced when the list is decoded
    // (`CredentialList::from_published`, `CredentialKey::decode`); a record that decoded has them.
    let mut failures: Vec<Message> = Vec::new();
    let credentials = e.credentials.len();
    if e.credentials.is_empty() {
        failures.push(Text::NoCredentials.into());
    }
    // V3.4: no more credentials than the roll the law fixes.
    let deputies = e.manifest.deputies;
    if credentials as u64 > u64::from(deputies) {
        failures.push(
            Text::TooManyCredentials {
                credentials,
                deputies,
            }
            .into(),
        );
    }
    // V3.5: the chief scrutineer's signed attendance, against the recorded fingerprint.
    match &e.attendance {
        Some(a) => {
            if let Err(err) = a.check(&e.manifest, e.fingerprint.0, &e.teller_keys()) {
                failures.push(Message::Attendance(err));
            }
        }
        None => failures.push(Text::NoAttendance.into()),
    }
    let summary = match &e.attendance {
        Some(a) => Text::CredentialsSummary {
            credentials,
            deputies,
            signed_in: a.signed_in,
        },
        None => Text::CredentialsSummaryNoAttendance {
            credentials,
            deputies,
        },
    };
    report.push(steps::CREDENTIALS, summary, failures);

    // V4
    let computed = e.compute_fingerprint();
    let mut failures: Vec<Message> = Vec::new();
    if computed != e.fingerprint {
        failures.push(
            Text::FingerprintDiffers {
                recorded: e.fingerprint.to_string(),
                computed: computed.to_string(),
            }
            .into(),
        );
    }
    report.push(
        steps::FINGERPRINT,
        Text::Fingerprint {
            fingerprint: computed.to_base64(),
        },
        failures.clone(),
    );

    if !(manifest_ok && ceremony_ok && failures.is_empty()) {
        return None;
    }
    match e.context() {
        Ok(ctx) => Some(ctx),
        Err(err) => {
            report.push(
                steps::MANIFEST,
                Text::NoContext,
                vec![Message::Manifest(err)],
            );
            None
        }
    }
}

/// V5 over the cast ballots in board order, fed in chunks of any size (a whole record at once,
/// or a log streamed past): each chunk is verified in parallel batches, then, in order, every
/// verified ballot is checked for repeats and the revote rule decides whether it counts; the
/// counted ballots are added to a running tally. Memory: the tally, plus a tracking code and a
/// credential per ballot (and, under `last_counts`, the ballot that counts per credential).
pub struct CastBallots<'a> {
    ctx: &'a ElectionContext,
    credentials: &'a CredentialList,
    seen: usize,
    verified: usize,
    by_code: HashMap<Digest32, usize>,
    ciphertexts: HashSet<Digest32>,
    first: HashMap<[u8; 32], usize>,
    last: HashMap<[u8; 32], Ballot>,
    superseded: usize,
    tally: RunningTally,
    /// The failures found so far, by ballot; at most `2 × MAX_FAILURES` are kept between
    /// pushes (the first by ballot), the others counted in `dropped`.
    failures: Vec<(usize, Message)>,
    dropped: u64,
}

/// What V5 hands to V6 and V8: the tally of the counted ballots, how many, and every cast
/// tracking code.
pub struct CastSummary {
    /// Number of counted ballots.
    pub counted: u64,
    /// Their encrypted tally.
    pub tally: EncryptedTally,
    /// The tracking codes of every verified cast ballot.
    pub codes: HashSet<Digest32>,
    /// The hashes of the ciphertexts of every verified cast ballot ([`Ballot::ciphertexts_hash`]).
    pub ciphertexts: HashSet<Digest32>,
}

impl<'a> CastBallots<'a> {
    /// Before the first ballot.
    pub fn new(ctx: &'a ElectionContext, credentials: &'a CredentialList) -> Self {
        CastBallots {
            ctx,
            credentials,
            seen: 0,
            verified: 0,
            by_code: HashMap::new(),
            ciphertexts: HashSet::new(),
            first: HashMap::new(),
            last: HashMap::new(),
            superseded: 0,
            tally: RunningTally::new(&ctx.manifest),
            failures: Vec::new(),
            dropped: 0,
        }
    }

    /// Verifies the next ballots of the board (in order) and accounts for them.
    pub fn push(&mut self, ballots: Vec<Ballot>, progress: &dyn Progress) {
        let (ctx, credentials) = (self.ctx, self.credentials);
        let offset = self.seen;
        let n = ballots.len();
        self.seen += n;
        let outcomes: Vec<_> = ballots
            .into_par_iter()
            .chunks(BATCH_SIZE)
            .map(|part| {
                let k = part.len() as u64;
                let out = verify_ballots(ctx, credentials, part);
                progress.advance(k);
                out
            })
            .collect();
        let mut counted: Vec<Ballot> = Vec::new();
        for (chunk, out) in outcomes.into_iter().enumerate() {
            let base = offset + chunk * BATCH_SIZE;
            for (i, err, code) in out.rejected {
                let i = base + i;
                self.failures.push((
                    i,
                    Message::Ballot {
                        i,
                        code: code.to_string(),
                        error: err,
                    },
                ));
            }
            for (i, b) in out.verified {
                let i = base + i;
                self.verified += 1;
                let code = *b.tracking_code();
                self.ciphertexts.insert(b.ballot().ciphertexts_hash());
                if let Some(first) = self.by_code.insert(code, i) {
                    self.failures.push((
                        i,
                        Text::BallotRepeats {
                            i,
                            first,
                            code: code.to_string(),
                        }
                        .into(),
                    ));
                }
                let key = *b.ballot().credential.as_bytes();
                match ctx.manifest.revote {
                    Revote::FirstFinal => match self.first.get(&key) {
                        Some(&first) => self
                            .failures
                            .push((i, Text::CredentialAlreadyCast { i, first }.into())),
                        None => {
                            self.first.insert(key, i);
                            counted.push(b.into_inner());
                        }
                    },
                    Revote::LastCounts => {
                        let b = b.into_inner();
                        if let Some(earlier) = self.last.insert(key, b.clone()) {
                            self.tally.subtract(&earlier);
                            self.superseded += 1;
                        }
                        counted.push(b);
                    }
                }
            }
        }
        let part = counted
            .par_chunks(256)
            .map(|c| {
                let mut t = RunningTally::new(&ctx.manifest);
                c.iter().for_each(|b| t.add(b));
                t
            })
            .reduce_with(|mut a, b| {
                a.merge(&b);
                a
            });
        if let Some(part) = part {
            self.tally.merge(&part);
        }
        // Later pushes are later ballots: the first failures by ballot are among those kept.
        if self.failures.len() > 2 * MAX_FAILURES {
            self.failures.sort_by_key(|(i, _)| *i);
            self.dropped += (self.failures.len() - MAX_FAILURES) as u64;
            self.failures.truncate(MAX_FAILURES);
        }
        let _ = n;
    }

    /// Number of ballots pushed so far.
    pub fn len(&self) -> usize {
        self.seen
    }

    /// Whether no ballot was pushed.
    pub fn is_empty(&self) -> bool {
        self.seen == 0
    }

    /// Records V5 in the report.
    pub fn finish(mut self, report: &mut Report) -> CastSummary {
        let counted = match self.ctx.manifest.revote {
            Revote::FirstFinal => self.first.len(),
            Revote::LastCounts => self.last.len(),
        };
        self.failures.sort_by_key(|(i, _)| *i);
        let (ballots, verified, replaced) = (self.seen, self.verified, self.superseded);
        let summary = if replaced == 0 {
            Text::BallotsSummary {
                ballots,
                verified,
                counted,
            }
        } else {
            Text::BallotsSummaryReplaced {
                ballots,
                verified,
                counted,
                replaced,
            }
        };
        let mut failures: Failures = self
            .failures
            .into_iter()
            .map(|(_, f)| f)
            .collect::<Vec<_>>()
            .into();
        failures.add_uncounted(self.dropped);
        report.push(steps::BALLOTS, summary, failures);
        CastSummary {
            counted: counted as u64,
            tally: self.tally.finish(),
            codes: self.by_code.into_keys().collect(),
            ciphertexts: self.ciphertexts,
        }
    }
}

/// V5 over a record's cast ballots ([`CastBallots`] with all of them at once).
pub fn verify_cast_ballots_with(
    ctx: &ElectionContext,
    credentials: &CredentialList,
    ballots: &[Ballot],
    progress: &dyn Progress,
    report: &mut Report,
) -> CastSummary {
    progress.begin("cast ballots", ballots.len() as u64);
    let mut cast = CastBallots::new(ctx, credentials);
    cast.push(ballots.to_vec(), progress);
    progress.end();
    cast.finish(report)
}

/// V6: audited ballots: each is a valid ballot of this election (as in V5) whose opening
/// matches, and none of them is among the cast ballots (`cast`: their tracking codes).
pub fn verify_audited(
    ctx: &ElectionContext,
    credentials: &CredentialList,
    audited: &[AuditedBallot],
    cast: &CastSummary,
    report: &mut Report,
) {
    if audited.is_empty() {
        report.push(steps::AUDITED, Text::NoAudited, Failures::new());
        return;
    }
    let failures: Vec<Message> = audited
        .par_iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let code = a.ballot.tracking_code();
            let problem = if let Err(e) = a.ballot.clone().verify(ctx, credentials) {
                Some(AuditProblem::Ballot(e))
            } else if let Err(e) = a.check_opening(ctx) {
                Some(AuditProblem::Ballot(e))
            } else if cast.codes.contains(&code) {
                Some(AuditProblem::AlsoCast)
            } else if cast.ciphertexts.contains(&a.ballot.ciphertexts_hash()) {
                Some(AuditProblem::CiphertextsCast)
            } else {
                None
            };
            problem.map(|problem| Message::Audited {
                i,
                code: code.to_string(),
                problem,
            })
        })
        .collect();
    report.push(
        steps::AUDITED,
        Text::AuditedSummary {
            audited: audited.len(),
        },
        failures,
    );
}

/// V8–V11: tally, decryption shares, counts, outcome. `heads` locates the tally and the shares
/// on the board's log (V9.7), when the record has a log that derives a record.
pub fn verify_result(
    e: &ElectionData,
    cast: &CastSummary,
    result: Option<&TallyResult>,
    heads: Option<&ShareHeads>,
    report: &mut Report,
) {
    let Some(r) = result else {
        for s in [steps::TALLY, steps::SHARES, steps::COUNTS, steps::OUTCOME] {
            report.skip(s, Text::NoResultYet);
        }
        return;
    };
    let m = &e.manifest;

    // V8
    let mut failures: Vec<Message> = Vec::new();
    if r.counted != cast.counted {
        failures.push(
            Text::CountedNotCast {
                counted: r.counted,
                cast: cast.counted,
            }
            .into(),
        );
    }
    if cast.tally != r.tally {
        failures.push(Text::TallyNotSum.into());
    }
    report.push(
        steps::TALLY,
        Text::TallySummary {
            ciphertexts: m.option_count(),
            counted: cast.counted,
        },
        failures.clone(),
    );
    if !failures.is_empty() {
        for s in [steps::SHARES, steps::COUNTS, steps::OUTCOME] {
            report.skip(s, Text::TallyDidNotVerify);
        }
        return;
    }

    // V9
    let flat = r.tally.flatten();
    let mut failures: Vec<Message> = Vec::new();
    let teller_keys = e.teller_keys();
    let mut seen = Vec::new();
    for share in &r.shares {
        let j = share.teller;
        if seen.contains(&j) {
            failures.push(Text::TellerTwice { j }.into());
            continue;
        }
        seen.push(j);
        let (Some(vk), Some(party)) = (
            e.ceremony_output.verification_key(j),
            teller_keys.get((j as usize).wrapping_sub(1)),
        ) else {
            failures.push(Text::UnknownTeller { j }.into());
            continue;
        };
        // V9.6 Signature, V9.7 Board head.
        if !share.check_signature(e.fingerprint.0, party.0) {
            failures.push(Text::ShareSignature { j }.into());
        }
        if let Some(failure) = heads.and_then(|h| h.check(share)) {
            failures.push(failure);
        }
        let mut batch = BatchVerifier::new();
        match share.queue(e.fingerprint.0, party.0, vk, &flat, &mut batch) {
            Ok(()) if batch.verify() => {}
            Ok(()) => failures.push(Text::ShareProofs { j }.into()),
            Err(err) => failures.push(Message::Decryption(err)),
        }
    }
    if (seen.len() as u32) < m.tellers.t {
        failures.push(
            Text::BelowThreshold {
                shares: seen.len(),
                t: m.tellers.t,
            }
            .into(),
        );
    }
    report.push(
        steps::SHARES,
        Text::SharesSummary {
            shares: r.shares.len(),
            ciphertexts: flat.len(),
            t: m.tellers.t,
        },
        failures.clone(),
    );
    if !failures.is_empty() {
        for s in [steps::COUNTS, steps::OUTCOME] {
            report.skip(s, Text::SharesDidNotVerify);
        }
        return;
    }

    // V10: each recorded count c must satisfy c·G = β − Σ λⱼ·Dⱼ (no discrete log needed).
    let mut failures: Vec<Message> = Vec::new();
    let shape_ok = r.counts.len() == m.contests.len()
        && r.counts
            .iter()
            .zip(&m.contests)
            .all(|(c, mc)| c.len() == mc.options.len());
    if !shape_ok {
        failures.push(Text::CountsShape.into());
    } else {
        match combine(m.tellers.t, &r.shares, &flat) {
            Ok(points) => {
                let flat_counts: Vec<(usize, usize, u64)> = r
                    .counts
                    .iter()
                    .enumerate()
                    .flat_map(|(c, row)| row.iter().enumerate().map(move |(o, &v)| (c, o, v)))
                    .collect();
                for ((c, o, v), p) in flat_counts.into_iter().zip(points) {
                    if v > r.counted || encode_message(v) != p {
                        failures.push(
                            Text::CountNotDecryption {
                                contest: c,
                                option: o,
                                count: v,
                            }
                            .into(),
                        );
                    }
                }
            }
            Err(err) => failures.push(Message::Decryption(err)),
        }
    }
    report.push(
        steps::COUNTS,
        Text::CountsSummary {
            counts: m.option_count(),
        },
        failures.clone(),
    );
    if !failures.is_empty() {
        report.skip(steps::OUTCOME, Text::CountsDidNotVerify);
        return;
    }

    // V11
    let expected = m
        .decision
        .apply(&m.contests, &r.counts, r.counted, u64::from(m.deputies));
    let mut failures: Vec<Message> = Vec::new();
    if expected != r.outcome {
        failures.extend(describe_outcome_difference(&expected, &r.outcome));
    }
    // V11.2: no more ballots counted than deputies signed in.
    if let Some(a) = &e.attendance
        && r.counted > u64::from(a.signed_in)
    {
        failures.push(
            Text::MoreThanSignedIn {
                counted: r.counted,
                signed_in: a.signed_in,
            }
            .into(),
        );
    }
    let adopted = expected.projects.iter().filter(|p| p.adopted).count();
    if failures.is_empty() {
        report.outcome = Some(OutcomeSection::new(m, &expected, &r.counts));
    }
    report.push(
        steps::OUTCOME,
        Message::OutcomeSummary {
            quorum_met: expected.quorum_met,
            adopted,
            tie: expected.tie.is_some(),
        },
        failures,
    );
}

/// Every field in which the recorded outcome differs from the rule's, named with both values
/// (one failure each).
fn describe_outcome_difference(expected: &Outcome, got: &Outcome) -> Vec<Message> {
    let mut out = Vec::new();
    let mut field = |what: OutcomeField, rule: Value, record: Value| {
        if rule != record {
            out.push(Message::OutcomeField(what, rule, record));
        }
    };
    let (e, g) = (expected, got);
    let n = |v: u64| Value::Number(v);
    field(OutcomeField::Roll, n(e.roll), n(g.roll));
    field(OutcomeField::Ballots, n(e.ballots), n(g.ballots));
    field(
        OutcomeField::Quorum,
        Value::Met(e.quorum_met),
        Value::Met(g.quorum_met),
    );
    field(
        OutcomeField::MajorityThreshold,
        n(e.majority_threshold),
        n(g.majority_threshold),
    );
    field(
        OutcomeField::Projects,
        n(e.projects.len() as u64),
        n(g.projects.len() as u64),
    );
    for (k, (e, g)) in expected.projects.iter().zip(&got.projects).enumerate() {
        let opt = |v: Option<u32>| Value::Maybe(v.map(u64::from));
        for (what, rule, record) in [
            (
                ProjectField::Id,
                Value::Id(Quote::of(&e.id)),
                Value::Id(Quote::of(&g.id)),
            ),
            (
                ProjectField::Contest,
                n(e.contest.into()),
                n(g.contest.into()),
            ),
            (ProjectField::Option, n(e.option.into()), n(g.option.into())),
            (ProjectField::Votes, n(e.yes), n(g.yes)),
            (
                ProjectField::Passes,
                Value::YesNo(e.passes),
                Value::YesNo(g.passes),
            ),
            (ProjectField::Rank, opt(e.rank), opt(g.rank)),
            (
                ProjectField::Adopted,
                Value::YesNo(e.adopted),
                Value::YesNo(g.adopted),
            ),
            (
                ProjectField::Rating,
                Value::Rating(e.rating),
                Value::Rating(g.rating),
            ),
            (
                ProjectField::Satisfaction,
                opt(e.satisfaction_bp),
                opt(g.satisfaction_bp),
            ),
        ] {
            field(
                OutcomeField::Project(k, Quote::of(&e.id), what),
                rule,
                record,
            );
        }
    }
    let tie = |t: &Option<Tie>| {
        Value::Tie(t.as_ref().map(|t| {
            (
                t.projects.iter().map(|p| Quote::of(p)).collect(),
                t.votes,
                t.seats_left,
            )
        }))
    };
    field(OutcomeField::Tie, tie(&expected.tie), tie(&got.tie));
    if out.is_empty() {
        out.push(Text::OutcomeDiffers.into());
    }
    out
}
