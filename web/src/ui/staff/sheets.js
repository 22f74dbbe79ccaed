// Deputies' credentials: the registrar's browser makes the seeds (crypto.getRandomValues), sends
// only their public keys (POST /credentials, batches of ≤ 500) and prints one sheet per deputy:
// the election, a serial number, the election fingerprint short(F), a QR code of the sign-in link
//   <origin>/elections/<id>/vote#credential=<64 lower-case hex digits of the seed>&fingerprint=<F>
// (the fragment never reaches a server: spec/protocol.md §6.6) and the seed in groups of 8 hex
// digits for typing. Sheets are shown only from a set-up this page verified after registering
// the keys (fingerprint.js `verifiedSetup`: the ceremony verified, F computed here, never the
// server's) on which every key it registered is; until then the seeds are kept and the check may
// be run again.
// Seeds live only in this module's memory: never in storage, never sent; they vanish with the
// window. Sheets are not linked to names (the roll is separate: secret ballot). Serial numbers
// are given to the registered keys in an order shuffled here (CSPRNG), so that the order of the
// keys in the POST bodies (which an operator may log) says nothing about which sheet has which
// key.
import qrcode from 'qrcode-generator';
import { credentialFromSeed, toBase64, toHex } from '../../piaojue.js';
import { apiPath } from '../board.js';
import { addTexts, api, errorText, groupChars, h, pick, replace, t } from '../common.js';
import { SetupError, setupErrorText, showVerified, verifiedSetup } from './fingerprint.js';

/** The most keys one POST /credentials carries. */
export const BATCH = 500;

/** A fresh 32-byte seed as 64 lower-case hex digits. */
export function newSeed() {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * The sign-in link of a seed, pinned to fingerprint `F` (base64url): the booth page reads
 * `#credential=` and `&fingerprint=` (protocol §6.6).
 */
export function signInLink(origin, electionId, seedHex, fingerprint) {
  return `${origin}/elections/${electionId}/vote#credential=${seedHex.toLowerCase()}&fingerprint=${fingerprint}`;
}

/**
 * A copy of `list` in a uniformly random order (Fisher–Yates, `crypto.getRandomValues` with
 * rejection sampling, so no index is favoured). `random(n)` gives `n` random bytes.
 */
export function shuffled(list, random = (n) => crypto.getRandomValues(new Uint8Array(n))) {
  const out = list.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const range = i + 1;
    const limit = 2 ** 32 - (2 ** 32 % range);
    let x;
    do {
      const b = random(4);
      x = ((b[0] << 24) >>> 0) + (b[1] << 16) + (b[2] << 8) + b[3];
    } while (x >= limit);
    const j = x % range;
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Serial numbers as printed: 0001, 0002 … */
export function serialText(n) {
  return String(n).padStart(4, '0');
}

/** Splits a list into chunks of at most `size`. */
export function chunks(list, size) {
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

const SVG = 'http://www.w3.org/2000/svg';

/** A QR code of `text` as an SVG element (one path, no inline style: the CSP allows none). */
export function qrSvg(text) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const quiet = 4;
  let d = '';
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + quiet} ${r + quiet}h1v1h-1z`;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${n + 2 * quiet} ${n + 2 * quiet}`);
  svg.setAttribute('class', 'qr');
  svg.setAttribute('role', 'img');
  svg.setAttribute('shape-rendering', 'crispEdges');
  const bg = document.createElementNS(SVG, 'rect');
  bg.setAttribute('width', '100%'); bg.setAttribute('height', '100%'); bg.setAttribute('fill', '#fff');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(bg, path);
  return svg;
}

