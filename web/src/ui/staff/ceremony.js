// Tellers: registering their n ed25519 signing keys (POST /tellers, teller 1 first; each made
// by the teller's own `piaojue teller keygen`), then the key ceremony's progress as the board
// shows it (GET /ceremony: which teller posted which round; the output, or the failure).
import { decodeCredentialKey, DecodeError } from '../../piaojue.js';
import { addTexts, groupChars, h, replace, t } from '../common.js';
import { notice, submit } from './ui.js';

export const ROUNDS = [
  ['announcements', 'announcement'],
  ['commitments', 'commitment'],
  ['reveals', 'reveal'],
  ['checks', 'share_check'],
];

/**
 * The signing keys of pasted text: 43 base64url characters per teller (as `piaojue teller
 * keygen` prints them), one per line (spaces inside a key
 * and blank lines ignored; `1: …` or `teller 1 …` prefixes allowed). Throws with a message to
 * show unless there are exactly `n` distinct keys.
 */
export function parseTellerKeys(text, n) {
  const keys = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/^\s*(?:teller|监票人)?\s*\d{1,2}\s*[:：.)、]\s*/i, '').replace(/\s+/g, '');
    if (!line) continue;
    if (!/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(line)) throw new Error(t('tellers.badKey', { line: i + 1 }));
    keys.push(line);
  }
  if (keys.length !== n) throw new Error(t('tellers.count', { n, got: keys.length }));
  if (new Set(keys).size !== keys.length) throw new Error(t('tellers.repeated'));
  return keys;
}

addTexts({
  zh: {
    'tellers.heading': '登记监票人', 'tellers.intro': '每位监票人在自己的电脑上运行 piaojue teller keygen，得到一串 43 个字符的监票人识别码。请按监票人 1、2 … {n} 的顺序粘贴，每行一个，共 {n} 个。',
    'tellers.keys': '监票人识别码', 'tellers.submit': '登记监票人并开始密钥生成',
    'tellers.badKey': '第 {line} 行不是监票人识别码（应为 43 个字符）', 'tellers.count': '需要 {n} 个识别码，粘贴了 {got} 个',
    'tellers.repeated': '有重复的识别码', 'tellers.invalid': '第 {i} 个识别码无效，请让该监票人重新核对',
    'tellers.done': '监票人已登记，密钥生成仪式开始。',
    'ceremony.heading': '密钥生成仪式', 'ceremony.intro': '监票人在各自的电脑上完成四轮消息，服务器只转发并公开。本页每 3 秒刷新。',
    'ceremony.teller': '监票人', 'ceremony.key': '识别码',
    'ceremony.round.announcement': '公告', 'ceremony.round.commitment': '承诺', 'ceremony.round.reveal': '分发', 'ceremony.round.share_check': '核验',
    'ceremony.progress': '已完成 {done} / {total} 条消息', 'ceremony.output': '仪式成功，已生成本次选举的加密密钥。', 'ceremony.details': '技术细节', 'ceremony.output.key': '选举公钥：',
    'ceremony.failed': '密钥生成仪式失败，选举无法继续：', 'ceremony.guilty': '被认定有过错的监票人：{list}',
    'ceremony.posted': '已提交', 'ceremony.waiting': '等待中',
  },
  en: {
    'tellers.heading': 'Register the tellers', 'tellers.intro': 'Each teller runs piaojue teller keygen on their own computer and gets a signing public key (43 base64url characters). Paste them in the order teller 1, 2 … {n}, one per line, {n} in all.',
    'tellers.keys': 'Tellers’ signing public keys', 'tellers.submit': 'Register the tellers and start the key ceremony',
    'tellers.badKey': 'line {line} is not a public key (43 base64url characters)', 'tellers.count': '{n} keys needed, {got} pasted',
    'tellers.repeated': 'a key is repeated', 'tellers.invalid': 'key {i} is not a valid ed25519 public key',
    'tellers.done': 'The tellers are registered; the key ceremony has begun.',
    'ceremony.heading': 'Key ceremony', 'ceremony.intro': 'The tellers post four rounds of messages from their own computers; the server only relays and publishes them. This page refreshes every 3 s.',
    'ceremony.teller': 'Teller', 'ceremony.key': 'Signing key',
    'ceremony.round.announcement': 'Announce', 'ceremony.round.commitment': 'Commit', 'ceremony.round.reveal': 'Reveal', 'ceremony.round.share_check': 'Check',
    'ceremony.progress': '{done} / {total} messages', 'ceremony.output': 'The ceremony succeeded: the election’s encryption key is made.', 'ceremony.details': 'Technical details', 'ceremony.output.key': 'Election public key:',
    'ceremony.failed': 'The key ceremony failed; the election cannot go on:', 'ceremony.guilty': 'Tellers found at fault: {list}',
    'ceremony.posted': 'posted', 'ceremony.waiting': 'waiting',
  },
});

