//! The verifier's message catalogue: every summary, skip reason and failure a report holds, as
//! a typed message ([`Message`]) rendered in English or Chinese by one function per language
//! ([`Message::text`]). No step formats a report's text by hand.
//!
//! The English texts are the normative ones of `spec/verification.md` (§4, §7); the JSON report
//! holds them. The Chinese texts say the same in official Chinese, with the same numbers,
//! identifiers, tracking codes, keys and fingerprints, and no English word: where an English
//! text quotes a detail that is itself English and open-ended (a JSON decoder's or a network
//! library's message), the Chinese text names what failed and leaves the detail to the English
//! report (`--lang en` or `--json`).
//!
//! Texts from the record (ids, titles, a teller's reason) are quoted one way in both languages
//! ([`Quote`], `report::quote`, `spec/verification.md` §5.1): never as Rust debug strings.

use std::fmt;

use piaojue_crypto::attendance::AttendanceError;
use piaojue_crypto::ballot::{BallotError, OpeningError, SelectionError};
use piaojue_crypto::board::ReceiptError;
use piaojue_crypto::decryption::DecryptionError;
use piaojue_crypto::dkg::CeremonyError;
use piaojue_crypto::manifest::ManifestError;
use piaojue_crypto::proofs::ProofError;
use piaojue_crypto::record::BoardError;
use piaojue_crypto::rules::Rating;
use serde::{Serialize, Serializer};

use crate::report::{Lang, cut, quote};

/// A record's text as a message quotes it: `report::quote` (double quotes, cut to
/// `MAX_QUOTE` characters, escaped), the same in both languages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quote(String);

impl Quote {
    /// `text` quoted (only its first characters are kept).
    pub fn of(text: &str) -> Self {
        Quote(quote(text).to_string())
    }
}

impl fmt::Display for Quote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An English detail from outside the verifier's catalogue (a JSON decoder's message, a
/// network error), kept cut to `MAX_MESSAGE` characters: printed in the English text only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail(String);

