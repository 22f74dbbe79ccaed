// What every page shares: the language (zh-CN first, English second), the JSON API, small DOM
// helpers. Pages are static HTML under web/static/ with one module each (src/ui/pages/<name>.js,
// bundled to dist/<name>.js and loaded as /assets/<name>.js). The server's Content-Security-Policy
// allows no inline script or style, so every page's behaviour lives in its module.
//
// Texts: an element with `data-i18n="key"` gets the text of `key` in the current language; with
// `data-i18n-attr="placeholder:key,title:key2"` attributes get them. Each page registers its own
// dictionary with `addTexts({ zh: {...}, en: {...} })`; common keys are below.

const LANG_KEY = 'piaojue.lang';
const texts = { zh: {}, en: {} };
let lang = initialLang();

function initialLang() {
  const stored = globalThis.localStorage?.getItem(LANG_KEY);
  if (stored === 'zh' || stored === 'en') return stored;
  const q = new URLSearchParams(globalThis.location?.search ?? '').get('lang');
  if (q === 'zh' || q === 'en') return q;
  return 'zh'; // Chinese first, whatever the browser says: the congress's working language.
}

/** Adds a page's texts: `{ zh: { key: '…' }, en: { key: '…' } }`. */
export function addTexts(dict) {
  Object.assign(texts.zh, dict.zh);
  Object.assign(texts.en, dict.en);
}

/** The current language, `zh` or `en`. */
export function currentLang() {
  return lang;
}

/**
 * The text of `key` in the current language, with `{name}` placeholders filled from `params`.
 * A key missing in English falls back to Chinese; a key missing in both is shown as itself.
 */
export function t(key, params = {}) {
  const s = texts[lang][key] ?? texts.zh[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

/** A bilingual manifest text `{ zh, en }` (en optional) in the current language. */
export function pick(text) {
  if (text == null) return '';
  if (typeof text === 'string') return text;
  return (lang === 'en' && text.en) ? text.en : text.zh;
}

/** Sets the language, stores it, re-applies `data-i18n` and calls the page's listeners. */
export function setLang(next) {
  lang = next === 'en' ? 'en' : 'zh';
  globalThis.localStorage?.setItem(LANG_KEY, lang);
  applyTexts(document);
  for (const f of langListeners) f(lang);
}

const langListeners = [];
/** `f(lang)` is called after every language change (to re-render dynamic parts). */
export function onLangChange(f) {
  langListeners.push(f);
}

/** Fills every `data-i18n` / `data-i18n-attr` element under `root`. */
export function applyTexts(root) {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of node.dataset.i18nAttr.split(',')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      node.setAttribute(attr, t(key));
    }
  }
  if (texts[lang]['page.title']) document.title = t('page.title');
}

/**
 * Wires the language switch (`<button id="lang-switch">`) and applies the texts once.
 * Call at page start, after `addTexts`.
 */
export function initPage() {
  const sw = document.getElementById('lang-switch');
  if (sw) sw.addEventListener('click', () => setLang(lang === 'zh' ? 'en' : 'zh'));
  applyTexts(document);
}

/** An API refusal: `status` (HTTP), `code` (the body's `error`) and the server's message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

/**
 * Calls the JSON API. `body` (an object) is sent as JSON; `token` as `Authorization: Bearer`.
 * Resolves to the parsed answer; rejects with `ApiError` for a 4xx/5xx (with the server's
 * `{error, message}`) and with a `TypeError` when the network fails.
 */
export async function api(path, { method, body, token } = {}) {
  const verb = method ?? (body === undefined ? 'GET' : 'POST');
  const headers = { Accept: 'application/json' };
  // Every write declares JSON, a body or none (spec/api.md §6.3: else 415).
  if (verb !== 'GET' && verb !== 'HEAD') headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, {
    method: verb,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) throw new ApiError(res.status, data?.error ?? 'http', data?.message ?? text);
  return data;
}

/**
 * The board key that signs election `id`, from the answer of `GET /api/board-key`: the key
 * listed with the election in `keys` (after a rotation an election keeps the key it was made
 * with, spec/api.md §1), else `board_key`, the key of new elections.
 */
export function electionBoardKey(answer, id) {
  const listed = (answer?.keys ?? []).find((k) => Array.isArray(k?.elections) && k.elections.includes(id));
  return (listed ?? answer)?.board_key;
}

/**
 * Every error code the server sends (spec/api.md §6, `ballot-server/src/error.rs`): each has a
 * text `error.<code>` in both languages (test/errors.test.js checks both lists).
 */
