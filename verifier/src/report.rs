//! The verification report: every step of `spec/verification.md`, passed or failed with the
//! reason, in Chinese or English, or as JSON. The same report shape serves the three checks of
//! the command line (§7): a record (V1–V11), a receipt (R1–R4) and a diff of two records
//! (D1–D5).
//!
//! A report holds text from the record (an election id, a title, a teller's reason, a decoder's
//! message quoting the input). The readable report ([`Report::render`]) escapes every
//! character that could change how a line looks or where it ends ([`escape`]), so that no
//! record can print a line of its own (a forged "[通过] …" or verdict); a step keeps its first
//! [`MAX_FAILURES`] failures and counts the rest; a failure is at most [`MAX_MESSAGE`]
//! characters.

use std::fmt::{self, Write as _};

use serde::Serialize;

use crate::limits::{MAX_FAILURES, MAX_MESSAGE, MAX_QUOTE};
use crate::message::Message;
use crate::outcome::OutcomeSection;

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

/// The steps of an audit file's check (`spec/verification.md` §7.7).
pub mod audit_steps {
    use super::Step;
    steps! {
        FORM = "A1", "The audit file holds a ballot of this election, well formed", "核验文件中的选票属于本选举，格式正确";
        OPENING = "A2", "The revealed choices and randomness re-encrypt to the ballot's ciphertexts", "公开的选择与随机数重新加密后与选票密文一致";
        PROOFS = "A3", "The ballot's signature and proofs, bound to this election", "选票的签名与证明（限定于本选举）";
        BOARD = "A4", "On the board as audited, never cast", "公告板上列为已核验选票，未被投出";
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
    /// An audit file (A1–A4).
    Audit,
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
    /// What was checked (counts), in English (the normative text).
    pub summary: String,
    /// The first [`MAX_FAILURES`] failures, each with its reason, in English.
    pub failures: Vec<String>,
    /// How many more failures the step found (not kept).
    #[serde(skip_serializing_if = "is_zero")]
    pub more_failures: u64,
    /// The summary and the kept failures as messages, which the readable report prints in its
    /// language.
    #[serde(skip)]
    pub messages: StepMessages,
}

/// A step's summary and kept failures, typed ([`Message`]).
#[derive(Debug, Clone, Default)]
pub struct StepMessages {
    /// The summary.
    pub summary: Option<Message>,
    /// The kept failures.
    pub failures: Vec<Message>,
}

impl StepReport {
    fn new(step: Step, status: Status, summary: Message, failures: Failures) -> Self {
        StepReport {
            step,
            status,
            summary: cut(summary.text(Lang::En)),
            failures: failures
                .kept
                .iter()
                .map(|f| cut(f.text(Lang::En)))
                .collect(),
            more_failures: failures.more,
            messages: StepMessages {
                summary: Some(summary),
                failures: failures.kept,
            },
        }
    }

    fn add_summary(&mut self, part: Message) {
        let summary = match self.messages.summary.take() {
            Some(Message::Joined(mut parts)) => {
                parts.push(part);
                Message::Joined(parts)
            }
            Some(first) => Message::Joined(vec![first, part]),
            None => part,
        };
        self.summary = cut(summary.text(Lang::En));
        self.messages.summary = Some(summary);
    }

