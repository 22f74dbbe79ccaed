// One election, as staff manage it: its summary, the election fingerprint (computed here from the
// verified ceremony, with the hall screen), the lifecycle steps, and only the actions its
// state allows (spec/api.md §4): tellers (draft), the ceremony (key_ceremony), credentials and
// opening (registration), the roll (until open), turnout and closing (open), decryption
// (closed), publishing (tallied), the result (tallied, published), the failure (failed).
import { addTexts, api, errorText, formatNumber, h, pick, replace, t } from '../common.js';
import { auditCard } from './audit.js';
import { ceremonyCard, renderTellersForm } from './ceremony.js';
import { fingerprintCard } from './fingerprint.js';
import { submit } from './ui.js';
import { registeredKeys, renderRegistration } from './sheets.js';
import { decryptionCard, resultCard, turnoutCard } from './turnout.js';

export const STEPS = ['draft', 'key_ceremony', 'registration', 'open', 'closed', 'tallied', 'published'];

/** The states in which the page polls the status every few seconds. */
export const LIVE_STATES = new Set(['key_ceremony', 'open', 'closed']);

/** The roll of pasted text: one name per line, trimmed, blank lines dropped. */
export function parseRoll(text) {
  return text.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
}

addTexts({
  zh: {
    'view.congress': '会议', 'view.form': '票式', 'view.form.top_k': '从 {n} 个候选项目中选择不超过 {k} 个',
    'view.form.approve_each': '{n} 个项目逐项表决（赞成 / 反对 / 弃权）', 'view.form.other': '{n} 个表决事项',
    'view.tellers': '监票人', 'view.tellers.value': '{n} 人，任意 {t} 人可解密',
    'view.credentials': '凭证', 'view.roll': '名册',
    'view.deputies': '应到代表', 'view.credentials.value': '{n} / {d}',
    'view.signedIn': '实到代表', 'view.signedIn.none': '尚未公布（由总监票人签署公布后方可开始投票）', 'view.ballots': '选票',
    'view.ballots.value': '{ballots} 张', 'view.ballots.audited': '{ballots} 张（另有 {audited} 张为代表核验加密是否正确而作废的选票，不计票）', 'view.board': '公告板',
    'view.board.link': '查看公开页面',
    'roll.heading': '出席名册', 'roll.intro': '每行一个代表姓名。名册只用于签到和计算法定人数，与凭证无关联，不上公告板；开始投票前可随时修改（提交即整体替换）。',
    'roll.names': '代表姓名（每行一个）', 'roll.submit': '保存名册', 'roll.saved': '名册已保存：{n} 人。', 'roll.current': '当前名册：{n} 人',
    'roll.empty': '名册为空。',
    'open.heading': '开始投票', 'open.intro': '开始投票后凭证名单冻结，不能再登记凭证或修改名册。', 'open.button': '开始投票',
    'open.confirm': '确定开始投票吗？之后不能再登记凭证或修改名册。', 'open.needCredentials': '请先登记至少一张凭证。',
    'close.button': '截止投票', 'close.confirm': '确定截止投票吗？截止后不再接受任何选票。',
    'publish.heading': '公布结果', 'publish.intro': '结果已算出并在公告板上。公布后选举结束，记录只读。',
    'publish.button': '公布结果', 'publish.confirm': '确定公布结果吗？',
    'published.note': '结果已公布。', 'failed.note': '此选举已失败，只能查看。',
  },
  en: {
    'view.congress': 'Congress', 'view.form': 'Ballot', 'view.form.top_k': 'choose up to {k} of {n} candidate projects',
    'view.form.approve_each': 'yes / no / abstain on each of {n} projects', 'view.form.other': '{n} contests',
    'view.tellers': 'Tellers', 'view.tellers.value': '{n}, any {t} decrypt',
    'view.credentials': 'Credentials', 'view.roll': 'Roll',
    'view.deputies': 'Deputies of the congress', 'view.credentials.value': '{n} / {d}',
    'view.signedIn': 'Deputies signed in', 'view.signedIn.none': 'Not yet posted (voting opens once the chief scrutineer has signed and posted it)', 'view.ballots': 'Ballots',
    'view.ballots.value': '{ballots}', 'view.ballots.audited': '{ballots} (and {audited} audited by deputies to check the encryption: void, never counted)', 'view.board': 'Board',
    'view.board.link': 'public page',
    'roll.heading': 'Attendance roll', 'roll.intro': 'One deputy’s name per line. The roll is for attendance and the quorum only: it is not linked to the credentials and not on the board; it may change until voting opens (saving replaces it).',
    'roll.names': 'Deputies’ names (one per line)', 'roll.submit': 'Save the roll', 'roll.saved': 'Roll saved: {n} names.', 'roll.current': 'Current roll: {n} names',
    'roll.empty': 'The roll is empty.',
    'open.heading': 'Open voting', 'open.intro': 'Opening freezes the credential list; no more credentials, no roll changes.', 'open.button': 'Open voting',
    'open.confirm': 'Open voting now? No credentials can be added and the roll cannot change afterwards.', 'open.needCredentials': 'Register at least one credential first.',
    'close.button': 'Close voting', 'close.confirm': 'Close voting now? No ballot is accepted afterwards.',
    'publish.heading': 'Publish the result', 'publish.intro': 'The result is computed and on the board. Publishing ends the election; the record becomes read-only.',
    'publish.button': 'Publish the result', 'publish.confirm': 'Publish the result now?',
    'published.note': 'The result is published.', 'failed.note': 'This election failed; it is read-only.',
  },
});

