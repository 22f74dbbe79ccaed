// While voting is open: turnout from the public status (voted / credentials, voted / roll,
// ballots, audited; never anything about who chose what). After the close: the tellers'
// decryption shares arriving, then the result.
import { addTexts, formatNumber, h, listSep, pick, replace, t } from '../common.js';

/** A share `part / whole` as a percentage with one decimal, or '—' when `whole` is 0. */
export function percent(part, whole) {
  return whole > 0 ? `${(Math.round((part / whole) * 1000) / 10).toFixed(1)}%` : '—';
}

addTexts({
  zh: {
    'turnout.heading': '投票进度', 'turnout.live': '每 3 秒自动刷新；只显示人数，不显示任何人的选择。',
    'turnout.byCredentials': '已投票 / 凭证数', 'turnout.byRoll': '已投票 / 名册人数',
    'turnout.ballots': '已投选票', 'turnout.audited': '核验（作废）的选票', 'turnout.quorum': '有效票数门槛：须超过 {need} 人',
    'decrypt.heading': '解密进度', 'decrypt.intro': '监票人各自下载加密的总数并提交解密份额；收到 {t} 份有效份额后服务器算出结果。本页每 3 秒刷新。',
    'decrypt.progress': '已收到 {got} / {t} 份解密份额', 'decrypt.from': '已提交的监票人：{list}',
    'decrypt.run': '请每位监票人在自己的电脑上运行下面一行命令（密钥文件换成自己保管的那个文件，运行时输入自己的口令）；任意 {t} 位监票人解密后即可算出结果：',
    'decrypt.teller': '监票人 {i}', 'decrypt.done': '已解密', 'decrypt.waiting': '尚未解密',
    'result.heading': '结果', 'result.ballots': '计入的选票 {ballots} 张，名册 {roll} 人', 'result.quorum.met': '达到有效票数门槛',
    'result.quorum.not': '未达到有效票数门槛，表决无效', 'result.threshold': '通过所需票数：{n}',
    'result.col.project': '项目', 'result.col.yes': '赞成 / 选择', 'result.col.passes': '过半数', 'result.col.adopted': '入选',
    'result.tie': '第 {seats} 个名额出现平票（{votes} 票）：{list}，需重新表决。',
    'yes': '是', 'no': '否',
  },
  en: {
    'turnout.heading': 'Turnout', 'turnout.live': 'Refreshes every 3 s; numbers only, never anyone’s choice.',
    'turnout.byCredentials': 'Voted / credentials', 'turnout.byRoll': 'Voted / roll',
    'turnout.ballots': 'Ballots cast', 'turnout.audited': 'Audited (spoiled) ballots', 'turnout.quorum': 'Quorum: more than {need} ballots',
    'decrypt.heading': 'Decryption', 'decrypt.intro': 'Each teller downloads the encrypted totals and posts a decryption share; with {t} valid shares the server computes the result. This page refreshes every 3 s.',
    'decrypt.progress': '{got} / {t} decryption shares received', 'decrypt.from': 'Shares from tellers: {list}',
    'decrypt.run': 'Each teller runs this line on their own computer (with the key file they keep, typing their passphrase when asked); once any {t} tellers have decrypted, the result is computed:',
    'decrypt.teller': 'Teller {i}', 'decrypt.done': 'decrypted', 'decrypt.waiting': 'not yet',
    'result.heading': 'Result', 'result.ballots': '{ballots} ballots counted, {roll} deputies on the roll', 'result.quorum.met': 'Quorum met',
    'result.quorum.not': 'Quorum not met: the vote is not valid', 'result.threshold': 'Votes needed to pass: {n}',
    'result.col.project': 'Project', 'result.col.yes': 'Yes / chosen', 'result.col.passes': 'Majority', 'result.col.adopted': 'Adopted',
    'result.tie': 'Tie for seat {seats} ({votes} votes): {list}; a re-vote is needed.',
    'yes': 'yes', 'no': 'no',
  },
});

function stat(id, label, value, of, bar) {
  return h('div', { class: 'stat', id },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value' }, h('strong', {}, formatNumber(value)), of == null ? null : ` / ${formatNumber(of)}`,
      of == null ? null : h('span', { class: 'muted pct' }, ` ${percent(value, of)}`)),
    bar && of ? h('progress', { max: of, value: Math.min(value, of) }) : null);
}