    fn add_failure(&mut self, failure: Message) {
        if self.failures.len() < MAX_FAILURES {
            self.failures.push(cut(failure.text(Lang::En)));
            self.messages.failures.push(failure);
        } else {
            self.more_failures += 1;
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A step's failures as they are found: the first [`MAX_FAILURES`] are kept (each printed cut
/// to [`MAX_MESSAGE`] characters, [`cut`]), the rest only counted.
#[derive(Debug, Clone, Default)]
pub struct Failures {
    kept: Vec<Message>,
    more: u64,
}

impl Failures {
    /// No failure yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// One more failure.
    pub fn push(&mut self, failure: impl Into<Message>) {
        if self.kept.len() < MAX_FAILURES {
            self.kept.push(failure.into());
        } else {
            self.more += 1;
        }
    }

    /// `n` more failures that were counted, not kept.
    pub fn add_uncounted(&mut self, n: u64) {
        self.more += n;
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty() && self.more == 0
    }

    /// How many there are, kept or not.
    pub fn total(&self) -> u64 {
        self.kept.len() as u64 + self.more
    }
}

impl Extend<Message> for Failures {
    fn extend<I: IntoIterator<Item = Message>>(&mut self, iter: I) {
        iter.into_iter().for_each(|f| self.push(f));
    }
}

impl From<Vec<Message>> for Failures {
    fn from(v: Vec<Message>) -> Self {
        let mut f = Failures::new();
        f.extend(v);
        f
    }
}

/// A note of the report, not a failure: something the reader should know about what was
/// checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Note {
    /// The board's key was not given (`--board-key`): the record's own key was taken, which
    /// shows the log is consistent, not that it is the board the organisers published.
    BoardKeyNotPinned,
    /// The record's board key is the one given with `--board-key`.
    BoardKeyPinned,
}

impl Note {
    fn text(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Note::BoardKeyNotPinned, Lang::Zh) => {
                "注意：未指定公告板公钥（--board-key），公告板公钥取自记录本身，未与选举组织方公布的公钥核对。"
            }
            (Note::BoardKeyNotPinned, Lang::En) => {
                "Note: the board key was not pinned (--board-key): the record's own board key was used, not checked against the one the organisers published."
            }
            (Note::BoardKeyPinned, Lang::Zh) => "公告板公钥已用 --board-key 指定并核对。",
            (Note::BoardKeyPinned, Lang::En) => {
                "The board key was pinned with --board-key and checked."
            }
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// What was checked.
    pub kind: ReportKind,
    /// The election id, once known.
    pub election_id: Option<String>,
    /// Notes on what was checked (not failures).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// The steps, in order.
    pub steps: Vec<StepReport>,
    /// What the record decides, once V11 passed: printed after the steps in the report's
    /// language (not in the JSON report, which has the record's `result`).
    #[serde(skip)]
    pub outcome: Option<OutcomeSection>,
}

impl Report {
    /// Records a step: failed if it has a failure, else passed.
    pub fn push(&mut self, step: Step, summary: impl Into<Message>, failures: impl Into<Failures>) {
        let failures = failures.into();
        let status = if failures.is_empty() {
            Status::Passed
        } else {
            Status::Failed
        };
        self.steps
            .push(StepReport::new(step, status, summary.into(), failures));
    }

    /// Records a skipped step.
    pub fn skip(&mut self, step: Step, why: impl Into<Message>) {
        self.steps.push(StepReport::new(
            step,
            Status::Skipped,
            why.into(),
            Failures::new(),
        ));
    }

    /// Adds a failure to a step already in the report (a skipped step becomes failed), or
    /// records the step with this one failure.
    pub fn fail(&mut self, step: Step, failure: impl Into<Message>) {
        match self.steps.iter_mut().find(|s| s.step.id == step.id) {
            Some(s) => {
                s.add_failure(failure.into());
                s.status = Status::Failed;
            }
            None => self.push(step, Message::Joined(Vec::new()), vec![failure.into()]),
        }
    }

    /// Adds a part to the summary of a step already in the report (nothing if it is not).
    pub fn add_summary(&mut self, step: Step, part: impl Into<Message>) {
        if let Some(s) = self.steps.iter_mut().find(|s| s.step.id == step.id) {
            s.add_summary(part.into());
        }
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
            (Lang::Zh, ReportKind::Audit) => "核验文件验证报告",
            (Lang::En, ReportKind::Record) => "Election record verification report",
            (Lang::En, ReportKind::Receipt) => "Receipt verification report",
            (Lang::En, ReportKind::Diff) => "Election record comparison report (old → new)",
            (Lang::En, ReportKind::Audit) => "Audit file verification report",
        };
        out.push_str(title);
        if let Some(id) = &self.election_id {
            out.push_str(" — ");
            escape_into(&mut out, &cut_in(id.as_str(), lang));
        }
        out.push('\n');
        for n in &self.notes {
            out.push_str(n.text(lang));
            out.push('\n');
        }
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
            let _ = write!(out, "[{status}] {} {name}: ", s.step.id);
            match &s.messages.summary {
                Some(m) => escape_into(&mut out, &cut_in(m.text(lang), lang)),
                None => escape_into(&mut out, &s.summary),
            }
            out.push('\n');
            for (k, f) in s.failures.iter().enumerate() {
                out.push_str("    - ");
                match s.messages.failures.get(k) {
                    Some(m) => escape_into(&mut out, &cut_in(m.text(lang), lang)),
                    None => escape_into(&mut out, f),
                }
                out.push('\n');
            }
            if s.more_failures > 0 {
                let n = grouped(s.more_failures);
                let _ = match lang {
                    Lang::Zh => writeln!(out, "    … 另有 {n} 项失败未列出"),
                    Lang::En => writeln!(out, "    … and {n} more failures"),
                };
            }
        }
        if let Some(o) = self.outcome.as_ref().filter(|_| self.passed()) {
            o.render_into(&mut out, lang);
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

/// A number with its thousands grouped: `1,999,900`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whether a character must not be printed as it is in a report's line: a control character
/// (Unicode Cc, which includes the line breaks), a line or paragraph separator (U+2028,
/// U+2029), or a format character (Unicode Cf), among them the bidirectional controls U+061C,
/// U+200E, U+200F, U+202A–U+202E and U+2066–U+2069, the zero-width characters and U+FEFF.
pub fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061C}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08E2}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0001}'
                | '\u{E0020}'..='\u{E007F}'
        )
}

