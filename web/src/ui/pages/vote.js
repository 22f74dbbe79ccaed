// The voting booth (/elections/{id}/vote, static/booth.html): sign in with the credential, mark
// the ballot, encrypt it on this device, then cast it or audit it (Benaloh challenge), and keep
// the board's receipt.
//
// The credential (64 hex digits) is typed, scanned from the sheet's QR code, or comes from the
// sign-in link `/elections/{id}/vote#credential=<hex>` (read, then removed from the address bar).
// It lives in this module's memory only: never in storage, a log or a request, and it is
// dropped once the ballot is cast.
//
// Nothing is encrypted before the election is pinned (spec/protocol.md §6.6): the booth verifies
// the key ceremony the server serves, computes the joint key and the fingerprint F itself, and
// goes on only if F is the one pinned out of band: the sheet's link carries it in its fragment
// (`#credential=…&fingerprint=F`, never sent to the server); without it the deputy types the
// 20 digits of the hall screen or the sheet (short(F), §6.5). The short form stays beside the
// ballot.
import qrcode from 'qrcode-generator';
import * as booth from '../../booth.js';
import {
  ApiError, addTexts, api, colon, currentLang, electionIdFromPath, errorText, formatMoney, formatTime, h,
  initPage, listSep, onLangChange, pick, replace, t,
} from '../common.js';
import { apiPath, fetchEntryBytes } from '../board.js';
import { fragmentParam, normaliseCredential, receiptLink } from '../receipt.js';
import { trackingCodeView } from '../tracking-view.js';
import {
  checkServedReceipt, dropPending, indexedDbStore, keepPending, keepReceipt, kept, lookUpCredential, recoverPending,
} from '../kept.js';