/** The card to register the tellers (state draft). */
export function renderTellersForm(status, ctx) {
  const n = status.manifest.tellers.n;
  const area = h('textarea', { id: 'teller-keys', rows: Math.min(n + 1, 12), spellcheck: 'false', class: 'mono', placeholder: Array.from({ length: n }, (_, i) => `${'0'.repeat(63)}${i + 1}`).join('\n') });
  const msg = h('div', { id: 'tellers-message', role: 'status' });
  const button = h('button', { type: 'button', class: 'primary', id: 'register-tellers' }, t('tellers.submit'));
  button.addEventListener('click', async () => {
    let keys;
    try {
      keys = parseTellerKeys(area.value, n);
      keys.forEach((k, i) => {
        try { decodeCredentialKey(k); } catch (e) { if (e instanceof DecodeError) throw new Error(t('tellers.invalid', { i: i + 1 })); throw e; }
      });
    } catch (e) {
      return replace(msg, notice('error', e.message));
    }
    await submit(button, msg, async () => {
      await ctx.call(`/api/elections/${encodeURIComponent(status.election_id)}/tellers`, { body: { signing_keys: keys } });
      await ctx.refresh();
      return t('tellers.done');
    });
  });
  return h('section', { class: 'card', id: 'tellers' },
    h('h2', {}, t('tellers.heading')),
    h('p', { class: 'muted' }, t('tellers.intro', { n })),
    h('label', { for: 'teller-keys' }, t('tellers.keys')), area,
    h('div', { class: 'row actions' }, button), msg);
}

/**
 * The ceremony's progress card; `update(ceremony, failure)` fills it from GET /ceremony and,
 * when the state is failed, the board's ceremony_failed entry.
 */
export function ceremonyCard(status) {
  const n = status.manifest.tellers.n;
  const body = h('div', { id: 'ceremony-progress' }, t('loading'));
  const card = h('section', { class: 'card', id: 'ceremony' },
    h('h2', {}, t('ceremony.heading')),
    status.state === 'key_ceremony' ? h('p', { class: 'muted' }, t('ceremony.intro')) : null,
    body);
  const update = (c, failure) => {
    const posted = (list, i) => list.some((m) => m.index === i);
    const done = ROUNDS.reduce((a, [k]) => a + c.transcript[k].length, 0);
    replace(body,
      h('div', { class: 'table-wrap' }, h('table', { class: 'ceremony-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('ceremony.teller')), h('th', {}, t('ceremony.key')),
          ROUNDS.map(([, r]) => h('th', { class: 'round' }, t(`ceremony.round.${r}`))))),
        h('tbody', {}, Array.from({ length: n }, (_, j) => h('tr', { dataset: { teller: String(j + 1) } },
          h('td', {}, String(j + 1)),
          h('td', { class: 'mono small' }, c.signing_keys[j] ? `${c.signing_keys[j].slice(0, 16)}…` : '—'),
          ROUNDS.map(([k]) => {
            const ok = posted(c.transcript[k], j + 1);
            return h('td', { class: `round ${ok ? 'done' : 'todo'}`, title: t(ok ? 'ceremony.posted' : 'ceremony.waiting') }, ok ? '✓' : '·');
          })))))),
      h('progress', { max: 4 * n, value: done, id: 'ceremony-bar' }),
      h('p', { class: 'muted' }, t('ceremony.progress', { done, total: 4 * n })),
      c.output ? h('div', { class: 'notice ok', id: 'ceremony-output' }, t('ceremony.output'),
        h('details', { class: 'tech' }, h('summary', {}, t('ceremony.details')),
          h('div', { class: 'muted' }, t('ceremony.output.key')), h('span', { class: 'hex mono', id: 'ceremony-joint-key' }, groupChars(c.output.joint_key)))) : null,
      failure ? h('div', { class: 'notice error', id: 'ceremony-failure' }, t('ceremony.failed'), ' ', failure.reason,
        h('div', {}, t('ceremony.guilty', { list: failure.guilty.join(', ') || '—' }))) : null);
  };
  return { card, update };
}
