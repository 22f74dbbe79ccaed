//! The verification steps of `spec/verification.md`, in order.

use std::collections::HashMap;

use piaojue_crypto::ballot::{
    AuditedBallot, Ballot, ElectionContext, VerifiedBallot, verify_ballots,
};
use piaojue_crypto::batch::BatchVerifier;
use piaojue_crypto::credential::CredentialList;
use piaojue_crypto::decryption::combine;
use piaojue_crypto::elgamal::encode_message;
use piaojue_crypto::encoding::Digest32;
use piaojue_crypto::record::{ElectionData, ElectionRecord, RECORD_VERSION, TallyResult};
use piaojue_crypto::tally::{EncryptedTally, select_counted};
use rayon::prelude::*;

use crate::board::verify_board;
use crate::progress::{NoProgress, Progress};
use crate::report::{Report, steps};

/// How many ballots one batch verifies (one multiscalar multiplication per batch).
pub const BATCH_SIZE: usize = 128;

/// Verifies a whole record (every step of `spec/verification.md`).
pub fn verify_record(record: &ElectionRecord) -> Report {
    verify_record_with(record, &NoProgress)
}

/// [`verify_record`], telling `progress` how the long stages (cast ballots, board entries) go.
pub fn verify_record_with(record: &ElectionRecord, progress: &dyn Progress) -> Report {
    let mut report = Report {
        election_id: Some(record.election.manifest.election_id.clone()),
        ..Report::default()
    };
    let Some(ctx) = verify_election(&record.election, &mut report) else {
        return report;
    };
    let counted = verify_cast_ballots_with(
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
        &record.ballots,
        &mut report,
    );
    match &record.board {
        Some(board) => verify_board(record, board, progress, &mut report),
        None => report.skip(steps::BOARD, "the record has no board log"),
    }
    verify_result(
        &record.election,
        &counted,
        record.result.as_ref(),
        &mut report,
    );
    report
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
    report.push(
        steps::CREDENTIALS,
        format!("{} credentials", e.credentials.len()),
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
    report.push(steps::FINGERPRINT, computed.to_hex(), failures.clone());

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

/// V5: every cast ballot, in parallel batches; no repeated ballot; then the revote rule: one
/// counted ballot per credential. Returns the counted ballots, in board order, which are the
/// ones the tally must contain.
pub fn verify_cast_ballots(
    ctx: &ElectionContext,
    credentials: &CredentialList,
    ballots: &[Ballot],
    report: &mut Report,
) -> Vec<VerifiedBallot> {
    verify_cast_ballots_with(ctx, credentials, ballots, &NoProgress, report)
}

/// [`verify_cast_ballots`] with progress, one chunk at a time.
pub fn verify_cast_ballots_with(
    ctx: &ElectionContext,
    credentials: &CredentialList,
    ballots: &[Ballot],
    progress: &dyn Progress,
    report: &mut Report,
) -> Vec<VerifiedBallot> {
    progress.begin("cast ballots", ballots.len() as u64);
    let results: Vec<_> = ballots
        .par_chunks(BATCH_SIZE)
        .enumerate()
        .map(|(chunk, part)| {
            let out = verify_ballots(ctx, credentials, part.to_vec());
            progress.advance(part.len() as u64);
            let offset = chunk * BATCH_SIZE;
            (
                out.verified
                    .into_iter()
                    .map(|(i, b)| (offset + i, b))
                    .collect::<Vec<_>>(),
                out.rejected
                    .into_iter()
                    .map(|(i, e)| (offset + i, e))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    progress.end();
    // (position, message), sorted by position at the end.
    let mut failures: Vec<(usize, String)> = Vec::new();
    let mut verified = Vec::with_capacity(ballots.len());
    for (ok, bad) in results {
        verified.extend(ok);
        for (i, err) in bad {
            failures.push((
                i,
                format!("ballot #{i} ({}): {err}", ballots[i].tracking_code()),
            ));
        }
    }
    let mut by_code: HashMap<Digest32, usize> = HashMap::with_capacity(ballots.len());
    for (i, b) in &verified {
        if let Some(first) = by_code.insert(*b.tracking_code(), *i) {
            failures.push((
                *i,
                format!(
                    "ballot #{i} repeats ballot #{first} ({})",
                    b.tracking_code()
                ),
            ));
        }
    }
    let total = verified.len();
    let selected = select_counted(ctx.manifest.revote, verified);
    for (i, first) in &selected.second_ballots {
        failures.push((
            *i,
            format!("ballot #{i}: its credential already cast ballot #{first}, and the first ballot is final"),
        ));
    }
    failures.sort_by_key(|(i, _)| *i);
    let superseded = if selected.superseded.is_empty() {
        String::new()
    } else {
        format!(", {} replaced by a later ballot", selected.superseded.len())
    };
    report.push(
        steps::BALLOTS,
        format!(
            "{} ballots, {total} verified, {} counted{superseded}",
            ballots.len(),
            selected.counted.len()
        ),
        failures.into_iter().map(|(_, f)| f).collect(),
    );
    selected.counted
}

/// V6: audited ballots: each is a valid ballot of this election (as in V5) whose opening matches,
/// and none of them is among the cast ballots.
pub fn verify_audited(
    ctx: &ElectionContext,
    credentials: &CredentialList,
    audited: &[AuditedBallot],
    cast: &[Ballot],
    report: &mut Report,
) {
    if audited.is_empty() {
        report.push(steps::AUDITED, "no audited ballots", Vec::new());
        return;
    }
    let cast_codes: std::collections::HashSet<Digest32> =
        cast.par_iter().map(Ballot::tracking_code).collect();
    let failures: Vec<String> = audited
        .par_iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let code = a.ballot.tracking_code();
            let problem = if let Err(e) = a.ballot.clone().verify(ctx, credentials) {
                Some(e.to_string())
            } else if let Err(e) = a.check_opening(ctx) {
                Some(e.to_string())
            } else if cast_codes.contains(&code) {
                Some("it was also cast and counted".to_string())
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

/// V8–V11: tally, decryption shares, counts, outcome.
pub fn verify_result(
    e: &ElectionData,
    counted: &[VerifiedBallot],
    result: Option<&TallyResult>,
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
    if r.counted != counted.len() as u64 {
        failures.push(format!(
            "the result counts {} ballots, {} valid ballots were cast",
            r.counted,
            counted.len()
        ));
    }
    let tally = sum_in_parallel(m, counted);
    if tally != r.tally {
        failures.push("the recorded encrypted tally is not the sum of the cast ballots".into());
    }
    report.push(
        steps::TALLY,
        format!(
            "{} ciphertexts over {} ballots",
            m.option_count(),
            counted.len()
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
    let expected = m.decision.apply(
        &m.contests,
        &r.counts,
        r.counted,
        e.credentials.len() as u64,
    );
    let mut failures = Vec::new();
    if expected != r.outcome {
        failures.push(describe_outcome_difference(&expected, &r.outcome));
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

fn describe_outcome_difference(
    expected: &piaojue_crypto::rules::Outcome,
    got: &piaojue_crypto::rules::Outcome,
) -> String {
    if expected.quorum_met != got.quorum_met {
        return format!(
            "quorum: the rule gives {}, the record says {}",
            expected.quorum_met, got.quorum_met
        );
    }
    for (e, g) in expected.projects.iter().zip(&got.projects) {
        if e != g {
            return format!(
                "project {}: the rule gives {:?}, the record says {:?}",
                e.id, e, g
            );
        }
    }
    if expected.tie != got.tie {
        return format!(
            "tie: the rule gives {:?}, the record says {:?}",
            expected.tie, got.tie
        );
    }
    "the recorded outcome differs from the rule applied to the counts".into()
}

/// The encrypted tally of verified ballots, summed in parallel chunks.
fn sum_in_parallel(
    m: &piaojue_crypto::manifest::Manifest,
    ballots: &[VerifiedBallot],
) -> EncryptedTally {
    use piaojue_crypto::elgamal::Ciphertext;
    let parts: Vec<EncryptedTally> = ballots
        .par_chunks(1024)
        .map(|c| EncryptedTally::aggregate(m, c))
        .collect();
    if parts.len() == 1 {
        return parts.into_iter().next().expect("one part");
    }
    if parts.is_empty() {
        return EncryptedTally::aggregate(m, std::iter::empty());
    }
    let contests = (0..m.contests.len())
        .map(|c| {
            (0..m.contests[c].options.len())
                .map(|o| Ciphertext::add_all(parts.iter().map(|p| &p.contests[c][o])))
                .collect()
        })
        .collect();
    EncryptedTally { contests }
}