addTexts({
  zh: {
    'cred.heading': '登记代表凭证', 'cred.intro': '本浏览器生成凭证码，只把由凭证码算出的公开识别码发送给服务器；凭证码只打印在凭证单上。凭证单不记名，与代表名册无关联（无记名投票）。',
    'cred.count': '要生成的凭证数', 'cred.complete': '凭证名单已完整：应到 {deputies} 名代表，每人一张凭证。名单不能再增加。', 'cred.generate': '生成、登记并显示凭证单',
    'cred.progress': '已登记 {done} / {total} …', 'cred.done': '已登记 {n} 张凭证；服务器上共 {total} 张。',
    'cred.partial': '只登记了 {done} / {total} 张；只显示已登记的凭证单。',
    'cred.badCount': '请输入 1 到 {max} 之间的整数（尚未登记凭证的代表人数）。',
    'cred.state': '选举处于“{state}”状态：凭证须在密钥生成仪式完成之后、开始投票之前生成（凭证单上要印选举指纹）。',
    'sheets.heading': '凭证单（{n} 张）', 'sheets.warning': '凭证码只存在于这个浏览器窗口中，关闭或刷新后即永久消失，无法找回。离开前请打印或保存凭证单。',
    'sheets.fingerprint': '凭证单上的选举指纹：{short}（由本页根据密钥生成仪式记录和 {n} 张凭证的名单验证、算出）。再登记凭证会改变指纹：凭证全部登记后再打印。',
    'sheets.checking': '正在核验服务器提供的选举设置（密钥生成仪式记录和凭证名单）……',
    'sheets.withheld': '凭证单暂不显示：本页未能确认选举指纹，不能把未经核验的指纹印在凭证单上。',
    'sheets.kept': '已登记的 {n} 张凭证的凭证码仍保存在本页中，请勿关闭或刷新本页；可以重新核验。',
    'sheets.retry': '重新核验', 'setup.err.not-ready': '凭证名单尚未登记完整：应到 {deputies} 名代表，已登记 {have} 张凭证。请在本窗口登记其余凭证，凭证单将在名单完整后一并显示。',
    'sheets.print': '打印凭证单', 'sheets.download': '下载为 HTML 文件', 'sheets.discard': '丢弃凭证单',
    'sheets.discard.confirm': '确定丢弃这些凭证单吗？未打印的凭证将永远无法使用。',
    'sheets.leave': '凭证单尚未打印或保存，离开后凭证码将永久丢失。',
  },
  en: {
    'cred.heading': 'Register deputies’ credentials', 'cred.intro': 'This browser makes the credential seeds and sends the server only their public keys; the seeds are printed on the sheets only. The sheets carry no names and are not linked to the roll (secret ballot).',
    'cred.count': 'Number of credentials', 'cred.complete': 'The credential list is complete: one credential for each of the {deputies} deputies. It cannot grow.', 'cred.generate': 'Generate, register and show the sheets',
    'cred.progress': 'Registered {done} / {total} …', 'cred.done': '{n} credentials registered; {total} on the server.',
    'cred.partial': 'Only {done} of {total} were registered; only their sheets are shown.',
    'cred.badCount': 'Enter a whole number from 1 to {max} (the deputies still without a credential).',
    'cred.state': 'The election is in the state “{state}”: credentials are made after the key ceremony and before voting opens (the sheets carry the election fingerprint).',
    'sheets.heading': 'Credential sheets ({n})', 'sheets.warning': 'The seeds exist only in this browser window: closing or reloading it loses them for ever. Print or save the sheets before leaving.',
    'sheets.fingerprint': 'Election fingerprint on the sheets: {short} (verified and computed by this page from the key ceremony and the list of {n} credentials). Registering more credentials changes it: print once all are registered.',
    'sheets.checking': 'Checking the election set-up the server serves (the key ceremony and the credential list) …',
    'sheets.withheld': 'The sheets are withheld: this page could not confirm the election fingerprint, and an unverified fingerprint is never printed.',
    'sheets.kept': 'The seeds of the {n} credentials registered are still held in this page: do not close or reload it; you may check again.',
    'sheets.retry': 'Check again', 'setup.err.not-ready': 'the credential list is not complete: {have} of the congress’s {deputies} deputies have a credential. Register the rest in this window; the sheets are shown together once the list is complete.',
    'sheets.print': 'Print the sheets', 'sheets.download': 'Download as an HTML file', 'sheets.discard': 'Discard the sheets',
    'sheets.discard.confirm': 'Discard these sheets? Credentials not printed can never be used.',
    'sheets.leave': 'The credential sheets were not printed or saved; leaving loses the seeds for ever.',
  },
});