/// Appends `s` to `out` with every [`is_unprintable`] character written as its escape,
/// visibly (`\u{202e}`): what the readable report does with every text it prints.
pub fn escape_into(out: &mut String, s: &str) {
    if !s.chars().any(is_unprintable) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        if is_unprintable(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
}

/// `s` with every [`is_unprintable`] character escaped ([`escape_into`]).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// A message cut to [`MAX_MESSAGE`] characters: a longer one ends with an ellipsis and says
/// how long it was. A decoder's message quotes the input it refused, which a hostile record
/// can make as long as a file.
pub fn cut(message: impl Into<String>) -> String {
    cut_with(message.into(), |n| format!("… ({n} characters in all)"))
}

/// `message` cut to [`MAX_MESSAGE`] characters, `tail` of its length (grouped) appended.
fn cut_with(message: String, tail: impl Fn(String) -> String) -> String {
    if message.len() <= MAX_MESSAGE {
        return message;
    }
    match message.char_indices().nth(MAX_MESSAGE) {
        None => message,
        Some((end, _)) => {
            let all = grouped(message.chars().count() as u64);
            format!("{}{}", &message[..end], tail(all))
        }
    }
}

/// [`cut`] in a report's language: in Chinese the words a cut adds (to the message, and to a
/// quoted text, [`quote`]) are Chinese: `…（共 1,000 个字符）`, `…"（共 1,000 个字符）`.
pub fn cut_in(message: impl Into<String>, lang: Lang) -> String {
    let message = message.into();
    match lang {
        Lang::En => cut(message),
        Lang::Zh if message.contains(" characters)") => {
            cut_with(chinese_lengths(&message), |n| format!("…（共 {n} 个字符）"))
        }
        Lang::Zh => cut_with(message, |n| format!("…（共 {n} 个字符）")),
    }
}

/// `…" (1,000 characters)`, which [`quote`] writes after a cut text, as `…"（共 1,000 个字符）`.
/// (A quoted text escapes its own `"`, so the pattern can only be [`quote`]'s.)
fn chinese_lengths(text: &str) -> String {
    const OPEN: &str = "…\" (";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        let after = &rest[at + OPEN.len()..];
        let digits = after
            .find(|c: char| !(c.is_ascii_digit() || c == ','))
            .unwrap_or(after.len());
        match after[digits..].strip_prefix(" characters)") {
            Some(tail) if digits > 0 => {
                out.push_str(&rest[..at]);
                let _ = write!(out, "…\"（共 {} 个字符）", &after[..digits]);
                rest = tail;
            }
            _ => {
                out.push_str(&rest[..at + OPEN.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A record's text quoted in a message: in double quotes, at most [`MAX_QUOTE`] characters
/// (a longer text is cut, with an ellipsis and its length), `"` and `\` escaped with `\`, and
/// [`is_unprintable`] characters escaped as in [`escape`].
pub fn quote(text: &str) -> Quoted<'_> {
    Quoted(text)
}

/// What [`quote`] displays.
#[derive(Debug, Clone, Copy)]
pub struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for (n, c) in self.0.chars().enumerate() {
            if n == MAX_QUOTE {
                let all = self.0.chars().count() as u64;
                return write!(f, "…\" ({} characters)", grouped(all));
            }
            match c {
                '"' | '\\' => write!(f, "\\{c}")?,
                c if is_unprintable(c) => write!(f, "\\u{{{:x}}}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Text;

    /// A record's text cannot add a line to the readable report, nor turn it with a bidi
    /// control: the title's election id and every failure are escaped visibly.
    #[test]
    fn record_text_cannot_forge_a_line_of_the_report() {
        let forged = "x\n[通过] V11 按表决规则得出的结果: ok\r\n结论：全部验证通过。\u{202e}\u{2066}\u{200b}\u{85}";
        let mut report = Report {
            election_id: Some(forged.into()),
            ..Report::default()
        };
        report.push(
            steps::MANIFEST,
            Text::Fingerprint {
                fingerprint: forged.into(),
            },
            vec![Message::from(Text::BoardApproval {
                body: "title".into(),
                reference: forged.into(),
                date: String::new(),
            })],
        );
        for lang in [Lang::Zh, Lang::En] {
            let text = report.render(lang);
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 4, "{text}");
            assert!(lines.iter().all(|l| !l.starts_with("[通过] V11")));
            assert!(!lines.iter().any(|l| l.starts_with("结论：全部")), "{text}");
            assert!(text.contains(r"x\u{a}[通过] V11"), "{text}");
            assert_eq!(text.matches(r"x\u{a}[通过] V11").count(), 3, "{text}");
            assert!(text.contains(r"\u{d}\u{a}"), "{text}");
            assert!(text.contains(r"\u{202e}\u{2066}\u{200b}\u{85}"), "{text}");
            assert!(!text.chars().any(|c| is_unprintable(c) && c != '\n'));
        }
    }

    #[test]
    fn quote_cuts_and_escapes() {
        assert_eq!(quote("a\"b\\c").to_string(), r#""a\"b\\c""#);
        assert_eq!(quote("\u{202e}x").to_string(), r#""\u{202e}x""#);
        let long = "票".repeat(1000);
        let q = quote(&long).to_string();
        assert_eq!(
            q,
            format!("\"{}…\" (1,000 characters)", "票".repeat(MAX_QUOTE))
        );
        assert_eq!(
            quote(&"a".repeat(MAX_QUOTE)).to_string().len(),
            MAX_QUOTE + 2
        );
    }

    #[test]
    fn cut_bounds_a_message() {
        assert_eq!(cut("short"), "short");
        let m = cut("x".repeat(200_000_000 / 1000));
        assert!(m.chars().count() < MAX_MESSAGE + 40, "{m}");
        assert!(m.ends_with("… (200,000 characters in all)"), "{m}");
        // Multi-byte characters are not split.
        let m = cut("é".repeat(MAX_MESSAGE + 1));
        assert!(m.starts_with(&"é".repeat(MAX_MESSAGE)));
    }

    #[test]
    fn grouped_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_999_900), "1,999,900");
        assert_eq!(grouped(u64::MAX), "18,446,744,073,709,551,615");
    }

    /// 10,000 failures in one step: 100 kept, the rest counted, and the text report has
    /// one line per kept failure and one for the rest.
    #[test]
    fn a_step_keeps_the_first_failures_and_counts_the_rest() {
        let mut report = Report::default();
        let failures: Vec<Message> = (0..10_000)
            .map(|i| Text::EntryChanged { i }.into())
            .collect();
        report.push(steps::BOARD, Text::DiffEntries { old: 1, new: 2 }, failures);
        let mut f = Failures::new();
        f.extend((0..150).map(|i| Text::EntryChanged { i }.into()));
        f.add_uncounted(7);
        assert_eq!(f.total(), 157);
        let s = report.step("V7").unwrap();
        assert_eq!(s.status, Status::Failed);
        assert_eq!(s.failures.len(), MAX_FAILURES);
        assert_eq!(s.failures[0], "board entry 0 was changed");
        assert_eq!(s.more_failures, 9_900);
        let text = report.render(Lang::En);
        assert_eq!(text.lines().count(), 1 + 1 + MAX_FAILURES + 1 + 1, "{text}");
        assert!(text.contains("    … and 9,900 more failures\n"));
        assert!(
            report
                .render(Lang::Zh)
                .contains("    … 另有 9,900 项失败未列出\n")
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["steps"][0]["more_failures"], 9_900);
        report.fail(steps::BOARD, Text::NoTreeHead);
        assert_eq!(report.step("V7").unwrap().more_failures, 9_901);
    }
}
