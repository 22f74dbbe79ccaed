// Deputies' credentials: the registrar's browser makes the seeds (crypto.getRandomValues), sends
// only their public keys (POST /credentials, batches of ≤ 500) and prints one sheet per deputy:
// the election, a serial number, a QR code of the sign-in link
//   <origin>/elections/<id>/vote#credential=<64 lower-case hex digits of the seed>
// (the fragment never reaches a server) and the seed in groups of 8 hex digits for typing.
// Seeds live only in this module's memory: never in storage, never sent; they vanish with the
// window. Sheets are not linked to names (the roll is separate: secret ballot). Serial numbers
// are given to the registered keys in an order shuffled here (CSPRNG), so that the order of the
// keys in the POST bodies (which an operator may log) says nothing about which sheet has which
// key.
import qrcode from 'qrcode-generator';
import { credentialFromSeed, toBase64, toHex } from '../../piaojue.js';
import { addTexts, errorText, groupChars, h, pick, replace, t } from '../common.js';

/** The most keys one POST /credentials carries. */
export const BATCH = 500;

/** A fresh 32-byte seed as 64 lower-case hex digits. */
export function newSeed() {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

/** The sign-in link of a seed (the booth page reads `#credential=`). */
export function signInLink(origin, electionId, seedHex) {
  return `${origin}/elections/${electionId}/vote#credential=${seedHex.toLowerCase()}`;
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
    'cred.heading': '登记代表凭证', 'cred.intro': '本浏览器生成凭证码，只把公钥发送给服务器；凭证码只打印在凭证单上。凭证单不记名，与代表名册无关联（无记名投票）。',
    'cred.count': '要生成的凭证数', 'cred.generate': '生成、登记并显示凭证单',
    'cred.progress': '已登记 {done} / {total} …', 'cred.done': '已登记 {n} 张凭证；服务器上共 {total} 张。',
    'cred.partial': '只登记了 {done} / {total} 张；只显示已登记的凭证单。',
    'cred.badCount': '请输入 1 到 100000 之间的整数。',
    'sheets.heading': '凭证单（{n} 张）', 'sheets.warning': '凭证码只存在于这个浏览器窗口中，关闭或刷新后即永久消失，无法找回。离开前请打印或保存凭证单。',
    'sheets.print': '打印凭证单', 'sheets.download': '下载为 HTML 文件', 'sheets.discard': '丢弃凭证单',
    'sheets.discard.confirm': '确定丢弃这些凭证单吗？未打印的凭证将永远无法使用。',
    'sheets.leave': '凭证单尚未打印或保存，离开后凭证码将永久丢失。',
  },
  en: {
    'cred.heading': 'Register deputies’ credentials', 'cred.intro': 'This browser makes the credential seeds and sends the server only their public keys; the seeds are printed on the sheets only. The sheets carry no names and are not linked to the roll (secret ballot).',
    'cred.count': 'Number of credentials', 'cred.generate': 'Generate, register and show the sheets',
    'cred.progress': 'Registered {done} / {total} …', 'cred.done': '{n} credentials registered; {total} on the server.',
    'cred.partial': 'Only {done} of {total} were registered; only their sheets are shown.',
    'cred.badCount': 'Enter a whole number from 1 to 100000.',
    'sheets.heading': 'Credential sheets ({n})', 'sheets.warning': 'The seeds exist only in this browser window: closing or reloading it loses them for ever. Print or save the sheets before leaving.',
    'sheets.print': 'Print the sheets', 'sheets.download': 'Download as an HTML file', 'sheets.discard': 'Discard the sheets',
    'sheets.discard.confirm': 'Discard these sheets? Credentials not printed can never be used.',
    'sheets.leave': 'The credential sheets were not printed or saved; leaving loses the seeds for ever.',
  },
});

// The sheets are bilingual whatever the page's language.
const SHEET = {
  zh: {
    kind: '代表投票凭证', serial: '编号', code: '凭证码',
    step1: '用手机相机扫描二维码，即可打开投票页面并自动登录；也可以在浏览器中打开下面的网址，输入凭证码。',
    step2: '按选票说明选择后投出。投票页面会显示一个追踪码，请记下，以便日后在公告板上核对您的选票已被记录。',
    step3: '此凭证就是您的投票权：请妥善保管，不要给他人看或拍照。凭证不记名，没有人知道哪一张凭证发给了谁。',
  },
  en: {
    kind: 'Deputy’s voting credential', serial: 'No.', code: 'Credential code',
    step1: 'Scan the QR code with a phone camera to open the voting page signed in; or open the address below in a browser and type the credential code.',
    step2: 'Make your choice as the ballot says and cast it. The page shows a tracking code: note it, to check later on the bulletin board that your ballot was recorded.',
    step3: 'This sheet is your vote: keep it safe, show it to nobody, do not photograph it. It carries no name: nobody knows which sheet went to whom.',
  },
};

// The sheets of this window: { electionId, manifest, items: [{ serial, seed }] }, or null.
let current = null;
let saved = true;

globalThis.addEventListener?.('beforeunload', (ev) => {
  if (current && !saved) {
    ev.preventDefault();
    ev.returnValue = t('sheets.leave');
  }
});