impl Detail {
    /// The detail, cut.
    pub fn of(text: impl Into<String>) -> Self {
        Detail(cut(text))
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! catalogue {
    ($( $(#[$doc:meta])* $name:ident $({ $($f:ident : $t:ty),* $(,)? })? => $en:literal, $zh:literal; )*) => {
        /// A message whose arguments are numbers, identifiers and quoted texts: one English
        /// and one Chinese text each.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Text {
            $( $(#[$doc])* $name $({ $(#[allow(missing_docs)] $f: $t),* })?, )*
        }

        impl Text {
            /// The text in `lang`.
            pub fn text(&self, lang: Lang) -> String {
                match self {
                    $( Text::$name $({ $($f),* })? => match lang {
                        Lang::En => format!($en),
                        Lang::Zh => format!($zh),
                    }, )*
                }
            }

            /// One of each variant (arguments zero or empty), for the tests of the catalogue.
            pub fn every_kind() -> Vec<Text> {
                vec![$( Text::$name $({ $($f: Default::default()),* })?, )*]
            }
        }
    };
}

catalogue! {
    // V1–V4
    /// V1 summary.
    ManifestSummary { contests: usize, options: usize, t: u32, n: u32 } =>
        "{contests} contests, {options} options, tellers {t} of {n}",
        "{contests} 项表决，{options} 个选项，{n} 名计票人中 {t} 名即可解密";
    /// V1.1.
    RecordVersion { got: u32, expected: u32 } =>
        "record version {got} is not supported (expected {expected})",
        "记录版本 {got} 不受支持（应为 {expected}）";
    /// V1 after V4: the context.
    NoContext => "the election context cannot be built", "无法建立选举上下文";
    /// V2 summary.
    CeremonySummary { announcements: usize, commitments: usize, reveals: usize, checks: usize } =>
        "{announcements} announcements, {commitments} commitments, {reveals} reveals, {checks} share checks",
        "公告 {announcements} 份，承诺 {commitments} 份，揭示 {reveals} 份，份额核对 {checks} 份";
    /// V2.2.
    CeremonyOutputDiffers =>
        "the recorded joint key or verification keys differ from those the ceremony gives",
        "记录中的联合公钥或验证公钥与密钥生成仪式得出的不符";
    /// V2.3.
    SharedSigningKey => "two tellers share a signing key", "两名计票人使用同一签名公钥";
    /// V3 summary with attendance.
    CredentialsSummary { credentials: usize, deputies: u32, signed_in: u32 } =>
        "{credentials} credentials of {deputies} deputies, {signed_in} signed in",
        "投票凭证 {credentials} 个，代表 {deputies} 名，已签到 {signed_in} 名";
    /// V3 summary without attendance.
    CredentialsSummaryNoAttendance { credentials: usize, deputies: u32 } =>
        "{credentials} credentials of {deputies} deputies, no attendance",
        "投票凭证 {credentials} 个，代表 {deputies} 名，无签到记录";
    /// V3.3.
    NoCredentials => "the credential list is empty", "投票凭证列表为空";
    /// V3.4.
    TooManyCredentials { credentials: usize, deputies: u32 } =>
        "{credentials} credentials, more than the {deputies} deputies of the congress",
        "投票凭证 {credentials} 个，多于本次大会的 {deputies} 名代表";
    /// V3.5.
    NoAttendance =>
        "the record has no attendance (the number of deputies signed in)",
        "记录中没有签到记录（已签到的代表人数）";
    /// V4 summary: the fingerprint.
    Fingerprint { fingerprint: String } => "{fingerprint}", "{fingerprint}";
    /// V4.1.
    FingerprintDiffers { recorded: String, computed: String } =>
        "recorded {recorded} but the data give {computed}",
        "记录为 {recorded}，而按数据计算为 {computed}";

    // V5, V6
    /// V5 summary.
    BallotsSummary { ballots: usize, verified: usize, counted: usize } =>
        "{ballots} ballots, {verified} verified, {counted} counted",
        "选票 {ballots} 张，验证通过 {verified} 张，计入 {counted} 张";
    /// V5 summary under `last_counts` with replaced ballots.
    BallotsSummaryReplaced { ballots: usize, verified: usize, counted: usize, replaced: usize } =>
        "{ballots} ballots, {verified} verified, {counted} counted, {replaced} replaced by a later ballot",
        "选票 {ballots} 张，验证通过 {verified} 张，计入 {counted} 张，{replaced} 张被同一凭证后投的选票取代";
    /// V5.8.
    BallotRepeats { i: usize, first: usize, code: String } =>
        "ballot #{i} repeats ballot #{first} ({code})",
        "选票 #{i} 与选票 #{first} 重复（跟踪码 {code}）";
    /// V5.7.
    CredentialAlreadyCast { i: usize, first: usize } =>
        "ballot #{i}: its credential already cast ballot #{first}, and the first ballot is final",
        "选票 #{i}：其凭证已投出选票 #{first}，按规则首次投票为最终投票";
    /// V6 summary.
    AuditedSummary { audited: usize } => "{audited} audited ballots", "已核验（作废）选票 {audited} 张";
    /// V6 summary, none.
    NoAudited => "no audited ballots", "没有已核验（作废）选票";

    // A1–A4 (an audit file)
    /// A1 summary.
    AuditForm { code: String } => "ballot {code}", "选票（跟踪码 {code}）";
    /// A2–A4 skipped after A1 failed.
    AuditNotThisElection =>
        "not checked: the file is not a well-formed ballot of this election",
        "未检查：文件中不是本选举格式正确的选票";
    /// A2 summary when the opening fails.
    AuditOpeningChecked => "every revealed value re-encrypted", "逐项重新加密公开值";
    /// A3 summary.
    AuditProofs { proofs: usize } =>
        "the signature and {proofs} proofs", "签名与 {proofs} 个证明";
    /// A4 summary.
    AuditOnBoard { audited: usize } =>
        "{audited} audited ballots on the board", "公告板上已核验选票 {audited} 张";
    /// A4: not on the board.
    AuditNotOnBoard =>
        "this audited ballot is not on the board: the board did not publish the audit",
        "公告板上没有这张已核验选票：公告板未公布此次核验";
    /// A4: also cast.
    AuditAlsoCast =>
        "this ballot, or its ciphertexts, was also cast: an audited ballot must never count",
        "这张选票或其密文也被投出：核验过的选票不得计票";

    // V7
    /// V7 summary (parts follow).
    BoardSummary { entries: u64, heads: usize } =>
        "{entries} entries, {heads} signed tree heads",
        "公告板条目 {entries} 条，签名树头 {heads} 个";
    /// V7 summary, ballots on the log.
    BoardBallots { cast: u64, audited: u64 } =>
        ", {cast} cast and {audited} audited ballots on the log",
        "，日志中有已投选票 {cast} 张、已核验选票 {audited} 张";
    /// V7 summary, the approval.
    BoardApproval { body: String, reference: String, date: String } =>
        ", the candidates approved by {body} ({reference}, {date})",
        "，候选项目经{body}批准（{reference}，{date}）";
    /// V7 summary, the witnesses.
    WitnessSummary { cosignatures: usize, covered: usize, milestones: usize, quorum: usize, witnesses: usize } =>
        "; {cosignatures} cosignatures, {covered} of {milestones} milestones cosigned by a quorum of {quorum} of {witnesses} witnesses",
        "；见证人副签 {cosignatures} 个，{milestones} 个关键节点中有 {covered} 个经 {witnesses} 名见证人中的 {quorum} 名副签";
    /// V7 summary, no witnesses.
    NoWitnesses => "; the manifest names no witnesses", "；选举清单未指定见证人";
    /// V7.9.
    BoardKeyNotManifests { key: String, manifest: String } =>
        "the board's key {key} is not the manifest's board key {manifest}",
        "公告板公钥 {key} 不是选举清单指定的公告板公钥 {manifest}";
    /// V7.10, order.
    CosignatureOutOfOrder { j: usize, size: u64, witness: Quote } =>
        "cosignature #{j} (size {size}, {witness}) is not after the one before it (by size, then witness name)",
        "副签 #{j}（规模 {size}，{witness}）未排在前一个副签之后（先按规模，再按见证人名称）";
    /// V7.10, unknown witness.
    CosignatureUnknownWitness { j: usize, size: u64, witness: Quote } =>
        "cosignature #{j} (size {size}): {witness} is not a witness of the manifest",
        "副签 #{j}（规模 {size}）：{witness} 不是选举清单指定的见证人";
    /// V7.10, size.
    CosignatureBeyondLog { j: usize, witness: Quote, size: u64, n: u64 } =>
        "cosignature #{j} ({witness}) covers {size} entries, the log has {n}",
        "副签 #{j}（{witness}）涵盖 {size} 条条目，而日志只有 {n} 条";
    /// V7.10, signature.
    CosignatureBad { j: usize, witness: Quote, size: u64 } =>
        "cosignature #{j} ({witness}, size {size}): the witness's signature does not verify on the checkpoint of the first {size} entries",
        "副签 #{j}（{witness}，规模 {size}）：见证人对前 {size} 条条目检查点的签名验证未通过";
    /// V7.10, time.
    CosignatureTimeBack { witness: Quote, size: u64, time: u64, before: u64, before_time: u64 } =>
        "witness {witness}: its cosignature of {size} entries is dated {time}, before its cosignature of {before} entries ({before_time})",
        "见证人 {witness}：其对 {size} 条条目的副签时间为 {time}，早于其对 {before} 条条目的副签时间（{before_time}）";
    /// V7.10, a milestone without the quorum before the next one.
    MilestoneNotWitnessed { index: u64, kind: String, kind_zh: &'static str, next: u64, next_kind: String, next_kind_zh: &'static str, quorum: usize, most: usize, at: u64 } =>
        "no checkpoint between entry {index} ({kind}) and entry {next} ({next_kind}) has {quorum} valid cosignatures of the manifest's witnesses (the most: {most}, at size {at})",
        "第 {index} 条条目（{kind_zh}）至第 {next} 条条目（{next_kind_zh}）之间，没有检查点获得选举清单所列见证人的 {quorum} 个有效副签（最多 {most} 个，规模 {at}）";
    /// V7.10, the same with no cosignature at all.
    MilestoneNotWitnessedNone { index: u64, kind: String, kind_zh: &'static str, next: u64, next_kind: String, next_kind_zh: &'static str, quorum: usize } =>
        "no checkpoint between entry {index} ({kind}) and entry {next} ({next_kind}) has {quorum} valid cosignatures of the manifest's witnesses (none has any)",
        "第 {index} 条条目（{kind_zh}）至第 {next} 条条目（{next_kind_zh}）之间，没有检查点获得选举清单所列见证人的 {quorum} 个有效副签（一个也没有）";
    /// V7.10, the last milestone without the quorum.
    LastMilestoneNotWitnessed { index: u64, kind: String, kind_zh: &'static str, n: u64, quorum: usize, most: usize, at: u64 } =>
        "no checkpoint between entry {index} ({kind}) and the end of the log ({n} entries) has {quorum} valid cosignatures of the manifest's witnesses (the most: {most}, at size {at})",
        "第 {index} 条条目（{kind_zh}）至日志末尾（共 {n} 条）之间，没有检查点获得选举清单所列见证人的 {quorum} 个有效副签（最多 {most} 个，规模 {at}）";
    /// V7.10, the same with no cosignature at all.
    LastMilestoneNotWitnessedNone { index: u64, kind: String, kind_zh: &'static str, n: u64, quorum: usize } =>
        "no checkpoint between entry {index} ({kind}) and the end of the log ({n} entries) has {quorum} valid cosignatures of the manifest's witnesses (none has any)",
        "第 {index} 条条目（{kind_zh}）至日志末尾（共 {n} 条）之间，没有检查点获得选举清单所列见证人的 {quorum} 个有效副签（一个也没有）";
    /// V7.11 summary.
    WitnessesAsked { agree: usize, asked: usize } =>
        "; {agree} of {asked} witnesses asked directly cosigned a prefix of this log",
        "；直接询问的 {asked} 名见证人中有 {agree} 名副签的是本日志的前段";
    /// V7.11, no answer.
    WitnessUnreachable { url: Quote, detail: Detail } =>
        "the witness at {url} could not be asked: {detail}",
        "无法询问位于 {url} 的见证人";
    /// V7.11, not a checkpoint of this log.
    WitnessAnswerNotCheckpoint { url: Quote } =>
        "the witness at {url} answered no signed checkpoint of this election's log",
        "位于 {url} 的见证人没有给出本选举日志经签名的检查点";
    /// V7.11, no cosignature of a manifest witness.
    WitnessAnswerNoCosignature { url: Quote } =>
        "the witness at {url} answered no valid cosignature of a witness of the manifest",
        "位于 {url} 的见证人没有给出选举清单所列见证人的有效副签";
    /// V7.11, a longer log.
    WitnessSawMore { witness: Quote, url: Quote, size: u64, n: u64 } =>
        "witness {witness} ({url}) cosigned a checkpoint of {size} entries; the record holds {n}: download the record again, or it leaves out what came after",
        "见证人 {witness}（{url}）副签的检查点共 {size} 条条目，而记录只有 {n} 条：请重新下载记录，否则记录遗漏了其后的内容";
    /// V7.11, another log.
    WitnessSawOtherLog { witness: Quote, url: Quote, size: u64 } =>
        "witness {witness} ({url}) cosigned a checkpoint of {size} entries whose root is not the record's: the board showed it another log",
        "见证人 {witness}（{url}）副签的 {size} 条条目检查点的根与记录不符：公告板向其展示的是另一日志";
    /// V7.1.
    BoardForOtherElection { log: Quote, manifest: Quote } =>
        "the board's log is for election {log}, the manifest for {manifest}",
        "公告板日志属于选举 {log}，而选举清单属于 {manifest}";
    /// V7.1.
    LogIdNotElections { log_id: String, election: Quote } =>
        "the board's log id {log_id} is not the log id of election {election}",
        "公告板日志标识 {log_id} 不是选举 {election} 的日志标识";
    /// V7.2, streamed.
    LogUnreadable { at: u64, detail: Detail } =>
        "the log ends at entry {at}, which cannot be read: {detail}",
        "日志在第 {at} 条条目处中断，该条目无法读取";
    /// V7.5.
    HeadBeyondLog { k: usize, size: u64, entries: u64 } =>
        "tree head #{k} covers {size} entries, the log has {entries}",
        "树头 #{k} 覆盖 {size} 条条目，而日志只有 {entries} 条";
    /// V7.5.
    HeadRoot { k: usize, size: u64 } =>
        "tree head #{k} (size {size}): its root is not the Merkle root of the first {size} entries",
        "树头 #{k}（大小 {size}）：其根不是前 {size} 条条目的默克尔根";
    /// V7.5.
    HeadSignature { k: usize, size: u64 } =>
        "tree head #{k} (size {size}): the board's signature does not verify",
        "树头 #{k}（大小 {size}）：公告板签名验证不通过";
    /// V7.5.
    HeadOtherLog { k: usize, size: u64 } =>
        "tree head #{k} (size {size}) is for another log",
        "树头 #{k}（大小 {size}）属于另一日志";
    /// V7.5.
    HeadNotGrowing { k: usize, size: u64, previous: u64 } =>
        "tree head #{k}: size {size} does not grow past the previous head's {previous}",
        "树头 #{k}：大小 {size} 未超过前一树头的 {previous}";
    /// V7.5.
    HeadTimeBack { k: usize, time: u64, previous: u64 } =>
        "tree head #{k}: its time {time} is before the previous head's {previous}",
        "树头 #{k}：时间 {time} 早于前一树头的 {previous}";
    /// V7.6.
    NoTreeHead => "the board has no signed tree head", "公告板没有签名树头";
    /// V7.6.
    LastHeadShort { size: u64, entries: u64 } =>
        "the last tree head covers {size} entries, the log has {entries}",
        "最后一个树头覆盖 {size} 条条目，而日志有 {entries} 条";
    /// V7.8.
    BoardKeyNotGiven { key: String, given: String } =>
        "the board's key {key} is not the key given with --board-key, {given}",
        "公告板公钥 {key} 不是以 --board-key 指定的公钥 {given}";
    /// V7.8.
    NoBoardForGivenKey { given: String } =>
        "the record has no board log, so it is not the log of the board whose key was given with --board-key, {given}",
        "记录中没有公告板日志，因而不是以 --board-key 指定公钥 {given} 的公告板的日志";
    /// V7.4.
    ResultOnlyInRecord =>
        "the record has a result, the log has no result entry",
        "记录中有计票结果，日志中却没有结果条目";
    /// V7.4.
    ResultOnlyOnLog => "the log has a result, the record has none", "日志中有计票结果，记录中却没有";
    /// V7.4.
    CountedNotLogs { counted: u64, credentials: u64 } =>
        "the record counts {counted} ballots, the log's ballots are from {credentials} credentials",
        "记录计入 {counted} 张选票，而日志中的选票来自 {credentials} 个凭证";
    /// V7.4.
    TallyNotLogs =>
        "the record's encrypted tally is not the log's tally entry",
        "记录中的加密计票结果与日志的计票条目不符";
    /// V7.4.
    SharesNotLogs =>
        "the record's decryption shares are not the log's decryption_share entries",
        "记录中的解密份额与日志的解密份额条目不符";
    /// V7.4.
    CountsNotLogs =>
        "the record's counts are not the log's result entry's",
        "记录中的票数与日志的结果条目不符";
    /// V7.4.
    OutcomeNotLogs =>
        "the record's outcome is not the log's result entry's",
        "记录中的表决结果与日志的结果条目不符";

    // V8–V11
    /// V8 summary.
    TallySummary { ciphertexts: usize, counted: u64 } =>
        "{ciphertexts} ciphertexts over {counted} ballots",
        "{counted} 张选票的 {ciphertexts} 个密文";
    /// V8.1.
    CountedNotCast { counted: u64, cast: u64 } =>
        "the result counts {counted} ballots, {cast} valid ballots were cast",
        "计票结果计入 {counted} 张选票，而有效投出的选票为 {cast} 张";
    /// V8.2.
    TallyNotSum =>
        "the recorded encrypted tally is not the sum of the cast ballots",
        "记录中的加密计票结果不等于已投选票之和";
    /// V9 summary.
    SharesSummary { shares: usize, ciphertexts: usize, t: u32 } =>
        "{shares} shares of {ciphertexts} ciphertexts, threshold {t}",
        "{ciphertexts} 个密文的解密份额 {shares} 份，至少需要 {t} 份";
    /// V9.1.
    TellerTwice { j: u32 } => "teller {j} gave two decryption shares", "计票人 {j} 提交了两份解密份额";
    /// V9.2.
    UnknownTeller { j: u32 } => "decryption share from unknown teller {j}", "解密份额来自未知的计票人 {j}";
    /// V9.6.
    ShareSignature { j: u32 } =>
        "teller {j}'s signature on its decryption share does not verify",
        "计票人 {j} 对其解密份额的签名验证不通过";
    /// V9.7.
    ShareHeadOutside { j: u32, size: u64, tally: u64, own: u64 } =>
        "teller {j}'s share names a board head of size {size}, not between the tally (entry {tally}) and its own entry {own}",
        "计票人 {j} 的份额所指公告板树头大小为 {size}，不在计票条目（第 {tally} 条）与其本人条目（第 {own} 条）之间";
    /// V9.7.
    ShareHeadRoot { j: u32, size: u64 } =>
        "teller {j}'s share names a board head (size {size}) whose root is not the Merkle root of the first {size} entries",
        "计票人 {j} 的份额所指公告板树头（大小 {size}）的根不是前 {size} 条条目的默克尔根";
    /// V9.4.
    ShareProofs { j: u32 } =>
        "teller {j}'s decryption proofs do not verify",
        "计票人 {j} 的解密证明验证不通过";
    /// V9.5.
    BelowThreshold { shares: usize, t: u32 } =>
        "{shares} decryption shares, the threshold is {t}",
        "解密份额 {shares} 份，少于所需的 {t} 份";
    /// V10 summary.
    CountsSummary { counts: usize } => "{counts} counts", "票数 {counts} 项";
    /// V10.1.
    CountsShape => "the counts do not have the manifest's shape", "票数与选举清单的结构不符";
    /// V10.3.
    CountNotDecryption { contest: usize, option: usize, count: u64 } =>
        "contest {contest}, option {option}: the recorded count {count} is not the decryption",
        "第 {contest} 项表决第 {option} 个选项：记录的票数 {count} 不是解密所得";
    /// V11.1, when no field names the difference.
    OutcomeDiffers =>
        "the recorded outcome differs from the rule applied to the counts",
        "记录的表决结果与按表决规则计算的结果不同";
    /// V11.2.
    MoreThanSignedIn { counted: u64, signed_in: u32 } =>
        "{counted} ballots counted, more than the {signed_in} deputies signed in",
        "计入选票 {counted} 张，多于已签到的 {signed_in} 名代表";

    // Skipped steps (§5.2).
    /// V7 skipped.
    NoBoardLog => "the record has no board log", "记录中没有公告板日志";
    /// V8–V11 skipped.
    NoResultYet => "the record has no result yet", "记录中尚无计票结果";
    /// V9–V11 skipped.
    TallyDidNotVerify => "the tally did not verify", "加密计票结果验证未通过";
    /// V10–V11 skipped.
    SharesDidNotVerify => "the decryption shares did not verify", "解密份额验证未通过";
    /// V11 skipped.
    CountsDidNotVerify => "the counts did not verify", "票数验证未通过";
    /// Board form, set-up failed.
    SetupDidNotVerify => "the election's set-up did not verify", "选举设置验证未通过";
    /// Board form, no `open`.
    LogNotOpened =>
        "the board's log does not reach the opening of the vote",
        "公告板日志未到投票开始即中断";
    /// Board form, no `result` before the bad entry.
    LogBreaksBeforeResult =>
        "the board's log breaks off before its result",
        "公告板日志在计票结果之前中断";

    // R1–R4 (§7.4)
    /// R1 summary.
    ReceiptSummary { index: u64, code: String, size: u64, key: String } =>
        "entry {index}, tracking code {code}, in the log of {size} entries; board key {key}",
        "第 {index} 条条目，跟踪码 {code}，所在日志共 {size} 条条目；公告板公钥 {key}";
    /// R2 summary.
    EntrySummary { index: u64 } => "entry {index}", "第 {index} 条条目";
    /// R2.
    EntryUnavailable { index: u64, detail: Detail } =>
        "entry {index}: {detail}", "无法取得第 {index} 条条目";
    /// R2.
    LeafHashDiffers => "the entry's leaf hash is not the receipt's", "条目的叶哈希与回执中的不符";
    /// R2.
    EntryDoesNotParse { detail: Detail } =>
        "the entry does not parse: {detail}", "条目无法解析";
    /// R2.
    EntrySaysIndex { entry: u64, receipt: u64 } =>
        "the entry says it is entry {entry}, the receipt {receipt}",
        "条目自称第 {entry} 条，回执则为第 {receipt} 条";
    /// R2.
    EntryCodeDiffers { code: String, receipt: String } =>
        "the entry's ballot has tracking code {code}, the receipt {receipt}",
        "条目中选票的跟踪码为 {code}，回执中为 {receipt}";
    /// R2, `last_counts`.
    Entry0NotManifest =>
        "entry 0 is not the election's manifest: the revote rule is unknown",
        "第 0 条条目不是选举清单，无法得知重新投票规则";
    /// R2, `last_counts`.
    ReplacedBy { index: u64, code: String } =>
        "a later ballot of the same credential (entry {index}, tracking code {code}) replaces this one: it does not count",
        "同一凭证后投的选票（第 {index} 条条目，跟踪码 {code}）取代了此选票：此选票不计入";
    /// R2, `last_counts`.
    LaterEntryDoesNotParse { index: u64, detail: Detail } =>
        "entry {index} does not parse: {detail}", "第 {index} 条条目无法解析";
    /// R3 summary.
    HeadSummary { size: u64, time: u64 } =>
        "{size} entries at {time} ms", "{time} 毫秒时共 {size} 条条目";
    /// R3 summary, no head.
    HeadUnavailable => "the board's head could not be had", "无法取得公告板当前树头";
    /// R3 failure, no head.
    HeadUnavailableBecause { detail: Detail } =>
        "the board's head could not be had: {detail}", "无法取得公告板当前树头";
    /// R3.
    CurrentHeadSignature =>
        "the board's signature on its current tree head does not verify",
        "公告板对其当前树头的签名验证不通过";
    /// R3.
    CurrentHeadOtherLog => "the current tree head is for another log", "当前树头属于另一日志";
    /// R3.
    LogShrank { now: u64, then: u64 } =>
        "the board's log has {now} entries now, fewer than the {then} of the receipt",
        "公告板日志现有 {now} 条条目，少于回执所见的 {then} 条";
    /// R3.
    HeadTimeBeforeReceipt { now: u64, then: u64 } =>
        "the current tree head's time {now} is before the receipt's {then}",
        "当前树头的时间 {now} 早于回执的 {then}";
    /// R4 skipped.
    NoCurrentHead => "no current tree head", "没有当前树头";
    /// R4 skipped.
    CurrentHeadDidNotVerify => "the current tree head did not verify", "当前树头验证未通过";
    /// R4 summary.
    ConsistencySummary { from: u64, to: u64 } =>
        "from {from} to {to} entries", "从 {from} 条到 {to} 条条目";
    /// R4.
    Forked =>
        "the current tree head has the receipt's size but another root: the board forked",
        "当前树头与回执所见大小相同而根不同：公告板出现分叉";
    /// R4.
    NoConsistencyProof { detail: Detail } =>
        "no consistency proof: {detail}", "无法取得一致性证明";
    /// R4.
    WrongProofRange { old: u64, new: u64, from: u64, to: u64 } =>
        "the board answered with a proof from {old} to {new}, not from {from} to {to}",
        "公告板给出的是从 {old} 条到 {new} 条的证明，而不是从 {from} 条到 {to} 条的";
    /// R4.
    HistoryRewritten { from: u64, to: u64 } =>
        "the consistency proof from {from} to {to} entries does not verify: the board rewrote its history",
        "从 {from} 条到 {to} 条条目的一致性证明验证不通过：公告板改写了历史";
    /// R3 summary, witnessed.
    WitnessedSummary { size: u64, count: usize, quorum: u32 } =>
        "; the checkpoint of {size} entries is cosigned by {count} of the manifest's witnesses (quorum {quorum})",
        "；共 {size} 条条目的检查点经选举清单所列见证人中的 {count} 名副签（须 {quorum} 名）";
    /// R3, witnessed: entry 0.
    ManifestUnavailable { detail: Detail } =>
        "the election's manifest (entry 0) and its inclusion proof could not be had: {detail}",
        "无法取得选举清单（第 0 条条目）及其包含证明";
    /// R3, witnessed: entry 0 is not in the receipt's log.
    ManifestNotInReceiptLog =>
        "the board's proof that entry 0 is in the log the receipt was signed for does not verify: the board changed that log or its entry 0",
        "公告板关于第 0 条条目在回执签署时日志中的证明验证不通过：公告板改动了该日志或其第 0 条条目";
    /// R3, witnessed: entry 0 is not this election's manifest under this board.
    ManifestNotThisBoard =>
        "entry 0 is not the manifest of this election naming this board's key",
        "第 0 条条目不是本选举指定此公告板公钥的选举清单";
    /// R3, witnessed: no cosigned checkpoint.
    CosignedUnavailable { detail: Detail } =>
        "no checkpoint cosigned by the manifest's witnesses could be had: {detail}",
        "无法取得经选举清单所列见证人副签的检查点";
    /// R3, witnessed: not a checkpoint of this log.
    CosignedNotCheckpoint =>
        "the board's cosigned checkpoint is not a signed checkpoint of this election's log",
        "公告板给出的副签检查点不是本选举日志经签名的检查点";
    /// R3, witnessed: the board's signature.
    CosignedBoardSignature =>
        "the board's signature on its cosigned checkpoint does not verify",
        "公告板对其副签检查点的签名验证不通过";
    /// R3, witnessed: short of the quorum.
    CosignedShort { count: usize, quorum: u32 } =>
        "the board's cosigned checkpoint has {count} valid cosignatures of the manifest's witnesses, fewer than the quorum of {quorum}",
        "公告板给出的检查点只有选举清单所列见证人的 {count} 个有效副签，不足规定的 {quorum} 个";
    /// R3, witnessed: the witnesses are behind the receipt.
    NotYetWitnessed { size: u64, receipt: u64 } =>
        "the latest checkpoint the witnesses cosigned has {size} entries, fewer than the {receipt} of the receipt: the witnesses have not yet seen this ballot; check again in a minute",
        "见证人最近副签的检查点共 {size} 条条目，少于回执所见的 {receipt} 条：见证人尚未见到此选票，请稍后再核对";
    /// R4 summary, witnessed.
    WitnessedConsistencySummary { from: u64, to: u64 } =>
        "; to the cosigned checkpoint: from {from} to {to} entries",
        "；至副签检查点：从 {from} 条到 {to} 条条目";
    /// R4, witnessed: same size, another root.
    WitnessedForked =>
        "the checkpoint the witnesses cosigned has the receipt's size but another root: the board showed the witnesses another log",
        "见证人副签的检查点与回执所见大小相同而根不同：公告板向见证人展示的是另一日志";
    /// R4, witnessed: not consistent.
    WitnessedRewritten { from: u64, to: u64 } =>
        "the consistency proof from the receipt's {from} entries to the cosigned checkpoint's {to} does not verify: the board showed the witnesses another log",
        "从回执所见的 {from} 条到副签检查点的 {to} 条条目的一致性证明验证不通过：公告板向见证人展示的是另一日志";

    // D1–D5 (§7.5)
    /// D1 summary.
    DiffElection { id: String } => "election {id}", "选举 {id}";
    /// D2 summary.
    DiffBallots { old_cast: usize, new_cast: usize, old_audited: usize, new_audited: usize } =>
        "cast ballots {old_cast} → {new_cast}, audited {old_audited} → {new_audited}",
        "已投选票 {old_cast} → {new_cast}，已核验选票 {old_audited} → {new_audited}";
    /// D3.
    OldHasNoResult => "the old record has no result", "旧记录中没有计票结果";
    /// D3.
    OldHasResult => "the old record has a result", "旧记录中有计票结果";
    /// D3.
    ResultRemoved => "the new record has no result: it was removed", "新记录中没有计票结果：已被删除";
    /// D3.
    BothHaveResults => "both records have a result", "新旧记录都有计票结果";
    /// D3.
    ResultChanged => "the result was changed", "计票结果被改动";
    /// D4, D5.
    OldHasNoBoard => "the old record has no board log", "旧记录中没有公告板日志";
    /// D4.
    OldHasBoard => "the old record has a board log", "旧记录中有公告板日志";
    /// D4.
    BoardRemoved => "the new record has no board log: it was removed", "新记录中没有公告板日志：已被删除";
    /// D5.
    NewHasNoBoard => "the new record has no board log", "新记录中没有公告板日志";
    /// D4.
    BoardIdentityChanged =>
        "the board's identity (election id, log id or board key) was changed",
        "公告板的身份（选举标识、日志标识或公告板公钥）被改动";
    /// D4.
    EntryChanged { i: usize } => "board entry {i} was changed", "第 {i} 条公告板条目被改动";
    /// D4.
    EntriesRemoved { i: usize, last: usize, old: usize, new: usize } =>
        "board entries {i} to {last} were removed: the old log has {old}, the new {new}",
        "第 {i} 至 {last} 条公告板条目被删除：旧日志有 {old} 条，新日志有 {new} 条";
    /// D4 summary.
    DiffEntries { old: usize, new: usize } => "entries {old} → {new}", "条目 {old} → {new}";
    /// D5 summary.
    DiffHeads { heads: usize, entries: usize } =>
        "{heads} old tree heads against the new log of {entries} entries",
        "旧树头 {heads} 个，对照共 {entries} 条条目的新日志";
}

/// Which record a comparison names (V7.4, D1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Side {
    /// The record's own parts (V7.4).
    #[default]
    Record,
    /// What the board's log gives (V7.4).
    Log,
    /// The older record (D1).
    OldRecord,
    /// The newer record (D1).
    NewRecord,
}

impl Side {
    fn text(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Side::Record, Lang::En) => "record",
            (Side::Log, Lang::En) => "log",
            (Side::OldRecord, Lang::En) => "old record",
            (Side::NewRecord, Lang::En) => "new record",
            (Side::Record, Lang::Zh) => "记录",
            (Side::Log, Lang::Zh) => "日志",
            (Side::OldRecord, Lang::Zh) => "旧记录",
            (Side::NewRecord, Lang::Zh) => "新记录",
        }
    }
}

/// A part of an election's set-up that two records may not share (V7.4, D1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SetupPart {
    /// `manifest`.
    #[default]
    Manifest,
    /// The ceremony's announcements.
    Announcements,
    /// The ceremony's commitments.
    Commitments,
    /// The ceremony's reveals.
    Reveals,
    /// The ceremony's share checks.
    ShareChecks,
    /// `ceremony_output`.
    CeremonyOutput,
}

/// A list of a record that the log or a newer record must repeat (V7.4, D2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ItemKind {
    /// A cast ballot.
    #[default]
    Cast,
    /// An audited ballot.
    Audited,
}

impl ItemKind {
    fn text(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (ItemKind::Cast, Lang::En) => "cast ballot",
            (ItemKind::Audited, Lang::En) => "audited ballot",
            (ItemKind::Cast, Lang::Zh) => "已投选票",
            (ItemKind::Audited, Lang::Zh) => "已核验选票",
        }
    }
}

/// A field of an outcome that V11.1 compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeField {
    /// `roll`.
    Roll,
    /// `ballots`.
    Ballots,
    /// `quorum_met`.
    Quorum,
    /// `majority_threshold`.
    MajorityThreshold,
    /// The number of projects.
    Projects,
    /// A field of project `#k` (named by the rule's id).
    Project(usize, Quote, ProjectField),
    /// `tie`.
    Tie,
}

