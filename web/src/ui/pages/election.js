// One election's public page (/elections/{id}, static/election.html), for observers and deputies:
// state and live counts, the fingerprint (recomputed from the board), the result as bar charts
// with the decision rule applied, the receipt check (R1–R4 in the browser, ../receipt.js), the
// candidate projects, the tellers and their key ceremony, the bulletin board's entries and signed
// tree head, the witnesses that cosign its checkpoints (../witnesses.js), and the record to
// download and verify offline.
//
// `/elections/{id}#receipt=<tracking code>` (the receipt's QR code) opens the page with that
// tracking code checked.
import * as P from '../../piaojue.js';
import {
  ApiError, addTexts, api, colon, currentLang, electionBoardKey, electionIdFromPath, errorText, formatMoney, formatNumber, formatPercent, formatTime, groupChars, h, initPage,
  listSep, onLangChange, pick, replace, t,
} from '../common.js';
import { apiPath, fetchCheckpoint, fetchEntries, fetchEntryBytes, loadSetup } from '../board.js';
import { checkReceipt, fragmentParam, parseReceipt, treeHeadSignedBytes } from '../receipt.js';
import { readTrackingCode, trackingCodeMatches, trackingCodeQuery } from '../../tracking.js';
import { trackingCodeCell, trackingCodeView } from '../tracking-view.js';
import { AUDIT_STEPS, checkAuditFile, parseAuditFile } from '../audit-file.js';
import { checkYourselfCard } from '../check-yourself.js';
import { loadWitnesses, namedWitnesses, witnessesCard, witnessesLagging, witnessesView } from '../witnesses.js';