export const ERROR_CODES = [
  'bad_request', 'unauthorized', 'forbidden', 'cross_origin', 'not_found', 'method_not_allowed', 'payload_too_large',
  'conflict', 'unsupported_media_type', 'audited_ciphertexts', 'invalid', 'board_mismatch', 'too_many_requests', 'unavailable',
  'storage_full', 'timeout', 'internal',
];

/**
 * Codes whose text says all there is: the server's faults and refusals of how a page sent its
 * request. For the others, an English page adds the server's message (English, specific);
 * a Chinese page shows its own text only, never English.
 */
const WHOLE_TEXTS = new Set(['storage_full', 'unavailable', 'internal', 'cross_origin', 'unsupported_media_type', 'audited_ciphertexts']);

/** The text to show for an error, in the page's language. */
export function errorText(e) {
  if (e instanceof ApiError) {
    const known = ERROR_CODES.includes(e.code);
    const own = known ? t(`error.${e.code}`) : t('error.unknown', { status: e.status });
    if (lang === 'zh' || WHOLE_TEXTS.has(e.code) || !e.message) return own;
    return `${own} (${e.message})`;
  }
  if (e instanceof TypeError) return t('error.network');
  return e?.message ?? String(e);
}

/**
 * Creates an element: `h('div', { class: 'x', dataset: {...}, onclick: f }, child, 'text' …)`.
 * Strings become text nodes (never HTML), so values from the server cannot inject markup.
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v == null || v === false) continue;
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Empties `node` and appends `children`. */
export function replace(node, ...children) {
  node.replaceChildren();
  for (const c of children.flat()) if (c != null && c !== false) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
}

/** A tracking code or key shown in groups of 8 characters, easier to read aloud and compare. */
export function groupChars(text, size = 8) {
  return text.match(new RegExp(`.{1,${size}}`, 'g')).join(' ');
}

/** The election id from a path `/elections/<id>[/…]`. */
export function electionIdFromPath() {
  const m = location.pathname.match(/^\/elections\/([^/]+)/);
  return m ? decodeURIComponent(m[1]) : null;
}

/**
 * `part / whole` as a percentage with two decimals, rounded half up from the exact fraction
 * (227 / 238 = 95.378… → "95.38"), computed on integers; "0.00" when `whole` is 0. For display
 * only: the protocol's `satisfaction_bp` is floored (protocol §12.5) and decides nothing.
 */
export function formatPercent(part, whole) {
  if (!(whole > 0)) return '0.00';
  const hundredths = Math.floor((part * 20000 + whole) / (2 * whole));
  return `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')}`;
}

/** The separator of a list in running text: 、 in Chinese, a comma and a space in English. */
export function listSep() {
  return lang === 'zh' ? '、' : ', ';
}

/** The colon after a label in running text: full width in Chinese. */
export function colon() {
  return lang === 'zh' ? '：' : ': ';
}

/**
 * An amount in yuan as each language writes money: 3,800 万元 in Chinese, ¥38 million in English
 * (¥ and the exact number below a million).
 */
export function formatMoney(yuan) {
  if (lang === 'zh') return `${formatNumber(Math.round(yuan / 100) / 100)} 万元`;
  if (yuan >= 1_000_000) return `¥${formatNumber(Math.round(yuan / 10_000) / 100)} million`;
  return `¥${formatNumber(yuan)}`;
}

/** Investment in 万元 (10,000 yuan) as the manifest gives it, formatted for the language. */
export function formatNumber(n) {
  return new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en').format(n);
}

/** A time in milliseconds since the epoch, in local time. */
export function formatTime(ms) {
  return new Date(ms).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
}