/// A field of a project's outcome (V11.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectField {
    /// `id`.
    Id,
    /// `contest`.
    Contest,
    /// `option`.
    Option,
    /// `yes`.
    Votes,
    /// `passes`.
    Passes,
    /// `rank`.
    Rank,
    /// `adopted`.
    Adopted,
    /// `rating`.
    Rating,
    /// `satisfaction_bp`.
    Satisfaction,
}

/// A value of an outcome's field (V11.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An integer.
    Number(u64),
    /// An integer or none.
    Maybe(Option<u64>),
    /// A quoted id.
    Id(Quote),
    /// Met or not (the quorum).
    Met(bool),
    /// Yes or no.
    YesNo(bool),
    /// A rating or none.
    Rating(Option<Rating>),
    /// No tie, or a tie of these projects at `votes` for `seats`.
    Tie(Option<(Vec<Quote>, u64, u32)>),
}

/// A rating's words.
pub fn rating_text(r: Rating, lang: Lang) -> &'static str {
    match (r, lang) {
        (Rating::Satisfied, Lang::En) => "satisfied",
        (Rating::BasicallySatisfied, Lang::En) => "basically satisfied",
        (Rating::NotSatisfied, Lang::En) => "not satisfied",
        (Rating::Satisfied, Lang::Zh) => "满意",
        (Rating::BasicallySatisfied, Lang::Zh) => "基本满意",
        (Rating::NotSatisfied, Lang::Zh) => "不满意",
    }
}