/** A button that asks `confirmKey`, then POSTs `path`, shows a refusal in `msg`, refreshes. */
function actionButton(id, labelKey, confirmKey, path, ctx, msg, cls = 'primary') {
  const b = h('button', { type: 'button', class: cls, id }, t(labelKey));
  b.addEventListener('click', () => {
    if (!window.confirm(t(confirmKey))) return;
    submit(b, msg, async () => {
      await ctx.call(path, { method: 'POST' });
      await ctx.refresh();
    });
  });
  return b;
}

function summary(s) {
  const m = s.manifest;
  const c0 = m.contests[0];
  const form = m.decision.kind === 'top_k' ? t('view.form.top_k', { n: c0.options.length, k: c0.max })
    : m.decision.kind === 'approve_each' ? t('view.form.approve_each', { n: m.contests.length })
      : t('view.form.other', { n: m.contests.length });
  const item = (k, v, id) => [h('dt', {}, t(k)), h('dd', { id }, v)];
  return h('dl', { class: 'summary' },
    item('view.congress', pick(m.congress)),
    item('view.form', form),
    item('view.tellers', t('view.tellers.value', { n: m.tellers.n, t: m.tellers.t })),
    item('view.deputies', formatNumber(m.deputies), 'summary-deputies'),
    item('view.credentials', t('view.credentials.value', { n: formatNumber(s.credentials), d: formatNumber(m.deputies) }), 'summary-credentials'),
    item('view.signedIn', s.signed_in == null ? t('view.signedIn.none') : formatNumber(s.signed_in), 'summary-signed-in'),
    item('view.roll', formatNumber(s.roll), 'summary-roll'),
    item('view.ballots', t(s.audited ? 'view.ballots.audited' : 'view.ballots.value', { ballots: formatNumber(s.ballots), audited: formatNumber(s.audited) }), 'summary-ballots'),
    item('view.board', h('a', { href: `/elections/${encodeURIComponent(s.election_id)}` }, t('view.board.link'))));
}

function steps(state) {
  const at = STEPS.indexOf(state);
  return h('ol', { class: 'steps', 'aria-label': 'lifecycle' }, STEPS.map((st, i) => h('li', {
    class: state === 'failed' && st === 'key_ceremony' ? 'failed' : i < at ? 'done' : i === at ? 'current' : null,
  }, t(`state.${st}`))));
}

/** The roll card; its count follows the status through `updaters`. */
function rollCard(s, ctx, updaters) {
  const count = h('p', { id: 'roll-count' });
  updaters.push((st) => { count.textContent = st.roll ? t('roll.current', { n: st.roll }) : t('roll.empty'); });
  const area = h('textarea', { id: 'roll-names', rows: 6, placeholder: '张三\n李四\n王五' });
  const msg = h('div', { id: 'roll-message', role: 'status' });
  const b = h('button', { type: 'button', id: 'save-roll' }, t('roll.submit'));
  b.addEventListener('click', () => submit(b, msg, async () => {
    const names = parseRoll(area.value);
    await ctx.call(`/api/elections/${encodeURIComponent(s.election_id)}/roll`, { method: 'PUT', body: { names } });
    await ctx.refresh();
    return t('roll.saved', { n: names.length });
  }));
  return h('section', { class: 'card', id: 'roll' },
    h('h2', {}, t('roll.heading')), h('p', { class: 'muted' }, t('roll.intro')),
    count,
    h('label', { for: 'roll-names' }, t('roll.names')), area,
    h('div', { class: 'row actions' }, b), msg);
}

