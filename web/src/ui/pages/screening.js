// Staff: the yearly cycle (/staff/cycle). With the staff token (the one of /staff, kept in this
// tab's sessionStorage): per congress and year, the proposals (with earlier years' reserve)
// and negative-list hints, the screening decisions, candidate projects made from shortlisted
// proposals, the approval that creates the vote, re-votes after a tie and evaluation votes,
// progress updates with a photo or PDF, the negative list, new congresses and deputy codes;
// and the QR code of the congress's submission page, for posters.
import { addTexts, api, ApiError, errorText, h, initPage, onLangChange, pick, replace, t } from '../common.js';
import { statusBadge, wan, yearFromQuery } from '../cycle/common.js';
import { qrSvg } from '../staff/sheets.js';

addTexts({
  zh: {
    'page.title': '票决 · 年度项目',
    'sc.heading': '年度民生实事项目：征集、初审与审定', 'sc.token': '工作人员令牌', 'sc.signin': '登录',
    'sc.congress': '人大', 'sc.year': '年度', 'sc.show': '查看', 'sc.qr': '扫码提建议：{url}',
    'sc.proposals': '项目建议（含往年储备）', 'sc.none': '还没有建议。',
    'sc.col.number': '查询号', 'sc.col.title': '建议', 'sc.col.status': '状态', 'sc.col.do': '办理',
    'sc.hint': '可能属于负面清单：{label}（{kw}）', 'sc.reason': '理由', 'sc.into': '并入（查询号）',
    'sc.do.shortlist': '初审通过', 'sc.do.reserve': '储备', 'sc.do.reject': '不采纳', 'sc.do.exclude': '负面清单', 'sc.do.merge': '合并',
    'sc.done': '{n}：已办理。', 'sc.contact': '联系方式', 'sc.contact.none': '（未留）',
    'sc.newCandidate': '形成候选项目', 'sc.c.make': '形成候选项目', 'sc.c.made': '候选项目 {id} 已形成。',
    'sc.c.name': '项目名称', 'sc.c.nameEn': '项目名称（英文）', 'sc.c.dept': '责任单位', 'sc.c.wan': '总投资（万元）', 'sc.c.completion': '完成时限', 'sc.c.desc': '项目内容',
    'sc.c.sources': '来源建议：在上表中勾选初审通过的建议。',
    'sc.candidates': '候选项目与审定', 'sc.a.approve': '登记审定并建立票决', 'sc.a.done': '已建立票决 {id}：接下来在工作人员页面登记监票人、生成凭证、开始投票。',
    'sc.a.reference': '审定会议或文号', 'sc.a.date': '审定日期', 'sc.a.form': '票式', 'sc.a.topk': 'N 选 K（限选）', 'sc.a.each': '逐项赞成/反对/弃权',
    'sc.a.seats': '拟定项目数', 'sc.a.n': '监票人数', 'sc.a.t': '解密所需人数',
    'sc.votes': '表决、再次表决与成效测评', 'sc.v.revote': '对得票相同项目再次表决', 'sc.v.evaluate': '建立成效测评', 'sc.v.done': '已建立 {id}。', 'sc.v.manage': '管理',
    'sc.progress': '实施进展', 'sc.g.add': '发布进展', 'sc.g.done': '进展已发布。', 'sc.g.project': '项目', 'sc.g.date': '日期', 'sc.g.percent': '完成进度（%）', 'sc.g.file': '照片或 PDF（选填，1.5 MB 以内）', 'sc.g.text': '进展情况',
    'sc.negative': '负面清单', 'sc.neg.save': '保存负面清单', 'sc.neg.saved': '负面清单已保存。', 'sc.neg.help': '每行一项：编号 | 中文 | English | 关键词1,关键词2',
    'sc.setup': '人大与代表码', 'sc.n.create': '新增人大', 'sc.n.id': '编号（如 t16）', 'sc.n.name': '名称', 'sc.n.level': '层级', 'sc.n.deputies': '代表人数', 'sc.n.done': '已新增 {id}。',
    'sc.codes': '为所选人大生成代表码', 'sc.codes.make': '生成', 'sc.codes.once': '代表码只显示这一次，请打印或抄送给代表本人。',
  },
  en: {
    'page.title': 'Piaojue · The year’s projects',
    'sc.heading': 'Livelihood projects: collection, screening, approval', 'sc.token': 'Staff token', 'sc.signin': 'Sign in',
    'sc.congress': 'Congress', 'sc.year': 'Year', 'sc.show': 'Show', 'sc.qr': 'Scan to propose: {url}',
    'sc.proposals': 'Proposals (with earlier years’ reserve)', 'sc.none': 'No proposals yet.',
    'sc.col.number': 'Number', 'sc.col.title': 'Proposal', 'sc.col.status': 'Status', 'sc.col.do': 'Decide',
    'sc.hint': 'Maybe on the negative list: {label} ({kw})', 'sc.reason': 'Reason', 'sc.into': 'Into (number)',
    'sc.do.shortlist': 'Shortlist', 'sc.do.reserve': 'Reserve', 'sc.do.reject': 'Reject', 'sc.do.exclude': 'Negative list', 'sc.do.merge': 'Merge',
    'sc.done': '{n}: decided.', 'sc.contact': 'Contact', 'sc.contact.none': '(none given)',
    'sc.newCandidate': 'Make a candidate project', 'sc.c.make': 'Make the candidate', 'sc.c.made': 'Candidate {id} made.',
    'sc.c.name': 'Name', 'sc.c.nameEn': 'Name (English)', 'sc.c.dept': 'Responsible department', 'sc.c.wan': 'Investment (10,000 yuan)', 'sc.c.completion': 'Completion', 'sc.c.desc': 'Description',
    'sc.c.sources': 'Source proposals: tick shortlisted proposals in the table above.',
    'sc.candidates': 'Candidates and approval', 'sc.a.approve': 'Record the approval and create the vote', 'sc.a.done': 'Vote {id} created: register its tellers, make credentials and open it on the staff page.',
    'sc.a.reference': 'Meeting or decision reference', 'sc.a.date': 'Date of the decision', 'sc.a.form': 'Ballot form', 'sc.a.topk': 'Up to K of N', 'sc.a.each': 'Yes / no / abstain on each',
    'sc.a.seats': 'Seats', 'sc.a.n': 'Tellers', 'sc.a.t': 'Tellers needed to decrypt',
    'sc.votes': 'Votes, re-votes and evaluation', 'sc.v.revote': 'Re-vote the tied projects', 'sc.v.evaluate': 'Create the evaluation vote', 'sc.v.done': '{id} created.', 'sc.v.manage': 'Manage',
    'sc.progress': 'Progress', 'sc.g.add': 'Publish the update', 'sc.g.done': 'Update published.', 'sc.g.project': 'Project', 'sc.g.date': 'Date', 'sc.g.percent': 'Completion (%)', 'sc.g.file': 'Photo or PDF (optional, at most 1.5 MB)', 'sc.g.text': 'What was done',
    'sc.negative': 'Negative list', 'sc.neg.save': 'Save the negative list', 'sc.neg.saved': 'Negative list saved.', 'sc.neg.help': 'One item a line: id | 中文 | English | keyword1,keyword2',
    'sc.setup': 'Congresses and deputy codes', 'sc.n.create': 'Add the congress', 'sc.n.id': 'Id (e.g. t16)', 'sc.n.name': 'Name', 'sc.n.level': 'Level', 'sc.n.deputies': 'Deputies', 'sc.n.done': '{id} added.',
    'sc.codes': 'Make deputy codes for the selected congress', 'sc.codes.make': 'Make', 'sc.codes.once': 'The codes are shown this once: print them or hand them to each deputy.',
  },
});