addTexts({
  zh: {
    'page.title': '票决 · 投票',
    'booth.nav.board': '公告板',
    'booth.step.signin': '登录', 'booth.step.mark': '填写', 'booth.step.check': '核对', 'booth.step.done': '完成',
    'booth.not_open': '本次票决当前不在投票中（{state}），不能投票。',
    'booth.not_found': '找不到这场选举。',
    'booth.signin.title': '使用投票凭证登录',
    'booth.signin.help': '请输入凭证单上的 64 位凭证码（0–9、a–f，空格可省略），或扫描凭证单上的二维码。凭证只保存在本页面的内存中，不会发送给服务器。',
    'booth.signin.label': '凭证码',
    'booth.signin.button': '登录',
    'booth.signin.scan': '扫描二维码',
    'booth.signin.scan_stop': '停止扫描',
    'booth.signin.scanning': '请将凭证单上的二维码对准摄像头…',
    'booth.signin.camera_error': '无法使用摄像头：{error}',
    'booth.signin.bad': '凭证码格式不对：应为 64 位十六进制数字（0–9、a–f）。',
    'booth.signin.unknown': '此凭证不在本次票决的凭证名单上。请核对凭证单是否属于本次票决。',
    'booth.signin.from_link': '已从登录链接读取凭证，并已从地址栏移除。',
    'booth.signed_in': '已登录（凭证编号 {key}…）',
    'booth.sign_out': '退出',
    'booth.fingerprint': '选举指纹',
    'booth.fingerprint.line': '选举指纹：{short}',
    'booth.fingerprint.help': '请核对：应与会场屏幕和您的凭证单上的选举指纹一致。',
    'booth.pin.title': '核对选举指纹',
    'booth.pin.help': '登录链接中没有选举指纹。请输入会场屏幕或您的凭证单上显示的 20 位选举指纹（空格可省略）。本机据此确认服务器提供的是本次选举，之后才会加密选票。',
    'booth.pin.label': '选举指纹（20 位数字）',
    'booth.pin.button': '核对',
    'booth.pin.bad': '选举指纹格式不对：应为 20 位数字（空格可省略）。',
    'booth.pin.ok': '选举指纹一致：{short}。',
    'booth.pin.refused': '已拒绝投票：',
    'booth.pin.nothing_sent': '选票未加密，也未发送任何内容。请告知工作人员。',
    'booth.pin.err.fingerprint': '服务器提供的选举的指纹（{computed}）与您核对的指纹（{pinned}）不一致。',
    'booth.pin.err.joint-key': '服务器提供的选举加密密钥与密钥生成仪式得出的不一致。',
    'booth.pin.err.ceremony': '服务器提供的密钥生成仪式记录未通过验证。',
    'booth.pin.err.manifest': '服务器提供的选举设置无效。',
    'booth.pin.err.credentials': '服务器提供的凭证名单无效。',
    'booth.pin.err.status': '服务器声明的选举指纹与本机根据密钥生成仪式和凭证名单算出的不一致。',
    'booth.pin.err.link': '登录链接中的选举指纹格式不对。',
    'booth.counter.max': '已选 {n} / 最多 {max}',
    'booth.over': '本项最多可选 {max} 项，已经选满。如需改选，请先取消已选的一项。',
    'booth.counter.exact': '已选 {n} / 须选 {max}',
    'booth.counter.range': '已选 {n} / {min}–{max} 项',
    'booth.department': '责任单位', 'booth.investment': '总投资', 'booth.completion': '完成时限',
    'booth.description': '项目内容',
    'booth.build': '生成加密选票',
    'booth.refused': '选票无效，尚未加密：',
    'booth.busy': '正在本机加密选票并生成证明…',
    'booth.loading': '正在取得选举信息（{done} / {total}）…',
    'booth.casting': '正在投出选票，请稍候，不要关闭本页…',
    'booth.review.title': '请核对并记下您的跟踪码',
    'booth.review.help': '跟踪码唯一标识这张加密选票，请记下上面的 16 位跟踪码（不区分大小写）。投出后，您可以在公告板上输入它查到这张选票，确认您的选票被如实记录。',
    'booth.review.your_choices': '您的选择',
    'booth.none': '（未选）',
    'booth.cast': '投出选票',
    'booth.audit': '核验这张选票（不投出）',
    'booth.audit.help': '核验会公开这张选票的内容和加密随机数，以证明本设备如实加密了您的选择。核验过的选票作废、不计票；之后请重新生成一张选票投出。',
    'booth.back': '返回修改',
    'booth.audited.title': '选票已核验（作废，不计票）',
    'booth.audited.match': '公开的内容与您的选择一致：本设备如实加密了您的选择。',
    'booth.audited.mismatch': '警告：公开的内容与您的选择不一致！请不要在本设备上投票，并告知工作人员。',
    'booth.audited.download': '下载核验文件',
    'booth.audited.second': '可在另一台设备上打开公告板页面，输入此跟踪码核对，或用验证程序检查核验文件。',
    'booth.audited.again': '重新生成选票',
    'booth.done.title': '投票成功',
    'booth.done.help': '您的选票已记录在公告板上。请保存回执：它由公告板签名，可以随时核对您的选票仍在公告板上。凭证已从本页面内存中清除。',
    'booth.receipt.index': '公告板位置', 'booth.receipt.index.n': '第 {n} 条', 'booth.receipt.time': '时间',
    'booth.receipt.signature': '公告板确认',
    'booth.receipt.sig_ok': '公告板已签名确认收到这张选票，本设备已核对无误',
    'booth.receipt.sig_bad': '公告板的确认未通过核对：{error}',
    'booth.tech.size': '签名树头', 'booth.tech.key': '公告板密钥', 'booth.tech.signature': '回执签名',
    'booth.tech.sig_ok': '有效', 'booth.tech.sig_bad': '无效',
    'booth.receipt.entries': '{n} 条',
    'booth.receipt.download': '下载回执文件',
    'booth.receipt.check': '在公告板上核对',
    'booth.receipt.qr': '扫描二维码，在另一台设备上核对这张选票',
    'booth.error.409': '服务器拒绝了这张选票（已投过票、跟踪码已使用或投票已截止），本次操作未被记录。',
    'booth.error.422': '服务器验证这张选票未通过，本次操作未被记录。',
    'booth.error.verify': '本机自检失败，选票未发送：',
    'booth.to_board': '查看公告板与结果',
    'booth.checking': '正在公告板上查询此凭证是否已投票…',
    'booth.recovering': '正在公告板上查找您的选票…',
    'booth.recovered': '未收到服务器的答复，但您的选票已记录在公告板上。以下是公告板的回执，已在本机核验。',
    'booth.kept': '这是本设备保存的回执，已在本机重新核验。',
    'booth.voted.title': '已投票',
    'booth.voted.first_final': '此凭证已经投过票。本次票决以第一次投出的选票为准，不能再投。以下是公告板上这张选票的回执，已在本机核验。',
    'booth.voted.last_counts': '此凭证已经投过票，以下是公告板上这张选票的回执，已在本机核验。本次票决以最后投出的选票为准：您可以重新投票，新的选票将取代之前的选票。',
    'booth.revote': '重新投票（取代之前的选票）',
    'booth.revote.note': '您已投过票：再次投出的选票将取代之前的选票，之前的选票不再计票。',
    'booth.another': '用其他凭证投票',
    'booth.receipt_refused': '公告板提供的回执未通过本机核验（签名无效，或不是这张选票的回执），不予采信。请告知工作人员。',
    'booth.lookup_failed': '暂时无法在公告板上查询此凭证是否已投票；您仍可投票，服务器会拒绝重复的选票。',
  },
  en: {
    'page.title': 'Piaojue · Vote',
    'booth.nav.board': 'Board',
    'booth.step.signin': 'Sign in', 'booth.step.mark': 'Mark', 'booth.step.check': 'Check', 'booth.step.done': 'Done',
    'booth.not_open': 'This vote is not open ({state}): you cannot vote now.',
    'booth.not_found': 'No such election.',
    'booth.signin.title': 'Sign in with your credential',
    'booth.signin.help': 'Type the 64-digit credential code of your credential sheet (0–9, a–f; spaces optional), or scan the sheet’s QR code. The credential stays in this page’s memory only and is never sent to the server.',
    'booth.signin.label': 'Credential code',
    'booth.signin.button': 'Sign in',
    'booth.signin.scan': 'Scan QR code',
    'booth.signin.scan_stop': 'Stop scanning',
    'booth.signin.scanning': 'Hold the credential sheet’s QR code in front of the camera…',
    'booth.signin.camera_error': 'Cannot use the camera: {error}',
    'booth.signin.bad': 'The credential code is malformed: it must be 64 hexadecimal digits (0–9, a–f).',
    'booth.signin.unknown': 'This credential is not on this vote’s list of credentials. Check that the sheet is for this vote.',
    'booth.signin.from_link': 'The credential was read from the sign-in link and removed from the address bar.',
    'booth.signed_in': 'Signed in (credential {key}…)',
    'booth.sign_out': 'Sign out',
    'booth.fingerprint': 'Election fingerprint',
    'booth.fingerprint.line': 'Election fingerprint: {short}',
    'booth.fingerprint.help': 'Check that it is the fingerprint on the hall screen and on your credential sheet.',
    'booth.pin.title': 'Check the election fingerprint',
    'booth.pin.help': 'The sign-in link carries no election fingerprint. Type the 20-digit election fingerprint shown on the hall screen or printed on your credential sheet (spaces optional). This device uses it to confirm that the server serves this election before it encrypts anything.',
    'booth.pin.label': 'Election fingerprint (20 digits)',
    'booth.pin.button': 'Check',
    'booth.pin.bad': 'The election fingerprint is malformed: it must be 20 digits (spaces optional).',
    'booth.pin.ok': 'The election fingerprint matches: {short}.',
    'booth.pin.refused': 'Voting refused:',
    'booth.pin.nothing_sent': 'Nothing was encrypted and nothing was sent. Tell the staff.',
    'booth.pin.err.fingerprint': 'the election the server serves has fingerprint {computed}, not the one you checked ({pinned}).',
    'booth.pin.err.joint-key': 'the server’s election key is not the one its key ceremony gives.',
    'booth.pin.err.ceremony': 'the key ceremony the server serves does not verify.',
    'booth.pin.err.manifest': 'the election set-up the server serves is not valid.',
    'booth.pin.err.credentials': 'the credential list the server serves is not valid.',
    'booth.pin.err.status': 'the fingerprint the server states is not the one this device computed from the key ceremony and the credential list.',
    'booth.pin.err.link': 'the election fingerprint in the sign-in link is malformed.',
    'booth.counter.max': '{n} chosen / at most {max}',
    'booth.over': 'At most {max} may be chosen here, and {max} are. To choose another, first untick one.',
    'booth.counter.exact': '{n} chosen / choose {max}',
    'booth.counter.range': '{n} chosen / {min}–{max}',
    'booth.department': 'Department', 'booth.investment': 'Investment', 'booth.completion': 'Completion',
    'booth.description': 'Description',
    'booth.build': 'Encrypt my ballot',
    'booth.refused': 'The ballot is not valid and was not encrypted:',
    'booth.busy': 'Encrypting the ballot and making its proofs on this device…',
    'booth.loading': 'Fetching the election ({done} of {total})…',
    'booth.casting': 'Casting your ballot: please wait and keep this page open…',
    'booth.review.title': 'Check and write down your tracking code',
    'booth.review.help': 'The tracking code names this encrypted ballot: write down the 16 characters above (upper or lower case, either will do). After casting, type them on the bulletin board to find your ballot and confirm that it was recorded as cast.',
    'booth.review.your_choices': 'Your choices',
    'booth.none': '(none)',
    'booth.cast': 'Cast my ballot',
    'booth.audit': 'Audit this ballot (do not cast)',
    'booth.audit.help': 'Auditing reveals this ballot’s content and encryption randomness, proving that this device encrypted your choices faithfully. An audited ballot is void and never counted; then make a fresh ballot and cast it.',
    'booth.back': 'Change my choices',
    'booth.audited.title': 'Ballot audited (void, not counted)',
    'booth.audited.match': 'The revealed content matches your choices: this device encrypted them faithfully.',
    'booth.audited.mismatch': 'Warning: the revealed content does NOT match your choices! Do not vote on this device; tell the staff.',
    'booth.audited.download': 'Download the audit file',
    'booth.audited.second': 'On another device, open the board page and check this tracking code, or check the audit file with the verifier.',
    'booth.audited.again': 'Make a fresh ballot',
    'booth.done.title': 'Your ballot is cast',
    'booth.done.help': 'Your ballot is on the bulletin board. Keep the receipt: the board signed it, and it lets you check at any time that your ballot is still there. The credential was cleared from this page’s memory.',
    'booth.receipt.index': 'Place on the board', 'booth.receipt.index.n': 'entry {n}', 'booth.receipt.time': 'Time',
    'booth.receipt.signature': 'Board’s confirmation',
    'booth.receipt.sig_ok': 'the board signed for this ballot, and this device checked its signature',
    'booth.receipt.sig_bad': 'the board’s confirmation does not check: {error}',
    'booth.tech.size': 'Signed tree head', 'booth.tech.key': 'Board key', 'booth.tech.signature': 'Receipt signature',
    'booth.tech.sig_ok': 'valid', 'booth.tech.sig_bad': 'invalid',
    'booth.receipt.entries': '{n} entries',
    'booth.receipt.download': 'Download the receipt file',
    'booth.receipt.check': 'Check it on the board',
    'booth.receipt.qr': 'Scan to check this ballot on another device',
    'booth.error.409': 'Refused by the server (already voted, tracking code used, or voting closed):',
    'booth.error.422': 'The server could not verify the ballot:',
    'booth.error.verify': 'The ballot failed this device’s self-check and was not sent:',
    'booth.to_board': 'See the board and the result',
    'booth.checking': 'Looking this credential up on the bulletin board…',
    'booth.recovering': 'Looking for your ballot on the bulletin board…',
    'booth.recovered': 'The server’s answer did not arrive, but your ballot is on the bulletin board. Here is the board’s receipt, checked on this device.',
    'booth.kept': 'This is the receipt this device kept, checked again on this device.',
    'booth.voted.title': 'Already voted',
    'booth.voted.first_final': 'This credential has voted. In this vote the first ballot cast is final: it cannot vote again. Here is the board’s receipt for that ballot, checked on this device.',
    'booth.voted.last_counts': 'This credential has voted; here is the board’s receipt for that ballot, checked on this device. In this vote the last ballot cast counts: you may vote again, and the new ballot replaces the earlier one.',
    'booth.revote': 'Vote again (replaces the earlier ballot)',
    'booth.revote.note': 'You have voted: a ballot cast now replaces the earlier one, which will no longer count.',
    'booth.another': 'Vote with another credential',
    'booth.receipt_refused': 'The receipt the bulletin board served failed this device’s check (an invalid signature, or not this ballot’s receipt) and is not believed. Tell the staff.',
    'booth.lookup_failed': 'This credential could not be looked up on the bulletin board just now; you may still vote, and the server refuses a second ballot.',
  },
});

