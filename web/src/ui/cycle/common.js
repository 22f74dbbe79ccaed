// What the cycle's pages share (proposals, year plan, project, evaluation, staff screening):
// the header texts, the status names of proposals, money and progress bars, the year of the
// pages (the newest with data unless the address names one, kept by the header's links) and the
// overdue flag.
import { addTexts, api, formatMoney, h, t } from '../common.js';

addTexts({
  zh: {
    'nav.proposals': '项目建议', 'nav.plan': '年度计划', 'nav.evaluation': '成效测评',
    'p.status.received': '已收到', 'p.status.merged': '已合并', 'p.status.rejected': '未采纳',
    'p.status.excluded': '负面清单', 'p.status.reserve': '储备项目', 'p.status.shortlisted': '初审通过',
    'p.status.candidate': '候选项目', 'p.status.adopted': '票决通过', 'p.status.not_adopted': '票决未通过',
    'p.action.received': '已收到建议', 'p.action.merged': '与同类建议合并', 'p.action.merged_in': '合并了另一条建议',
    'p.action.rejected': '未予采纳', 'p.action.excluded': '属于负面清单', 'p.action.reserve': '列入项目储备库',
    'p.action.shortlisted': '初审通过', 'p.action.candidate': '形成候选项目', 'p.action.approved': '候选项目经审定',
    'p.action.adopted': '代表票决通过', 'p.action.not_adopted': '代表票决未通过', 'p.action.tie': '得票相同，再次表决',
    'sub.public': '群众', 'sub.deputy': '人大代表', 'sub.department': '部门', 'sub.organisation': '单位/组织',
    'purpose.selection': '项目票决', 'purpose.revote': '再次表决', 'purpose.evaluation': '成效测评', 'purpose.department_rating': '部门评议',
    'level.county': '县人大', 'level.township': '乡镇人大',
    'cy.overdue': '已逾期', 'cy.overdue.title': '已过完成时限，尚未报告完工',
  },
  en: {
    'nav.proposals': 'Proposals', 'nav.plan': 'Year plan', 'nav.evaluation': 'Evaluation',
    'p.status.received': 'Received', 'p.status.merged': 'Merged', 'p.status.rejected': 'Not adopted',
    'p.status.excluded': 'Negative list', 'p.status.reserve': 'In reserve', 'p.status.shortlisted': 'Shortlisted',
    'p.status.candidate': 'Candidate', 'p.status.adopted': 'Adopted by the vote', 'p.status.not_adopted': 'Not adopted by the vote',
    'p.action.received': 'Received', 'p.action.merged': 'Merged into a similar proposal', 'p.action.merged_in': 'Another proposal merged into it',
    'p.action.rejected': 'Not adopted', 'p.action.excluded': 'Excluded by the negative list', 'p.action.reserve': 'Kept in reserve for a later year',
    'p.action.shortlisted': 'Shortlisted', 'p.action.candidate': 'Made a candidate project', 'p.action.approved': 'Candidate list approved',
    'p.action.adopted': 'Adopted by the deputies’ vote', 'p.action.not_adopted': 'Not adopted by the vote', 'p.action.tie': 'Tied: re-vote',
    'sub.public': 'Resident', 'sub.deputy': 'Deputy', 'sub.department': 'Department', 'sub.organisation': 'Organisation',
    'purpose.selection': 'Selection vote', 'purpose.revote': 'Re-vote', 'purpose.evaluation': 'Evaluation', 'purpose.department_rating': 'Department rating',
    'level.county': 'County', 'level.township': 'Township',
    'cy.overdue': 'Overdue', 'cy.overdue.title': 'Past its completion date and not reported complete',
  },
});

/** Yuan as each language writes money (`formatMoney`: 万元, or ¥… million). */
export function wan(yuan) {
  return formatMoney(yuan);
}

/** A progress bar of `percent` (0–100); its width is set through the CSSOM (no inline style). */
export function progressBar(percent) {
  const bar = h('div', { class: 'bar adopted' });
  bar.style.width = `${Math.max(0, Math.min(100, percent ?? 0))}%`;
  return h('div', { class: 'bar-track', role: 'img', 'aria-label': `${percent ?? 0}%` }, bar);
}

/** The year from `?year=`, or null when the address names none (or not a year). */
export function yearFromQuery() {
  const y = Number(new URLSearchParams(location.search).get('year'));
  return Number.isInteger(y) && y >= 2000 && y <= 2100 ? y : null;
}

/** The newest year that has data on this server (`GET /api/cycle/years`), else this year. */
export async function latestYear() {
  try {
    const { years } = await api('/api/cycle/years');
    if (years?.length) return years[0];
  } catch {
    // No list: this year, as before.
  }
  return new Date().getFullYear();
}

/** Makes every link of the header keep `?year=year`, so that the year shown stays shown. */
export function keepYear(year) {
  for (const a of document.querySelectorAll('header.top nav a[href^="/"]')) {
    const url = new URL(a.getAttribute('href'), location.origin);
    url.searchParams.set('year', year);
    a.setAttribute('href', `${url.pathname}${url.search}`);
  }
}

/** The overdue flag (已逾期) of an adopted project that the server marked `overdue`. */
export function overdueBadge(project) {
  return project.overdue ? h('span', { class: 'badge overdue', title: t('cy.overdue.title') }, t('cy.overdue')) : null;
}

/** A status badge of a proposal. */
export function statusBadge(status) {
  return h('span', { class: `badge p-${status}` }, t(`p.status.${status}`));
}

/** Wires the page's `#year-form` to `load(year)` (the year kept in the address and the header's
 * links), and loads the year of the address, else the newest year with data. */
export async function yearForm(load) {
  document.getElementById('year-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const y = Number(document.getElementById('year').value);
    history.replaceState(null, '', `?year=${y}`);
    keepYear(y);
    load(y);
  });
  const year = yearFromQuery() ?? await latestYear();
  keepYear(year);
  await load(year);
}