// The sheets are bilingual whatever the page's language.
const SHEET = {
  zh: {
    kind: '代表投票凭证', serial: '编号', code: '凭证码', fingerprint: '选举指纹',
    step1: '用手机相机扫描二维码，即可打开投票页面并自动登录；也可以在浏览器中打开下面的网址，输入凭证码。',
    stepFp: '投票页面在选票旁显示选举指纹：须与本凭证单上印的、会场屏幕上显示的完全一致，否则不要投票，请告知监票人。',
    step2: '按选票说明选择后投出。投票页面会显示一个 16 位跟踪码，请记下，以便日后在公告板上核对您的选票已被记录。',
    step3: '此凭证就是您的投票权：请妥善保管，不要给他人看或拍照。凭证不记名，没有人知道哪一张凭证发给了谁。',
  },
  en: {
    kind: 'Deputy’s voting credential', serial: 'No.', code: 'Credential code', fingerprint: 'Election fingerprint',
    step1: 'Scan the QR code with a phone camera to open the voting page signed in; or open the address below in a browser and type the credential code.',
    stepFp: 'The voting page shows the election fingerprint beside the ballot: it must be exactly the one printed on this sheet and shown on the hall screen; if not, do not vote and tell the scrutineers.',
    step2: 'Make your choice as the ballot says and cast it. The page shows a 16-character tracking code: write it down, to check later on the bulletin board that your ballot was recorded.',
    step3: 'This sheet is your vote: keep it safe, show it to nobody, do not photograph it. It carries no name: nobody knows which sheet went to whom.',
  },
};

/**
 * Whether sheets may be printed from this verified set-up (`status` the election's status as
 * served): the single place for the rules on the credential list itself. The list must be
 * complete, one key for each of the manifest's `deputies` (protocol §6.6, §7.6): then no key can
 * be added, and the fingerprint the sheets print is final.
 */
export function sheetsReady(status, setup) {
  return Boolean(status && setup) && setup.credentials.length === setup.manifest.deputies;
}

/**
 * The check before any sheet is shown (protocol §6.6): the set-up verified here
 * (`verifiedSetup`), every key in `keys` (base64url, just registered) on its credential list,
 * and `sheetsReady`. → the verified set-up; throws `PinError` (`SetupError`) or the fetch's error.
 */
export async function verifySheets(electionId, keys, get = api) {
  const setup = await verifiedSetup(electionId, get, keys);
  if (!sheetsReady(setup.status, setup))
    throw new SetupError('not-ready', `the credential list is not complete: ${setup.credentials.length} of ${setup.manifest.deputies} deputies have a credential`,
      { have: setup.credentials.length, deputies: setup.manifest.deputies });
  return setup;
}

/** What one sheet prints, from the verified set-up: serial, seed, its groups, short(F), link. */
export function sheetData(setup, origin, { serial, seed }) {
  const id = setup.manifest.election_id;
  return {
    serial, seed, groups: groupChars(seed).split(' '), short: setup.short,
    link: signInLink(origin, id, seed, setup.fingerprint), booth: `${origin}/elections/${id}/vote`,
  };
}

/**
 * The credentials a window made for one election: `items` (`{ serial, seed, key }`, kept until
 * printed or discarded, whatever the checks say) and the set-up they were last verified against
 * (`setup`, or null with `error`). Sheets come only from `pages()`, which needs a verified set-up.
 */
export class SheetBatch {
  constructor(electionId) {
    this.electionId = electionId;
    this.items = [];
    this.setup = null;
    this.error = null;
  }

  /** Adds registered credentials; the set-up must be verified again (F covers the whole list). */
  add(items) {
    this.items.push(...items);
    this.setup = null;
  }

  /** Verifies the served set-up for every key of the batch (`verifySheets`). Never loses a seed. */
  async check(get = api) {
    this.setup = null;
    this.error = null;
    try {
      this.setup = await verifySheets(this.electionId, this.items.map((it) => it.key), get);
    } catch (e) {
      this.error = e;
    }
    return this.setup !== null;
  }

  /** The sheets' data; throws unless the set-up was verified. */
  pages(origin) {
    if (!this.setup) throw new SetupError('unverified', 'no sheets before the election set-up is verified');
    return this.items.map((it) => sheetData(this.setup, origin, it));
  }
}

// The sheets of this window (a SheetBatch), or null.
let current = null;
let saved = true;
let checking = false;

globalThis.addEventListener?.('beforeunload', (ev) => {
  if (current && !saved) {
    ev.preventDefault();
    ev.returnValue = t('sheets.leave');
  }
});

/** Checks the set-up for the sheets of this window and shows them, or why not. */
async function checkAndShow() {
  checking = true;
  renderSheets();
  if (await current.check()) showVerified(current.setup);
  checking = false;
  renderSheets();
}

/** The keys this window registered for election `id` (the served list must hold them). */
export function registeredKeys(id) {
  return current?.electionId === id ? current.items.map((it) => it.key) : [];
}