const id = electionIdFromPath();
const head = document.getElementById('election-head');
const notice = document.getElementById('notice');
const view = document.getElementById('view');

// Everything the page knows. `credential` is the only secret; it is never stored anywhere else.
const S = {
  step: 'loading', // loading | closed | pin | signin | ballot | busy | review | audited | done | fatal
  status: null,
  setup: null, // what this device computed (booth.verifySetup): fingerprint, jointKey, credentials
  pendingSeed: null, // a sign-in link's credential, kept until the election is pinned
  election: null, // booth.Election, built once
  credentials: null, // Set of the keys on the list (base64url)
  credential: null,
  chosen: [], // per contest, a Set of option indices
  invalid: null, // contest index the last refusal names
  built: null,
  audit: null, // { audited, receipt, revealed, match }
  receipt: null,
  receiptCheck: null,
  boardKey: null,
  message: null, // { kind: 'error'|'ok'|'warn', zh?, en?, text?, prefix? }
  scanning: false,
  // What this device keeps (kept.js): tracking codes and receipts only, never the credential.
  store: null,
  doneKind: 'cast', // cast | recovered | kept | voted: how the receipt shown came
  revote: false, // signed in with a credential that has voted, under last_counts
  pinned: false,
};

/** The board's reads the booth checks its receipts with (kept.js). */
const boardApi = {
  receipt: (code) => api(apiPath(id, `/receipts/${encodeURIComponent(code)}`)).catch((e) => {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }),
  credentialBallots: (key) => api(apiPath(id, `/credentials/${encodeURIComponent(key)}/ballots`)),
  entry: (i) => fetchEntryBytes(id, i),
};

const revoteRule = () => S.status.manifest.revote ?? 'first_final';

// The credential input is made once, so that a language change does not clear it.
const credInput = h('input', {
  id: 'credential', type: 'text', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false',
  inputmode: 'text', class: 'mono', maxlength: '100', 'aria-describedby': 'signin-help',
});
const video = h('video', { playsinline: true, muted: true, hidden: true });
const pinInput = h('input', {
  id: 'pin', type: 'text', autocomplete: 'off', spellcheck: 'false', inputmode: 'numeric', class: 'mono',
  maxlength: '60', 'aria-describedby': 'pin-help',
});

