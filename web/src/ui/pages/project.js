// A project's page (/projects/{id}): the adopted project, its implementation plan, its
// progress with photos and files, and deputies' inspection notes (a deputy adds one with their
// deputy code).
import { addTexts, api, errorText, formatTime, h, initPage, listSep, onLangChange, pick, replace, t } from '../common.js';
import { keepYear, overdueBadge, progressBar, wan } from '../cycle/common.js';

addTexts({
  zh: {
    'page.title': '票决 · 项目进展',
    'pj.department': '责任单位', 'pj.investment': '总投资', 'pj.completion': '完成时限', 'pj.sources': '来源建议',
    'pj.election': '票决', 'pj.adopted': '票决通过', 'pj.notAdopted': '未通过', 'pj.pending': '待票决',
    'pj.plan': '实施计划', 'pj.budget': '预算', 'pj.noPlan': '实施计划尚未公布。',
    'pj.progress': '实施进展', 'pj.noProgress': '还没有进展报告。', 'pj.file': '附件（PDF）',
    'pj.notes': '代表视察意见', 'pj.noNotes': '还没有视察意见。', 'pj.deputy': '{c} 代表 {n} 号',
    'pj.addNote': '代表视察意见', 'pj.code': '代表码', 'pj.date': '视察日期', 'pj.text': '意见', 'pj.send': '提交', 'pj.sent': '已公开您的视察意见。',
  },
  en: {
    'page.title': 'Piaojue · Project progress',
    'pj.department': 'Responsible department', 'pj.investment': 'Investment', 'pj.completion': 'Completion', 'pj.sources': 'From the proposals',
    'pj.election': 'Vote', 'pj.adopted': 'adopted', 'pj.notAdopted': 'not adopted', 'pj.pending': 'not voted yet',
    'pj.plan': 'Implementation plan', 'pj.budget': 'Budget', 'pj.noPlan': 'No plan published yet.',
    'pj.progress': 'Progress', 'pj.noProgress': 'No progress report yet.', 'pj.file': 'Attachment (PDF)',
    'pj.notes': 'Deputies’ inspection notes', 'pj.noNotes': 'No inspection notes yet.', 'pj.deputy': 'Deputy no. {n} ({c})',
    'pj.addNote': 'Add an inspection note', 'pj.code': 'Deputy code', 'pj.date': 'Date of the visit', 'pj.text': 'Note', 'pj.send': 'Submit', 'pj.sent': 'Your note is published.',
  },
});

const $ = (id) => document.getElementById(id);
const id = decodeURIComponent(location.pathname.split('/')[2] ?? '');
let rec = null;

function render() {
  if (!rec) return;
  const p = rec.project;
  const last = rec.progress.at(-1);
  replace($('project'),
    h('h1', { id: 'project-name' }, pick(p.name), overdueBadge(rec)),
    h('section', { class: 'card' },
      h('p', {}, pick(p.description)),
      h('div', { class: 'stats' },
        h('div', { class: 'stat' }, h('b', {}, pick(p.department)), h('span', {}, t('pj.department'))),
        h('div', { class: 'stat' }, h('b', {}, wan(p.investment_yuan)), h('span', {}, t('pj.investment'))),
        h('div', { class: 'stat' }, h('b', {}, p.completion), h('span', {}, t('pj.completion')))),
      p.election ? h('p', {}, `${t('pj.election')}: `, h('a', { href: `/elections/${encodeURIComponent(p.election)}` }, p.election), ' · ',
        p.adopted == null ? t('pj.pending') : p.adopted ? t('pj.adopted') : t('pj.notAdopted')) : null,
      p.proposals.length ? h('p', {}, `${t('pj.sources')}: `, p.proposals.flatMap((n, i) => [i ? listSep() : '', h('a', { href: `/proposals#number=${n}` }, n)])) : null,
      last ? h('div', {}, progressBar(last.percent), h('div', { class: 'muted' }, `${last.percent}% · ${last.date}`)) : null),
    h('section', { class: 'card', id: 'plan' }, h('h2', {}, t('pj.plan')),
      rec.plan ? [
        h('p', {}, `${t('pj.department')}: ${pick(rec.plan.department)} · ${t('pj.budget')}: ${wan(rec.plan.budget_yuan)}`),
        h('ol', { class: 'timeline' }, rec.plan.milestones.map((m) => h('li', {}, h('span', { class: 'when' }, m.date), ' ', pick(m.text)))),
      ] : h('p', { class: 'muted' }, t('pj.noPlan'))),
    h('section', { class: 'card', id: 'progress' }, h('h2', {}, t('pj.progress')),
      rec.progress.length ? h('ol', { class: 'timeline' }, rec.progress.map((u) => h('li', { dataset: { update: String(u.id) } },
        h('div', {}, h('b', {}, `${u.percent}%`), ' ', pick(u.text)),
        h('div', { class: 'when' }, u.date),
        u.attachments.length ? h('div', { class: 'attachments row' }, u.attachments.map((a) => a.content_type === 'application/pdf'
          ? h('a', { href: `/api/cycle/attachments/${a.id}` }, t('pj.file'))
          : h('a', { href: `/api/cycle/attachments/${a.id}` }, h('img', { src: `/api/cycle/attachments/${a.id}`, alt: pick(u.text), loading: 'lazy' })))) : null)))
        : h('p', { class: 'muted' }, t('pj.noProgress'))),
    h('section', { class: 'card', id: 'notes' }, h('h2', {}, t('pj.notes')),
      rec.notes.length ? h('ol', { class: 'timeline' }, rec.notes.map((n) => h('li', {},
        h('div', {}, n.text), h('div', { class: 'when' }, `${t('pj.deputy', { n: n.deputy, c: n.congress })} · ${n.date} · ${formatTime(n.created_ms)}`))))
        : h('p', { class: 'muted' }, t('pj.noNotes'))));
  $('note-card').hidden = p.adopted !== true;
}

async function load() {
  try {
    rec = await api(`/api/cycle/projects/${encodeURIComponent(id)}`);
    keepYear(rec.project.year);
    render();
  } catch (e) {
    replace($('project'), h('div', { class: 'notice error' }, errorText(e)));
  }
}

$('note-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  $('note-button').disabled = true;
  try {
    await api(`/api/cycle/projects/${encodeURIComponent(id)}/inspections`, { body: { deputy_code: f.get('deputy_code'), date: f.get('date'), text: f.get('text') } });
    replace($('note-message'), h('div', { class: 'notice ok' }, t('pj.sent')));
    ev.target.reset();
    await load();
  } catch (e) {
    replace($('note-message'), h('div', { class: 'notice error' }, errorText(e)));
  } finally {
    $('note-button').disabled = false;
  }
});
initPage();
onLangChange(render);
await load();
