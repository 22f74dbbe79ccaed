//! The approval of a candidate list (`spec/record.md` §9.1, `spec/verification.md` V7.7).
//!
//! Before a livelihood-project vote, the county's standing committee (人大常委会) or the
//! township's presidium (主席团) approves the list of candidate projects. An election created
//! from an approved list carries that approval as entry 1 of its log, right after the
//! manifest: who approved, the decision's reference and date, and for every candidate of the
//! manifest the tracking numbers of the proposals (项目建议) it was made from. Elections
//! created from a manifest alone have no approval entry.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::manifest::{Manifest, Text};
use crate::rules::DecisionRule;
use crate::text::quoted;

/// The approval of the candidate list (an `approval` entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The body that approved: 某县人大常委会 (standing committee) or 某镇人大主席团 (presidium).
    pub body: Text,
    /// The meeting or decision reference (e.g. 第十二次主任会议, 某人常〔2027〕5号).
    pub reference: String,
    /// The date of the decision, `YYYY-MM-DD`.
    pub date: String,
    /// Every candidate of the manifest, once, with its source proposals.
    pub candidates: Vec<ApprovedCandidate>,
}

/// One approved candidate: a candidate id of the manifest and the proposals it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovedCandidate {
    /// The candidate's id in the manifest ([`candidate_ids`]).
    pub option: String,
    /// Tracking numbers of the source proposals (may be empty: a candidate the government
    /// put forward itself).
    pub proposals: Vec<String>,
}

/// The ids of a manifest's candidates, in ballot order: the options of its one contest under
/// `top_k`; its contests under `approve_each` and `rating` (one contest per project); under
/// `counts`, the options of its contest when it has one, else its contests.
pub fn candidate_ids(manifest: &Manifest) -> Vec<&str> {
    let contests = || manifest.contests.iter().map(|c| c.id.as_str()).collect();
    let options = || {
        manifest.contests[0]
            .options
            .iter()
            .map(|o| o.id.as_str())
            .collect()
    };
    match manifest.decision {
        DecisionRule::ApproveEach { .. } | DecisionRule::Rating { .. } => contests(),
        DecisionRule::TopK { .. } => options(),
        DecisionRule::Counts {} if manifest.contests.len() == 1 => options(),
        DecisionRule::Counts {} => contests(),
    }
}

/// Whether `s` is a calendar date `YYYY-MM-DD` (Gregorian, years 1000–9999).
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r.clone()]
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| s[r].parse().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1000 && (1..=days).contains(&d)
}

/// V7.7: the approval entries of a log (`(index, approval)`, in log order) against the
/// manifest. An election need not have one; if it has, there is exactly one, it is entry 1
/// (right after the manifest), its body, reference and date are given (the date a calendar
/// date), and its candidates are the manifest's candidates ([`candidate_ids`]), each exactly
/// once and nothing else. Returns every failure.
pub fn check_approval(manifest: &Manifest, approvals: &[(u64, &Approval)]) -> Vec<String> {
    let mut out = Vec::new();
    if approvals.len() > 1 {
        out.push(format!(
            "the log has {} approval entries (entries {}); at most one is allowed",
            approvals.len(),
            approvals
                .iter()
                .map(|(i, _)| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for (index, a) in approvals {
        if *index != 1 {
            out.push(format!(
                "the approval is entry {index}; it must be entry 1, right after the manifest"
            ));
        }
        if crate::text::is_blank(&a.body.zh) {
            out.push(format!(
                "entry {index}: the approval names no approving body"
            ));
        }
        if crate::text::is_blank(&a.reference) {
            out.push(format!(
                "entry {index}: the approval has no decision reference"
            ));
        }
        if !is_date(&a.date) {
            out.push(format!(
                "entry {index}: the approval's date {} is not a date YYYY-MM-DD",
                quoted(&a.date)
            ));
        }
        let ids = candidate_ids(manifest);
        let wanted: HashSet<&str> = ids.iter().copied().collect();
        let mut seen = HashSet::new();
        for c in &a.candidates {
            if !wanted.contains(c.option.as_str()) {
                out.push(format!(
                    "entry {index}: the approval lists {}, which is not a candidate of the manifest",
                    quoted(&c.option)
                ));
            } else if !seen.insert(c.option.as_str()) {
                out.push(format!(
                    "entry {index}: the approval lists candidate {} twice",
                    quoted(&c.option)
                ));
            }
        }
        for id in ids {
            if !seen.contains(id) {
                out.push(format!(
                    "entry {index}: the manifest's candidate {} is not in the approval",
                    quoted(id)
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::TellerParams;
    use crate::samples;

    fn approval(ids: &[&str]) -> Approval {
        Approval {
            body: Text::new("某县人大常委会", "Standing Committee"),
            reference: "第十二次主任会议".into(),
            date: "2027-01-05".into(),
            candidates: ids
                .iter()
                .map(|id| ApprovedCandidate {
                    option: id.to_string(),
                    proposals: vec!["2027-K7QF-3MZ8".into()],
                })
                .collect(),
        }
    }

    #[test]
    fn dates() {
        for ok in ["2027-01-05", "2028-02-29", "2000-02-29", "1999-12-31"] {
            assert!(is_date(ok), "{ok}");
        }
        for bad in [
            "2027-1-05",
            "2027-02-29",
            "1900-02-29",
            "2027-13-01",
            "2027-00-10",
            "２０２７-01-01",
            "2027-04-31",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }

    #[test]
    fn every_candidate_once_and_nothing_else() {
        let m = samples::up_to_k_of_n("a", 3, 2, TellerParams { n: 1, t: 1 });
        let ids: Vec<String> = candidate_ids(&m).iter().map(|s| s.to_string()).collect();
        assert_eq!(ids.len(), 3);
        let all: Vec<&str> = ids.iter().map(String::as_str).collect();
        let a = approval(&all);
        assert!(check_approval(&m, &[(1, &a)]).is_empty());
        assert!(check_approval(&m, &[]).is_empty());
        let missing = approval(&all[..2]);
        assert_eq!(check_approval(&m, &[(1, &missing)]).len(), 1);
        let twice = approval(&[all[0], all[1], all[2], all[2]]);
        assert!(check_approval(&m, &[(1, &twice)])[0].contains("twice"));
        let extra = approval(&[all[0], all[1], all[2], "zz"]);
        assert!(check_approval(&m, &[(1, &extra)])[0].contains("not a candidate"));
        assert!(check_approval(&m, &[(2, &a)])[0].contains("entry 1"));
        assert_eq!(check_approval(&m, &[(1, &a), (2, &a)]).len(), 2);
    }

    /// V7.7's blank check (`spec/record.md` §2.3): trimming took U+3000 but not the
    /// zero-width space or the byte-order mark.
    #[test]
    fn a_body_or_reference_of_invisible_characters_is_blank() {
        let m = samples::up_to_k_of_n("a", 3, 2, TellerParams { n: 1, t: 1 });
        let all: Vec<String> = candidate_ids(&m).iter().map(|s| s.to_string()).collect();
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        for blank in [
            "\u{200B}",
            "\u{3000}",
            "\u{FEFF}",
            " \u{200B}\u{3000}\u{FEFF} ",
        ] {
            let mut a = approval(&all);
            a.body.zh = blank.into();
            a.reference = blank.into();
            let out = check_approval(&m, &[(1, &a)]);
            assert_eq!(out.len(), 2, "{out:?}");
            assert!(
                out[0].contains("no approving body") && out[1].contains("no decision reference")
            );
        }
    }
}