function say(kind, fields) {
  S.message = { kind, ...fields };
  renderNotice();
}

function renderNotice() {
  const m = S.message;
  if (!m) return replace(notice);
  const lines = [];
  if (m.prefix) lines.push(h('strong', {}, t(m.prefix), ' '));
  if (m.key) lines.push(t(m.key, m.params));
  // A SelectionError: its message in the page's language only.
  if (m.zh || m.en) lines.push(currentLang() === 'en' ? m.en : m.zh);
  if (m.text) lines.push(m.text);
  if (m.suffix) lines.push(' ', t(m.suffix));
  replace(notice, h('div', { class: `notice ${m.kind}`, id: 'message', dataset: { code: m.code ?? '', failure: m.failure ?? '' } }, lines));
}

function electionTitle() {
  const m = S.status.manifest;
  return [h('h1', {}, pick(m.title)), h('div', { class: 'muted' }, pick(m.congress)),
    h('div', { class: 'row' }, h('span', { class: `badge state-${S.status.state}`, id: 'state' }, t(`state.${S.status.state}`)),
      h('span', { class: 'muted mono' }, id))];
}

function steps() {
  const order = ['signin', 'mark', 'check', 'done'];
  const at = { signin: 0, checking: 0, ballot: 1, busy: 1, review: 2, audited: 2, done: 3 }[S.step] ?? 0;
  return h('ol', { class: 'steps' }, order.map((s, i) => h('li', { class: i === at ? 'on' : i < at ? 'done' : '' }, t(`booth.step.${s}`))));
}

function render() {
  if (S.status) replace(head, electionTitle());
  renderNotice();
  const fn = { pin: renderPin, signin: renderSignin, checking: renderChecking, ballot: renderBallot, busy: renderBusy, review: renderReview, audited: renderAudited, done: renderDone, closed: renderClosed }[S.step];
  if (fn) replace(view, steps(), fn());
  else replace(view);
}

// ------------------------------------------------------------------------------------------
// Sign-in

const hasDetector = 'BarcodeDetector' in globalThis;

function renderSignin() {
  return h('form', { class: 'card', id: 'signin', onsubmit: (ev) => { ev.preventDefault(); signIn(credInput.value); } },
    h('h2', {}, t('booth.signin.title')),
    h('p', { class: 'muted', id: 'signin-help' }, t('booth.signin.help')),
    h('label', { for: 'credential' }, t('booth.signin.label')),
    credInput,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'signin-button' }, t('booth.signin.button')),
      hasDetector ? h('button', { type: 'button', id: 'scan', onclick: toggleScan }, t(S.scanning ? 'booth.signin.scan_stop' : 'booth.signin.scan')) : null),
    h('div', { class: 'scan' }, S.scanning ? h('p', { class: 'muted' }, t('booth.signin.scanning')) : null, video));
}

async function signIn(text) {
  const hex = normaliseCredential(text);
  if (!hex) return say('error', { key: 'booth.signin.bad', code: 'bad-credential' });
  let cred;
  try {
    cred = booth.credentialFromSeed(hex);
  } catch {
    return say('error', { key: 'booth.signin.bad', code: 'bad-credential' });
  }
  if (!S.credentials.has(booth.toBase64(cred.publicKey))) return say('error', { key: 'booth.signin.unknown', code: 'unknown-credential' });
  S.credential = cred;
  // A new sign-in starts from a blank ballot (the previous deputy's marks are not kept).
  S.chosen = S.status.manifest.contests.map(() => new Set());
  S.invalid = null;
  S.revote = false;
  credInput.value = '';
  stopScan();
  // Has this credential voted? Its cast ballots on the board, the last one's receipt checked
  // (and its entry signed by this credential) before anything is shown.
  S.step = 'checking';
  S.message = null;
  render();
  const key = booth.toBase64(cred.publicKey);
  const got = await lookUpCredential(boardApi, id, key, S.boardKey);
  if (S.credential !== cred) return; // signed out, or another sign-in, meanwhile
  if (got.status === 'refused') {
    S.credential = null;
    S.step = 'signin';
    render();
    return say('error', { key: 'booth.receipt_refused', code: 'receipt-refused', failure: got.failure.code });
  }
  if (got.status === 'found') {
    await keepReceipt(S.store, id, got.receipt, S.boardKey);
    S.receipt = got.receipt;
    S.receiptCheck = null;
    S.doneKind = 'voted';
    S.revote = revoteRule() === 'last_counts';
    // Under first_final the credential can do nothing more here.
    if (!S.revote) S.credential = null;
    S.step = 'done';
    render();
    window.scrollTo(0, 0);
    return;
  }
  S.step = 'ballot';
  render();
  if (got.status === 'unreachable') say('warn', { key: 'booth.lookup_failed', code: 'lookup-failed' });
  window.scrollTo(0, 0);
}

function renderChecking() {
  return h('div', { class: 'card busy', id: 'checking' }, h('div', { class: 'spinner' }), h('p', {}, t('booth.checking')));
}

function signOut() {
  S.credential = null;
  S.built = null;
  S.revote = false;
  S.step = S.pinned ? 'signin' : 'pin';
  S.message = null;
  render();
}

let stream = null;
async function toggleScan() {
  if (S.scanning) return stopScan();
  try {
    const detector = new globalThis.BarcodeDetector({ formats: ['qr_code'] });
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    S.scanning = true;
    render();
    const tick = async () => {
      if (!S.scanning) return;
      try {
        for (const code of await detector.detect(video)) {
          const raw = code.rawValue ?? '';
          const hex = normaliseCredential(fragmentParam(raw.split('#')[1] ?? '', 'credential') ?? raw);
          if (hex) return signIn(hex);
        }
      } catch { /* a frame that cannot be read */ }
      setTimeout(tick, 250);
    };
    tick();
  } catch (e) {
    stopScan();
    say('error', { key: 'booth.signin.camera_error', params: { error: e?.message ?? String(e) } });
  }
}

function stopScan() {
  S.scanning = false;
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  video.srcObject = null;
  video.hidden = true;
}

// ------------------------------------------------------------------------------------------
// The ballot

function counterText(c, n) {
  if (c.min === c.max) return t('booth.counter.exact', { n, max: c.max });
  if (c.min === 0) return t('booth.counter.max', { n, max: c.max });
  return t('booth.counter.range', { n, min: c.min, max: c.max });
}

