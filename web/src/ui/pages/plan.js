// The year plan (/plan?year=YYYY, by default the newest year with data): for every congress,
// the proposals, candidates and seats, the state of its votes (valid or not, a tie and its
// re-vote), and the adopted projects with their progress, flagged when overdue.
import { addTexts, api, errorText, h, initPage, onLangChange, pick, replace, t } from '../common.js';
import { overdueBadge, progressBar, wan, yearForm } from '../cycle/common.js';

addTexts({
  zh: {
    'page.title': '票决 · 年度计划',
    'plan.heading': '年度民生实事项目计划', 'plan.year': '年度', 'plan.show': '查看',
    'plan.proposals': '收到建议', 'plan.candidates': '候选项目', 'plan.seats': '拟定项目数', 'plan.adopted': '票决通过',
    'plan.congresses': '人大', 'plan.votes': '表决', 'plan.noVotes': '候选项目尚未审定。',
    'plan.valid': '有效', 'plan.invalid': '无效（未达法定人数）', 'plan.tie': '得票相同：{n} 个名额待再次表决',
    'plan.revoteOf': '再次表决（原表决 {id}）', 'plan.voted': '已投票 {v} / {c}',
    'plan.none': '这一年度还没有数据。', 'plan.submit': '提出建议',
  },
  en: {
    'page.title': 'Piaojue · Year plan',
    'plan.heading': 'Livelihood projects: the year plan', 'plan.year': 'Year', 'plan.show': 'Show',
    'plan.proposals': 'Proposals', 'plan.candidates': 'Candidates', 'plan.seats': 'Seats', 'plan.adopted': 'Adopted',
    'plan.congresses': 'Congresses', 'plan.votes': 'Votes', 'plan.noVotes': 'The candidate list is not approved yet.',
    'plan.valid': 'valid', 'plan.invalid': 'invalid (no quorum)', 'plan.tie': 'tie: {n} seats to a re-vote',
    'plan.revoteOf': 're-vote of {id}', 'plan.voted': 'voted {v} / {c}',
    'plan.none': 'No data for this year yet.', 'plan.submit': 'Propose',
  },
});

const $ = (id) => document.getElementById(id);
let plan = null;

function stat(n, label) {
  return h('div', { class: 'stat' }, h('b', {}, n ?? '—'), h('span', {}, label));
}

function vote(v) {
  return h('a', { class: 'badge', href: `/elections/${encodeURIComponent(v.election_id)}`, dataset: { election: v.election_id, purpose: v.purpose } },
    `${t(`purpose.${v.purpose}`)} · ${t(`state.${v.state}`)}`,
    v.quorum_met == null ? '' : ` · ${v.quorum_met ? t('plan.valid') : t('plan.invalid')}`,
    v.tie ? ` · ${t('plan.tie', { n: v.tie.seats_left })}` : '',
    v.parent ? ` · ${t('plan.revoteOf', { id: v.parent })}` : '',
    v.state === 'open' ? ` · ${t('plan.voted', { v: v.voted, c: v.credentials })}` : '');
}

function render() {
  if (!plan) return;
  const tot = plan.totals;
  replace($('totals'), h('div', { class: 'card stats', id: 'plan-totals' },
    stat(plan.congresses.length, t('plan.congresses')), stat(tot.proposals, t('plan.proposals')),
    stat(tot.candidates, t('plan.candidates')), stat(tot.seats, t('plan.seats')), stat(tot.adopted, t('plan.adopted'))));
  if (plan.congresses.length === 0) return replace($('congresses'), h('p', { class: 'muted' }, t('plan.none')));
  replace($('congresses'), plan.congresses.map((c) => h('section', { class: 'card congress', dataset: { congress: c.congress.id } },
    h('div', { class: 'congress-head' }, h('h2', {}, pick(c.congress.name)),
      h('span', { class: 'muted' }, `${t(`level.${c.congress.level}`)} · ${pick(c.congress.approver)}`),
      h('a', { href: `/proposals?congress=${encodeURIComponent(c.congress.id)}&year=${plan.year}` }, t('plan.submit'))),
    h('div', { class: 'stats' }, stat(c.proposals, t('plan.proposals')), stat(c.candidates, t('plan.candidates')),
      stat(c.seats, t('plan.seats')), stat(c.adopted.length, t('plan.adopted'))),
    c.votes.length ? h('div', { class: 'votes' }, c.votes.map(vote)) : h('p', { class: 'muted' }, t('plan.noVotes')),
    c.adopted.length ? h('ul', { class: 'projects' }, c.adopted.map((p) => h('li', { dataset: { project: p.id } },
      h('div', {}, h('a', { href: `/projects/${encodeURIComponent(p.id)}` }, pick(p.name)), overdueBadge(p),
        h('div', { class: 'muted' }, `${pick(p.department)} · ${wan(p.investment_yuan)} · ${p.completion}`)),
      h('div', {}, progressBar(p.progress ?? 0), h('div', { class: 'muted' }, `${p.progress ?? 0}%`))))) : null,
  )));
}

async function load(year) {
  $('year').value = year;
  try {
    plan = await api(`/api/cycle/plan/${year}`);
    render();
  } catch (e) {
    replace($('congresses'), h('div', { class: 'notice error' }, errorText(e)));
  }
}

initPage();
onLangChange(render);
await yearForm(load);