/// Quoted ids joined: `"a", "b"` / `"a"、"b"`.
pub fn join_ids(ids: &[Quote], lang: Lang) -> String {
    let sep = match lang {
        Lang::En => ", ",
        Lang::Zh => "、",
    };
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(sep)
}

impl Value {
    fn text(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            Value::Number(n) => n.to_string(),
            Value::Maybe(Some(n)) => n.to_string(),
            Value::Maybe(None) | Value::Rating(None) => (if zh { "无" } else { "none" }).into(),
            Value::Id(q) => q.to_string(),
            Value::Met(b) => match (b, zh) {
                (true, false) => "met",
                (false, false) => "not met",
                (true, true) => "已达到",
                (false, true) => "未达到",
            }
            .into(),
            Value::YesNo(b) => match (b, zh) {
                (true, false) => "yes",
                (false, false) => "no",
                (true, true) => "是",
                (false, true) => "否",
            }
            .into(),
            Value::Rating(Some(r)) => rating_text(*r, lang).into(),
            Value::Tie(None) => (if zh { "无平票" } else { "no tie" }).into(),
            Value::Tie(Some((ids, votes, seats))) => {
                let ids = join_ids(ids, lang);
                if zh {
                    format!("{ids} 同得 {votes} 票，争 {seats} 个名额")
                } else {
                    format!("a tie of {ids} at {votes} votes for {seats} seats")
                }
            }
        }
    }
}