function projectDetails(p) {
  return [
    h('dl', {},
      h('dt', {}, t('booth.department')), h('dd', {}, pick(p.department)),
      h('dt', {}, t('booth.investment')), h('dd', {}, formatMoney(p.investment_yuan)),
      h('dt', {}, t('booth.completion')), h('dd', {}, p.completion)),
    pick(p.description) ? h('details', {}, h('summary', {}, t('booth.description')), h('p', {}, pick(p.description))) : null,
  ];
}

function renderContest(c, ci) {
  const set = S.chosen[ci];
  const radio = c.min === 1 && c.max === 1;
  const counter = h('span', { class: 'counter', id: `counter-${ci}`, 'aria-live': 'polite' });
  const updateCounter = () => {
    counter.textContent = counterText(c, set.size);
    counter.className = `counter${set.size > c.max ? ' over' : set.size >= c.min && set.size === c.max ? ' full' : ''}`;
  };
  updateCounter();
  // A tick past the contest's maximum is undone at once, with a word why (in the page's language).
  const over = h('p', { class: 'notice warn over', id: `over-${ci}`, role: 'alert', hidden: true });
  const options = c.options.map((o, oi) => {
    const input = h('input', {
      type: radio ? 'radio' : 'checkbox', name: `contest-${ci}`, value: o.id, checked: set.has(oi),
      dataset: { contest: String(ci), option: o.id },
    });
    const label = h('label', { class: `option${set.has(oi) ? ' checked' : ''}` }, input,
      h('span', {}, h('span', { class: 'name' }, pick(o.title)), o.project ? projectDetails(o.project) : null));
    input.addEventListener('change', () => {
      if (!radio && input.checked && set.size >= c.max) {
        input.checked = false;
        over.textContent = t('booth.over', { max: c.max });
        over.hidden = false;
        return;
      }
      over.hidden = true;
      if (radio) set.clear();
      if (input.checked) set.add(oi); else set.delete(oi);
      for (const l of section.querySelectorAll('label.option')) l.classList.toggle('checked', l.querySelector('input').checked);
      updateCounter();
      if (S.invalid === ci) { S.invalid = null; section.classList.remove('invalid'); }
    });
    return label;
  });
  const section = h('fieldset', { class: `card contest${S.invalid === ci ? ' invalid' : ''}`, id: `contest-${ci}`, dataset: { contest: c.id } },
    h('div', { class: 'contest-head' }, h('h2', {}, pick(c.title)), counter),
    over,
    radio && c.options.every((o) => !o.project) ? h('div', { class: 'choices' }, options) : options);
  return section;
}

// ------------------------------------------------------------------------------------------
// The pin (spec/protocol.md §6.6)

/** The refusal of a served election that is not the pinned one: what did not match, and that nothing was sent. */
function refuse(key, params, code) {
  S.step = 'fatal';
  S.credential = null;
  S.pendingSeed = null;
  render();
  say('error', { prefix: 'booth.pin.refused', key, params, suffix: 'booth.pin.nothing_sent', code });
}

function renderPin() {
  return h('form', { class: 'card', id: 'pin-form', onsubmit: (ev) => { ev.preventDefault(); pinTyped(pinInput.value); } },
    h('h2', {}, t('booth.pin.title')),
    h('p', { class: 'muted', id: 'pin-help' }, t('booth.pin.help')),
    h('label', { for: 'pin' }, t('booth.pin.label')),
    pinInput,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'pin-button' }, t('booth.pin.button'))));
}

/** The 20 digits the deputy typed: a typo may be retyped; a well-formed other fingerprint is refused. */
function pinTyped(text) {
  let pin;
  try {
    pin = booth.parsePin(text);
  } catch {
    return say('error', { key: 'booth.pin.bad', code: 'pin-malformed' });
  }
  pinInput.value = '';
  pinned(pin);
}

/** Whether the computed fingerprint is the pinned one; if not, refuses, showing both. */
function pinHolds(pin) {
  if (booth.pinMatches(pin, S.setup.fingerprint)) return true;
  refuse('booth.pin.err.fingerprint', { computed: booth.shortFingerprint(S.setup.fingerprint), pinned: booth.pinShort(pin) }, 'pin-fingerprint');
  return false;
}

/** A pin from a link's fragment: a malformed one or another election's is refused. */
function linkPinHolds(text) {
  let pin;
  try {
    pin = booth.parsePin(text);
  } catch {
    refuse('booth.pin.err.link', {}, 'pin-link');
    return false;
  }
  return pinHolds(pin);
}

/** Goes on only if the computed fingerprint is the pinned one. */
function pinned(pin) {
  if (!pinHolds(pin)) return;
  S.pinned = true;
  S.step = 'signin';
  render();
  say('ok', { key: 'booth.pin.ok', params: { short: booth.shortFingerprint(S.setup.fingerprint) }, code: 'pinned' });
  prepareElection();
  const seed = S.pendingSeed;
  S.pendingSeed = null;
  if (seed) signInFromLink(seed);
}

function fingerprintBlock() {
  return h('div', { class: 'card fingerprint', id: 'election-fingerprint' },
    h('div', { class: 'muted' }, t('booth.fingerprint')),
    h('div', { class: 'tracking mono', id: 'fingerprint-short' }, booth.shortFingerprint(S.setup.fingerprint)),
    h('div', { class: 'muted' }, t('booth.fingerprint.help')));
}

function renderBallot() {
  const m = S.status.manifest;
  return [
    fingerprintBlock(),
    h('div', { class: 'row muted signed-in' }, t('booth.signed_in', { key: booth.toBase64(S.credential.publicKey).slice(0, 8) }),
      h('button', { type: 'button', id: 'sign-out', onclick: signOut }, t('booth.sign_out'))),
    S.revote ? h('div', { class: 'notice warn', id: 'revote-note' }, t('booth.revote.note')) : null,
    h('form', { id: 'ballot', onsubmit: (ev) => { ev.preventDefault(); build(); } },
      m.contests.map(renderContest),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'build' }, t('booth.build')))),
  ];
}