/**
 * The registration card: a count, a button; generates, registers and shows the sheets.
 * `ctx.call` calls the API with the staff token; `ctx.refresh()` reloads the status.
 */
export function renderRegistration(status, ctx) {
  // One credential for each deputy the list still lacks (the server refuses more: §7.6).
  const missing = Math.max(0, (status.manifest?.deputies ?? 0) - (status.credentials ?? 0));
  const count = h('input', { id: 'cred-count', type: 'number', min: 1, max: Math.max(1, missing), value: missing || 1, inputmode: 'numeric' });
  const msg = h('div', { id: 'cred-message', role: 'status' });
  if (missing === 0)
    return h('section', { class: 'card', id: 'registration' },
      h('h2', {}, t('cred.heading')),
      h('p', { id: 'cred-complete' }, t('cred.complete', { deputies: status.manifest?.deputies ?? 0 })));
  const button = h('button', { type: 'button', class: 'primary', id: 'generate-credentials' }, t('cred.generate'));
  button.addEventListener('click', async () => {
    const total = Number(count.value);
    if (!Number.isInteger(total) || total < 1 || total > missing) return replace(msg, h('div', { class: 'notice error' }, t('cred.badCount', { max: missing })));
    button.disabled = true;
    const id = status.election_id;
    let fresh;
    try {
      fresh = await api(apiPath(id));
    } catch (e) {
      button.disabled = false;
      return replace(msg, h('div', { class: 'notice error' }, errorText(e)));
    }
    // Sheets print F: after the ceremony, before the list freezes.
    if (fresh.state !== 'registration') {
      button.disabled = false;
      return replace(msg, h('div', { class: 'notice error', id: 'cred-state' }, t('cred.state', { state: t(`state.${fresh.state}`) })));
    }
    const first = fresh.credentials + 1;
    const made = Array.from({ length: total }, () => {
      const seed = newSeed();
      return { seed, key: toBase64(credentialFromSeed(seed).publicKey) };
    });
    const registered = [];
    let error = null;
    for (const batch of chunks(made, BATCH)) {
      replace(msg, h('div', { class: 'notice' }, t('cred.progress', { done: registered.length, total })));
      try {
        await ctx.call(`/api/elections/${encodeURIComponent(id)}/credentials`, { body: { keys: batch.map((c) => c.key) } });
      } catch (e) {
        error = e;
        break;
      }
      registered.push(...batch);
    }
    made.length = 0;
    if (registered.length) {
      // Serials in a random order, not the order the keys were sent in.
      const items = shuffled(registered).map((c, i) => ({ serial: first + i, seed: c.seed, key: c.key }));
      if (current?.electionId !== id) current = new SheetBatch(id);
      current.add(items);
      saved = false;
    }
    const latest = await ctx.refresh();
    replace(msg,
      registered.length ? h('div', { class: 'notice ok' }, t('cred.done', { n: registered.length, total: latest?.credentials ?? '?' })) : null,
      error ? h('div', { class: 'notice error' }, registered.length ? `${t('cred.partial', { done: registered.length, total })} ` : '', errorText(error)) : null);
    if (registered.length) await checkAndShow();
    button.disabled = false;
  });
  return h('section', { class: 'card', id: 'registration' },
    h('h2', {}, t('cred.heading')),
    h('p', { class: 'muted' }, t('cred.intro')),
    h('label', { for: 'cred-count' }, t('cred.count')),
    h('div', { class: 'row nowrap' }, count, button),
    msg);
}

