//! The verification report: every step of `spec/verification.md`, passed or failed with the
//! reason, in Chinese or English, or as JSON. The same report shape serves the three checks of
//! the command line (§7): a record (V1–V11), a receipt (R1–R4) and a diff of two records
//! (D1–D5).

use serde::Serialize;

/// The language of a readable report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文.
    #[default]
    Zh,
    /// English.
    En,
}

/// One numbered step of `spec/verification.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Its number, e.g. `"V5"`.
    pub id: &'static str,
    /// Name in English.
    pub en: &'static str,
    /// Name in Chinese.
    pub zh: &'static str,
}

macro_rules! steps {
    ($($name:ident = $id:literal, $en:literal, $zh:literal;)*) => {
        $(
            #[doc = $en]
            pub const $name: Step = Step { id: $id, en: $en, zh: $zh };
        )*
    };
}

/// The steps of a record's verification (`spec/verification.md` §4).
pub mod steps {
    use super::Step;
    steps! {
        MANIFEST = "V1", "Manifest is well formed", "选举清单格式正确";
        CEREMONY = "V2", "Key ceremony: messages, proofs, complaints, joint key", "密钥生成仪式：消息、证明、异议与联合公钥";
        CREDENTIALS = "V3", "Credential list is sorted, unique and valid", "投票凭证列表有序、唯一且有效";
        FINGERPRINT = "V4", "Election fingerprint", "选举指纹";
        BALLOTS = "V5", "Cast ballots: election, credential, signature, proofs, uniqueness", "已投选票：选举、凭证、签名、证明与唯一性";
        AUDITED = "V6", "Audited ballots: openings match, never counted", "已核验（作废）选票：公开值相符且未计入";
        BOARD = "V7", "Bulletin board: Merkle log, signed tree heads, consistency", "公告板：默克尔日志、签名树头与一致性";
        TALLY = "V8", "Encrypted tally is the sum of the cast ballots", "加密计票结果等于已投选票之和";
        SHARES = "V9", "Decryption shares: threshold and proofs", "解密份额：门限与证明";
        COUNTS = "V10", "Counts are the decryption of the tally", "票数为加密结果的解密";
        OUTCOME = "V11", "The decision rule applied to the counts", "按表决规则得出的结果";
    }
    /// Every step, in order.
    pub const ALL: &[Step] = &[
        MANIFEST,
        CEREMONY,
        CREDENTIALS,
        FINGERPRINT,
        BALLOTS,
        AUDITED,
        BOARD,
        TALLY,
        SHARES,
        COUNTS,
        OUTCOME,
    ];
}

/// The steps of a receipt check (`spec/verification.md` §7.4).
pub mod receipt_steps {
    use super::Step;
    steps! {
        SIGNED = "R1", "Receipt: board signatures and inclusion proof", "回执：公告板签名与包含证明";
        ENTRY = "R2", "The board's entry is this ballot", "公告板上的条目即此选票";
        HEAD = "R3", "The board's current signed tree head", "公告板当前的签名树头";
        CONSISTENT = "R4", "The current log extends the receipt's log", "当前日志是回执所见日志的延续";
    }
}

/// The steps of a diff of two records (`spec/verification.md` §7.5).
pub mod diff_steps {
    use super::Step;
    steps! {
        ELECTION = "D1", "Election set-up unchanged", "选举设置未被改动";
        BALLOTS = "D2", "Cast and audited ballots only appended", "已投与已核验选票只增不改";
        RESULT = "D3", "Result unchanged", "计票结果未被改动";
        ENTRIES = "D4", "Board entries only appended", "公告板条目只增不改";
        HEADS = "D5", "Old tree heads consistent with the new log", "旧树头与新日志一致";
    }
}

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// A record (V1–V11).
    #[default]
    Record,
    /// A receipt (R1–R4).
    Receipt,
    /// Two records, old and new (D1–D5).
    Diff,
}

/// Whether a step passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every check of the step passed.
    Passed,
    /// At least one check failed.
    Failed,
    /// The record has nothing to check for this step (e.g. no result yet, no board).
    Skipped,
}

/// The outcome of one step.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// The step.
    pub step: Step,
    /// Passed, failed or skipped.
    pub status: Status,
    /// What was checked (counts), in English.
    pub summary: String,
    /// Every failure, with its reason.
    pub failures: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// What was checked.
    pub kind: ReportKind,
    /// The election id, once known.
    pub election_id: Option<String>,
    /// The steps, in order.
    pub steps: Vec<StepReport>,
}

impl Report {
    /// Records a step.
    pub fn push(&mut self, step: Step, summary: impl Into<String>, failures: Vec<String>) {
        let status = if failures.is_empty() {
            Status::Passed
        } else {
            Status::Failed
        };
        self.steps.push(StepReport {
            step,
            status,
            summary: summary.into(),
            failures,
        });
    }

    /// Records a skipped step.
    pub fn skip(&mut self, step: Step, why: impl Into<String>) {
        self.steps.push(StepReport {
            step,
            status: Status::Skipped,
            summary: why.into(),
            failures: Vec::new(),
        });
    }

    /// Whether every step passed or was skipped, and none failed.
    pub fn passed(&self) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(|s| s.status != Status::Failed)
    }

    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&StepReport> {
        self.steps.iter().find(|s| s.step.id == id)
    }

    /// The ids of the failed steps.
    pub fn failed_steps(&self) -> Vec<&'static str> {
        self.steps
            .iter()
            .filter(|s| s.status == Status::Failed)
            .map(|s| s.step.id)
            .collect()
    }

    /// A readable report.
    pub fn render(&self, lang: Lang) -> String {
        let mut out = String::new();
        let (ok, fail, skip) = match lang {
            Lang::Zh => ("通过", "失败", "跳过"),
            Lang::En => ("PASSED", "FAILED", "SKIPPED"),
        };
        let title = match (lang, self.kind) {
            (Lang::Zh, ReportKind::Record) => "选举记录验证报告",
            (Lang::Zh, ReportKind::Receipt) => "投票回执验证报告",
            (Lang::Zh, ReportKind::Diff) => "选举记录前后对比报告",
            (Lang::En, ReportKind::Record) => "Election record verification report",
            (Lang::En, ReportKind::Receipt) => "Receipt verification report",
            (Lang::En, ReportKind::Diff) => "Election record comparison report (old → new)",
        };
        out.push_str(title);
        if let Some(id) = &self.election_id {
            out.push_str(&format!(" — {id}"));
        }
        out.push('\n');
        for s in &self.steps {
            let name = match lang {
                Lang::Zh => s.step.zh,
                Lang::En => s.step.en,
            };
            let status = match s.status {
                Status::Passed => ok,
                Status::Failed => fail,
                Status::Skipped => skip,
            };
            out.push_str(&format!("[{status}] {} {name}: {}\n", s.step.id, s.summary));
            for f in s.failures.iter().take(20) {
                out.push_str(&format!("    - {f}\n"));
            }
            if s.failures.len() > 20 {
                out.push_str(&format!("    … {} more\n", s.failures.len() - 20));
            }
        }
        let verdict = match (lang, self.passed()) {
            (Lang::Zh, true) => "结论：全部验证通过。",
            (Lang::Zh, false) => "结论：验证未通过。",
            (Lang::En, true) => "Verdict: every check passed.",
            (Lang::En, false) => "Verdict: verification FAILED.",
        };
        out.push_str(verdict);
        out.push('\n');
        out
    }
}
