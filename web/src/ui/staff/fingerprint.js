// The election fingerprint as staff print it and show it in the hall (spec/protocol.md §6.4–§6.6).
// The server is not believed: this page fetches what a booth fetches (the status' manifest, the
// key ceremony's transcript, the credential list), verifies the ceremony and computes the joint
// key and F itself (pin.js `verifySetup`), and refuses a fingerprint the server states that is not
// the computed one. The credential sheets (sheets.js) print short(F) of this verified set-up, and
// the election page shows it, with a hall-screen display to read aloud.
import { PinError, shortFingerprint, verifySetup } from '../../pin.js';
import { apiPath } from '../board.js';
import { addTexts, api, currentLang, errorText, h, pick, replace, setLang, t } from '../common.js';

/**
 * Why the page does not believe the served set-up: a `PinError` of `verifySetup` (`code`
 * `manifest`, `ceremony`, `joint-key`, `credentials`), or this one: `other-election` (the status
 * is another election's), `stated` (the status states another fingerprint), `missing`
 * (`missing`: the keys this page registered that the served list lacks).
 */
export class SetupError extends PinError {
  constructor(code, message, extra) {
    super(code, message, extra);
    this.name = 'SetupError';
  }
}

/**
 * The set-up of election `id` as this page computes it from what the server serves, read with
 * `get(path)` (the public API), with every key of `keys` (base64url: those this page registered)
 * on its credential list: `{ status, manifest, fingerprint, short, jointKey, verificationKeys,
 * signingKeys, credentials }`. Throws `PinError` (or `SetupError`), or the fetch's error.
 */
export async function verifiedSetup(id, get = api, keys = []) {
  const [status, ceremony, list] = await Promise.all([get(apiPath(id)), get(apiPath(id, '/ceremony')), get(apiPath(id, '/credentials'))]);
  if (status?.manifest?.election_id !== id)
    throw new SetupError('other-election', `the served status is for election ${JSON.stringify(status?.manifest?.election_id)}, not ${JSON.stringify(id)}`);
  const setup = verifySetup({ manifest: status.manifest, ceremony, credentials: list?.keys });
  if (status.fingerprint != null && status.fingerprint !== setup.fingerprint)
    throw new SetupError('stated', `the server states fingerprint ${status.fingerprint}, not the computed ${setup.fingerprint}`);
  const listed = new Set(setup.credentials);
  const missing = keys.filter((k) => !listed.has(k));
  if (missing.length)
    throw new SetupError('missing', `the served credential list lacks ${missing.length} of the keys just registered`, { missing });
  return { ...setup, status, manifest: status.manifest, short: shortFingerprint(setup.fingerprint) };
}

/** The text for a failed check: what did not match, in the page's language. */
export function setupErrorText(e) {
  if (e instanceof PinError) return t(`setup.err.${e.code}`, { n: e.missing?.length ?? 0, have: e.have ?? 0, deputies: e.deputies ?? 0 });
  return `${t('setup.err.fetch')} ${errorText(e)}`;
}

addTexts({
  zh: {
    'setup.err.manifest': '服务器提供的选举设置无效。',
    'setup.err.other-election': '服务器提供的是另一场选举的设置。',
    'setup.err.ceremony': '服务器提供的密钥生成仪式记录未通过验证。',
    'setup.err.joint-key': '服务器声明的选举加密密钥与密钥生成仪式得出的不一致。',
    'setup.err.credentials': '服务器提供的凭证名单无效。',
    'setup.err.stated': '服务器声明的选举指纹与本页根据密钥生成仪式和凭证名单算出的不一致。',
    'setup.err.missing': '服务器提供的凭证名单缺少本页刚登记的 {n} 张凭证。',
    'setup.err.fetch': '无法取得选举设置：',
    'fp.heading': '选举指纹',
    'fp.computed': '由本页根据服务器提供的密钥生成仪式记录和凭证名单自行验证、算出，不采用服务器声明的值。',
    'fp.registration': '投票尚未开始：每登记一批凭证，选举指纹都会改变；凭证全部登记后再打印凭证单、在会场公布。开始投票后凭证名单冻结，指纹不再改变。',
    'fp.notYet': '密钥生成仪式尚未完成，还没有选举指纹。',
    'fp.failed': '密钥生成仪式失败，没有选举指纹。',
    'fp.refused': '无法确认选举指纹：',
    'fp.credentials': '凭证名单：{n} 张',
    'fp.show': '在会场屏幕上显示',
    'hall.label': '选举指纹',
    'hall.help': '请核对：您的投票页面在选票旁显示的选举指纹，须与此处及凭证单上印的完全一致。',
    'hall.registration': '凭证登记尚未结束，选举指纹可能改变。',
    'hall.close': '关闭',
  },
  en: {
    'setup.err.manifest': 'the election set-up the server serves is not valid.',
    'setup.err.other-election': 'the server serves the set-up of another election.',
    'setup.err.ceremony': 'the key ceremony the server serves does not verify.',
    'setup.err.joint-key': 'the election key the server states is not the one its key ceremony gives.',
    'setup.err.credentials': 'the credential list the server serves is not valid.',
    'setup.err.stated': 'the fingerprint the server states is not the one this page computed from the key ceremony and the credential list.',
    'setup.err.missing': 'the credential list the server serves lacks {n} of the credentials this page just registered.',
    'setup.err.fetch': 'the election set-up could not be fetched:',
    'fp.heading': 'Election fingerprint',
    'fp.computed': 'Verified and computed by this page from the key ceremony and the credential list the server serves; any value the server states is not used.',
    'fp.registration': 'Voting has not opened: every batch of credentials registered changes the fingerprint. Print the sheets and announce it in the hall once all credentials are registered. Opening freezes the credential list, and the fingerprint with it.',
    'fp.notYet': 'The key ceremony is not finished: there is no election fingerprint yet.',
    'fp.failed': 'The key ceremony failed: there is no election fingerprint.',
    'fp.refused': 'The election fingerprint cannot be confirmed:',
    'fp.credentials': 'Credential list: {n}',
    'fp.show': 'Show on the hall screen',
    'hall.label': 'Election fingerprint',
    'hall.help': 'Check: the election fingerprint your voting page shows beside the ballot must be exactly this one, as printed on your credential sheet.',
    'hall.registration': 'Registration of credentials is not finished: the fingerprint may still change.',
    'hall.close': 'Close',
  },
});