const TOKEN_KEY = 'piaojue.staff-token';
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem(TOKEN_KEY);
const S = { congresses: [], negative: [], proposals: [], candidates: [], plan: null, picked: new Set() };

const ok = (box, text) => replace($(box), h('div', { class: 'notice ok' }, text));
const fail = (box, e) => replace($(box), h('div', { class: 'notice error' }, errorText(e)));
const call = (path, opts = {}) => api(path, { ...opts, token });
const congress = () => $('congress').value;
const year = () => Number($('year').value);

function hints(p) {
  const text = `${p.title} ${p.description}`;
  return S.negative
    .map((it) => ({ it, kw: it.keywords.filter((k) => text.includes(k)) }))
    .filter((x) => x.kw.length)
    .map((x) => h('div', { class: 'hint-neg' }, t('sc.hint', { label: pick(x.it.label), kw: x.kw.join('、') })));
}

async function decide(p, body) {
  try {
    await call(`/api/cycle/proposals/${p.number}/decisions`, { body });
    ok('msg', t('sc.done', { n: p.number }));
    await load();
  } catch (e) { fail('msg', e); }
}

function actions(p) {
  if (!['received', 'reserve', 'shortlisted'].includes(p.status)) return null;
  const reason = h('input', { placeholder: t('sc.reason'), 'aria-label': t('sc.reason'), class: 'reason' });
  const into = h('input', { placeholder: t('sc.into'), 'aria-label': t('sc.into'), size: 14, class: 'into' });
  const item = h('select', { 'aria-label': t('sc.do.exclude'), class: 'item' }, S.negative.map((it) => h('option', { value: it.id }, pick(it.label))));
  const btn = (action, extra) => h('button', { type: 'button', dataset: { action }, onclick: () => decide(p, { action, ...extra() }) }, t(`sc.do.${action}`));
  return h('div', { class: 'actions' },
    p.status !== 'shortlisted' ? btn('shortlist', () => ({ reason: reason.value })) : null,
    p.status !== 'reserve' ? btn('reserve', () => ({ reason: reason.value })) : null,
    reason, btn('reject', () => ({ reason: reason.value })),
    item, btn('exclude', () => ({ item: item.value, reason: reason.value })),
    into, btn('merge', () => ({ into: into.value, reason: reason.value })));
}