/**
 * The registration card: a count, a button; generates, registers and shows the sheets.
 * `ctx.call` calls the API with the staff token; `ctx.refresh()` reloads the status.
 */
export function renderRegistration(status, ctx) {
  const count = h('input', { id: 'cred-count', type: 'number', min: 1, max: 100000, value: 10, inputmode: 'numeric' });
  const msg = h('div', { id: 'cred-message', role: 'status' });
  const button = h('button', { type: 'button', class: 'primary', id: 'generate-credentials' }, t('cred.generate'));
  button.addEventListener('click', async () => {
    const total = Number(count.value);
    if (!Number.isInteger(total) || total < 1 || total > 100000) return replace(msg, h('div', { class: 'notice error' }, t('cred.badCount')));
    button.disabled = true;
    const id = status.election_id;
    const first = status.credentials + 1;
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
      const items = shuffled(registered).map((c, i) => ({ serial: first + i, seed: c.seed }));
      if (current?.electionId === id) current.items.push(...items);
      else current = { electionId: id, manifest: status.manifest, items };
      saved = false;
      renderSheets();
    }
    const latest = await ctx.refresh();
    replace(msg,
      registered.length ? h('div', { class: 'notice ok' }, t('cred.done', { n: registered.length, total: latest?.credentials ?? '?' })) : null,
      error ? h('div', { class: 'notice error' }, registered.length ? `${t('cred.partial', { done: registered.length, total })} ` : '', errorText(error)) : null);
    button.disabled = false;
  });
  return h('section', { class: 'card', id: 'registration' },
    h('h2', {}, t('cred.heading')),
    h('p', { class: 'muted' }, t('cred.intro')),
    h('label', { for: 'cred-count' }, t('cred.count')),
    h('div', { class: 'row nowrap' }, count, button),
    msg);
}

/** One printable sheet. */
function sheet(manifest, electionId, { serial, seed }) {
  const link = signInLink(location.origin, electionId, seed);
  const groups = groupChars(seed).split(' ');
  const zhEn = (key) => [h('span', { lang: 'zh-CN' }, SHEET.zh[key]), h('span', { lang: 'en', class: 'en' }, SHEET.en[key])];
  return h('article', { class: 'sheet', dataset: { serial: String(serial) } },
    h('header', { class: 'sheet-head' },
      h('div', {}, h('div', { class: 'sheet-kind' }, SHEET.zh.kind), h('div', { class: 'en' }, SHEET.en.kind)),
      h('div', { class: 'sheet-serial' }, `${SHEET.zh.serial} / ${SHEET.en.serial} `, h('strong', { class: 'serial' }, serialText(serial)))),
    h('h2', { class: 'sheet-title' }, manifest.title.zh, manifest.title.en ? h('div', { class: 'en' }, manifest.title.en) : null),
    h('p', { class: 'sheet-congress' }, manifest.congress.zh, manifest.congress.en ? h('span', { class: 'en' }, ` · ${manifest.congress.en}`) : null),
    h('div', { class: 'sheet-main' },
      h('a', { class: 'qr-link', href: link, dataset: { link } }, qrSvg(link)),
      h('div', { class: 'sheet-code' },
        h('div', { class: 'code-label' }, `${SHEET.zh.code} / ${SHEET.en.code}`),
        h('div', { class: 'seed mono', dataset: { seed } }, groups.slice(0, 4).join(' '), h('br'), groups.slice(4).join(' ')),
        h('div', { class: 'sheet-url mono' }, `${location.origin}/elections/${electionId}/vote`))),
    h('ol', { class: 'sheet-steps' }, ['step1', 'step2', 'step3'].map((k) => h('li', {}, zhEn(k)))));
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
  const { electionId, manifest, items } = current;
  const pages = h('div', { class: 'sheet-pages', id: 'sheet-pages' }, items.map((it) => sheet(manifest, electionId, it)));
  replace(box,
    h('div', { class: 'sheets-toolbar no-print' },
      h('h2', {}, t('sheets.heading', { n: items.length }), ' · ', pick(manifest.title)),
      h('div', { class: 'notice warn', id: 'sheets-warning' }, t('sheets.warning')),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'primary', id: 'print-sheets', onclick: () => { saved = true; window.print(); } }, t('sheets.print')),
        h('button', { type: 'button', id: 'download-sheets', onclick: () => download(pages) }, t('sheets.download')),
        h('button', { type: 'button', id: 'discard-sheets', onclick: () => {
          if (!window.confirm(t('sheets.discard.confirm'))) return;
          current = null;
          saved = true;
          renderSheets();
        } }, t('sheets.discard')))),
    pages);
  box.hidden = false;
}

/** Saves the sheets as one self-contained HTML file (the page's own stylesheets inlined). */
async function download(pages) {
  let css = '';
  for (const href of ['/assets/style.css', '/assets/staff.css']) {
    try { css += `${await (await fetch(href)).text()}\n`; } catch { /* print without it */ }
  }
  const title = `${current.manifest.title.zh} · ${SHEET.zh.kind}`.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
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