/** The short fingerprint as five digit groups (spans), for large display. */
function digitGroups(short, id) {
  return h('div', { class: 'fp-groups mono', id, dataset: { short } }, short.split(' ').map((g) => h('span', { class: 'fp-group' }, g)));
}

let hall = null; // the open hall screen: { node, setup, onKey, onFullscreen }

/** Closes the hall screen. */
export function closeHallScreen() {
  if (!hall) return;
  document.removeEventListener('keydown', hall.onKey);
  document.removeEventListener('fullscreenchange', hall.onFullscreen);
  hall.node.remove();
  if (document.fullscreenElement) document.exitFullscreen?.().catch(() => {});
  hall = null;
}

function renderHall() {
  const { node, setup } = hall;
  const registration = setup.status.state === 'registration';
  replace(node,
    h('div', { class: 'hall-bar' },
      h('button', { type: 'button', id: 'hall-lang', onclick: () => { setLang(currentLang() === 'zh' ? 'en' : 'zh'); renderHall(); } }, t('lang.switch')),
      h('button', { type: 'button', id: 'hall-close', onclick: closeHallScreen }, t('hall.close'))),
    h('h1', { class: 'hall-title' }, pick(setup.manifest.title)),
    h('p', { class: 'hall-congress' }, pick(setup.manifest.congress)),
    h('div', { class: 'hall-label' }, t('hall.label')),
    digitGroups(setup.short, 'hall-fingerprint'),
    h('p', { class: 'hall-help' }, t('hall.help')),
    registration ? h('p', { class: 'hall-warn' }, t('hall.registration')) : null);
}

/** Opens the hall screen of a verified set-up: the title and short(F) in large digit groups. */
export function openHallScreen(setup) {
  closeHallScreen();
  const node = h('div', { class: 'hall-screen no-print', id: 'hall-screen', role: 'dialog', 'aria-modal': 'true' });
  const onKey = (ev) => { if (ev.key === 'Escape') closeHallScreen(); };
  // In full screen the browser takes Esc to leave it: leaving it closes the display too.
  const onFullscreen = () => { if (!document.fullscreenElement) closeHallScreen(); };
  hall = { node, setup, onKey, onFullscreen };
  renderHall();
  document.body.append(node);
  document.addEventListener('keydown', onKey);
  document.addEventListener('fullscreenchange', onFullscreen);
  node.requestFullscreen?.().catch(() => { /* the overlay fills the window anyway */ });
  node.querySelector('#hall-close').focus();
}

// The fingerprint card on show: { id, show(setup) }, told of a set-up the sheets verified.
let activeCard = null;

/** Shows on the election's card a set-up verified elsewhere on the page (the sheets' check). */
export function showVerified(setup) {
  if (activeCard?.id === setup.manifest.election_id) activeCard.show(setup);
}

/** States in which the ceremony has an output to verify. */
const AFTER_CEREMONY = new Set(['registration', 'open', 'closed', 'tallied', 'published']);

/**
 * The election page's fingerprint card. `update(status)` recomputes F from the served set-up
 * when the state or the number of credentials changed; `keys()` gives the keys this page
 * registered, which the served list must hold.
 */
export function fingerprintCard(s, keys = () => [], get = api) {
  const body = h('div', { id: 'fingerprint-body' });
  const card = h('section', { class: 'card', id: 'fingerprint-card' }, h('h2', {}, t('fp.heading')), body);
  let shown = null;
  const show = (setup) => replace(body,
    digitGroups(setup.short, 'fingerprint-short'),
    h('p', { class: 'muted' }, t('fp.credentials', { n: setup.credentials.length }), ' · ', t('fp.computed')),
    setup.status.state === 'registration' ? h('p', { class: 'notice warn' }, t('fp.registration')) : null,
    h('div', { class: 'row actions' }, h('button', { type: 'button', id: 'show-hall', onclick: () => openHallScreen(setup) }, t('fp.show'))));
  activeCard = { id: s.election_id, show };
  const update = async (st) => {
    if (!AFTER_CEREMONY.has(st.state)) {
      replace(body, h('p', { class: 'muted', id: 'fingerprint-none' }, t(st.state === 'failed' ? 'fp.failed' : 'fp.notYet')));
      return;
    }
    const key = `${st.state}/${st.credentials}`;
    if (shown === key) return;
    shown = key;
    try {
      show(await verifiedSetup(st.election_id, get, keys()));
    } catch (e) {
      shown = null; // try again on the next update
      replace(body, h('div', { class: 'notice error', id: 'fingerprint-refused', dataset: { code: e.code ?? 'fetch' } }, t('fp.refused'), ' ', setupErrorText(e)));
    }
  };
  return { card, update };
}