addTexts({
  zh: {
    'page.title': '票决 · 公告板',
    'el.vote': '去投票',
    'el.stat.credentials': '凭证（代表）', 'el.stat.voted': '已投票', 'el.stat.ballots': '投出选票',
    'el.stat.audited': '核验选票', 'el.stat.entries': '公告板条目', 'el.stat.tellers': '监票人', 'el.stat.tellers.value': '{n} 人（{t} 人可解密）',
    'el.fingerprint': '选举指纹', 'el.fingerprint.ok': '已根据公告板数据重新计算，一致。',
    'el.fingerprint.bad': '与公告板数据重新计算的结果不一致！', 'el.fingerprint.none': '投票开始后公布。',
    'el.parent': '本次为对“{parent}”的重新表决。', 'el.children': '得票相同的项目已重新表决：',
    'el.approval': '候选项目经{body}审定（{reference}，{date}）。', 'el.plan': '年度计划',
    'el.valid': '表决是否有效', 'el.valid.yes': '有效', 'el.valid.no': '无效（未达法定人数，不产生结果）',
    'el.kind.approval': '候选项目审定',
    'el.result': '票决结果', 'el.result.pending': '计票后公布。', 'el.result.tallied': '计票完成，待公布。',
    'el.result.summary': '计入选票 {ballots} 张，代表名额 {roll} 人。',
    'el.quorum': '法定人数', 'el.quorum.met': '已达到（须超过 {num}/{den}）', 'el.quorum.not': '未达到（须超过 {num}/{den}）',
    'el.quorum.none': '无要求',
    'el.majority': '通过票数', 'el.majority.all_deputies': '至少 {n} 票（全体代表过半数）', 'el.majority.voting': '至少 {n} 票（投票代表过半数）',
    'el.seats': '名额', 'el.seats.n': '最多 {n} 个项目',
    'el.rule': '决定规则',
    'el.rule.counts': '只公布票数', 'el.rule.top_k': '差额票决：选出得票最多的通过项目',
    'el.rule.approve_each': '逐项表决：赞成票过半数的项目通过，按赞成票排序确定入选', 'el.rule.rating': '成效测评',
    'el.adopted': '入选', 'el.passed': '通过（名额已满）', 'el.not_passed': '未通过', 'el.tied': '票数相同',
    'el.rank': '第 {n} 名',
    'el.tie': '名额边界出现票数相同：{projects} 各得 {votes} 票，剩余名额 {seats} 个，须对这些项目重新表决。',
    'el.headline': '{adopted} 个项目入选，{empty} 个名额空缺。', 'el.headline.tie': '{adopted} 个项目入选，{tie} 个名额待重新表决，{empty} 个名额空缺。',
    'el.headline.invalid': '未达到法定人数，表决无效，没有项目入选。', 'el.headline.invalid_rating': '未达到法定人数，测评无效。',
    'el.headline.rating': '{satisfied} 个项目评为满意，{basically} 个评为基本满意，{not} 个评为不满意。',
    'el.result.rating': '测评结果',
    'el.rating.rule': '评价规则：“满意”票达到 {n} 票（{base}过半数）的，评为满意；否则“满意”与“基本满意”票合计达到 {n} 票的，评为基本满意；其余评为不满意。评价等级由票数直接比较得出，不受满意率四舍五入的影响。满意率为“满意”与“基本满意”票合计占投票总数的比例，四舍五入保留两位小数。',
    'el.rating.base.all_deputies': '全体代表', 'el.rating.base.voting': '投票代表',
    'el.rating.satisfied': '满意', 'el.rating.basically_satisfied': '基本满意', 'el.rating.not_satisfied': '不满意',
    'el.satisfaction': '满意率 {p}%',
    'el.votes': '{n} 票',
    'el.threshold': '通过线',
    'el.receipt': '核对我的选票', 'el.receipt.help': '输入 16 位跟踪码，或选择下载的回执文件，或粘贴回执内容。浏览器会检查这张选票确实在公告板上、公告板为它签了名、公告板此后没有删改（在“以最后一次投票为准”的选举中，还检查它没有被同一凭证后来投出的选票取代）。只凭 16 位跟踪码核对，说明公告板上有一张跟踪码以这 16 位开头的选票；回执文件中的完整跟踪码才能确切证明它就是您的设备生成的那张选票。',
    'el.receipt.label': '跟踪码或回执', 'el.receipt.button': '核对',
    'el.receipt.file': '或选择下载的回执文件（.json）：', 'el.receipt.file_bad': '无法读取这个文件。',
    'el.receipt.bad': '请输入 16 位跟踪码（不区分大小写，可带短横线或空格）、完整跟踪码或回执内容。',
    'el.receipt.wrong_code': '服务器返回的回执属于另一个跟踪码（{code}），不是您输入的跟踪码。请告知监票人。', 'el.receipt.not_found': '公告板上没有这个跟踪码的选票。',
    'el.receipt.other_election': '这份回执属于另一场选举（{id}）。',
    'el.receipt.passed': '核对通过：您的选票在公告板第 {index} 条，公告板至今未删改。',
    'el.receipt.failed': '核对未通过！请保存回执并告知监票人。',
    'el.receipt.audited': '这是一张核验过的选票（作废，不计票），其公开内容为：',
    'el.receipt.cast': '这是一张投出的选票（内容保密）。',
    'el.R1': 'R1 回执由公告板签名，选票在公告板的记录中', 'el.R2': 'R2 公告板上的这条记录就是这张选票', 'el.R3': 'R3 公告板当前的记录已签名', 'el.R4': 'R4 公告板没有删改此前的记录',
    'el.step.passed': '通过', 'el.step.failed': '未通过', 'el.step.skipped': '跳过',
    // A failure's text in Chinese (`el.fail.<step>.<code>`); in English the spec's own text.
    'el.fail.R1.signature': '公告板对回执的签名未通过验证。',
    'el.fail.R1.tree-head': '公告板对回执中树头的签名未通过验证。',
    'el.fail.R1.wrong-log': '回执中的树头属于另一个公告板日志。',
    'el.fail.R1.inclusion': '回执中的证明与公告板签名的记录对不上：这张选票不在该记录中。',
    'el.fail.R2.fetch': '无法取得公告板第 {index} 条。',
    'el.fail.R2.leaf': '公告板条目的叶哈希与回执不一致。',
    'el.fail.R2.parse': '公告板条目无法解析。',
    'el.fail.R2.index': '公告板条目自称第 {entry} 条，回执记载的是第 {receipt} 条。',
    'el.fail.R2.kind': '该条目是“{kind}”，不是选票。',
    'el.fail.R2.tracking-code': '该条目中选票的跟踪码是 {code}，回执记载的是 {receipt}。',
    'el.fail.R3.fetch': '无法取得公告板当前的签名。',
    'el.fail.R3.signature': '公告板对当前树头的签名未通过验证。',
    'el.fail.R3.wrong-log': '当前树头属于另一个公告板日志。',
    'el.fail.R3.shrunk': '公告板日志现在只有 {size} 条，少于回执中的 {receiptSize} 条。',
    'el.fail.R3.older': '当前树头的时间（{time}）早于回执中树头的时间（{receiptTime}）。',
    'el.fail.R4.forked': '公告板另有一个 {size} 条的树头，根哈希不同：公告板出现了分叉。',
    'el.fail.R4.fetch': '无法取得一致性证明。',
    'el.fail.R4.sizes': '公告板给出的是从 {old} 条到 {new} 条的一致性证明，而不是从 {m} 条到 {n} 条。',
    'el.fail.R4.inconsistent': '从 {m} 条到 {n} 条的一致性证明未通过验证：公告板改写了历史。',
    'el.fail.R3.manifest-fetch': '无法取得本次选举的清单（公告板第 0 条）及其包含证明。',
    'el.fail.R3.manifest-inclusion': '公告板关于第 0 条条目在回执签署时日志中的证明未通过验证：公告板改动了该日志或其第 0 条条目。',
    'el.fail.R3.manifest-board': '公告板第 0 条不是本次选举的清单，或者清单指定的不是这个公告板的公钥。',
    'el.fail.R3.checkpoint-fetch': '无法取得经清单所列见证人副签的检查点。',
    'el.fail.R3.checkpoint': '公告板给出的副签检查点不是本次选举记录的签名检查点。',
    'el.fail.R3.checkpoint-signature': '公告板对副签检查点的签名未通过验证。',
    'el.fail.R3.cosignatures': '公告板给出的检查点只有 {count} 名清单所列见证人的有效副签，少于规定的 {quorum} 名。',
    'el.fail.R3.not-witnessed': '见证人最近副签的检查点只有 {size} 条，少于回执中的 {receiptSize} 条：见证人还没有看到这张选票，请过一分钟再核对。',
    'el.fail.R4.witnessed-forked': '见证人副签的检查点与回执的条数相同，但根哈希不同：公告板给见证人看的是另一份记录。',
    'el.fail.R4.witnessed-inconsistent': '从回执的 {m} 条到副签检查点的 {n} 条的一致性证明未通过验证：公告板给见证人看的是另一份记录。',
    'el.R3.witnessed': '含 {size} 条的检查点经 {count} 名见证人副签（须 {quorum} 名）。',
    'el.R3.no_witnesses': '清单未指定见证人。',
    'el.receipt.malformed': '无法核对：回执或公告板提供的核对数据格式不对。',
    'el.skip.no-head': '没有当前树头。', 'el.skip.head-failed': '当前树头未通过验证。',
    'el.fail.R2.revote-unknown': '公告板第 0 条不是本次选举的清单，无法确定重复投票规则。',
    'el.fail.R2.head': '无法取得公告板当前的签名。',
    'el.fail.R2.replaced': '同一凭证后来投出的选票（公告板第 {index} 条，跟踪码 {trackingCode}）取代了这张选票：这张选票不再计票。',
    'el.fail.R2.later-fetch': '无法取得公告板第 {index} 条。',
    'el.fail.R2.later-parse': '公告板第 {index} 条无法解析。',
    'el.contests': '表决事项与候选项目',
    'el.contest.range': '可选 {min}–{max} 项', 'el.contest.max': '最多选 {max} 项', 'el.contest.exact': '须选 {max} 项',
    'el.dept': '责任单位', 'el.invest': '总投资 {n}', 'el.completion': '完成时限 {d}',
    'el.tellers': '监票人与密钥生成', 'el.tellers.params': '共 {n} 名监票人，任意 {t} 名即可解密计票结果；任何人都不能单独解密选票。',
    'el.ceremony': '密钥生成进度', 'el.round.announcement': '公告', 'el.round.commitment': '承诺',
    'el.round.reveal': '公开', 'el.round.share_check': '份额核对',
    'el.ceremony.done': '密钥生成已完成：计票时须有足够的监票人共同解密。', 'el.ceremony.key': '选举公钥：', 'el.ceremony.failed': '密钥生成失败。',
    'el.teller': '监票人 {i}',
    'el.board': '公告板', 'el.head': '公告板最新签名', 'el.head.size': '{n} 条', 'el.head.root': '根哈希：', 'el.head.tech': '记录摘要',
    'el.head.sig_ok': '签名有效', 'el.head.sig_bad': '签名无效！',
    'el.col.index': '序号', 'el.col.kind': '事件 · 时间', 'el.col.detail': '内容',
    'el.older': '较早', 'el.newer': '较新', 'el.latest': '最新',
    'el.page': '第 {from}–{to} 条，共 {n} 条',
    'el.kind.manifest': '选举设立', 'el.kind.tellers': '监票人', 'el.kind.announcement': '密钥公告',
    'el.kind.commitment': '密钥承诺', 'el.kind.reveal': '密钥公开', 'el.kind.share_check': '份额核对',
    'el.kind.ceremony_output': '密钥生成完成', 'el.kind.ceremony_failed': '密钥生成失败', 'el.kind.credentials': '登记凭证',
    'el.kind.open': '开始投票', 'el.kind.ballot': '选票', 'el.kind.audited': '核验选票', 'el.kind.close': '截止投票',
    'el.kind.tally': '加密合计', 'el.kind.decryption_share': '解密份额', 'el.kind.result': '计票结果', 'el.kind.published': '公布',
    'el.detail.credentials': '{n} 个凭证', 'el.detail.open': '{n} 个凭证', 'el.detail.close': '{n} 张选票',
    'el.detail.teller': '监票人 {i}',
    'el.record.pending': '投票开始后才能检查。',
    // Failures in plain words (issue 16 item 7); the exact terms stay under 技术细节.
    'el.plain.R4.forked': '公告板对同一段记录给出了两个不同的版本：公告板的记录出现了分叉。',
    'el.plain.R4.fetch': '无法取得公告板“此后没有删改”的证明。',
    'el.plain.R4.sizes': '公告板给出的证明不是所要的那一段记录（从第 {m} 条到第 {n} 条）的证明。',
    'el.plain.R4.inconsistent': '公告板现在的记录不是回执签署时那份记录的延续：公告板改写了此前的记录。',
    'el.plain.R4.witnessed-forked': '见证人看到的记录与回执所见的不是同一份：公告板给见证人看的是另一份记录。',
    'el.plain.R4.witnessed-inconsistent': '见证人看到的记录不是回执所见记录的延续：公告板给见证人看的是另一份记录。',
    'el.plain.R3.manifest-board': '公告板第 0 条不是本次选举的设立记录，或者设立记录指定的不是这个公告板。',
    'el.receipt.key.plain': '本次核对所依据的公告板签名凭据取自本服务器；请与组织方另行公布的凭据比对（见技术细节）。',
    'el.receipt.key.tech': '公告板公钥：{key}',
    'el.receipt.details': '技术细节',
    'el.receipt.proves': '只凭跟踪码核对，已证明：公告板上有这个跟踪码的选票，公告板为它签了名，此后没有删改。',
    'el.receipt.proves_not': '没有证明：这张选票加密的正是您的选择。这要靠投票时的“核验这张选票”（核验文件可在下面“自行核验”中检查），或用回执文件核对它就是您的设备生成的那张选票。',
    // The audit file (A1–A4).
    'el.audit': '检查核验文件', 'el.audit.help': '投票时选择“核验这张选票”后可以下载核验文件。选择该文件，浏览器会用公开的加密随机数重新加密，检查选票如实加密了文件所公开的选择，并检查公告板已将它列为作废的核验选票。',
    'el.audit.file': '选择核验文件（.json）：', 'el.audit.bad': '这不是核验文件：无法读取其中的选票和公开值。',
    'el.audit.passed': '核验文件检查通过：选票如实加密了下列选择，公告板已将它列为核验选票（作废，不计票）。',
    'el.audit.failed': '核验文件检查未通过！请保存该文件并告知监票人。',
    'el.audit.revealed': '核验文件公开的选择：',
    'el.A1': 'A1 文件中的选票属于本选举，格式正确', 'el.A2': 'A2 公开的选择重新加密后与选票一致', 'el.A3': 'A3 选票的签名与证明有效', 'el.A4': 'A4 公告板已将它列为核验选票',
    'el.afail.decode': '文件中的选票无法解读。', 'el.afail.V5.1': '这张选票属于另一场选举。', 'el.afail.V5.3': '选票的结构与本选举的表决事项不符。',
    'el.afail.V6.2': '公开的选择与选票不一致：选票加密的不是文件所公开的选择。', 'el.afail.selection': '公开的选择不符合本选举的选择规则。',
    'el.afail.V5.2': '选票的投票凭证不在本选举登记的凭证中。', 'el.afail.V5.4': '投票凭证对选票的签名无效。',
    'el.afail.V5.5': '选票中某个选项的证明无效。', 'el.afail.V5.6': '选票中选择数的证明无效。',
    'el.afail.not-on-board': '公告板上没有这张核验选票：公告板没有公布这次核验。', 'el.afail.cast': '这张选票被投出了：核验过的选票不得计票。',
    'el.afail.fetch': '无法读取公告板。',
  },
  en: {
    'page.title': 'Piaojue · Bulletin board',
    'el.vote': 'Vote',
    'el.stat.credentials': 'Credentials (deputies)', 'el.stat.voted': 'Voted', 'el.stat.ballots': 'Ballots cast',
    'el.stat.audited': 'Audited ballots', 'el.stat.entries': 'Board entries', 'el.stat.tellers': 'Tellers', 'el.stat.tellers.value': '{n} (any {t} decrypt)',
    'el.fingerprint': 'Election fingerprint', 'el.fingerprint.ok': 'Recomputed from the board’s data: it matches.',
    'el.fingerprint.bad': 'It does NOT match the one recomputed from the board’s data!', 'el.fingerprint.none': 'Published when voting opens.',
    'el.parent': 'This is a re-vote of “{parent}”.', 'el.children': 'The tied projects were re-voted in: ',
    'el.approval': 'Candidate list approved by {body} ({reference}, {date}).', 'el.plan': 'Year plan',
    'el.valid': 'Valid vote', 'el.valid.yes': 'yes', 'el.valid.no': 'NO (no quorum: no result)',
    'el.kind.approval': 'candidates approved',
    'el.result': 'Result', 'el.result.pending': 'Published after the tally.', 'el.result.tallied': 'Counted; to be published.',
    'el.result.summary': '{ballots} ballots counted, {roll} deputies on the roll.',
    'el.quorum': 'Quorum', 'el.quorum.met': 'met (more than {num}/{den} needed)', 'el.quorum.not': 'NOT met (more than {num}/{den} needed)',
    'el.quorum.none': 'none',
    'el.majority': 'Votes to pass', 'el.majority.all_deputies': 'at least {n} (majority of all deputies)', 'el.majority.voting': 'at least {n} (majority of those voting)',
    'el.seats': 'Seats', 'el.seats.n': 'at most {n} projects',
    'el.rule': 'Decision rule',
    'el.rule.counts': 'counts only', 'el.rule.top_k': 'choose up to K: the passing projects with most votes',
    'el.rule.approve_each': 'yes/no on each: projects with a majority pass, ranked by yes-votes', 'el.rule.rating': 'satisfaction rating',
    'el.adopted': 'adopted', 'el.passed': 'passed (no seat left)', 'el.not_passed': 'not passed', 'el.tied': 'tied',
    'el.rank': 'rank {n}',
    'el.tie': 'Tie at the last seat: {projects} each have {votes} votes for {seats} seat(s) left; these projects go to a re-vote.',
    'el.headline': 'Projects adopted: {adopted}; seats left empty: {empty}.', 'el.headline.tie': 'Projects adopted: {adopted}; seats to be re-voted: {tie}; seats left empty: {empty}.',
    'el.headline.invalid': 'No quorum: the vote is not valid and no project is adopted.', 'el.headline.invalid_rating': 'No quorum: the evaluation is not valid.',
    'el.headline.rating': 'Rated satisfied: {satisfied}; basically satisfied: {basically}; not satisfied: {not}.',
    'el.result.rating': 'Evaluation result',
    'el.rating.rule': 'Rating rule: a project with at least {n} “satisfied” votes (a majority of {base}) is rated satisfied; otherwise one with at least {n} “satisfied” and “basically satisfied” votes together is rated basically satisfied; the others are rated not satisfied. The rating compares vote counts exactly and does not depend on how the satisfaction rate is rounded. The satisfaction rate is the share of “satisfied” and “basically satisfied” votes among all ballots, rounded to two decimals.',
    'el.rating.base.all_deputies': 'all deputies', 'el.rating.base.voting': 'those voting',
    'el.rating.satisfied': 'satisfied', 'el.rating.basically_satisfied': 'basically satisfied', 'el.rating.not_satisfied': 'not satisfied',
    'el.satisfaction': 'satisfaction {p}%',
    'el.votes': '{n} votes',
    'el.threshold': 'pass line',
    'el.receipt': 'Check my ballot', 'el.receipt.help': 'Type the 16-character tracking code, or choose the downloaded receipt file, or paste the receipt. The browser checks that the ballot is on the bulletin board, that the board signed for it and has removed or rewritten nothing since (and, where the last ballot counts, that no later ballot of the same credential replaced it). Checked by the 16 characters alone, this shows that the board holds a ballot whose tracking code begins with them; the full tracking code in the receipt file proves that it is exactly the ballot your device made.',
    'el.receipt.label': 'Tracking code or receipt', 'el.receipt.button': 'Check',
    'el.receipt.file': 'Or choose the downloaded receipt file (.json):', 'el.receipt.file_bad': 'This file cannot be read.',
    'el.receipt.bad': 'Type the 16-character tracking code (upper or lower case, hyphens and spaces allowed), the full tracking code, or paste the receipt.',
    'el.receipt.wrong_code': 'The server answered with the receipt of another tracking code ({code}), not the one you typed. Please tell the tellers.', 'el.receipt.not_found': 'The board has no ballot with this tracking code.',
    'el.receipt.other_election': 'This receipt is for another election ({id}).',
    'el.receipt.passed': 'Passed: your ballot is entry {index} of the board, and the board has not been rewritten since.',
    'el.receipt.failed': 'The check FAILED! Keep the receipt and tell the tellers.',
    'el.receipt.audited': 'This is an audited ballot (void, not counted); its revealed content:',
    'el.receipt.cast': 'This is a cast ballot (its content stays secret).',
    'el.R1': 'R1 The board signed the receipt, and the ballot is in its log', 'el.R2': 'R2 This entry of the board is this ballot', 'el.R3': 'R3 The board’s current log is signed', 'el.R4': 'R4 The board has removed or rewritten nothing since',
    'el.step.passed': 'passed', 'el.step.failed': 'FAILED', 'el.step.skipped': 'skipped',
    'el.R3.witnessed': "The checkpoint of {size} entries is cosigned by {count} of the manifest's witnesses (quorum {quorum}).",
    'el.R3.no_witnesses': 'The manifest names no witnesses.',
    'el.contests': 'Contests and candidate projects',
    'el.contest.range': 'choose {min}–{max}', 'el.contest.max': 'choose at most {max}', 'el.contest.exact': 'choose {max}',
    'el.dept': 'Department', 'el.invest': 'investment {n}', 'el.completion': 'completion {d}',
    'el.tellers': 'Tellers and key ceremony', 'el.tellers.params': '{n} tellers; any {t} of them can decrypt the totals, and nobody can decrypt a ballot.',
    'el.ceremony': 'Key ceremony', 'el.round.announcement': 'announcements', 'el.round.commitment': 'commitments',
    'el.round.reveal': 'reveals', 'el.round.share_check': 'share checks',
    'el.ceremony.done': 'Complete: decrypting the totals needs enough of the tellers together.', 'el.ceremony.key': 'Election public key:', 'el.ceremony.failed': 'The key ceremony failed.',
    'el.teller': 'Teller {i}',
    'el.board': 'Bulletin board', 'el.head': 'Latest signed tree head', 'el.head.size': '{n} entries', 'el.head.root': 'Root hash:', 'el.head.tech': 'Log digest',
    'el.head.sig_ok': 'signature valid', 'el.head.sig_bad': 'signature INVALID!',
    'el.col.index': '#', 'el.col.kind': 'Event · time', 'el.col.detail': 'Content',
    'el.older': 'Older', 'el.newer': 'Newer', 'el.latest': 'Latest',
    'el.page': 'entries {from}–{to} of {n}',
    'el.kind.manifest': 'election created', 'el.kind.tellers': 'tellers', 'el.kind.announcement': 'announcement',
    'el.kind.commitment': 'commitment', 'el.kind.reveal': 'reveal', 'el.kind.share_check': 'share check',
    'el.kind.ceremony_output': 'election key', 'el.kind.ceremony_failed': 'ceremony failed', 'el.kind.credentials': 'credentials',
    'el.kind.open': 'voting opens', 'el.kind.ballot': 'ballot', 'el.kind.audited': 'audited ballot', 'el.kind.close': 'voting closes',
    'el.kind.tally': 'encrypted tally', 'el.kind.decryption_share': 'decryption share', 'el.kind.result': 'result', 'el.kind.published': 'published',
    'el.detail.credentials': '{n} credential keys', 'el.detail.open': '{n} credentials', 'el.detail.close': '{n} ballots',
    'el.detail.teller': 'teller {i}',
    'el.record.pending': 'This can be checked once voting opens.',
    'el.plain.R4.forked': 'The board gave two different versions of the same stretch of its log: the board forked.',
    'el.plain.R4.fetch': 'The board’s proof that it has removed or rewritten nothing since could not be had.',
    'el.plain.R4.sizes': 'The board answered with a proof for another stretch of its log than the one asked for (entries {m} to {n}).',
    'el.plain.R4.inconsistent': 'The board’s log now does not continue the log the receipt was signed for: the board rewrote its history.',
    'el.plain.R4.witnessed-forked': 'The witnesses saw another log than the receipt’s: the board showed the witnesses another log.',
    'el.plain.R4.witnessed-inconsistent': 'The log the witnesses saw does not continue the receipt’s: the board showed the witnesses another log.',
    'el.plain.R3.manifest-board': 'Entry 0 of the board is not this election’s set-up, or the set-up names another board.',
    'el.receipt.key.plain': 'The board’s signatures were checked with the board’s identity as this server gives it; compare it with the one the organisers published (see Technical details).',
    'el.receipt.key.tech': 'Board public key: {key}',
    'el.receipt.details': 'Technical details',
    'el.receipt.proves': 'Checked by the tracking code alone, this proves: the board holds a ballot with this tracking code, signed for it, and has removed or rewritten nothing since.',
    'el.receipt.proves_not': 'It does not prove that this ballot encrypts your choices. That needs the audit of a ballot at the booth (check the audit file under “Check it yourself” below), or the receipt file, to show it is the ballot your device made.',
    'el.audit': 'Check an audit file', 'el.audit.help': 'After “Audit this ballot” at the booth you can download the audit file. Choose it here: the browser re-encrypts the revealed choices with the revealed randomness, checks that the ballot encrypts exactly them, and that the board lists it as an audited (void) ballot.',
    'el.audit.file': 'Choose the audit file (.json):', 'el.audit.bad': 'This is not an audit file: its ballot and opening cannot be read.',
    'el.audit.passed': 'The audit file passed: the ballot encrypts exactly the choices below, and the board lists it as audited (void, not counted).',
    'el.audit.failed': 'The audit file FAILED! Keep the file and tell the tellers.',
    'el.audit.revealed': 'The choices the audit file reveals:',
    'el.A1': 'A1 The file holds a well-formed ballot of this election', 'el.A2': 'A2 The revealed choices re-encrypt to the ballot', 'el.A3': 'A3 The ballot’s signature and proofs are valid', 'el.A4': 'A4 The board lists it as audited',
  },
});

