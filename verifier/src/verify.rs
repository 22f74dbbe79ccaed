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
use piaojue_crypto::rules::{Outcome, Rating, Tie};
use piaojue_crypto::tally::{EncryptedTally, RunningTally};
use rayon::prelude::*;

use crate::board::verify_board;
use crate::limits::MAX_FAILURES;
use crate::progress::{NoProgress, Progress};
use crate::report::{Failures, Report, quote, steps};
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
            report.skip(steps::BOARD, "the record has no board log");
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
    let mut failures = Vec::new();
    if e.version != RECORD_VERSION {
        failures.push(format!(
            "record version {} is not supported (expected {RECORD_VERSION})",
            e.version
        ));
    }
    if let Err(err) = e.manifest.validate() {
        failures.push(err.to_string());
    }
    let m = &e.manifest;
    report.push(
        steps::MANIFEST,
        format!(
            "{} contests, {} options, tellers {} of {}",
            m.contests.len(),
            m.option_count(),
            m.tellers.t,
            m.tellers.n
        ),
        failures.clone(),
    );
    let manifest_ok = failures.is_empty();

    // V2
    let mut failures = Vec::new();
    let params = e.ceremony_params();
    match e.ceremony.verify(&params) {
        Ok(output) => {
            if output != e.ceremony_output {
                failures.push("the recorded joint key or verification keys differ from those the ceremony gives".into());
            }
        }
        Err(err) => failures.push(err.to_string()),
    }
    let keys = e.teller_keys();
    let mut distinct = keys.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() != keys.len() {
        failures.push("two tellers share a signing key".into());
    }
    report.push(
        steps::CEREMONY,
        format!(
            "{} announcements, {} commitments, {} reveals, {} share checks",
            e.ceremony.announcements.len(),
            e.ceremony.commitments.len(),
            e.ceremony.reveals.len(),
            e.ceremony.checks.len()
        ),
        failures.clone(),
    );
    let ceremony_ok = failures.is_empty();

    // V3: sortedness, uniqueness and validity are enforced when the list is decoded
    // (`CredentialList::from_published`, `CredentialKey::decode`); a record that decoded has them.
    let mut failures = Vec::new();
    if e.credentials.is_empty() {
        failures.push("the credential list is empty".into());
    }
    // V3.4: no more credentials than the roll the law fixes.
    let deputies = e.manifest.deputies;
    if e.credentials.len() as u64 > u64::from(deputies) {
        failures.push(format!(
            "{} credentials, more than the {deputies} deputies of the congress",
            e.credentials.len()
        ));
    }
    // V3.5: the chief scrutineer's signed attendance, against the recorded fingerprint.
    match &e.attendance {
        Some(a) => {
            if let Err(err) = a.check(&e.manifest, e.fingerprint.0, &e.teller_keys()) {
                failures.push(err.to_string());
            }
        }
        None => {
            failures.push("the record has no attendance (the number of deputies signed in)".into())
        }
    }
    let signed_in = e.attendance.as_ref().map_or_else(
        || "no attendance".to_string(),
        |a| format!("{} signed in", a.signed_in),
    );
    report.push(
        steps::CREDENTIALS,
        format!(
            "{} credentials of {deputies} deputies, {signed_in}",
            e.credentials.len()
        ),
        failures,
    );

    // V4
    let computed = e.compute_fingerprint();
    let mut failures = Vec::new();
    if computed != e.fingerprint {
        failures.push(format!(
            "recorded {} but the data give {}",
            e.fingerprint, computed
        ));
    }
    report.push(steps::FINGERPRINT, computed.to_base64(), failures.clone());

    if !(manifest_ok && ceremony_ok && failures.is_empty()) {
        return None;
    }
    match e.context() {
        Ok(ctx) => Some(ctx),
        Err(err) => {
            report.push(
                steps::MANIFEST,
                "the election context cannot be built",
                vec![err.to_string()],
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
    failures: Vec<(usize, String)>,
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
                self.failures
                    .push((i, format!("ballot #{i} ({code}): {err}")));
            }
            for (i, b) in out.verified {
                let i = base + i;
                self.verified += 1;
                let code = *b.tracking_code();
                self.ciphertexts.insert(b.ballot().ciphertexts_hash());
                if let Some(first) = self.by_code.insert(code, i) {
                    self.failures
                        .push((i, format!("ballot #{i} repeats ballot #{first} ({code})")));
                }
                let key = *b.ballot().credential.as_bytes();
                match ctx.manifest.revote {
                    Revote::FirstFinal => match self.first.get(&key) {
                        Some(first) => self.failures.push((
                            i,
                            format!("ballot #{i}: its credential already cast ballot #{first}, and the first ballot is final"),
                        )),
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
        let superseded = if self.superseded == 0 {
            String::new()
        } else {
            format!(", {} replaced by a later ballot", self.superseded)
        };
        let mut failures: Failures = self
            .failures
            .into_iter()
            .map(|(_, f)| f)
            .collect::<Vec<_>>()
            .into();
        failures.add_uncounted(self.dropped);
        report.push(
            steps::BALLOTS,
            format!(
                "{} ballots, {} verified, {counted} counted{superseded}",
                self.seen, self.verified
            ),
            failures,
        );
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
        report.push(steps::AUDITED, "no audited ballots", Vec::new());
        return;
    }
    let failures: Vec<String> = audited
        .par_iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let code = a.ballot.tracking_code();
            let problem = if let Err(e) = a.ballot.clone().verify(ctx, credentials) {
                Some(e.to_string())
            } else if let Err(e) = a.check_opening(ctx) {
                Some(e.to_string())
            } else if cast.codes.contains(&code) {
                Some("it was also cast and counted".to_string())
            } else if cast.ciphertexts.contains(&a.ballot.ciphertexts_hash()) {
                Some("its ciphertexts were also cast (under another tracking code)".to_string())
            } else {
                None
            };
            problem.map(|p| format!("audited ballot #{i} ({code}): {p}"))
        })
        .collect();
    report.push(
        steps::AUDITED,
        format!("{} audited ballots", audited.len()),
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
            report.skip(s, "the record has no result yet");
        }
        return;
    };
    let m = &e.manifest;

    // V8
    let mut failures = Vec::new();
    if r.counted != cast.counted {
        failures.push(format!(
            "the result counts {} ballots, {} valid ballots were cast",
            r.counted, cast.counted
        ));
    }
    if cast.tally != r.tally {
        failures.push("the recorded encrypted tally is not the sum of the cast ballots".into());
    }
    report.push(
        steps::TALLY,
        format!(
            "{} ciphertexts over {} ballots",
            m.option_count(),
            cast.counted
        ),
        failures.clone(),
    );
    if !failures.is_empty() {
        for s in [steps::SHARES, steps::COUNTS, steps::OUTCOME] {
            report.skip(s, "the tally did not verify");
        }
        return;
    }

    // V9
    let flat = r.tally.flatten();
    let mut failures = Vec::new();
    let teller_keys = e.teller_keys();
    let mut seen = Vec::new();
    for share in &r.shares {
        let j = share.teller;
        if seen.contains(&j) {
            failures.push(format!("teller {j} gave two decryption shares"));
            continue;
        }
        seen.push(j);
        let (Some(vk), Some(party)) = (
            e.ceremony_output.verification_key(j),
            teller_keys.get((j as usize).wrapping_sub(1)),
        ) else {
            failures.push(format!("decryption share from unknown teller {j}"));
            continue;
        };
        // V9.6 Signature, V9.7 Board head.
        if !share.check_signature(e.fingerprint.0, party.0) {
            failures.push(format!(
                "teller {j}'s signature on its decryption share does not verify"
            ));
        }
        if let Some(failure) = heads.and_then(|h| h.check(share)) {
            failures.push(failure);
        }
        let mut batch = BatchVerifier::new();
        match share.queue(e.fingerprint.0, party.0, vk, &flat, &mut batch) {
            Ok(()) if batch.verify() => {}
            Ok(()) => failures.push(format!("teller {j}'s decryption proofs do not verify")),
            Err(err) => failures.push(err.to_string()),
        }
    }
    if (seen.len() as u32) < m.tellers.t {
        failures.push(format!(
            "{} decryption shares, the threshold is {}",
            seen.len(),
            m.tellers.t
        ));
    }
    report.push(
        steps::SHARES,
        format!(
            "{} shares of {} ciphertexts, threshold {}",
            r.shares.len(),
            flat.len(),
            m.tellers.t
        ),
        failures.clone(),
    );
    if !failures.is_empty() {
        for s in [steps::COUNTS, steps::OUTCOME] {
            report.skip(s, "the decryption shares did not verify");
        }
        return;
    }

    // V10: each recorded count c must satisfy c·G = β − Σ λⱼ·Dⱼ (no discrete log needed).
    let mut failures = Vec::new();
    let shape_ok = r.counts.len() == m.contests.len()
        && r.counts
            .iter()
            .zip(&m.contests)
            .all(|(c, mc)| c.len() == mc.options.len());
    if !shape_ok {
        failures.push("the counts do not have the manifest's shape".into());
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
                        failures.push(format!(
                            "contest {c}, option {o}: the recorded count {v} is not the decryption"
                        ));
                    }
                }
            }
            Err(err) => failures.push(err.to_string()),
        }
    }
    report.push(
        steps::COUNTS,
        format!("{} counts", m.option_count()),
        failures.clone(),
    );
    if !failures.is_empty() {
        report.skip(steps::OUTCOME, "the counts did not verify");
        return;
    }

    // V11
    let expected = m
        .decision
        .apply(&m.contests, &r.counts, r.counted, u64::from(m.deputies));
    let mut failures = Vec::new();
    if expected != r.outcome {
        failures.extend(describe_outcome_difference(&expected, &r.outcome));
    }
    // V11.2: no more ballots counted than deputies signed in.
    if let Some(a) = &e.attendance
        && r.counted > u64::from(a.signed_in)
    {
        failures.push(format!(
            "{} ballots counted, more than the {} deputies signed in",
            r.counted, a.signed_in
        ));
    }
    let adopted = expected.projects.iter().filter(|p| p.adopted).count();
    report.push(
        steps::OUTCOME,
        format!(
            "quorum {}, {} adopted{}",
            if expected.quorum_met {
                "met"
            } else {
                "NOT met"
            },
            adopted,
            if expected.tie.is_some() {
                ", tie at the boundary"
            } else {
                ""
            }
        ),
        failures,
    );
}