/** The board's entries near its end (the ceremony failure, the shares, the result). */
async function tail(s, count) {
  const from = Math.max(0, s.log_size - count);
  return api(`/api/elections/${encodeURIComponent(s.election_id)}/board/entries?from=${from}&limit=${count}`);
}

/**
 * Renders election `s` into `box`. Returns `{ state, update(status) }`: the page re-renders
 * when the state changes and calls `update` on every poll otherwise.
 */
export function renderElection(box, s, ctx) {
  const id = encodeURIComponent(s.election_id);
  const msg = h('div', { id: 'action-message', role: 'status' });
  const cards = [];
  const fc = fingerprintCard(s, () => registeredKeys(s.election_id));
  const ac = auditCard(s.election_id, ctx);
  const updaters = [(st) => fc.update(st), () => ac.update()];
  const n = s.manifest.tellers.n;
  switch (s.state) {
    case 'draft':
      cards.push(renderTellersForm(s, ctx), rollCard(s, ctx, updaters));
      break;
    case 'key_ceremony':
    case 'registration':
    case 'failed': {
      const cc = ceremonyCard(s);
      updaters.push(async (st) => {
        const c = await api(`/api/elections/${id}/ceremony`);
        const failure = st.state === 'failed' ? (await tail(st, 1)).find((e) => e.kind === 'ceremony_failed')?.data : null;
        cc.update(c, failure);
      });
      if (s.state === 'registration') {
        cards.push(renderRegistration(s, ctx), rollCard(s, ctx, updaters));
        const openBox = h('div');
        updaters.push((st) => replace(openBox, st.credentials > 0
          ? h('div', { class: 'row actions' }, actionButton('open-voting', 'open.button', 'open.confirm', `/api/elections/${id}/open`, ctx, msg))
          : h('p', { class: 'notice warn' }, t('open.needCredentials'))));
        cards.push(h('section', { class: 'card', id: 'open-card' },
          h('h2', {}, t('open.heading')), h('p', { class: 'muted' }, t('open.intro')), openBox, msg));
        cards.push(cc.card);
      } else {
        cards.push(cc.card);
        if (s.state === 'key_ceremony') cards.push(rollCard(s, ctx, updaters));
        else cards.push(h('p', { class: 'notice error' }, t('failed.note')));
      }
      break;
    }
    case 'open': {
      const tc = turnoutCard();
      updaters.push((st) => tc.update(st));
      cards.push(tc.card, h('div', { class: 'row actions' },
        actionButton('close-voting', 'close.button', 'close.confirm', `/api/elections/${id}/close`, ctx, msg)), msg);
      break;
    }
    case 'closed': {
      const dc = decryptionCard(s);
      updaters.push(async (st) => {
        const entries = await tail(st, n + 2);
        dc.update(st, entries.filter((e) => e.kind === 'decryption_share').map((e) => e.data.teller));
      });
      cards.push(dc.card);
      break;
    }
    case 'tallied':
    case 'published': {
      const holder = h('div', { id: 'result-holder' }, t('loading'));
      updaters.push(async (st) => {
        replace(holder, resultCard(st.manifest, await api(`/api/elections/${id}/result`)));
      });
      if (s.state === 'tallied') {
        cards.push(h('section', { class: 'card', id: 'publish-card' },
          h('h2', {}, t('publish.heading')), h('p', { class: 'muted' }, t('publish.intro')),
          h('div', { class: 'row actions' }, actionButton('publish-result', 'publish.button', 'publish.confirm', `/api/elections/${id}/publish`, ctx, msg)), msg));
      } else {
        cards.push(h('p', { class: 'notice ok' }, t('published.note')));
      }
      cards.unshift(holder);
      break;
    }
    default:
      break;
  }
  const summaryBox = h('div', { id: 'election-summary' }, summary(s));
  const errorBox = h('div', { id: 'poll-error' });
  replace(box,
    h('div', { class: 'election-head' },
      h('h1', { id: 'election-title' }, pick(s.manifest.title) || s.election_id),
      h('span', { class: `badge state-${s.state}`, id: 'election-state', dataset: { state: s.state } }, t(`state.${s.state}`))),
    h('p', { class: 'muted mono' }, s.election_id),
    steps(s.state),
    h('section', { class: 'card' }, summaryBox),
    errorBox,
    fc.card,
    cards,
    ac.card);
  const update = async (st) => {
    replace(summaryBox, summary(st));
    try {
      for (const u of updaters) await u(st);
      replace(errorBox);
    } catch (e) {
      replace(errorBox, h('div', { class: 'notice error' }, errorText(e)));
    }
  };
  return { state: s.state, update };
}