impl OutcomeField {
    fn text(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        let simple = |en: &str, zh_text: &str| if zh { zh_text } else { en }.to_string();
        match self {
            OutcomeField::Roll => simple("the roll", "代表总数"),
            OutcomeField::Ballots => simple("the ballots counted", "计入的选票数"),
            OutcomeField::Quorum => simple("the quorum", "法定人数"),
            OutcomeField::MajorityThreshold => simple("the majority threshold", "过半数票数线"),
            OutcomeField::Projects => simple("the number of projects", "项目数"),
            OutcomeField::Tie => simple("the tie", "平票"),
            OutcomeField::Project(k, id, f) => {
                let (en, zh_text) = match f {
                    ProjectField::Id => ("its id", "标识"),
                    ProjectField::Contest => ("its contest", "所属表决"),
                    ProjectField::Option => ("its option", "所属选项"),
                    ProjectField::Votes => ("its votes", "得票"),
                    ProjectField::Passes => ("passes", "是否过半数"),
                    ProjectField::Rank => ("its rank", "名次"),
                    ProjectField::Adopted => ("adopted", "是否入选"),
                    ProjectField::Rating => ("its rating", "测评等次"),
                    ProjectField::Satisfaction => {
                        ("its satisfaction (basis points)", "满意率（万分点）")
                    }
                };
                if zh {
                    format!("项目 #{k}（{id}）的{zh_text}")
                } else {
                    format!("project #{k} ({id}), {en}")
                }
            }
        }
    }
}

/// Every message of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A message of numbers and identifiers.
    Text(Text),
    /// Several messages on one line (a summary and its parts).
    Joined(Vec<Message>),
    /// V1.2: the manifest is not valid.
    Manifest(ManifestError),
    /// V2.1: the ceremony does not verify.
    Ceremony(CeremonyError),
    /// V3.5: the attendance does not verify.
    Attendance(AttendanceError),
    /// V5.1–V5.6: a cast ballot that does not verify.
    Ballot {
        /// Its position.
        i: usize,
        /// Its tracking code.
        code: String,
        /// Why.
        error: BallotError,
    },
    /// V6: an audited ballot that does not verify.
    Audited {
        /// Its position.
        i: usize,
        /// Its tracking code.
        code: String,
        /// Why.
        problem: AuditProblem,
    },
    /// A1–A3: the audit file's ballot or opening does not verify.
    AuditFile(BallotError),
    /// A2 summary: the choices an opening reveals, in each language.
    Revealed {
        /// In Chinese.
        zh: String,
        /// In English.
        en: String,
    },
    /// V7.2–V7.3: the log's entries.
    Board(BoardError),
    /// V7.7: the approval (the check's own English text).
    Approval(Detail),
    /// V7.4, D1: a part of the set-up differs.
    SetupDiffers(Side, Side, SetupPart),
    /// V7.4, D1: the record versions differ.
    VersionDiffers(Side, Side, u32, u32),
    /// V7.4, D1: the credential lists differ.
    CredentialsDiffer {
        /// The sides.
        sides: (Side, Side),
        /// Their sizes.
        sizes: (usize, usize),
        /// Keys only in the first, only in the second.
        only: (usize, usize),
    },
    /// V7.4, D1: the fingerprints differ.
    FingerprintsDiffer(Side, Side, String, String),
    /// V7.4: item `#i` of a list is not the log's (at entry `entry`).
    ItemNotLogs(ItemKind, usize, u64),
    /// V7.4: the lists' lengths differ.
    ItemCount(ItemKind, usize, usize),
    /// D2: item `#i` was changed.
    ItemChanged(ItemKind, usize),
    /// D2: items `#i` to `#last` were removed, old and new lengths.
    ItemsRemoved(ItemKind, usize, usize, usize, usize),
    /// V9: a decryption error.
    Decryption(DecryptionError),
    /// V11.1: a field differs: the rule's value, the record's.
    OutcomeField(OutcomeField, Value, Value),
    /// V11 summary: quorum met, adopted, tie.
    OutcomeSummary {
        /// The quorum.
        quorum_met: bool,
        /// Adopted projects.
        adopted: usize,
        /// Whether there is a tie at the boundary.
        tie: bool,
    },
    /// R1: the receipt does not verify.
    Receipt(ReceiptError),
    /// R1: where the board key came from.
    KeyOrigin(KeyOrigin),
    /// R2: the entry is of this kind, not a ballot.
    EntryNotBallot(&'static str),
    /// D5: an old head's failure.
    OldHead(Box<Message>),
}

/// Why an audited ballot fails V6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditProblem {
    /// It is not a valid ballot of the election, or its opening does not match.
    Ballot(BallotError),
    /// It was also cast.
    AlsoCast,
    /// Its ciphertexts were also cast.
    CiphertextsCast,
}

/// Where a receipt check's board key came from (R1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    /// `--board-key`.
    Given,
    /// The server.
    Server,
    /// The record's `board.json`.
    Record,
}

impl From<Text> for Message {
    fn from(t: Text) -> Self {
        Message::Text(t)
    }
}

impl Message {
    /// A board error with its texts from the record cut to `MAX_MESSAGE` characters (a
    /// decoder's message may quote a whole entry).
    pub fn board(e: BoardError) -> Self {
        let c = |s: String| {
            if s.len() > crate::limits::MAX_MESSAGE {
                cut(s)
            } else {
                s
            }
        };
        Message::Board(match e {
            BoardError::Parse { index, reason } => BoardError::Parse {
                index,
                reason: c(reason),
            },
            BoardError::OutOfOrder {
                index,
                kind,
                reason,
            } => BoardError::OutOfOrder {
                index,
                kind,
                reason: c(reason),
            },
            BoardError::Repeated { index, kind, what } => BoardError::Repeated {
                index,
                kind,
                what: c(what),
            },
            BoardError::Inconsistent {
                index,
                kind,
                reason,
            } => BoardError::Inconsistent {
                index,
                kind,
                reason: c(reason),
            },
            BoardError::CeremonyFailed {
                index,
                reason,
                guilty,
            } => BoardError::CeremonyFailed {
                index,
                reason: c(reason),
                guilty,
            },
            other => other,
        })
    }