const id = electionIdFromPath();
const $ = (x) => document.getElementById(x);
const PAGE = 20;
const POLL_MS = 4000;

const S = {
  status: null, setup: null, boardKey: null, head: null, headOk: null,
  result: null, // { counts, outcome }
  pageFrom: null, // first index of the entries page shown; null: the latest page
  entries: [], check: null, checkError: null, checkInput: '',
  witnesses: null, // { cosignatures, checkpoint } (../witnesses.js `loadWitnesses`); null: not loaded, or none named
  audit: null, auditError: null, // the audit file's check (../audit-file.js)
  downloads: null, // GET /api/downloads: the verifier's files, or null
};

const card = (sectionId, title, ...body) => h('div', { class: 'card', id: `${sectionId}-card` }, h('h2', {}, title), ...body);
const hexLine = (hex, attrs = {}) => h('div', { class: 'hex mono hexline', ...attrs }, groupChars(hex));

// ------------------------------------------------------------------------------------------
// Overview

/** An election by its title (from the list of elections), its id only if the list lacks it. */
function electionName(electionId) {
  const e = S.elections?.find((x) => x.election_id === electionId);
  return e?.manifest?.title ? pick(e.manifest.title) : electionId;
}

function renderOverview() {
  const s = S.status;
  const m = s.manifest;
  const stat = (key, value, sid) => h('div', { class: 'stat', id: sid }, h('b', {}, value), h('span', {}, t(key)));
  let fp;
  if (!s.fingerprint) fp = h('p', { class: 'muted' }, t('el.fingerprint.none'));
  else {
    const ok = S.setup?.fingerprint === s.fingerprint;
    fp = [hexLine(s.fingerprint, { id: 'fingerprint' }),
      S.setup ? h('div', { class: `notice ${ok ? 'ok' : 'error'}`, id: 'fingerprint-check', dataset: { ok: String(ok) } }, t(ok ? 'el.fingerprint.ok' : 'el.fingerprint.bad')) : null];
  }
  replace($('overview'),
    h('h1', {}, pick(m.title)),
    h('div', { class: 'muted' }, pick(m.congress)),
    h('div', { class: 'row' }, h('span', { class: `badge state-${s.state}`, id: 'state', dataset: { state: s.state } }, t(`state.${s.state}`)),
      h('span', { class: 'muted mono' }, s.election_id),
      s.state === 'open' ? h('a', { class: 'button primary', href: `/elections/${encodeURIComponent(id)}/vote`, id: 'vote-link' }, t('el.vote')) : null),
    s.parent ? h('p', { id: 'parent' }, h('a', { href: `/elections/${encodeURIComponent(s.parent)}` }, t('el.parent', { parent: electionName(s.parent) }))) : null,
    S.children?.length ? h('p', { id: 'children' }, t('el.children'), S.children.flatMap((c, i) => [i ? listSep() : '', h('a', { href: `/elections/${encodeURIComponent(c)}` }, electionName(c))])) : null,
    S.approval ? h('p', { id: 'approval' }, t('el.approval', { body: pick(S.approval.body), reference: S.approval.reference, date: S.approval.date }), ' ',
      h('a', { href: `/plan${/-(\d{4})-/.test(id) ? `?year=${id.match(/-(\d{4})-/)[1]}` : ''}` }, t('el.plan'))) : null,
    h('div', { class: 'stats' },
      stat('el.stat.credentials', s.credentials, 'stat-credentials'),
      stat('el.stat.voted', s.voted, 'stat-voted'),
      stat('el.stat.ballots', s.ballots, 'stat-ballots'),
      stat('el.stat.audited', s.audited, 'stat-audited'),
      stat('el.stat.entries', s.log_size, 'stat-entries'),
      stat('el.stat.tellers', t('el.stat.tellers.value', m.tellers), 'stat-tellers')),
    h('h2', {}, t('el.fingerprint')), fp);
}