/// Every field in which the recorded outcome differs from the rule's, named with both values
/// (one failure each).
fn describe_outcome_difference(expected: &Outcome, got: &Outcome) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = |what: String, rule: String, record: String| {
        if rule != record {
            out.push(format!(
                "{what}: the rule gives {rule}, the record says {record}"
            ));
        }
    };
    let (e, g) = (expected, got);
    for (what, rule, record) in [
        ("the roll", e.roll.to_string(), g.roll.to_string()),
        (
            "the ballots counted",
            e.ballots.to_string(),
            g.ballots.to_string(),
        ),
        (
            "the quorum",
            met(e.quorum_met).into(),
            met(g.quorum_met).into(),
        ),
        (
            "the majority threshold",
            e.majority_threshold.to_string(),
            g.majority_threshold.to_string(),
        ),
        (
            "the number of projects",
            e.projects.len().to_string(),
            g.projects.len().to_string(),
        ),
    ] {
        field(what.into(), rule, record);
    }
    for (k, (e, g)) in expected.projects.iter().zip(&got.projects).enumerate() {
        let name = format!("project #{k} ({})", quote(&e.id));
        let opt = |v: Option<u32>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
        let rating = |r: Option<Rating>| {
            match r {
                None => "none",
                Some(Rating::Satisfied) => "satisfied",
                Some(Rating::BasicallySatisfied) => "basically satisfied",
                Some(Rating::NotSatisfied) => "not satisfied",
            }
            .to_string()
        };
        for (what, rule, record) in [
            ("its id", quote(&e.id).to_string(), quote(&g.id).to_string()),
            ("its contest", e.contest.to_string(), g.contest.to_string()),
            ("its option", e.option.to_string(), g.option.to_string()),
            ("its votes", e.yes.to_string(), g.yes.to_string()),
            ("passes", yes_no(e.passes).into(), yes_no(g.passes).into()),
            ("its rank", opt(e.rank), opt(g.rank)),
            (
                "adopted",
                yes_no(e.adopted).into(),
                yes_no(g.adopted).into(),
            ),
            ("its rating", rating(e.rating), rating(g.rating)),
            (
                "its satisfaction (basis points)",
                opt(e.satisfaction_bp),
                opt(g.satisfaction_bp),
            ),
        ] {
            field(format!("{name}, {what}"), rule, record);
        }
    }
    let tie = |t: &Option<Tie>| match t {
        None => "no tie".to_string(),
        Some(t) => format!(
            "a tie of {} at {} votes for {} seats",
            t.projects
                .iter()
                .map(|p| quote(p).to_string())
                .collect::<Vec<_>>()
                .join(", "),
            t.votes,
            t.seats_left
        ),
    };
    field("the tie".into(), tie(&expected.tie), tie(&got.tie));
    if out.is_empty() {
        out.push("the recorded outcome differs from the rule applied to the counts".into());
    }
    out
}

fn met(b: bool) -> &'static str {
    if b { "met" } else { "not met" }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