    /// The message in `lang`, not cut.
    pub fn text(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            Message::Text(t) => t.text(lang),
            Message::Joined(parts) => parts.iter().map(|p| p.text(lang)).collect(),
            Message::Manifest(e) => manifest_text(e, lang),
            Message::Ceremony(e) => ceremony_text(e, lang),
            Message::Attendance(e) => match (e, zh) {
                (_, false) => e.to_string(),
                (AttendanceError::Teller { teller, n }, true) => {
                    format!("签到记录所署计票人 {teller} 不在本次选举的计票人 1 … {n} 之中")
                }
                (
                    AttendanceError::TooMany {
                        signed_in,
                        deputies,
                    },
                    true,
                ) => format!("已签到代表 {signed_in} 名，多于本次大会的 {deputies} 名"),
                (AttendanceError::Signature { teller }, true) => {
                    format!("计票人 {teller} 对签到记录的签名验证不通过")
                }
            },
            Message::Ballot { i, code, error } => {
                if zh {
                    format!("选票 #{i}（跟踪码 {code}）：{}", ballot_text(error, lang))
                } else {
                    format!("ballot #{i} ({code}): {error}")
                }
            }
            Message::AuditFile(e) => ballot_text(e, lang),
            Message::Revealed { zh: z, en } => {
                if zh {
                    z.clone()
                } else {
                    en.clone()
                }
            }
            Message::Audited { i, code, problem } => {
                let p = match (problem, zh) {
                    (AuditProblem::Ballot(e), _) => ballot_text(e, lang),
                    (AuditProblem::AlsoCast, false) => "it was also cast and counted".into(),
                    (AuditProblem::AlsoCast, true) => "该选票同时被投出并计入".into(),
                    (AuditProblem::CiphertextsCast, false) => {
                        "its ciphertexts were also cast (under another tracking code)".into()
                    }
                    (AuditProblem::CiphertextsCast, true) => {
                        "其密文也被投出（以另一跟踪码）".into()
                    }
                };
                if zh {
                    format!("已核验选票 #{i}（跟踪码 {code}）：{p}")
                } else {
                    format!("audited ballot #{i} ({code}): {p}")
                }
            }
            Message::Board(e) => board_text(e, lang),
            Message::Approval(d) => {
                if zh {
                    "公告板的候选项目批准条目不符合规定".into()
                } else {
                    d.to_string()
                }
            }
            Message::SetupDiffers(a, b, part) => {
                let (an, bn) = (a.text(lang), b.text(lang));
                match (part, zh) {
                    (SetupPart::Manifest, false) => {
                        format!("the {an}'s manifest is not the {bn}'s")
                    }
                    (SetupPart::CeremonyOutput, false) => format!(
                        "the {an}'s ceremony output (joint key, verification keys) is not the {bn}'s"
                    ),
                    (round, false) => format!(
                        "the {an}'s key-ceremony {} are not the {bn}'s",
                        match round {
                            SetupPart::Announcements => "announcements",
                            SetupPart::Commitments => "commitments",
                            SetupPart::Reveals => "reveals",
                            _ => "share checks",
                        }
                    ),
                    (SetupPart::Manifest, true) => format!("{an}的选举清单与{bn}的不同"),
                    (SetupPart::CeremonyOutput, true) => {
                        format!("{an}的密钥生成仪式结果（联合公钥、验证公钥）与{bn}的不同")
                    }
                    (round, true) => format!(
                        "{an}的密钥生成仪式{}与{bn}的不同",
                        match round {
                            SetupPart::Announcements => "公告",
                            SetupPart::Commitments => "承诺",
                            SetupPart::Reveals => "揭示",
                            _ => "份额核对",
                        }
                    ),
                }
            }
            Message::VersionDiffers(a, b, x, y) => {
                let (an, bn) = (a.text(lang), b.text(lang));
                if zh {
                    format!("{an}的记录版本为 {x}，{bn}的为 {y}")
                } else {
                    format!("the {an}'s record version is {x}, the {bn}'s {y}")
                }
            }
            Message::CredentialsDiffer {
                sides: (a, b),
                sizes: (x, y),
                only: (extra, missing),
            } => {
                let (an, bn) = (a.text(lang), b.text(lang));
                if zh {
                    format!(
                        "{an}的投票凭证列表（{x} 个）与{bn}的（{y} 个）不同：{extra} 个仅在{an}中，{missing} 个仅在{bn}中"
                    )
                } else {
                    format!(
                        "the {an}'s credential list ({x} keys) is not the {bn}'s ({y} keys): {extra} only in the {an}, {missing} only in the {bn}"
                    )
                }
            }
            Message::FingerprintsDiffer(a, b, x, y) => {
                let (an, bn) = (a.text(lang), b.text(lang));
                if zh {
                    format!("{an}的选举指纹 {x} 与{bn}的 {y} 不同")
                } else {
                    format!("the {an}'s fingerprint {x} is not the {bn}'s {y}")
                }
            }
            Message::ItemNotLogs(kind, i, entry) => {
                let k = kind.text(lang);
                if zh {
                    format!("{k} #{i} 与日志中的（第 {entry} 条条目）不符")
                } else {
                    format!("{k} #{i} is not the log's (entry {entry})")
                }
            }
            Message::ItemCount(kind, record, log) => {
                let k = kind.text(lang);
                if zh {
                    format!("记录中有{k} {record} 张，日志中有 {log} 张")
                } else {
                    format!("the record has {record} {k}s, the log {log}")
                }
            }
            Message::ItemChanged(kind, i) => {
                let k = kind.text(lang);
                if zh {
                    format!("{k} #{i} 被改动")
                } else {
                    format!("{k} #{i} was changed")
                }
            }
            Message::ItemsRemoved(kind, i, last, old, new) => {
                let k = kind.text(lang);
                if zh {
                    format!("{k} #{i} 至 #{last} 被删除：旧记录有 {old} 张，新记录有 {new} 张")
                } else {
                    format!(
                        "{k}s #{i} to #{last} were removed: the old record has {old}, the new {new}"
                    )
                }
            }
            Message::Decryption(e) => decryption_text(e, lang),
            Message::OutcomeField(field, rule, record) => {
                let (f, x, y) = (field.text(lang), rule.text(lang), record.text(lang));
                if zh {
                    format!("{f}：按规则应为 {x}，记录为 {y}")
                } else {
                    format!("{f}: the rule gives {x}, the record says {y}")
                }
            }
            Message::OutcomeSummary {
                quorum_met,
                adopted,
                tie,
            } => match zh {
                false => format!(
                    "quorum {}, {adopted} adopted{}",
                    if *quorum_met { "met" } else { "NOT met" },
                    if *tie { ", tie at the boundary" } else { "" }
                ),
                true => format!(
                    "{}，{adopted} 个项目入选{}",
                    if *quorum_met {
                        "达到法定人数"
                    } else {
                        "未达到法定人数"
                    },
                    if *tie { "，入选边界处平票" } else { "" }
                ),
            },
            Message::Receipt(e) => match (e, zh) {
                (_, false) => e.to_string(),
                (ReceiptError::Signature, true) => "公告板对回执的签名验证不通过".into(),
                (ReceiptError::TreeHead, true) => "公告板对树头的签名验证不通过".into(),
                (ReceiptError::WrongLog, true) => "树头属于另一日志".into(),
                (ReceiptError::Inclusion, true) => "包含证明不能导出树头的根".into(),
            },
            Message::KeyOrigin(o) => match (o, zh) {
                (KeyOrigin::Given, false) => " (given with --board-key)".into(),
                (KeyOrigin::Server, false) => " (from the server: pin it with --board-key)".into(),
                (KeyOrigin::Record, false) => " (from the record's board.json)".into(),
                (KeyOrigin::Given, true) => "（以 --board-key 指定）".into(),
                (KeyOrigin::Server, true) => "（取自服务器：请以 --board-key 指定）".into(),
                (KeyOrigin::Record, true) => "（取自记录的 board.json）".into(),
            },
            Message::EntryNotBallot(kind) => {
                if zh {
                    format!("该条目是{}，不是选票", kind_zh(kind))
                } else {
                    format!("the entry is a {kind}, not a ballot")
                }
            }
            Message::OldHead(m) => {
                if zh {
                    format!("旧{}", m.text(lang))
                } else {
                    format!("old {}", m.text(lang))
                }
            }
        }
    }

    /// Messages of every kind but [`Text`] (whose kinds are [`Text::every_kind`]), for the
    /// tests of the catalogue.
    pub fn every_other_kind() -> Vec<Message> {
        use piaojue_crypto::ballot::BallotError as B;
        const CODE: &str = "oRKLNNy6n0VzYGQ3IrFr8Hk4kW2cHvLT5Xx2q3EduIQ";
        let q = || Quote::of("p01");
        let mut out = vec![
            Message::Joined(vec![Text::NoAudited.into(), Text::NoBoardLog.into()]),
            Message::Audited {
                i: 1,
                code: CODE.into(),
                problem: AuditProblem::AlsoCast,
            },
            Message::Audited {
                i: 1,
                code: CODE.into(),
                problem: AuditProblem::CiphertextsCast,
            },
            Message::AuditFile(B::Opening(OpeningError::Ciphertext {
                contest: 0,
                option: 1,
            })),
            Message::Revealed {
                zh: "公开的选择为：项目：甲".into(),
                en: "the opening reveals: projects: A".into(),
            },
            Message::Approval(Detail::of("the approval is entry 2")),
            Message::VersionDiffers(Side::Record, Side::Log, 2, 3),
            Message::CredentialsDiffer {
                sides: (Side::OldRecord, Side::NewRecord),
                sizes: (3, 4),
                only: (0, 1),
            },
            Message::FingerprintsDiffer(Side::Record, Side::Log, CODE.into(), CODE.into()),
            Message::OldHead(Box::new(Text::HeadRoot { k: 1, size: 2 }.into())),
            Message::EntryNotBallot("tally"),
            Message::OutcomeSummary {
                quorum_met: true,
                adopted: 3,
                tie: true,
            },
            Message::OutcomeSummary {
                quorum_met: false,
                adopted: 0,
                tie: false,
            },
        ];
        for s in [Side::Record, Side::Log, Side::OldRecord, Side::NewRecord] {
            for p in [
                SetupPart::Manifest,
                SetupPart::Announcements,
                SetupPart::Commitments,
                SetupPart::Reveals,
                SetupPart::ShareChecks,
                SetupPart::CeremonyOutput,
            ] {
                out.push(Message::SetupDiffers(s, Side::Log, p));
            }
        }
        for k in [ItemKind::Cast, ItemKind::Audited] {
            out.push(Message::ItemNotLogs(k, 1, 2));
            out.push(Message::ItemCount(k, 1, 2));
            out.push(Message::ItemChanged(k, 1));
            out.push(Message::ItemsRemoved(k, 1, 2, 3, 1));
        }
        for o in [KeyOrigin::Given, KeyOrigin::Server, KeyOrigin::Record] {
            out.push(Message::KeyOrigin(o));
        }
        for e in [
            ReceiptError::Signature,
            ReceiptError::TreeHead,
            ReceiptError::WrongLog,
            ReceiptError::Inclusion,
        ] {
            out.push(Message::Receipt(e));
        }
        for e in [
            AttendanceError::Teller { teller: 6, n: 5 },
            AttendanceError::TooMany {
                signed_in: 3,
                deputies: 2,
            },
            AttendanceError::Signature { teller: 1 },
        ] {
            out.push(Message::Attendance(e));
        }
        for e in [
            ManifestError::Version(2),
            ManifestError::Identifier("Bad".into()),
            ManifestError::ContestCount(0),
            ManifestError::Contest {
                contest: "c".into(),
                reason: "needs 1 to 256 options, has 0".into(),
            },
            ManifestError::Deputies(0),
            ManifestError::Tellers { n: 1, t: 2 },
            ManifestError::Rule("top_k needs exactly one contest".into()),
        ] {
            out.push(Message::Manifest(e));
        }
        let bad_proof = |e| B::Proof {
            contest: 0,
            option: e,
            error: ProofError::Invalid("range"),
        };
        for e in [
            B::WrongElection,
            B::UnknownCredential,
            B::Shape("1 contests, the election has 2".into()),
            B::Signature,
            bad_proof(Some(1)),
            bad_proof(None),
            B::Proof {
                contest: 0,
                option: None,
                error: ProofError::Malformed {
                    proof: "range",
                    reason: "2 branches".into(),
                },
            },
            B::Opening(OpeningError::NotBinary {
                contest: 0,
                option: 1,
                value: 2,
            }),
            B::Opening(OpeningError::ContestCount),
            B::Opening(OpeningError::OptionCount { contest: 1 }),
            B::Opening(OpeningError::Selection(SelectionError::Count {
                contest: 0,
                chosen: 3,
                min: 0,
                max: 2,
            })),
        ] {
            out.push(Message::Ballot {
                i: 0,
                code: CODE.into(),
                error: e.clone(),
            });
            out.push(Message::Audited {
                i: 0,
                code: CODE.into(),
                problem: AuditProblem::Ballot(e),
            });
        }
        for e in [
            DecryptionError::TooFewShares { needed: 3, got: 2 },
            DecryptionError::DuplicateTeller(1),
            DecryptionError::InvalidTeller(0),
            DecryptionError::LengthMismatch {
                teller: 1,
                expected: 13,
                got: 12,
            },
            DecryptionError::InvalidProof { teller: 1 },
            DecryptionError::InvalidSignature { teller: 1 },
        ] {
            out.push(Message::Decryption(e));
        }
        let c = |e| Message::Ceremony(e);
        let ceremony = vec![
            CeremonyError::InvalidParams { n: 1, t: 2 },
            CeremonyError::WrongCeremony {
                teller: 1,
                message: "announcement",
            },
            CeremonyError::BadSignature {
                teller: 1,
                message: "commitment",
            },
            CeremonyError::BadSigningKey { teller: 1 },
            CeremonyError::BadProof {
                teller: 1,
                what: "the encryption key",
            },
            CeremonyError::BadProof {
                teller: 1,
                what: "the constant coefficient",
            },
            CeremonyError::BadProof {
                teller: 1,
                what: "a complaint",
            },
            CeremonyError::HashMismatch { teller: 1 },
            CeremonyError::BadShare {
                accused: 1,
                accuser: 2,
            },
            CeremonyError::FalseComplaint {
                accuser: 2,
                accused: 1,
            },
            CeremonyError::WrongCount {
                round: "reveals",
                expected: 5,
                got: 4,
            },
            CeremonyError::Duplicate {
                round: "signing keys",
                teller: 2,
            },
            CeremonyError::UnknownIndex {
                round: "share checks",
                teller: 9,
            },
            CeremonyError::Malformed {
                teller: 1,
                message: "reveal",
                reason: "2 coefficient commitments, expected t = 3".into(),
            },
            CeremonyError::DegenerateKey,
            CeremonyError::Local {
                teller: 1,
                reason: "my own message was changed",
            },
        ];
        out.push(c(CeremonyError::Multiple(ceremony[1..3].to_vec())));
        out.extend(ceremony.into_iter().map(c));
        for e in [
            BoardError::Parse {
                index: 3,
                reason: "expected value at line 1 column 1".into(),
            },
            BoardError::Index {
                index: 3,
                claimed: 4,
            },
            BoardError::OutOfOrder {
                index: 3,
                kind: "ballot",
                reason: "the vote is closed".into(),
            },
            BoardError::Repeated {
                index: 3,
                kind: "tally",
                what: "a second tally".into(),
            },
            BoardError::Inconsistent {
                index: 3,
                kind: "open",
                reason: "wrong fingerprint".into(),
            },
            BoardError::CeremonyFailed {
                index: 3,
                reason: "teller 1 cheated".into(),
                guilty: vec![1],
            },
            BoardError::Incomplete {
                entries: 3,
                missing: "the opening of the vote",
            },
        ] {
            out.push(Message::Board(e));
        }
        for (field, rule, record) in [
            (OutcomeField::Roll, Value::Number(250), Value::Number(251)),
            (OutcomeField::Ballots, Value::Number(1), Value::Number(2)),
            (OutcomeField::Quorum, Value::Met(true), Value::Met(false)),
            (
                OutcomeField::MajorityThreshold,
                Value::Number(126),
                Value::Number(1),
            ),
            (OutcomeField::Projects, Value::Number(13), Value::Number(12)),
            (
                OutcomeField::Tie,
                Value::Tie(None),
                Value::Tie(Some((vec![q(), q()], 3, 1))),
            ),
        ] {
            out.push(Message::OutcomeField(field, rule, record));
        }
        for (f, rule, record) in [
            (
                ProjectField::Id,
                Value::Id(q()),
                Value::Id(Quote::of("p02")),
            ),
            (ProjectField::Contest, Value::Number(0), Value::Number(1)),
            (ProjectField::Option, Value::Number(0), Value::Number(1)),
            (ProjectField::Votes, Value::Number(0), Value::Number(1)),
            (
                ProjectField::Passes,
                Value::YesNo(true),
                Value::YesNo(false),
            ),
            (
                ProjectField::Rank,
                Value::Maybe(Some(1)),
                Value::Maybe(None),
            ),
            (
                ProjectField::Adopted,
                Value::YesNo(false),
                Value::YesNo(true),
            ),
            (
                ProjectField::Rating,
                Value::Rating(Some(Rating::Satisfied)),
                Value::Rating(Some(Rating::BasicallySatisfied)),
            ),
            (
                ProjectField::Rating,
                Value::Rating(Some(Rating::NotSatisfied)),
                Value::Rating(None),
            ),
            (
                ProjectField::Satisfaction,
                Value::Maybe(Some(9538)),
                Value::Maybe(None),
            ),
        ] {
            out.push(Message::OutcomeField(
                OutcomeField::Project(0, q(), f),
                rule,
                record,
            ));
        }
        out
    }
}