/** The turnout card; `update(status)` refreshes it. */
export function turnoutCard() {
  const body = h('div', { class: 'stats', id: 'turnout-stats' });
  const card = h('section', { class: 'card', id: 'turnout' },
    h('h2', {}, t('turnout.heading')), h('p', { class: 'muted' }, t('turnout.live')), body);
  const update = (s) => {
    const q = s.manifest.decision.quorum;
    const need = q && q.num > 0 ? Math.floor((s.roll * q.num) / q.den) : null;
    replace(body,
      stat('turnout-credentials', t('turnout.byCredentials'), s.voted, s.credentials, true),
      stat('turnout-roll', t('turnout.byRoll'), s.voted, s.roll, true),
      stat('turnout-ballots', t('turnout.ballots'), s.ballots),
      stat('turnout-audited', t('turnout.audited'), s.audited),
      need != null && s.roll ? h('p', { class: 'muted' }, t('turnout.quorum', { need })) : null);
  };
  return { card, update };
}

/**
 * The decryption card; `update(status, shares)` with the tellers whose shares are on the board.
 * It says what each teller runs: `piaojue teller decrypt <id> --key-file … --url <this server>`
 * (the CLI verifies the served record against the teller's own ceremony before decrypting), and
 * who has decrypted.
 */
export function decryptionCard(status, origin = globalThis.location?.origin ?? '') {
  const { n, t: tt } = status.manifest.tellers;
  const body = h('div', { id: 'decryption-progress' });
  const command = (i) => `piaojue teller decrypt ${status.election_id} --key-file teller-${i}.age --url ${origin}`;
  const list = h('ol', { class: 'teller-commands', id: 'teller-commands' });
  const card = h('section', { class: 'card', id: 'decryption' },
    h('h2', {}, t('decrypt.heading')), h('p', { class: 'muted' }, t('decrypt.intro', { t: tt })),
    h('p', {}, t('decrypt.run', { t: tt })), list, body);
  const update = (s, tellers) => {
    replace(list, Array.from({ length: n }, (_, k) => k + 1).map((i) => {
      const done = tellers.includes(i);
      return h('li', { dataset: { teller: String(i), done: String(done) } },
        h('b', {}, t('decrypt.teller', { i })), ' ',
        h('span', { class: `tag ${done ? 'adopted' : ''}` }, t(done ? 'decrypt.done' : 'decrypt.waiting')),
        h('pre', { class: 'cmd' }, command(i)));
    }));
    replace(body,
      h('progress', { max: tt, value: Math.min(tellers.length, tt) }),
      h('p', { id: 'decryption-count' }, t('decrypt.progress', { got: tellers.length, t: tt })),
      tellers.length ? h('p', { class: 'muted' }, t('decrypt.from', { list: tellers.join(listSep()) })) : null);
  };
  return { card, update };
}

/** The result card from the board's `result` entry data `{ counts, outcome }`. */
export function resultCard(manifest, result) {
  const o = result.outcome;
  const byOption = manifest.decision.kind === 'top_k' || manifest.contests.length === 1;
  const name = (p) => pick(byOption ? manifest.contests[p.contest]?.options[p.option]?.title : manifest.contests[p.contest]?.title) || p.id;
  const yn = (b) => (b ? t('yes') : t('no'));
  return h('section', { class: 'card', id: 'result' },
    h('h2', {}, t('result.heading')),
    h('p', {}, t('result.ballots', { ballots: o.ballots, roll: o.roll }), ' · ',
      h('span', { class: o.quorum_met ? 'good' : 'bad' }, t(o.quorum_met ? 'result.quorum.met' : 'result.quorum.not')), ' · ',
      t('result.threshold', { n: o.majority_threshold })),
    o.tie ? h('div', { class: 'notice warn' }, t('result.tie', { seats: o.tie.seats_left, votes: o.tie.votes, list: o.tie.projects.join(', ') })) : null,
    h('div', { class: 'table-wrap' }, h('table', { class: 'result-table' },
      h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, t('result.col.project')), h('th', { class: 'num' }, t('result.col.yes')),
        h('th', {}, t('result.col.passes')), h('th', {}, t('result.col.adopted')))),
      h('tbody', {}, o.projects.map((p) => h('tr', { class: p.adopted ? 'adopted' : null },
        h('td', {}, p.rank ?? ''), h('td', {}, name(p)), h('td', { class: 'num' }, formatNumber(p.yes)),
        h('td', {}, yn(p.passes)), h('td', {}, p.adopted ? '✔' : '')))))));
}