async function build() {
  const m = S.status.manifest;
  let selection;
  try {
    selection = booth.selectionFromChosen(m, S.chosen.map((s) => [...s].sort((a, b) => a - b)));
  } catch (e) {
    if (!(e instanceof booth.SelectionError)) throw e;
    S.invalid = e.contest ?? null;
    say('error', { prefix: 'booth.refused', zh: e.zh, en: e.message, code: e.code });
    render();
    document.getElementById(`contest-${e.contest}`)?.scrollIntoView({ block: 'start', behavior: 'smooth' });
    notice.scrollIntoView({ block: 'start' });
    return;
  }
  S.message = null;
  S.step = 'busy';
  render();
  // Let the busy state paint before the synchronous work.
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 20)));
  try {
    S.election ??= newElection();
    const built = booth.buildBallot(S.election, S.credential, selection);
    booth.verifyBallot(S.election, built.ballot, { credentials: [booth.toBase64(S.credential.publicKey)] });
    S.built = built;
    S.step = 'review';
  } catch (e) {
    S.step = 'ballot';
    say('error', { prefix: 'booth.error.verify', text: e.message });
  }
  render();
  window.scrollTo(0, 0);
}

// ------------------------------------------------------------------------------------------
// Review: cast or audit

function chosenSummary(selection) {
  const m = S.status.manifest;
  return h('ul', { class: 'summary' }, m.contests.map((c, ci) => {
    const names = c.options.filter((_, oi) => selection[ci][oi] === 1).map((o) => pick(o.title));
    return h('li', {}, h('strong', {}, pick(c.title)), colon(), names.length ? names.join(listSep()) : t('booth.none'));
  }));
}

const currentSelection = () => S.status.manifest.contests.map((c, ci) => c.options.map((_, oi) => (S.chosen[ci].has(oi) ? 1 : 0)));


function renderReview() {
  return h('div', { class: 'card', id: 'review' },
    h('h2', {}, t('booth.review.title')),
    trackingCodeView(S.built.trackingCode),
    h('div', { class: 'muted', id: 'review-fingerprint' }, t('booth.fingerprint.line', { short: booth.shortFingerprint(S.setup.fingerprint) })),
    h('p', { class: 'muted' }, t('booth.review.help')),
    h('h3', {}, t('booth.review.your_choices')),
    chosenSummary(currentSelection()),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', id: 'cast', onclick: cast }, t('booth.cast')),
      h('button', { type: 'button', id: 'audit', onclick: audit }, t('booth.audit')),
      h('p', { class: 'muted' }, t('booth.audit.help')),
      h('button', { type: 'button', id: 'back', onclick: () => { S.built = null; S.step = 'ballot'; render(); } }, t('booth.back'))));
}

function serverError(e) {
  // Ciphertexts both cast and audited (V6.3): a text of its own, in the page's language.
  if (e instanceof ApiError && e.code === 'audited_ciphertexts') return { text: errorText(e), code: `http-${e.status}` };
  // A 409 or 422: the booth's own words; the server's (English) message in English only.
  if (e instanceof ApiError && e.status === 409) return { prefix: 'booth.error.409', zh: '', en: e.message, code: `http-${e.status}` };
  if (e instanceof ApiError && e.status === 422) return { prefix: 'booth.error.422', zh: '', en: e.message, code: `http-${e.status}` };
  return { text: errorText(e), code: e instanceof ApiError ? `http-${e.status}` : 'network' };
}

function disableActions() {
  for (const b of view.querySelectorAll('button')) b.disabled = true;
}

async function audit() {
  disableActions();
  const audited = S.built.audit();
  S.built = null; // an audited ballot can never be cast
  try {
    const receipt = await api(apiPath(id, '/audited'), { body: audited });
    const revealed = booth.checkOpening(S.election, audited);
    const mine = currentSelection();
    S.audit = { audited, receipt, revealed, match: JSON.stringify(revealed) === JSON.stringify(mine) };
    S.step = 'audited';
    S.message = null;
  } catch (e) {
    S.step = 'ballot';
    say('error', serverError(e));
  }
  render();
  window.scrollTo(0, 0);
}

function downloadLink(data, name, label, linkId) {
  const url = URL.createObjectURL(new Blob([`${JSON.stringify(data, null, 2)}\n`], { type: 'application/json' }));
  return h('a', { class: 'button', href: url, download: name, id: linkId }, label);
}

function renderAudited() {
  const a = S.audit;
  return h('div', { class: 'card', id: 'audited' },
    h('h2', {}, t('booth.audited.title')),
    trackingCodeView(a.receipt.tracking_code),
    h('div', { class: `notice ${a.match ? 'ok' : 'error'}`, id: 'audit-match', dataset: { match: String(a.match) } },
      t(a.match ? 'booth.audited.match' : 'booth.audited.mismatch')),
    chosenSummary(a.revealed),
    h('p', { class: 'muted' }, t('booth.audited.second')),
    h('div', { class: 'actions' },
      downloadLink(a.audited, `audited-${a.receipt.tracking_code.slice(0, 8)}.json`, t('booth.audited.download'), 'audit-download'),
      h('a', { class: 'button', href: receiptLink('', id, a.receipt.tracking_code), target: '_blank', rel: 'noopener' }, t('booth.receipt.check')),
      h('button', { type: 'button', class: 'primary', id: 'again', onclick: () => { S.audit = null; S.step = 'ballot'; render(); window.scrollTo(0, 0); } }, t('booth.audited.again'))));
}

async function cast() {
  disableActions();
  say('warn', { key: 'booth.casting', code: 'casting' });
  const code = S.built.trackingCode;
  // The tracking code is kept BEFORE the ballot leaves: if the answer is lost, the receipt can
  // be found on the board (kept.js; never the credential, the choice or the opening).
  await keepPending(S.store, id, code, S.boardKey);
  try {
    const receipt = await api(apiPath(id, '/ballots'), { body: S.built.cast() });
    S.receipt = receipt;
    // Checked as any receipt served: this election, this ballot's code, the board's signatures.
    S.receiptCheck = checkServedReceipt(receipt, { electionId: id, code, boardKey: S.boardKey });
    if (S.receiptCheck === null) await keepReceipt(S.store, id, receipt, S.boardKey);
    // Cast: the credential and the ballot are no longer needed on this device.
    S.credential = null;
    S.built = null;
    S.revote = false;
    S.doneKind = 'cast';
    S.step = 'done';
    S.message = null;
  } catch (e) {
    S.built = null;
    // Refused for good (4xx): this ballot is not on the board.
    if (e instanceof ApiError && e.status < 500) await dropPending(S.store, id, code);
    // The answer may be lost while the ballot was recorded, or an earlier ballot of this device
    // or credential may be on the board: look for it before saying anything.
    say('warn', { key: 'booth.recovering', code: 'recovering' });
    if (await recover(S.credential)) return;
    // The ballot was not accepted: it may be rebuilt (a cast() erased its opening).
    S.step = 'ballot';
    if (S.message?.code !== 'receipt-refused') say('error', serverError(e));
  }
  render();
  window.scrollTo(0, 0);
}