/** One printable sheet, from `sheetData`. */
function sheet(manifest, d) {
  const zhEn = (key) => [h('span', { lang: 'zh-CN' }, SHEET.zh[key]), h('span', { lang: 'en', class: 'en' }, SHEET.en[key])];
  return h('article', { class: 'sheet', dataset: { serial: String(d.serial) } },
    h('header', { class: 'sheet-head' },
      h('div', {}, h('div', { class: 'sheet-kind' }, SHEET.zh.kind), h('div', { class: 'en' }, SHEET.en.kind)),
      h('div', { class: 'sheet-serial' }, `${SHEET.zh.serial} / ${SHEET.en.serial} `, h('strong', { class: 'serial' }, serialText(d.serial)))),
    h('h2', { class: 'sheet-title' }, manifest.title.zh, manifest.title.en ? h('div', { class: 'en' }, manifest.title.en) : null),
    h('p', { class: 'sheet-congress' }, manifest.congress.zh, manifest.congress.en ? h('span', { class: 'en' }, ` · ${manifest.congress.en}`) : null),
    h('div', { class: 'sheet-main' },
      h('a', { class: 'qr-link', href: d.link, dataset: { link: d.link } }, qrSvg(d.link)),
      h('div', { class: 'sheet-code' },
        h('div', { class: 'code-label' }, `${SHEET.zh.code} / ${SHEET.en.code}`),
        h('div', { class: 'seed mono', dataset: { seed: d.seed } }, d.groups.slice(0, 4).join(' '), h('br'), d.groups.slice(4).join(' ')),
        h('div', { class: 'sheet-url mono' }, d.booth))),
    h('p', { class: 'sheet-fingerprint' }, `${SHEET.zh.fingerprint} / ${SHEET.en.fingerprint}: `, h('strong', { class: 'fingerprint mono' }, d.short)),
    h('ol', { class: 'sheet-steps' }, ['step1', 'stepFp', 'step2', 'step3'].map((k) => h('li', {}, zhEn(k)))));
}

/** The discard button: drops the seeds of this window, after asking. */
function discardButton() {
  return h('button', { type: 'button', id: 'discard-sheets', onclick: () => {
    if (!window.confirm(t('sheets.discard.confirm'))) return;
    current = null;
    saved = true;
    renderSheets();
  } }, t('sheets.discard'));
}

/** While the set-up is unverified: why, the seeds kept, check again (no sheet, no seed shown). */
function withheld(box) {
  const n = current.items.length;
  replace(box, h('div', { class: 'sheets-toolbar no-print', id: 'sheets-withheld' },
    h('h2', {}, t('sheets.heading', { n })),
    checking || !current.error ? h('div', { class: 'notice', id: 'sheets-checking' }, t('sheets.checking')) : [
      h('div', { class: 'notice error', id: 'sheets-error', dataset: { code: current.error.code ?? 'fetch' } },
        t('sheets.withheld'), ' ', setupErrorText(current.error)),
      h('div', { class: 'notice warn', id: 'sheets-warning' }, t('sheets.kept', { n })),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'primary', id: 'retry-sheets', onclick: checkAndShow }, t('sheets.retry')),
        discardButton())]));
}

/** Shows the sheets of this window (in `#sheets`, outside `main`, the only thing printed). */
export function renderSheets() {
  const box = document.getElementById('sheets');
  if (!box) return;
  if (!current) {
    box.hidden = true;
    replace(box);
    return;
  }
  box.hidden = false;
  if (checking || !current.setup) return withheld(box);
  const { manifest, short, credentials } = current.setup;
  const data = current.pages(location.origin);
  const pages = h('div', { class: 'sheet-pages', id: 'sheet-pages' }, data.map((d) => sheet(manifest, d)));
  replace(box,
    h('div', { class: 'sheets-toolbar no-print' },
      h('h2', {}, t('sheets.heading', { n: data.length }), ' · ', pick(manifest.title)),
      h('div', { class: 'notice warn', id: 'sheets-warning' }, t('sheets.warning')),
      h('p', { id: 'sheets-fingerprint', dataset: { short } }, t('sheets.fingerprint', { short, n: credentials.length })),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'primary', id: 'print-sheets', onclick: () => { saved = true; window.print(); } }, t('sheets.print')),
        h('button', { type: 'button', id: 'download-sheets', onclick: () => download(pages) }, t('sheets.download')),
        discardButton())),
    pages);
}

/** Saves the sheets as one self-contained HTML file (the page's own stylesheets inlined). */
async function download(pages) {
  let css = '';
  for (const href of ['/assets/style.css', '/assets/staff.css']) {
    try { css += `${await (await fetch(href)).text()}\n`; } catch { /* print without it */ }
  }
  const title = `${current.setup.manifest.title.zh} · ${SHEET.zh.kind}`.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  // The sheets' markup is the browser's serialisation of nodes built with text only; the CSS is
  // this site's own. (Made as text: a <style> element would trip this page's CSP.)
  const html = `<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>`
    + `<style>${css.replace(/<\//g, '<\\/')}\nbody{background:#fff}</style></head><body><section class="sheets">${pages.outerHTML}</section></body></html>\n`;
  const url = URL.createObjectURL(new Blob([html], { type: 'text/html;charset=utf-8' }));
  const a = h('a', { href: url, download: `${current.electionId}-credentials-${serialText(current.items[0].serial)}.html` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  saved = true;
}