addTexts({
  zh: {
    'app.name': '票决',
    'lang.switch': 'English',
    'error.network': '无法连接服务器，请检查网络后重试。',
    'error.storage_full': '服务器存储空间已满，本次操作未被记录。请稍后重试，并告知工作人员。',
    'error.unavailable': '服务器繁忙，本次操作未被处理，请稍后重试。',
    'error.internal': '服务器内部故障，本次操作可能未完成，请稍后重试。',
    'error.cross_origin': '服务器拒绝了来自其他网站页面的提交，本次操作未被处理。请直接打开本系统的网址后重试。',
    'error.unsupported_media_type': '页面提交的数据格式不被服务器接受，本次操作未被处理。请刷新页面后重试。',
    'error.audited_ciphertexts': '服务器拒绝：这张选票的密文已在核验时公开，或已作为选票投出；同一密文不能既投出又核验。本次操作未被记录。请重新生成一张选票，并告知工作人员。',
    'error.bad_request': '服务器无法读取本次提交的内容，本次操作未被处理。请检查填写的内容，或刷新页面后重试。',
    'error.unauthorized': '请先以工作人员身份登录，本次操作未被处理。',
    'error.forbidden': '没有进行这项操作的权限（工作人员登录凭据无效、已撤销或已过期，或签名不属于登记的监票人），本次操作未被处理。',
    'error.not_found': '服务器上没有找到所要的内容（选举、公告板条目或回执）。',
    'error.method_not_allowed': '服务器不接受这种请求方式，本次操作未被处理。请刷新页面后重试。',
    'error.payload_too_large': '提交的内容太大，服务器未予接受，本次操作未被处理。',
    'error.conflict': '当前状态不允许这项操作，或这项操作已经完成过（例如已经投票、投票已截止），本次操作未被记录。',
    'error.invalid': '服务器核对未通过（证明、签名或内容与本次选举不符），本次操作未被记录。',
    'error.board_mismatch': '选举清单中的公告板或见证人与本服务器的设置不一致，选举未创建。请删去这两项后重新提交。',
    'error.too_many_requests': '请求过于频繁，本次操作未被处理，请稍后重试。',
    'error.timeout': '请求超时，本次操作未被处理，请稍后重试。',
    'error.unknown': '服务器拒绝了本次操作（状态 {status}）。',
    'state.draft': '草稿', 'state.key_ceremony': '密钥生成中', 'state.registration': '登记中',
    'state.open': '投票中', 'state.closed': '已截止', 'state.tallied': '已计票',
    'state.published': '已公布', 'state.failed': '失败',
    'nav.home': '选举列表', 'nav.staff': '工作人员', 'nav.cycle': '年度项目', 'nav.plan': '年度计划',
    'loading': '加载中…',
  },
  en: {
    'app.name': 'Piaojue',
    'lang.switch': '中文',
    'error.network': 'Cannot reach the server; check the network and try again.',
    'error.storage_full': 'The server’s storage is full: nothing was recorded. Please try again later and tell the staff.',
    'error.unavailable': 'The server is busy: nothing was done. Please try again shortly.',
    'error.internal': 'The server had an internal fault; the action may not have been completed. Please try again later.',
    'error.cross_origin': 'The server refused a submission from a page of another site: nothing was done. Open this system’s own address and try again.',
    'error.unsupported_media_type': 'The server did not accept the format the page sent: nothing was done. Reload the page and try again.',
    'error.audited_ciphertexts': 'Refused by the server: this ballot’s ciphertexts were made public by an audit, or were already cast; the same ciphertexts can never be both cast and audited. Nothing was recorded. Make a fresh ballot and tell the staff.',
    'error.bad_request': 'The server could not read what was sent: nothing was done. Check what you entered, or reload the page and try again.',
    'error.unauthorized': 'Sign in as staff first: nothing was done.',
    'error.forbidden': 'Not allowed: the staff sign-in is not valid, revoked or expired, or the signature is not the registered teller’s. Nothing was done.',
    'error.not_found': 'The server has no such thing (election, board entry or receipt).',
    'error.method_not_allowed': 'The server does not take this kind of request: nothing was done. Reload the page and try again.',
    'error.payload_too_large': 'What was sent is too large for the server: nothing was done.',
    'error.conflict': 'The current state does not allow this, or it was done already (for example, already voted, or voting closed): nothing was recorded.',
    'error.invalid': 'The server’s checks failed (a proof, a signature, or content that does not fit this election): nothing was recorded.',
    'error.board_mismatch': 'The manifest names another board or other witnesses than this server’s: the election was not created. Leave both out and submit it again.',
    'error.too_many_requests': 'Too many requests: nothing was done. Please try again shortly.',
    'error.timeout': 'The request timed out: nothing was done. Please try again.',
    'error.unknown': 'The server refused (status {status}).',
    'state.draft': 'Draft', 'state.key_ceremony': 'Key ceremony', 'state.registration': 'Registration',
    'state.open': 'Voting open', 'state.closed': 'Closed', 'state.tallied': 'Tallied',
    'state.published': 'Published', 'state.failed': 'Failed',
    'nav.home': 'Elections', 'nav.staff': 'Staff', 'nav.cycle': 'The year’s projects', 'nav.plan': 'Year plan',
    'loading': 'Loading…',
  },
});