/**
 * Looks on the board for a ballot this device cast (its kept tracking codes) or, signed in,
 * this credential's: shows its receipt once checked and resolves to true; a receipt that fails
 * is refused (said, and false).
 */
async function recover(credential) {
  let got = await recoverPending(S.store, boardApi, id, S.boardKey);
  let kind = 'recovered';
  // Under first_final a ballot of this credential on the board is the one that counts; under
  // last_counts an earlier one is not the ballot just sent, and is not offered in its place.
  if (got.status !== 'found' && got.status !== 'refused' && credential && revoteRule() === 'first_final') {
    got = await lookUpCredential(boardApi, id, booth.toBase64(credential.publicKey), S.boardKey);
    if (got.status === 'found') await keepReceipt(S.store, id, got.receipt, S.boardKey);
    kind = 'voted';
  }
  if (got.status === 'refused') {
    say('error', { key: 'booth.receipt_refused', code: 'receipt-refused', failure: got.failure.code });
    return false;
  }
  if (got.status !== 'found') return false;
  S.receipt = got.receipt;
  S.receiptCheck = null;
  S.credential = null;
  S.revote = false;
  S.doneKind = kind;
  S.step = 'done';
  S.message = null;
  render();
  window.scrollTo(0, 0);
  return true;
}

/** Back to sign-in (or the pin) for another credential; the receipt stays kept. */
function another() {
  S.receipt = null;
  S.credential = null;
  S.revote = false;
  S.message = null;
  S.step = S.pinned ? 'signin' : 'pin';
  render();
}

function qrImage(text) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  return h('img', { class: 'qr', id: 'receipt-qr', alt: text, src: qr.createDataURL(6, 2), dataset: { text } });
}

function renderDone() {
  const r = S.receipt;
  const link = receiptLink(location.origin, id, r.tracking_code);
  const ok = S.receiptCheck === null;
  const kind = S.doneKind;
  const note = {
    recovered: h('div', { class: 'notice ok', id: 'recovered' }, t('booth.recovered')),
    kept: h('div', { class: 'notice ok', id: 'kept' }, t('booth.kept')),
    voted: h('div', { class: 'notice warn', id: 'voted', dataset: { revote: String(S.revote) } }, t(S.revote ? 'booth.voted.last_counts' : 'booth.voted.first_final')),
  }[kind] ?? null;
  return h('div', { class: 'card', id: 'done', dataset: { kind } },
    h('h2', {}, '✓ ', t(kind === 'voted' ? 'booth.voted.title' : 'booth.done.title')),
    note,
    trackingCodeView(r.tracking_code),
    kind === 'voted' ? null : h('p', { class: 'muted' }, t('booth.done.help')),
    // Plain words first (issue 16 item 7); the signed tree head, the key and the signature under 技术细节.
    h('dl', { class: 'kv', id: 'receipt' },
      h('dt', {}, t('booth.receipt.index')), h('dd', {}, t('booth.receipt.index.n', { n: r.index })),
      h('dt', {}, t('booth.receipt.time')), h('dd', {}, formatTime(r.tree_head.timestamp_ms)),
      h('dt', {}, t('booth.receipt.signature')),
      h('dd', { id: 'receipt-signature', dataset: { ok: String(ok) } },
        ok ? t('booth.receipt.sig_ok') : t('booth.receipt.sig_bad', { error: S.receiptCheck.message }))),
    h('details', { class: 'tech', id: 'receipt-details' }, h('summary', {}, t('tracking.details')),
      h('dl', { class: 'kv' },
        h('dt', {}, t('booth.tech.size')), h('dd', {}, t('booth.receipt.entries', { n: r.tree_head.size })),
        h('dt', {}, t('booth.tech.key')), h('dd', { class: 'mono' }, `${S.boardKey.slice(0, 16)}…`),
        h('dt', {}, t('booth.tech.signature')), h('dd', {}, t(ok ? 'booth.tech.sig_ok' : 'booth.tech.sig_bad')))),
    qrImage(link),
    h('p', { class: 'muted center' }, t('booth.receipt.qr')),
    h('div', { class: 'actions' },
      downloadLink(r, `receipt-${id}-${r.tracking_code.slice(0, 8)}.json`, t('booth.receipt.download'), 'receipt-download'),
      h('a', { class: 'button', href: link, id: 'receipt-link' }, t('booth.receipt.check'))),
    h('div', { class: 'actions' },
      S.revote && S.credential
        ? h('button', { type: 'button', class: 'primary', id: 'revote', onclick: () => { S.step = 'ballot'; S.message = null; render(); window.scrollTo(0, 0); } }, t('booth.revote'))
        : null,
      S.status?.state === 'open' ? h('button', { type: 'button', id: 'another', onclick: another }, t('booth.another')) : null));
}

function renderClosed() {
  // The receipt this device kept stays shown after voting closes.
  return [S.receipt ? renderDone() : null,
    h('div', { class: 'actions' }, h('a', { class: 'button primary', id: 'to-board', href: `/elections/${encodeURIComponent(id)}` }, t('booth.to_board')))];
}

function renderBusy() {
  return h('div', { class: 'card busy', id: 'busy' }, h('div', { class: 'spinner' }), h('p', {}, t('booth.busy')));
}

// ------------------------------------------------------------------------------------------
// Start

/** While the election loads: how many of its parts have arrived. */
function renderLoading(done, total) {
  if (S.step !== 'loading' || S.message) return;
  replace(head, h('span', { id: 'loading', dataset: { done: String(done), total: String(total) } }, t('booth.loading', { done, total })));
}