/// The JSON report holds the English text, cut as the readable report's.
impl Serialize for Message {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&cut(self.text(Lang::En)))
    }
}

fn manifest_text(e: &ManifestError, lang: Lang) -> String {
    use piaojue_crypto::manifest::{MAX_CONTESTS, MAX_DEPUTIES, MAX_TELLERS};
    let zh = lang == Lang::Zh;
    match (e, zh) {
        (ManifestError::Identifier(id), false) => format!(
            "bad identifier {}: must be 1–64 characters of a-z, 0-9, '-', '_' and unique",
            quote(id)
        ),
        (_, false) => e.to_string(),
        (ManifestError::Version(v), true) => format!("选举清单版本 {v} 不受支持"),
        (ManifestError::Identifier(id), true) => format!(
            "标识 {} 不合规定：须为 1 至 64 个小写字母、数字、连字符或下划线，且不得重复",
            quote(id)
        ),
        (ManifestError::ContestCount(k), true) => {
            format!("一次选举须有 1 至 {MAX_CONTESTS} 项表决，此选举有 {k} 项")
        }
        (ManifestError::Contest { contest, .. }, true) => {
            format!("表决 {}：选项数或可选范围不合规定", quote(contest))
        }
        (ManifestError::Deputies(d), true) => {
            format!("代表人数须为 1 至 {MAX_DEPUTIES} 名，实为 {d} 名")
        }
        (ManifestError::Tellers { n, t }, true) => {
            format!("计票人数不合规定：须 1 ≤ t ≤ n ≤ {MAX_TELLERS}，实为 n = {n}，t = {t}")
        }
        (ManifestError::Rule(_), true) => "表决规则与各项表决不相符".into(),
        (ManifestError::BoardOrigin { election_id }, true) => format!(
            "公告板：日志来源须为以“/{election_id}”结尾的密钥名称（至多 255 字节，不含空白字符和加号）"
        ),
        (ManifestError::Witnesses(_), true) => {
            "见证人名单或其法定人数不合规定（名称、公钥、网址或人数）".into()
        }
    }
}

fn ballot_text(e: &BallotError, lang: Lang) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    match e {
        BallotError::WrongElection => "该选票属于另一选举".into(),
        BallotError::UnknownCredential => "该选票的凭证不在投票凭证列表中".into(),
        BallotError::Shape(_) => "选票结构有误（表决、选项或证明的数目不符）".into(),
        BallotError::Signature => "凭证对选票的签名验证不通过".into(),
        BallotError::Proof {
            contest,
            option: Some(o),
            ..
        } => format!("第 {contest} 项表决第 {o} 个选项：范围证明验证不通过"),
        BallotError::Proof {
            contest,
            option: None,
            ..
        } => format!("第 {contest} 项表决的选择数：范围证明验证不通过"),
        BallotError::Opening(e) => format!("公开值与选票不符：{}", opening_text(e)),
    }
}

/// Where an opening does not match its ballot, in Chinese, with the English text's contest and
/// option numbers.
fn opening_text(e: &OpeningError) -> String {
    match e {
        OpeningError::ContestCount => "公开值的表决项数与选票不符".into(),
        OpeningError::OptionCount { contest } => {
            format!("第 {contest} 项表决：公开值的选项数与选票不符")
        }
        OpeningError::NotBinary {
            contest,
            option,
            value,
        } => format!("第 {contest} 项表决第 {option} 个选项：公开的值 {value} 不是 0 或 1"),
        OpeningError::Ciphertext { contest, option } => format!(
            "第 {contest} 项表决第 {option} 个选项：用公开的值和随机数重新加密，与选票中的密文不符"
        ),
        OpeningError::Selection(e) => selection_text(e),
    }
}

/// Why a selection is not one the manifest allows, in Chinese.
fn selection_text(e: &SelectionError) -> String {
    match e {
        SelectionError::ContestCount { expected, got } => {
            format!("本次选举有 {expected} 项表决，公开的选择有 {got} 项")
        }
        SelectionError::OptionCount {
            contest,
            expected,
            got,
        } => format!("第 {contest} 项表决有 {expected} 个选项，公开的选择有 {got} 个"),
        SelectionError::NotBinary { contest, option } => {
            format!("第 {contest} 项表决第 {option} 个选项：选择只能是 0 或 1")
        }
        SelectionError::Count {
            contest,
            chosen,
            min,
            max,
        } => format!("第 {contest} 项表决：选了 {chosen} 个，应选 {min} 至 {max} 个"),
    }
}

