//! Checking an audit file (`spec/verification.md` §7.7, steps A1–A4): the file the booth's
//! "audit this ballot" (Benaloh challenge) lets a deputy download, `{ ballot, opening }`, checked
//! against the election's record. It shows that the device encrypted exactly the choices the
//! opening reveals, with proofs bound to this election, and that the board shows it as audited
//! (never counted).

use piaojue_crypto::ballot::{AuditedBallot, BallotError, ElectionContext, Selection};
use piaojue_crypto::manifest::Manifest;
use piaojue_crypto::record::ElectionRecord;

use crate::message::{Message, Text};
use crate::report::{Report, ReportKind, audit_steps};

/// Checks `audited` against the election of `record`, whose set-up (V1–V4) gave `ctx`.
pub fn check_audit_file(
    audited: &AuditedBallot,
    record: &ElectionRecord,
    ctx: &ElectionContext,
) -> Report {
    let mut report = Report {
        kind: ReportKind::Audit,
        election_id: Some(ctx.manifest.election_id.clone()),
        ..Report::default()
    };
    let code = audited.ballot.tracking_code().to_string();

    // A1 and A3: one full check of the ballot (V5.1–V5.6); its first failure says which step.
    let checked = audited
        .ballot
        .clone()
        .verify(ctx, &record.election.credentials);
    let form_error = match &checked {
        Err(e @ (BallotError::WrongElection | BallotError::Shape(_))) => Some(e.clone()),
        _ => None,
    };
    match form_error {
        Some(e) => {
            report.push(
                audit_steps::FORM,
                Text::AuditForm { code },
                vec![Message::AuditFile(e)],
            );
            for s in [
                audit_steps::OPENING,
                audit_steps::PROOFS,
                audit_steps::BOARD,
            ] {
                report.skip(s, Text::AuditNotThisElection);
            }
            return report;
        }
        None => report.push(audit_steps::FORM, Text::AuditForm { code }, Vec::new()),
    }

    // A2
    match audited.check_opening(ctx) {
        Ok(selection) => report.push(
            audit_steps::OPENING,
            revealed(&ctx.manifest, &selection),
            Vec::new(),
        ),
        Err(e) => report.push(
            audit_steps::OPENING,
            Text::AuditOpeningChecked,
            vec![Message::AuditFile(e)],
        ),
    }

    // A3
    let proofs = ctx
        .manifest
        .contests
        .iter()
        .map(|c| c.options.len() + 1)
        .sum::<usize>();
    match checked {
        Ok(_) => report.push(
            audit_steps::PROOFS,
            Text::AuditProofs { proofs },
            Vec::new(),
        ),
        Err(e) => report.push(
            audit_steps::PROOFS,
            Text::AuditProofs { proofs },
            vec![Message::AuditFile(e)],
        ),
    }

    // A4
    let mut failures: Vec<Message> = Vec::new();
    if !record.audited.iter().any(|a| a.ballot == audited.ballot) {
        failures.push(Text::AuditNotOnBoard.into());
    }
    let code = audited.ballot.tracking_code();
    let cts = audited.ballot.ciphertexts_hash();
    if record
        .ballots
        .iter()
        .any(|b| b.tracking_code() == code || b.ciphertexts_hash() == cts)
    {
        failures.push(Text::AuditAlsoCast.into());
    }
    report.push(
        audit_steps::BOARD,
        Text::AuditOnBoard {
            audited: record.audited.len(),
        },
        failures,
    );
    report
}

/// The choices an opening reveals, contest by contest, in both languages.
fn revealed(m: &Manifest, s: &Selection) -> Message {
    let list = |zh: bool| {
        m.contests
            .iter()
            .zip(&s.0)
            .map(|(c, row)| {
                let pick = |t: &piaojue_crypto::manifest::Text| {
                    if zh || t.en.is_empty() {
                        t.zh.clone()
                    } else {
                        t.en.clone()
                    }
                };
                let chosen: Vec<String> = c
                    .options
                    .iter()
                    .zip(row)
                    .filter(|(_, v)| **v == 1)
                    .map(|(o, _)| pick(&o.title))
                    .collect();
                let chosen = match (chosen.is_empty(), zh) {
                    (true, true) => "未选".to_string(),
                    (true, false) => "none".to_string(),
                    (false, true) => chosen.join("、"),
                    (false, false) => chosen.join(", "),
                };
                if zh {
                    format!("{}：{chosen}", pick(&c.title))
                } else {
                    format!("{}: {chosen}", pick(&c.title))
                }
            })
            .collect::<Vec<_>>()
    };
    Message::Revealed {
        zh: format!("公开的选择为：{}", list(true).join("；")),
        en: format!("the opening reveals: {}", list(false).join("; ")),
    }
}