// ------------------------------------------------------------------------------------------
// Result

function ruleRows(rule, outcome) {
  const rows = [[t('el.rule'), t(`el.rule.${rule.kind}`)]];
  if (rule.kind === 'counts') return rows;
  const q = rule.quorum;
  rows.push([t('el.quorum'), q.num === 0 ? t('el.quorum.none') : t(outcome.quorum_met ? 'el.quorum.met' : 'el.quorum.not', q)]);
  rows.push([t('el.valid'), t(outcome.quorum_met ? 'el.valid.yes' : 'el.valid.no')]);
  if (rule.kind !== 'rating') {
    rows.push([t('el.majority'), t(`el.majority.${rule.majority}`, { n: outcome.majority_threshold })]);
    rows.push([t('el.seats'), t('el.seats.n', { n: rule.seats })]);
  }
  return rows;
}

function projectStatus(p, tied) {
  if (p.adopted) return 'adopted';
  if (tied) return 'tied';
  if (p.passes) return 'passed';
  return 'failed';
}

function bars(items, scale, threshold) {
  return h('ul', { class: 'bars' }, items.map((it) => h('li', { dataset: { option: it.id, votes: String(it.votes), status: it.status ?? '' } },
    h('div', { class: 'bar-label' },
      h('span', {}, it.label, it.tags),
      h('b', {}, t('el.votes', { n: formatNumber(it.votes) }))),
    h('div', { class: 'bar-track', role: 'img', 'aria-label': `${it.label}: ${it.votes}` },
      h('div', { class: `bar ${it.status ?? ''}`, style: null, dataset: { width: String(scale ? it.votes / scale : 0) } }),
      threshold ? h('div', { class: 'bar-threshold', title: t('el.threshold'), dataset: { left: String(threshold / scale) } }) : null))));
}