fn decryption_text(e: &DecryptionError, lang: Lang) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    match e {
        DecryptionError::TooFewShares { needed, got } => {
            format!("至少需要 {needed} 份解密份额，实有 {got} 份")
        }
        DecryptionError::DuplicateTeller(j) => format!("计票人 {j} 有两份解密份额"),
        DecryptionError::InvalidTeller(j) => format!("计票人序号 {j} 无效"),
        DecryptionError::LengthMismatch {
            teller,
            expected,
            got,
        } => format!("计票人 {teller}：{expected} 个密文却有 {got} 个部分解密值"),
        DecryptionError::InvalidProof { teller } => {
            format!("计票人 {teller}：解密份额的证明验证不通过")
        }
        DecryptionError::InvalidSignature { teller } => {
            format!("计票人 {teller}：解密份额的签名验证不通过")
        }
    }
}

/// A ceremony round's or message's name in Chinese.
fn ceremony_word(word: &str) -> &'static str {
    match word {
        "announcements" | "announcement" => "公告",
        "commitments" | "commitment" => "承诺",
        "reveals" | "reveal" => "揭示",
        "share checks" | "share check" => "份额核对",
        "signing keys" => "签名公钥",
        "the encryption key" => "加密公钥",
        "the constant coefficient" => "常数项系数",
        "a complaint" => "异议",
        _ => "消息",
    }
}

fn ceremony_text(e: &CeremonyError, lang: Lang) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    let w = ceremony_word;
    match e {
        CeremonyError::InvalidParams { n, t } => format!("仪式参数无效：n = {n}，t = {t}"),
        CeremonyError::WrongCeremony { teller, message } => {
            format!("计票人 {teller}：其{}属于另一场仪式", w(message))
        }
        CeremonyError::BadSignature { teller, message } => {
            format!("计票人 {teller}：其{}的签名验证不通过", w(message))
        }
        CeremonyError::BadSigningKey { teller } => format!("计票人 {teller}：签名公钥无效"),
        CeremonyError::BadProof { teller, what } => {
            format!("计票人 {teller}：{}的证明验证不通过", w(what))
        }
        CeremonyError::HashMismatch { teller } => {
            format!("计票人 {teller}：揭示与其第一轮承诺不符")
        }
        CeremonyError::BadShare { accused, accuser } => {
            format!("计票人 {accused}：向计票人 {accuser} 发送了错误的份额（异议成立）")
        }
        CeremonyError::FalseComplaint { accuser, accused } => {
            format!("计票人 {accuser}：对计票人 {accused} 的异议不实")
        }
        CeremonyError::WrongCount {
            round,
            expected,
            got,
        } => format!("{}：应有 {expected} 份消息，实有 {got} 份", w(round)),
        CeremonyError::Duplicate { round, teller } => {
            format!("{}：计票人 {teller} 的消息重复", w(round))
        }
        CeremonyError::UnknownIndex { round, teller } => {
            format!("{}：未知的计票人序号 {teller}", w(round))
        }
        CeremonyError::Malformed {
            teller, message, ..
        } => format!("计票人 {teller}：{}格式有误", w(message)),
        CeremonyError::Multiple(all) => format!(
            "多名计票人有过错：{}",
            all.iter()
                .map(|e| ceremony_text(e, lang))
                .collect::<Vec<_>>()
                .join("；")
        ),
        CeremonyError::DegenerateKey => "联合公钥或某一验证公钥为单位元".into(),
        CeremonyError::Local { teller, .. } => format!("计票人 {teller}：本地状态不一致"),
    }
}

fn board_text(e: &BoardError, lang: Lang) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    match e {
        BoardError::Parse { index, .. } => format!("第 {index} 条公告板条目无法解析"),
        BoardError::Index { index, claimed } => {
            format!("第 {index} 条公告板条目自称第 {claimed} 条")
        }
        BoardError::OutOfOrder { index, kind, .. } => {
            format!("第 {index} 条公告板条目（{}）出现的顺序不对", kind_zh(kind))
        }
        BoardError::Repeated { index, kind, .. } => {
            format!("第 {index} 条公告板条目（{}）重复", kind_zh(kind))
        }
        BoardError::Inconsistent { index, kind, .. } => {
            format!(
                "第 {index} 条公告板条目（{}）与此前的条目不一致",
                kind_zh(kind)
            )
        }
        BoardError::CeremonyFailed { index, guilty, .. } => {
            let who = match guilty.len() {
                0 => "未认定有过错的计票人".to_string(),
                _ => format!(
                    "有过错的计票人：{}",
                    guilty
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            };
            format!("第 {index} 条公告板条目：密钥生成仪式失败（{who}），因而没有可记录的选举")
        }
        BoardError::Incomplete { entries, missing } => {
            let missing = match *missing {
                "the manifest" => "选举清单",
                "the tellers" => "计票人名单",
                "the ceremony's output" => "密钥生成仪式结果",
                "the attendance" => "签到记录",
                "open" => "投票开始",
                _ => "后续条目",
            };
            format!("日志在 {entries} 条条目之后结束，缺少{missing}")
        }
    }
}

/// A board entry's kind (`record.md` §9.1) in Chinese.
pub fn kind_zh(kind: &str) -> &'static str {
    match kind {
        "manifest" => "选举清单",
        "approval" => "候选项目批准",
        "tellers" => "计票人名单",
        "announcement" => "密钥生成仪式公告",
        "commitment" => "密钥生成仪式承诺",
        "reveal" => "密钥生成仪式揭示",
        "share_check" => "密钥生成仪式份额核对",
        "ceremony_output" => "密钥生成仪式结果",
        "ceremony_failed" => "密钥生成仪式失败",
        "credentials" => "投票凭证",
        "attendance" => "签到记录",
        "open" => "投票开始",
        "ballot" => "选票",
        "audited" => "已核验选票",
        "close" => "投票结束",
        "tally" => "加密计票结果",
        "decryption_share" => "解密份额",
        "result" => "计票结果",
        "published" => "结果公布",
        _ => "条目",
    }
}

/// The words of three or more Latin letters in `text` that are not identifiers: what a Chinese
/// report must not have (`spec/verification.md` §5.1). Passed over: the `identifiers` given
/// (e.g. the election id), texts in double quotes (quoted record texts, `\"` inside them), and
/// every run of letters, digits, `_`, `-` and `.` that has a digit, a `_`, `-` or `.`, or is at
/// least 20 long (ids such as `p09`, options such as `--board-key`, file names, tracking codes,
/// keys, fingerprints). For tests and fuzzing.
pub fn latin_words(text: &str, identifiers: &[&str]) -> Vec<String> {
    let mut text = text.to_string();
    for id in identifiers.iter().filter(|id| !id.is_empty()) {
        text = text.replace(id, " ");
    }
    // Quoted texts.
    let mut plain = String::with_capacity(text.len());
    let mut quoted = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', _) => {
                quoted = !quoted;
                plain.push(' ');
            }
            ('\\', true) => {
                chars.next();
            }
            (_, true) => {}
            (c, false) => plain.push(c),
        }
    }
    let is_part = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    plain
        .split(|c: char| !is_part(c))
        .filter(|run| {
            let letters = run.chars().filter(char::is_ascii_alphabetic).count();
            letters >= 3
                && run.len() < 20
                && !run
                    .chars()
                    .any(|c| c.is_ascii_digit() || matches!(c, '_' | '-' | '.'))
        })
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message of the catalogue, in both languages: an English text with English words,
    /// a Chinese text without any, and not the same text.
    #[test]
    fn every_message_is_rendered_in_both_languages() {
        let all: Vec<Message> = Text::every_kind()
            .into_iter()
            .map(Message::from)
            .chain(Message::every_other_kind())
            .collect();
        assert!(all.len() > 150, "{}", all.len());
        for m in &all {
            let (en, zh) = (m.text(Lang::En), m.text(Lang::Zh));
            assert_eq!(latin_words(&zh, &[]), Vec::<String>::new(), "{m:?}: {zh}");
            // The fingerprint's summary is the fingerprint alone, in both languages.
            if !matches!(m, Message::Text(Text::Fingerprint { .. })) {
                assert!(!zh.trim().is_empty() && !en.trim().is_empty(), "{m:?}");
                assert_ne!(en, zh, "{m:?}");
                assert!(!latin_words(&en, &[]).is_empty(), "{m:?}: {en}");
            }
        }
    }

    /// The check of a Chinese text finds English words, and passes over ids, codes and quotes.
    #[test]
    fn latin_words_finds_english_and_passes_over_identifiers() {
        assert_eq!(
            latin_words("第 3 条条目 does not parse", &[]),
            ["does", "not", "parse"]
        );
        assert!(latin_words("选举 demo 的", &[]) == ["demo"]);
        assert!(latin_words("选举 demo 的", &["demo"]).is_empty());
        let code = "oRKLNNy6n0VzYGQ3IrFr8Hk4kW2cHvLT5Xx2q3EduIQ";
        assert!(
            latin_words(
                &format!(
                    "跟踪码 {code}，项目 p09，标识 \"Bad \\\"word\\\"\"，--board-key，board.json"
                ),
                &[]
            )
            .is_empty()
        );
        assert_eq!(latin_words("\"a\" and \"b\"", &[]), ["and"]);
    }

    /// Every kind of board entry has its Chinese name.
    #[test]
    fn every_entry_kind_has_a_chinese_name() {
        for &kind in piaojue_crypto::board::entry::EVENT_KINDS {
            assert_ne!(kind_zh(kind), "条目", "{kind}");
        }
    }
}
