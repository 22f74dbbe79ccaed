// Evaluation results (/evaluation?year=YYYY, by default the newest year with data): per congress, the deputies' rating of each adopted
// project (满意 / 基本满意 / 不满意, by the rule of the election) with its satisfaction rate, and
// the rating of departments; from each evaluation vote's published result.
import { addTexts, api, errorText, formatPercent, h, initPage, onLangChange, pick, replace, t } from '../common.js';
import { progressBar, yearForm } from '../cycle/common.js';

addTexts({
  zh: {
    'page.title': '票决 · 成效测评',
    'ev.heading': '民生实事项目成效测评结果', 'plan.year': '年度', 'plan.show': '查看',
    'ev.none': '这一年度还没有公布的测评结果。', 'ev.pending': '测评尚未公布（{state}）。',
    'ev.col.item': '项目', 'ev.col.rating': '测评结果', 'ev.col.rate': '满意率', 'ev.col.counts': '满意 / 基本满意 / 不满意 / 弃权',
    'ev.rating.satisfied': '满意', 'ev.rating.basically_satisfied': '基本满意', 'ev.rating.not_satisfied': '不满意',
    'ev.invalid': '未达法定人数，测评无效。', 'ev.ballots': '有效票 {b} / 代表 {r}', 'ev.board': '公告板与验证',
    'ev.rule': '评价规则：“满意”票达到 {n} 票（{base}过半数）的，评为满意；否则“满意”与“基本满意”票合计达到 {n} 票的，评为基本满意；其余评为不满意。评价等级由票数直接比较得出；满意率为“满意”与“基本满意”票合计占投票总数的比例，四舍五入保留两位小数，不决定评价等级。',
    'ev.base.all_deputies': '全体代表', 'ev.base.voting': '投票代表',
  },
  en: {
    'page.title': 'Piaojue · Evaluation',
    'ev.heading': 'Evaluation of the livelihood projects', 'plan.year': 'Year', 'plan.show': 'Show',
    'ev.none': 'No evaluation published for this year yet.', 'ev.pending': 'Not published yet ({state}).',
    'ev.col.item': 'Project', 'ev.col.rating': 'Rating', 'ev.col.rate': 'Satisfaction', 'ev.col.counts': 'Satisfied / basically / not / abstain',
    'ev.rating.satisfied': 'Satisfied', 'ev.rating.basically_satisfied': 'Basically satisfied', 'ev.rating.not_satisfied': 'Not satisfied',
    'ev.invalid': 'No quorum: the evaluation is not valid.', 'ev.ballots': '{b} ballots / {r} deputies', 'ev.board': 'Board and verification',
    'ev.rule': 'Rating rule: a project with at least {n} “satisfied” votes (a majority of {base}) is rated satisfied; otherwise one with at least {n} “satisfied” and “basically satisfied” votes together is rated basically satisfied; the others are rated not satisfied. The rating compares vote counts exactly; the satisfaction rate, the share of “satisfied” and “basically satisfied” votes among all ballots rounded to two decimals, decides nothing.',
    'ev.base.all_deputies': 'all deputies', 'ev.base.voting': 'those voting',
  },
});

const $ = (id) => document.getElementById(id);
let shown = null;

function table(manifest, result) {
  const o = result.outcome;
  return h('div', { class: 'table-wrap' }, h('table', { class: 'ratings' },
    h('thead', {}, h('tr', {}, h('th', {}, t('ev.col.item')), h('th', {}, t('ev.col.rating')), h('th', {}, t('ev.col.rate')), h('th', {}, t('ev.col.counts')))),
    h('tbody', {}, manifest.contests.map((c, i) => {
      const p = o.projects.find((x) => x.contest === i);
      // Rounded half up from the counts (227 / 238 → 95.38 %); the record's floored basis points decide nothing.
      const rate = formatPercent(result.counts[i][0] + result.counts[i][1], o.ballots);
      return h('tr', { dataset: { contest: c.id } },
        h('td', {}, pick(c.title)),
        h('td', {}, p?.rating ? h('span', { class: `badge rating-${p.rating}` }, t(`ev.rating.${p.rating}`)) : '—'),
        h('td', {}, `${rate}%`, progressBar(Number(rate))),
        h('td', { class: 'mono' }, result.counts[i].join(' / ')));
    }))));
}

function render() {
  if (!shown) return;
  if (shown.length === 0) return replace($('evaluations'), h('p', { class: 'muted' }, t('ev.none')));
  replace($('evaluations'), shown.map(({ congress, vote, status, result }) => h('section', { class: 'card evaluation', dataset: { election: vote.election_id } },
    h('div', { class: 'congress-head' }, h('h2', {}, `${pick(congress.name)} · ${t(`purpose.${vote.purpose}`)}`),
      h('a', { href: `/elections/${encodeURIComponent(vote.election_id)}` }, t('ev.board'))),
    result ? [
      h('p', { class: 'muted' }, t('ev.ballots', { b: result.outcome.ballots, r: result.outcome.roll })),
      h('p', { class: 'muted rating-rule' }, t('ev.rule', {
        n: result.outcome.majority_threshold, base: t(`ev.base.${status.manifest.decision.majority === 'voting' ? 'voting' : 'all_deputies'}`),
      })),
      result.outcome.quorum_met ? null : h('div', { class: 'notice warn' }, t('ev.invalid')),
      table(status.manifest, result),
    ] : h('p', { class: 'muted' }, t('ev.pending', { state: t(`state.${vote.state}`) })))));
}

async function load(year) {
  $('year').value = year;
  try {
    const plan = await api(`/api/cycle/plan/${year}`);
    const out = [];
    for (const c of plan.congresses) {
      for (const v of c.votes.filter((x) => x.purpose === 'evaluation' || x.purpose === 'department_rating')) {
        const status = await api(`/api/elections/${encodeURIComponent(v.election_id)}`);
        // Counts only once published (issue 16 item 13): a tallied vote is still 测评尚未公布.
        const done = v.state === 'published';
        out.push({ congress: c.congress, vote: v, status, result: done ? await api(`/api/elections/${encodeURIComponent(v.election_id)}/result`) : null });
      }
    }
    shown = out;
    render();
  } catch (e) {
    replace($('evaluations'), h('div', { class: 'notice error' }, errorText(e)));
  }
}

initPage();
onLangChange(render);
await yearForm(load);