function renderProposals() {
  if (S.proposals.length === 0) return replace($('proposals'), h('p', { class: 'muted' }, t('sc.none')));
  replace($('proposals'), h('div', { class: 'table-wrap' }, h('table', { id: 'proposal-table' },
    h('thead', {}, h('tr', {}, h('th', {}), h('th', {}, t('sc.col.number')), h('th', {}, t('sc.col.title')), h('th', {}, t('sc.col.status')), h('th', {}, t('sc.col.do')))),
    h('tbody', {}, S.proposals.map((p) => {
      const box = h('input', { type: 'checkbox', 'aria-label': p.number, checked: S.picked.has(p.number), disabled: p.status !== 'shortlisted', onchange: (ev) => (ev.target.checked ? S.picked.add(p.number) : S.picked.delete(p.number)) });
      const contact = h('button', { type: 'button', class: 'small', onclick: async (ev) => {
        try { const c = await call(`/api/cycle/proposals/${p.number}/contact`); ev.target.replaceWith(h('span', { class: 'mono' }, c.contact ?? t('sc.contact.none'))); } catch (e) { fail('msg', e); }
      } }, t('sc.contact'));
      return h('tr', { dataset: { number: p.number, status: p.status } },
        h('td', {}, box),
        h('td', { class: 'mono' }, h('a', { href: `/proposals#number=${p.number}` }, p.number), p.year !== year() ? h('div', { class: 'muted' }, String(p.year)) : null),
        h('td', {}, h('b', {}, p.title), h('div', { class: 'muted' }, `${p.location} · ${p.category} · ${t(`sub.${p.submitter}`)}${p.name ? ` · ${p.name}` : ''}${p.deputy ? ` #${p.deputy}` : ''}`), hints(p), contact),
        h('td', {}, statusBadge(p.status), p.merged_into ? h('div', { class: 'mono muted' }, `→ ${p.merged_into}`) : null),
        h('td', {}, actions(p)));
    })))));
}

function renderCandidates() {
  replace($('candidates'), S.candidates.length ? h('ol', { id: 'candidate-list' }, S.candidates.map((c) => h('li', { dataset: { candidate: c.id } },
    h('b', {}, pick(c.name)), ` · ${pick(c.department)} · ${wan(c.investment_yuan)} · ${c.completion}`,
    c.proposals.length ? h('span', { class: 'muted mono' }, ` · ${c.proposals.join(', ')}`) : null,
    c.election ? h('span', { class: 'muted' }, ` · ${c.election}`) : null))) : null);
  const adopted = S.candidates.filter((c) => c.adopted);
  replace($('g-project'), adopted.map((c) => h('option', { value: c.id }, pick(c.name))));
}

function renderVotes() {
  const c = S.plan?.congresses.find((x) => x.congress.id === congress());
  if (!c) return replace($('votes'), null);
  const evaluation = c.votes.some((v) => v.purpose === 'evaluation');
  replace($('votes'), h('ul', { id: 'vote-list' }, c.votes.map((v) => h('li', { dataset: { election: v.election_id } },
    h('a', { href: `/staff#election=${encodeURIComponent(v.election_id)}` }, v.election_id), ` · ${t(`purpose.${v.purpose}`)} · ${t(`state.${v.state}`)} `,
    v.tie && v.children.length === 0 ? h('button', { type: 'button', class: 'revote', onclick: () => vote(`/api/cycle/elections/${v.election_id}/revote`, {}) }, t('sc.v.revote')) : null))),
  c.adopted.length && !evaluation ? h('button', { type: 'button', id: 'evaluate', onclick: () => vote('/api/cycle/evaluations', { congress: congress(), year: year(), kind: 'projects', tellers: { n: Number($('a-n').value), t: Number($('a-t').value) } }) }, t('sc.v.evaluate')) : null);
}

async function vote(path, body) {
  try {
    const r = await call(path, { body });
    ok('votes-message', t('sc.v.done', { id: r.election_id }));
    await load();
  } catch (e) { fail('votes-message', e); }
}

function renderNegative() {
  $('negative').value = S.negative.map((it) => [it.id, it.label.zh, it.label.en, it.keywords.join(',')].join(' | ')).join('\n');
}

function renderQr() {
  const url = `${location.origin}/proposals?congress=${encodeURIComponent(congress())}&year=${year()}`;
  replace($('qr'), h('div', { class: 'qr-card' }, qrSvg(url), h('div', { class: 'muted' }, t('sc.qr', { url }))));
}

function renderAll() {
  renderProposals();
  renderCandidates();
  renderVotes();
  renderQr();
}

async function load() {
  const [proposals, candidates, plan, neg] = await Promise.all([
    api(`/api/cycle/proposals?congress=${encodeURIComponent(congress())}&year=${year()}&reserve=true`),
    api(`/api/cycle/candidates?congress=${encodeURIComponent(congress())}&year=${year()}`),
    api(`/api/cycle/plan/${year()}`),
    api('/api/cycle/negative-list'),
  ]);
  Object.assign(S, { proposals, candidates, plan, negative: neg.items });
  for (const n of [...S.picked]) if (!proposals.some((p) => p.number === n && p.status === 'shortlisted')) S.picked.delete(n);
  renderAll();
}

async function start() {
  $('signin').hidden = true;
  $('workspace').hidden = false;
  S.congresses = await api('/api/cycle/congresses');
  const want = new URLSearchParams(location.search).get('congress');
  replace($('congress'), S.congresses.map((c) => h('option', { value: c.id, selected: c.id === want }, pick(c.name))));
  $('year').value = yearFromQuery() ?? new Date().getFullYear();
  if (S.congresses.length) await load();
  const neg = await api('/api/cycle/negative-list');
  S.negative = neg.items;
  renderNegative();
}

$('signin-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const candidate = $('token').value.trim();
  try {
    await api('/api/staff/session', { token: candidate });
    token = candidate;
    sessionStorage.setItem(TOKEN_KEY, token);
    await start();
  } catch (e) { fail('signin-message', e); }
});
$('pick-form').addEventListener('submit', async (ev) => { ev.preventDefault(); try { await load(); } catch (e) { fail('msg', e); } });
$('candidate-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const c = await call('/api/cycle/candidates', { body: {
      congress: congress(), year: year(),
      name: { zh: $('c-name').value, en: $('c-name-en').value }, department: { zh: $('c-dept').value, en: '' },
      investment_yuan: Math.round(Number($('c-wan').value) * 10000), completion: $('c-completion').value,
      description: { zh: $('c-desc').value, en: '' }, proposals: [...S.picked],
    } });
    S.picked.clear();
    ev.target.reset();
    ok('candidate-message', t('sc.c.made', { id: c.id }));
    await load();
  } catch (e) { fail('candidate-message', e); }
});
$('approve-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const r = await call('/api/cycle/approvals', { body: {
      congress: congress(), year: year(), reference: $('a-reference').value, date: $('a-date').value,
      form: $('a-form').value, seats: Number($('a-seats').value), tellers: { n: Number($('a-n').value), t: Number($('a-t').value) },
    } });
    replace($('approve-message'), h('div', { class: 'notice ok' }, t('sc.a.done', { id: r.election_id }), ' ', h('a', { href: `/staff#election=${encodeURIComponent(r.election_id)}` }, t('sc.v.manage'))));
    await load();
  } catch (e) { fail('approve-message', e); }
});
$('progress-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const u = await call(`/api/cycle/projects/${encodeURIComponent($('g-project').value)}/progress`, { body: { date: $('g-date').value, percent: Number($('g-percent').value), text: { zh: $('g-text').value, en: '' } } });
    const file = $('g-file').files[0];
    if (file) {
      const res = await fetch(`/api/cycle/progress/${u.id}/attachments`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': file.type }, body: file });
      if (!res.ok) { const b = await res.json().catch(() => ({})); throw new ApiError(res.status, b.error ?? 'http', b.message); }
    }
    ev.target.reset();
    ok('progress-message', t('sc.g.done'));
  } catch (e) { fail('progress-message', e); }
});
$('negative-button').addEventListener('click', async () => {
  const items = $('negative').value.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const [id, zh, en, kw] = l.split('|').map((s) => (s ?? '').trim());
    return { id, label: { zh, en: en ?? '' }, keywords: (kw ?? '').split(/[,，]/).map((k) => k.trim()).filter(Boolean) };
  });
  try {
    const r = await call('/api/cycle/negative-list', { method: 'PUT', body: { items } });
    S.negative = r.items;
    renderNegative();
    renderProposals();
    ok('negative-message', t('sc.neg.saved'));
  } catch (e) { fail('negative-message', e); }
});
$('congress-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const county = S.congresses.find((c) => c.level === 'county');
  const level = $('n-level').value;
  try {
    const c = await call('/api/cycle/congresses', { body: { id: $('n-id').value, name: { zh: $('n-name').value, en: '' }, level, parent: level === 'township' ? county?.id : undefined, deputies: Number($('n-deputies').value) } });
    ok('setup-message', t('sc.n.done', { id: c.id }));
    ev.target.reset();
    await start();
  } catch (e) { fail('setup-message', e); }
});
$('codes-button').addEventListener('click', async () => {
  try {
    const r = await call(`/api/cycle/congresses/${encodeURIComponent(congress())}/deputy-codes`, { body: { count: Number($('codes-count').value) } });
    replace($('codes'), r.codes.map((c) => h('li', { value: c.deputy }, c.code)));
    ok('setup-message', t('sc.codes.once'));
  } catch (e) { fail('setup-message', e); }
});

initPage();
onLangChange(() => { if (!$('workspace').hidden) { renderAll(); } });
if (token) {
  try { await api('/api/staff/session', { token }); await start(); } catch { $('signin').hidden = false; }
} else {
  $('signin').hidden = false;
}