async function start() {
  initPage();
  onLangChange(render);
  // Read the sign-in link's credential and pin and take them out of the address bar (and
  // history) at once.
  const fromLink = fragmentParam(location.hash, 'credential');
  const pinFromLink = fragmentParam(location.hash, 'fingerprint');
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  if (!id) return say('error', { key: 'booth.not_found' });
  document.getElementById('board-link').href = `/elections/${encodeURIComponent(id)}`;
  // The three start-up calls run together, the page counting them in. The board's key is not
  // asked for: receipts are checked under the manifest's, once the pin covers it (§6.6 step 6).
  const parts = [api(apiPath(id)), api(apiPath(id, '/ceremony')), api(apiPath(id, '/credentials'))];
  let arrived = 0;
  renderLoading(0, parts.length);
  for (const p of parts) p.then(() => renderLoading(++arrived, parts.length), () => {});
  const rest = Promise.all(parts.slice(1));
  rest.catch(() => {}); // read below when the election is open; a draft's ceremony may be refused
  try {
    S.status = await parts[0];
  } catch (e) {
    return say('error', e instanceof ApiError && e.status === 404 ? { key: 'booth.not_found' } : { text: errorText(e) });
  }
  S.chosen = S.status.manifest.contests.map(() => new Set());
  if (S.status.state !== 'open') {
    S.step = 'closed';
    render();
    say('warn', { key: 'booth.not_open', params: { state: t(`state.${S.status.state}`) }, code: 'not-open' });
    // A receipt kept on this device, checked again under the board key it was kept with, is
    // shown below.
    try {
      S.store = await indexedDbStore();
      const here = await keptHere(S.status.manifest.board.key);
      S.boardKey = here.boardKey;
      const receipt = stillValid(here);
      if (receipt) {
        S.receipt = receipt;
        S.receiptCheck = null;
        S.doneKind = 'kept';
        render();
      }
    } catch {
      // No board key, no store: nothing kept to show.
    }
    return;
  }
  let served;
  try {
    const [ceremony, credentials] = await rest;
    served = { manifest: S.status.manifest, ceremony, credentials: credentials.keys };
  } catch (e) {
    return say('error', { text: errorText(e) });
  }
  // Believe nothing served: the ceremony verified, K and F computed here (§6.6 steps 1–3).
  try {
    S.setup = booth.verifySetup(served);
  } catch (e) {
    if (!(e instanceof booth.PinError)) throw e;
    return refuse(`booth.pin.err.${e.code}`, {}, `pin-${e.code}`);
  }
  if (S.setup.fingerprint !== S.status.fingerprint) return refuse('booth.pin.err.status', {}, 'pin-status');
  S.boardKey = S.setup.boardKey;
  S.credentials = new Set(S.setup.credentials);
  S.pendingSeed = fromLink;
  S.store = await indexedDbStore();
  // Reopened: the receipt of a ballot this device cast is shown again (and one whose answer was
  // lost is looked for on the board), unless a sign-in link brings a credential.
  if (fromLink === null && await showKept()) {
    try { S.pinned = pinFromLink !== null && booth.pinMatches(booth.parsePin(pinFromLink), S.setup.fingerprint); } catch { S.pinned = false; }
    if (S.pinned) prepareElection();
  } else if (pinFromLink !== null) {
    if (linkPinHolds(pinFromLink)) pinned(booth.parsePin(pinFromLink));
  } else {
    S.step = 'pin';
    render();
  }
  // A sign-in link opened in a tab already on this page changes only the fragment.
  window.addEventListener('hashchange', () => {
    const seed = fragmentParam(location.hash, 'credential');
    const pin = fragmentParam(location.hash, 'fingerprint');
    history.replaceState(null, '', location.pathname + location.search);
    // Not pinned yet (also a kept receipt shown on reopening): the pin comes first.
    if (S.step === 'pin' || (!S.pinned && S.step === 'done')) {
      if (S.step !== 'pin') {
        S.step = 'pin';
        S.receipt = null;
        render();
      }
      S.pendingSeed = seed ?? S.pendingSeed;
      if (pin !== null) pinTyped(pin);
      return;
    }
    if (!seed || !['signin', 'ballot', 'review', 'audited', 'done'].includes(S.step)) return;
    // Another link must carry this election's pin, or none (the pin already checked holds).
    if (pin !== null && !linkPinHolds(pin)) return;
    S.credential = null;
    S.built = null;
    S.audit = null;
    signInFromLink(seed);
  });
}

/**
 * What this device kept for the election, with the board key to check it under: the key kept
 * with it (the manifest's it pinned when it voted), not one the server serves now; `fallback`
 * only for what a booth of before the key was kept left.
 */
async function keptHere(fallback) {
  const k = await kept(S.store, id);
  return { ...k, boardKey: k.boardKey ?? fallback };
}

/** The receipt of `keptHere` if it still checks under its key, else null. */
function stillValid({ receipt, boardKey }) {
  if (!receipt || checkServedReceipt(receipt, { electionId: id, code: receipt.tracking_code, boardKey })) return null;
  return receipt;
}

/** The receipt kept on this device (or recovered for a kept tracking code), checked and shown. */
async function showKept() {
  const here = await keptHere(S.boardKey);
  const got = await recoverPending(S.store, boardApi, id, here.boardKey);
  if (got.status === 'refused') {
    say('error', { key: 'booth.receipt_refused', code: 'receipt-refused', failure: got.failure.code });
    return false;
  }
  let receipt = got.status === 'found' ? got.receipt : null;
  S.doneKind = 'recovered';
  if (!receipt) {
    // recoverPending changes what is kept only when it finds a receipt: `here` is still current.
    receipt = stillValid(here);
    S.doneKind = 'kept';
    if (!receipt) return false;
  }
  S.receipt = receipt;
  S.receiptCheck = null;
  S.step = 'done';
  render();
  return true;
}

// The election's fixed-base tables (for G and K, ≈ 0.05–0.1 s here) are built while the deputy
// signs in and marks the ballot, not after the click on "build". A failure is left for build()
// to report.
function prepareElection() {
  const run = () => {
    try {
      S.election ??= newElection();
    } catch {
      // build() tries again and says what is wrong.
    }
  };
  if (typeof requestIdleCallback === 'function') requestIdleCallback(run, { timeout: 1000 });
  else setTimeout(run, 50);
}

function newElection() {
  // F and K as this device computed them, never as the server states them.
  return new booth.Election({ manifest: S.status.manifest, fingerprint: S.setup.fingerprint, jointKey: S.setup.jointKey });
}

async function signInFromLink(seed) {
  await signIn(seed);
  if (S.step === 'ballot' && !S.message) say('ok', { key: 'booth.signin.from_link', code: 'from-link' });
}

start();