// The CSP forbids inline styles in the markup; widths are set through the CSSOM.
function sizeBars(root) {
  for (const b of root.querySelectorAll('.bar[data-width]')) b.style.width = `${Math.min(100, Number(b.dataset.width) * 100)}%`;
  for (const b of root.querySelectorAll('.bar-threshold[data-left]')) b.style.left = `${Math.min(100, Number(b.dataset.left) * 100)}%`;
}

function tag(status) {
  const key = { adopted: 'el.adopted', passed: 'el.passed', tied: 'el.tied', failed: 'el.not_passed' }[status];
  return h('span', { class: `tag ${status}` }, t(key));
}

/** A project of the outcome by its name: its option's title (`top_k`) or its contest's title. */
function projectName(m, projectId) {
  if (m.decision.kind === 'top_k') {
    const o = m.contests[0]?.options.find((x) => x.id === projectId);
    return o ? pick(o.title) : projectId;
  }
  const c = m.contests.find((x) => x.id === projectId);
  return c ? pick(c.title) : projectId;
}

/** The one-line summary of an outcome (`#result-headline`), or null for `counts`. */
function headline(rule, outcome) {
  if (rule.kind === 'counts') return null;
  if (!outcome.quorum_met) return t(rule.kind === 'rating' ? 'el.headline.invalid_rating' : 'el.headline.invalid');
  if (rule.kind === 'rating') {
    const n = (r) => outcome.projects.filter((p) => p.rating === r).length;
    return t('el.headline.rating', { satisfied: n('satisfied'), basically: n('basically_satisfied'), not: n('not_satisfied') });
  }
  const adopted = outcome.projects.filter((p) => p.adopted).length;
  const tie = outcome.tie?.seats_left ?? 0;
  const empty = Math.max(0, rule.seats - adopted - tie);
  return tie ? t('el.headline.tie', { adopted, tie, empty }) : t('el.headline', { adopted, empty });
}

/** Votes first, then ballot order: how results are listed. */
const byVotes = (a, b) => b.votes - a.votes || a.order - b.order;

function ratingLegend() {
  return h('div', { class: 'legend', id: 'result-legend' },
    ['satisfied', 'basically_satisfied', 'not_satisfied'].map((r) => h('span', {}, h('i', { class: `k-${r}` }), t(`el.rating.${r}`))));
}

function renderResult() {
  const box = $('result');
  if (!S.result) {
    // The counts are shown once the staff publish them (the shares stay on the board, as they must).
    if (S.status?.state === 'closed') return replace(box, card('result', t('el.result'), h('p', { class: 'muted', id: 'result-pending' }, t('el.result.pending'))));
    if (S.status?.state === 'tallied') return replace(box, card('result', t('el.result'), h('p', { class: 'notice', id: 'result-pending' }, t('el.result.tallied'))));
    return replace(box);
  }
  const m = S.status.manifest;
  const rule = m.decision;
  const { counts, outcome } = S.result;
  const rating = rule.kind === 'rating';
  const tiedIds = new Set(outcome.tie?.projects ?? []);
  const scale = Math.max(1, rule.majority === 'voting' ? outcome.ballots : outcome.roll, ...counts.flat());
  const threshold = outcome.majority_threshold || null;
  const rankTag = (p) => (p.rank ? h('span', { class: 'tag rank' }, t('el.rank', { n: p.rank })) : null);
  let contests = m.contests.map((c, ci) => {
    let items;
    if (rule.kind === 'top_k') {
      items = c.options.map((o, oi) => {
        const p = outcome.projects.find((x) => x.contest === ci && x.option === oi);
        const status = p ? projectStatus(p, tiedIds.has(p.id)) : null;
        return { id: o.id, label: pick(o.title), votes: counts[ci][oi], order: oi, status, tags: p ? [tag(status), rankTag(p)] : null };
      }).sort(byVotes);
    } else {
      items = c.options.map((o, oi) => ({ id: o.id, label: pick(o.title), votes: counts[ci][oi], order: oi, status: null, tags: null }));
    }
    const p = rule.kind === 'approve_each' || rating ? outcome.projects.find((x) => x.contest === ci) : null;
    let verdict = null;
    if (p && rule.kind === 'approve_each') {
      const st = projectStatus(p, tiedIds.has(p.id));
      items[0].status = st;
      verdict = h('div', {}, tag(st), rankTag(p));
    }
    if (p && rating) {
      const [sat, basic] = counts[ci];
      verdict = h('div', {}, p.rating ? h('span', { class: `tag rating-${p.rating}`, dataset: { rating: p.rating } }, t(`el.rating.${p.rating}`)) : null,
        h('span', { class: 'tag satisfaction' }, t('el.satisfaction', { p: formatPercent(sat + basic, outcome.ballots) })));
    }
    const node = h('div', { class: 'contest-result', dataset: { contest: c.id } },
      h('h3', {}, pick(c.title), ' ', verdict),
      bars(items, scale, rule.kind === 'top_k' || rule.kind === 'approve_each' ? threshold : null));
    return { node, votes: p && rule.kind === 'approve_each' ? p.yes : 0, order: ci };
  });
  // Yes/no on each project: the projects by yes-votes.
  if (rule.kind === 'approve_each') contests = contests.sort(byVotes);
  const base = rule.majority === 'voting' ? 'voting' : 'all_deputies';
  const line = headline(rule, outcome);
  const node = card('result', t(rating ? 'el.result.rating' : 'el.result'),
    line ? h('p', { id: 'result-headline', class: 'headline' }, line) : null,
    h('p', { id: 'result-summary' }, t('el.result.summary', { ballots: outcome.ballots, roll: outcome.roll })),
    rating ? h('p', { id: 'rating-rule', class: 'muted' }, t('el.rating.rule', { n: outcome.majority_threshold, base: t(`el.rating.base.${base}`) })) : null,
    h('dl', { class: 'kv' }, ruleRows(rule, outcome).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    outcome.tie ? h('div', { class: 'notice warn', id: 'tie' }, t('el.tie', {
      projects: outcome.tie.projects.map((x) => projectName(m, x)).join(listSep()), votes: outcome.tie.votes, seats: outcome.tie.seats_left,
    })) : null,
    rule.kind === 'counts' ? null : rating ? ratingLegend() : h('div', { class: 'legend', id: 'result-legend' },
      h('span', {}, h('i', { class: 'k-adopted' }), t('el.adopted')), h('span', {}, h('i', { class: 'k-passed' }), t('el.passed')),
      h('span', {}, h('i', {}), t('el.not_passed')), threshold ? h('span', {}, h('i', { class: 'k-threshold' }), t('el.threshold')) : null),
    contests.map((c) => c.node));
  replace(box, node);
  sizeBars(node);
}

// ------------------------------------------------------------------------------------------
// Receipt check

const receiptInput = h('textarea', { id: 'receipt-input', spellcheck: 'false', autocomplete: 'off' });
// A phone cannot paste a downloaded file: the receipt file is read here and checked at once.
const receiptFile = h('input', {
  type: 'file', id: 'receipt-file', accept: '.json,application/json',
  onchange: async () => {
    const file = receiptFile.files?.[0];
    if (!file) return;
    let text;
    try {
      text = await file.text();
    } catch {
      S.check = null;
      S.checkError = t('el.receipt.file_bad');
      renderReceiptForm();
      return;
    }
    receiptFile.value = '';
    receiptInput.value = text.trim();
    runCheck(text);
  },
});

function renderReceiptForm() {
  const c = S.check;
  let out = null;
  if (S.checkError) out = h('div', { class: 'notice error', id: 'receipt-result', dataset: { passed: 'false' } }, S.checkError);
  else if (c) {
    out = h('div', { id: 'receipt-result', dataset: { passed: String(c.report.passed) } },
      h('div', { class: `notice ${c.report.passed ? 'ok' : 'error'}` },
        t(c.report.passed ? 'el.receipt.passed' : 'el.receipt.failed', { index: c.report.receipt.index })),
      trackingCodeView(c.report.receipt.tracking_code),
      h('ul', { class: 'steps-list' }, c.report.steps.map((s) => h('li', { class: s.status, dataset: { step: s.id, status: s.status } },
        h('b', {}, t(`el.${s.id}`)), ' — ', t(`el.step.${s.status}`),
        s.failures.map((f) => failureView(s.id, f)),
        s.id === 'R3' && s.detail?.witnesses ? h('div', { class: 'muted', id: 'receipt-witnesses', dataset: { size: String(s.detail.witnesses.size ?? 0), count: String(s.detail.witnesses.count ?? 0), quorum: String(s.detail.witnesses.quorum ?? 0) } },
          s.detail.witnesses.none ? t('el.R3.no_witnesses') : t('el.R3.witnessed', s.detail.witnesses)) : null,
        s.status === 'skipped' && s.detail?.reason ? h('div', { class: 'muted' }, localText(`el.skip.${s.detail.reasonCode}`, {}, s.detail.reason)) : null))),
      c.opened ? [h('p', {}, t('el.receipt.audited')), h('ul', { id: 'opened' }, c.opened)] : c.kind === 'ballot' ? h('p', { class: 'muted' }, t('el.receipt.cast')) : null,
      // Checked by the tracking code alone: what that proved, and what it did not.
      c.byCode && c.report.passed ? h('div', { class: 'notice', id: 'receipt-proves' },
        h('p', {}, t('el.receipt.proves')), h('p', { id: 'receipt-proves-not' }, t('el.receipt.proves_not'))) : null,
      h('p', { class: 'muted' }, t('el.receipt.key.plain')),
      techDetails(t('el.receipt.key.tech', { key: S.boardKey ?? '' })));
  }
  replace($('receipt-check'), h('form', { class: 'card', id: 'receipt-form', onsubmit: (ev) => { ev.preventDefault(); runCheck(receiptInput.value); } },
    h('h2', {}, t('el.receipt')),
    h('p', { class: 'muted' }, t('el.receipt.help')),
    h('label', { for: 'receipt-input' }, t('el.receipt.label')),
    receiptInput,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', id: 'receipt-button' }, t('el.receipt.button'))),
    h('label', { for: 'receipt-file', class: 'muted' }, t('el.receipt.file')),
    receiptFile,
    out));
}

/** In Chinese the text of `key` (if there is one), else `english`: a check's words as the spec gives them. */
function localText(key, params, english) {
  return currentLang() === 'zh' && t(key) !== key ? t(key, params) : english;
}

/** A closed 技术细节 fold-out holding `children`. */
function techDetails(...children) {
  return h('details', { class: 'tech' }, h('summary', {}, t('el.receipt.details')), h('div', { class: 'muted' }, ...children));
}

/**
 * A check's failure: in plain words where the exact one names a proof, a hash or a key (issue 16
 * item 7), with the exact text under 技术细节; else the exact text.
 */
function failureView(stepId, f) {
  const plain = `el.plain.${stepId}.${f.code}`;
  const exact = failureText(stepId, f);
  if (t(plain) === plain) return h('div', { class: 'muted', dataset: { code: f.code } }, exact);
  return h('div', { class: 'muted', dataset: { code: f.code } }, t(plain, f.params ?? {}), techDetails(exact));
}

/** A check's failure in the page's language. */
function failureText(stepId, f) {
  const params = { ...f.params };
  if (params.kind !== undefined) params.kind = localText(`el.kind.${params.kind}`, {}, params.kind);
  for (const k of ['time', 'receiptTime']) if (params[k] !== undefined) params[k] = formatTime(params[k]);
  return localText(`el.fail.${stepId}.${f.code}`, params, f.message);
}

function openedChoices(entry) {
  try {
    const election = new P.Election({ manifest: S.status.manifest, fingerprint: S.status.fingerprint, jointKey: S.setup.output.joint_key });
    const sel = P.checkOpening(election, entry.data);
    return revealedChoices(sel);
  } catch (e) {
    return [h('li', { class: 'notice error' }, e.message)];
  }
}

async function runCheck(text) {
  S.check = null;
  S.checkError = null;
  const raw = String(text ?? '').trim();
  let receipt;
  const byCode = !raw.startsWith('{');
  try {
    if (!byCode) receipt = parseReceipt(raw);
    else {
      // The full code or its short form (protocol §8.4); the answer must be for what was typed.
      const typed = readTrackingCode(raw);
      if (!typed) throw new Error(t('el.receipt.bad'));
      receipt = parseReceipt(await api(apiPath(id, `/receipts/${encodeURIComponent(trackingCodeQuery(typed))}`)));
      if (!trackingCodeMatches(typed, receipt.tracking_code)) throw new Error(t('el.receipt.wrong_code', { code: receipt.tracking_code }));
    }
    if (receipt.election_id !== id) throw new Error(t('el.receipt.other_election', { id: receipt.election_id }));
    S.boardKey ??= electionBoardKey(await api('/api/board-key'), id);
    const report = await checkReceipt(receipt, {
      boardKey: S.boardKey,
      entry: (i) => fetchEntryBytes(id, i),
      entries: (from, limit) => fetchEntries(id, from, limit),
      head: () => api(apiPath(id, '/board/head')),
      consistency: (m, n) => api(apiPath(id, `/board/consistency?old=${m}&new=${n}`)),
      inclusion: (index, size) => api(apiPath(id, `/board/inclusion?index=${index}&size=${size}`)),
      checkpoint: () => fetchCheckpoint(id),
    });
    const entry = (await fetchEntries(id, receipt.index, 1))[0];
    S.check = { report, byCode, kind: entry?.kind, opened: entry?.kind === 'audited' && S.setup?.output ? openedChoices(entry) : null };
  } catch (e) {
    S.checkError = e instanceof ApiError && e.status === 404 ? t('el.receipt.not_found') : e instanceof ApiError ? errorText(e)
      : e instanceof P.DecodeError ? localText('el.receipt.malformed', {}, e.message) : e.message;
  }
  renderReceiptForm();
}

// ------------------------------------------------------------------------------------------
// Audit file (A1–A4 in the browser, ../audit-file.js)

const auditFile = h('input', {
  type: 'file', id: 'audit-file', accept: '.json,application/json',
  onchange: async () => {
    const file = auditFile.files?.[0];
    if (!file) return;
    auditFile.value = '';
    S.audit = null;
    S.auditError = null;
    try {
      S.audit = await runAuditCheck(parseAuditFile(await file.text()));
    } catch (e) {
      S.auditError = e.code === 'not-audit-file' ? t('el.audit.bad') : e instanceof ApiError ? errorText(e) : e.message;
    }
    renderAuditForm();
  },
});

async function runAuditCheck(audited) {
  if (!S.setup?.output || !S.setup.fingerprint) throw new Error(t('el.record.pending'));
  // The fingerprint recomputed from the board, never the one the status gives.
  const election = new P.Election({ manifest: S.status.manifest, fingerprint: S.setup.fingerprint, jointKey: S.setup.output.joint_key });
  return checkAuditFile(audited, {
    election,
    credentials: S.setup.credentials,
    boardEntry: async (code) => {
      let receipt;
      try {
        receipt = await api(apiPath(id, `/receipts/${encodeURIComponent(code)}`));
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }
      return (await fetchEntries(id, receipt.index, 1))[0] ?? null;
    },
  });
}

function revealedChoices(selection) {
  return S.status.manifest.contests.map((c, ci) => h('li', {}, h('b', {}, pick(c.title)), colon(),
    c.options.filter((_, oi) => selection[ci][oi] === 1).map((o) => pick(o.title)).join(listSep()) || '—'));
}

function renderAuditForm() {
  const a = S.audit;
  let out = null;
  if (S.auditError) out = h('div', { class: 'notice error', id: 'audit-result', dataset: { passed: 'false' } }, S.auditError);
  else if (a) {
    const stepsById = Object.fromEntries(a.steps.map((s) => [s.id, s]));
    out = h('div', { id: 'audit-result', dataset: { passed: String(a.passed) } },
      h('div', { class: `notice ${a.passed ? 'ok' : 'error'}` }, t(a.passed ? 'el.audit.passed' : 'el.audit.failed')),
      a.code ? trackingCodeView(a.code, 'audit-tracking-code') : null,
      h('ul', { class: 'steps-list' }, AUDIT_STEPS.map((sid) => {
        const s = stepsById[sid];
        return h('li', { class: s.status, dataset: { step: sid, status: s.status } },
          h('b', {}, t(`el.${sid}`)), ' — ', t(`el.step.${s.status}`),
          s.failures.map((f) => h('div', { class: 'muted', dataset: { code: f.code } }, localText(`el.afail.${f.code}`, {}, f.message))));
      })),
      a.selection ? [h('p', {}, t('el.audit.revealed')), h('ul', { id: 'audit-opened' }, revealedChoices(a.selection))] : null);
  }
  replace($('audit-check'), h('div', { class: 'card', id: 'audit-card' },
    h('h2', {}, t('el.audit')),
    h('p', { class: 'muted' }, t('el.audit.help')),
    h('label', { for: 'audit-file', class: 'muted' }, t('el.audit.file')),
    auditFile,
    out));
}

// ------------------------------------------------------------------------------------------
// Contests, tellers

function contestRange(c) {
  if (c.min === c.max) return t('el.contest.exact', { max: c.max });
  if (c.min === 0) return t('el.contest.max', { max: c.max });
  return t('el.contest.range', c);
}

function renderContests() {
  const m = S.status.manifest;
  replace($('contests'), card('contests', t('el.contests'), m.contests.map((c) => h('div', { class: 'contest-info' },
    h('h3', {}, pick(c.title), ' ', h('span', { class: 'badge' }, contestRange(c))),
    h('ol', { class: 'project-list' }, c.options.map((o) => h('li', {},
      h('b', {}, pick(o.title)),
      o.project ? [
        h('div', { class: 'meta' }, [pick(o.project.department), t('el.invest', { n: formatMoney(o.project.investment_yuan) }), t('el.completion', { d: o.project.completion })].join(' · ')),
        pick(o.project.description) ? h('div', {}, pick(o.project.description)) : null,
      ] : null)))))));
}

function renderTellers() {
  const m = S.status.manifest;
  const c = S.setup?.ceremony;
  const rounds = ['announcement', 'commitment', 'reveal', 'share_check'];
  const lists = { announcement: 'announcements', commitment: 'commitments', reveal: 'reveals', share_check: 'checks' };
  replace($('tellers'), card('tellers', t('el.tellers'),
    h('p', {}, t('el.tellers.params', m.tellers)),
    c?.signing_keys?.length ? h('ol', { class: 'teller-keys' }, c.signing_keys.map((k, i) => h('li', {}, t('el.teller', { i: i + 1 }), ' ', h('span', { class: 'hex mono' }, groupChars(k))))) : null,
    c ? [h('h3', {}, t('el.ceremony')),
      h('div', { class: 'row', id: 'ceremony-rounds' }, rounds.map((r) => h('span', { class: 'badge' }, `${t(`el.round.${r}`)} ${c.transcript?.[lists[r]]?.length ?? 0}/${m.tellers.n}`))),
      ...(c.output ? [h('p', {}, t('el.ceremony.done')), techDetails(t('el.ceremony.key'), hexLine(c.output.joint_key, { id: 'joint-key' }))] : []),
      S.status.state === 'failed' ? h('div', { class: 'notice error' }, t('el.ceremony.failed')) : null] : null));
}

// ------------------------------------------------------------------------------------------
// Board

function entryDetail(e) {
  try {
    switch (e.kind) {
      case 'ballot': return trackingCodeCell(P.trackingCode(e.data));
      case 'audited': return trackingCodeCell(P.trackingCode(e.data.ballot));
      case 'credentials': return t('el.detail.credentials', { n: e.data.keys.length });
      case 'open': return [t('el.detail.open', { n: e.data.credentials }), ' ', h('span', { class: 'hex mono' }, `${e.data.fingerprint.slice(0, 16)}…`)];
      case 'close': return t('el.detail.close', { n: e.data.ballots });
      case 'announcement': case 'commitment': case 'reveal': case 'share_check': return t('el.detail.teller', { i: e.data.index });
      case 'decryption_share': return t('el.detail.teller', { i: e.data.teller });
      case 'manifest': return pick(e.data.title);
      case 'approval': return `${pick(e.data.body)} · ${e.data.reference} · ${e.data.date}`;
      case 'ceremony_failed': return e.data.reason;
      default: return '';
    }
  } catch (err) {
    return err.message;
  }
}

function renderBoard() {
  const size = S.status.log_size;
  const from = S.pageFrom ?? Math.max(0, size - PAGE);
  const headNode = S.head ? h('dl', { class: 'kv', id: 'tree-head', dataset: { size: String(S.head.size) } },
    h('dt', {}, t('el.head')), h('dd', {}, t('el.head.size', { n: S.head.size }), ' · ', formatTime(S.head.timestamp_ms), ' · ',
      h('span', { class: `tag ${S.headOk ? 'adopted' : 'failed'}`, id: 'head-signature', dataset: { ok: String(S.headOk) } }, t(S.headOk ? 'el.head.sig_ok' : 'el.head.sig_bad'))),
    h('dt', {}, t('el.head.tech')), h('dd', {}, techDetails(t('el.head.root'), h('div', { class: 'hex mono', id: 'tree-head-root' }, groupChars(S.head.root))))) : null;
  const rows = [...S.entries].reverse().map((e) => h('tr', { dataset: { index: String(e.index), kind: e.kind } },
    h('td', { class: 'mono' }, e.index),
    h('td', { class: 'kind' }, t(`el.kind.${e.kind}`), h('div', { class: 'muted time' }, formatTime(e.time_ms))),
    h('td', { class: 'detail' }, entryDetail(e))));
  const go = (f) => { S.pageFrom = f; loadEntries(); };
  replace($('board'), card('board', t('el.board'), headNode,
    h('div', { class: 'table-wrap' }, h('table', { class: 'entries', id: 'entries' },
      h('thead', {}, h('tr', {}, ['index', 'kind', 'detail'].map((k) => h('th', {}, t(`el.col.${k}`))))),
      h('tbody', {}, rows))),
    h('div', { class: 'pager' },
      h('button', { type: 'button', id: 'older', disabled: from === 0, onclick: () => go(Math.max(0, from - PAGE)) }, t('el.older')),
      h('span', { class: 'muted', id: 'page-info' }, t('el.page', { from, to: Math.max(from, Math.min(size, from + PAGE) - 1), n: size })),
      h('button', { type: 'button', id: 'newer', disabled: from + PAGE >= size, onclick: () => go(from + PAGE >= size - PAGE ? null : from + PAGE) }, t('el.newer')),
      h('button', { type: 'button', id: 'latest', disabled: S.pageFrom === null, onclick: () => go(null) }, t('el.latest')))));
}

async function loadEntries() {
  const size = S.status.log_size;
  const from = S.pageFrom ?? Math.max(0, size - PAGE);
  S.entries = await fetchEntries(id, from, PAGE);
  renderBoard();
}

async function loadHead() {
  S.head = await api(apiPath(id, '/board/head'));
  S.boardKey ??= electionBoardKey(await api('/api/board-key'), id);
  try { S.headOk = P.verifySignature(S.head.signature, treeHeadSignedBytes(S.head), S.boardKey); } catch { S.headOk = false; }
}

// ------------------------------------------------------------------------------------------
// Witnesses (issue 15)

/** The witnesses card's view model, or null (no witnesses named, or not loaded yet). */
function witnessView() {
  return S.witnesses && witnessesView({ manifest: S.status.manifest, ...S.witnesses, boardSize: S.status.log_size });
}

function renderWitnesses() {
  const view = witnessView();
  replace($('witnesses'), view ? witnessesCard(view) : null);
}

async function refreshWitnesses() {
  if (!namedWitnesses(S.status.manifest).length) return;
  S.witnesses = await loadWitnesses(id);
}

// ------------------------------------------------------------------------------------------
// Record

function renderRecord() {
  const ready = ['open', 'closed', 'tallied', 'published'].includes(S.status.state);
  replace($('record'), checkYourselfCard({ id, origin: location.origin, ready, downloads: S.downloads, recordHref: apiPath(id, '/record') }));
}

// ------------------------------------------------------------------------------------------
// Loading and polling

async function loadResult() {
  if (S.status.state !== 'published' || S.result) return;
  S.result = await api(apiPath(id, '/result'));
}

function renderAll() {
  // The election could not be loaded: its refusal, in the page's language.
  if (!S.status) return S.loadError ? replace($('overview'), h('div', { class: 'notice error' }, errorText(S.loadError))) : undefined;
  renderOverview();
  renderResult();
  renderReceiptForm();
  renderAuditForm();
  renderContests();
  renderTellers();
  renderBoard();
  renderWitnesses();
  renderRecord();
}

async function poll() {
  try {
    const before = S.status;
    S.status = await api(apiPath(id));
    const changed = S.status.log_size !== before.log_size || S.status.state !== before.state;
    if (changed) {
      if (S.status.state !== before.state && !S.setup?.opened) S.setup = await loadSetup(id, S.status.manifest);
      await Promise.all([loadHead(), loadResult()]);
      if (S.pageFrom === null) S.entries = await fetchEntries(id, Math.max(0, S.status.log_size - PAGE), PAGE);
      renderOverview();
      renderResult();
      renderTellers();
      renderBoard();
      renderRecord();
    }
    // The witnesses cosign in the background, seconds after the board grows.
    if (changed || witnessesLagging(witnessView())) {
      await refreshWitnesses();
      renderWitnesses();
    }
  } catch { /* try again at the next tick */ }
  // Once the election is over, only while the witnesses have not caught up with the board.
  if (!['published', 'failed'].includes(S.status.state) || witnessesLagging(witnessView())) setTimeout(poll, POLL_MS);
}

async function start() {
  initPage();
  onLangChange(renderAll);
  if (!id) return;
  try {
    S.status = await api(apiPath(id));
  } catch (e) {
    S.loadError = e;
    return renderAll();
  }
  try {
    const results = await Promise.allSettled([loadSetup(id, S.status.manifest), loadHead(), loadResult(), api('/api/elections'), fetchEntries(id, 0, 2), refreshWitnesses(), api('/api/downloads')]);
    if (results[0].status === 'fulfilled') S.setup = results[0].value;
    if (results[3].status === 'fulfilled') {
      S.elections = results[3].value;
      S.children = S.elections.filter((e) => e.parent === id).map((e) => e.election_id);
    }
    if (results[6].status === 'fulfilled') S.downloads = results[6].value;
    if (results[4].status === 'fulfilled') S.approval = results[4].value.find((e) => e.kind === 'approval')?.data ?? null;
    S.entries = await fetchEntries(id, Math.max(0, S.status.log_size - PAGE), PAGE);
  } catch { /* shown as far as it got */ }
  renderAll();
  const fromLink = async () => {
    const code = fragmentParam(location.hash, 'receipt');
    if (!code) return;
    receiptInput.value = code;
    await runCheck(code);
    $('receipt-check').scrollIntoView({ block: 'start' });
  };
  await fromLink();
  window.addEventListener('hashchange', fromLink);
  setTimeout(poll, POLL_MS);
}

start();
