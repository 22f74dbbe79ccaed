// Proposals (/proposals): anyone submits a proposal (项目建议) for a congress and a year, gets a
// tracking number, and looks up its status and history (#number=<tracking number>; the
// submission link of a congress's QR code is /proposals?congress=<id>).
import { addTexts, api, errorText, formatTime, h, initPage, onLangChange, pick, replace, t } from '../common.js';
import { keepYear, statusBadge, yearFromQuery } from '../cycle/common.js';

addTexts({
  zh: {
    'page.title': '票决 · 项目建议',
    'pr.heading': '民生实事项目建议', 'pr.intro': '每个人都可以为下一年度的民生实事项目提出建议。提交后您会得到一个查询号，可随时查询办理情况：合并、初审、负面清单、储备、候选、代表票决的结果都会公开。',
    'pr.submit': '提出建议', 'pr.congress': '向哪一级人大提出', 'pr.year': '年度', 'pr.title': '建议项目名称',
    'pr.description': '建议内容（做什么，为什么）', 'pr.location': '地点', 'pr.category': '类别', 'pr.submitter': '提出人',
    'pr.name': '部门或单位名称（公开）', 'pr.code': '代表码', 'pr.contact': '联系方式（选填，仅工作人员可见，不公开）',
    'pr.send': '提交建议', 'pr.sent': '已收到您的建议。请记下查询号：', 'pr.sent.keep': '凭此号可以随时查询办理情况。',
    'pr.lookup': '查询办理情况', 'pr.find': '查询', 'pr.history': '办理过程', 'pr.by': '提出人：{who}',
    'pr.deputy': '人大代表（{n} 号）', 'pr.mergedInto': '已并入 {n}', 'pr.item': '负面清单：{label}',
    'pr.candidate': '候选项目：{id}', 'pr.election': '表决：{id}', 'pr.votes': '得票 {n}',
    'pr.closed': '本系统尚未登记任何人大，暂时不能在此提出建议。人大工作人员登记本级人大后，即可提交建议。',
  },
  en: {
    'page.title': 'Piaojue · Proposals',
    'pr.heading': 'Proposals for livelihood projects', 'pr.intro': 'Anyone may propose a livelihood project for next year. You get a tracking number and can look up what happened to your proposal at any time: merges, screening, the negative list, the reserve, candidacy and the deputies’ vote are all public.',
    'pr.submit': 'Make a proposal', 'pr.congress': 'To which congress', 'pr.year': 'Year', 'pr.title': 'Project',
    'pr.description': 'What should be done, and why', 'pr.location': 'Where', 'pr.category': 'Category', 'pr.submitter': 'Proposed by',
    'pr.name': 'Name of the department or organisation (public)', 'pr.code': 'Deputy code', 'pr.contact': 'Contact (optional; staff only, never public)',
    'pr.send': 'Submit', 'pr.sent': 'Your proposal was received. Note its tracking number:', 'pr.sent.keep': 'With it you can look up its status at any time.',
    'pr.lookup': 'Look up a proposal', 'pr.find': 'Look up', 'pr.history': 'History', 'pr.by': 'Proposed by: {who}',
    'pr.deputy': 'Deputy (no. {n})', 'pr.mergedInto': 'Merged into {n}', 'pr.item': 'Negative list: {label}',
    'pr.candidate': 'Candidate project: {id}', 'pr.election': 'Vote: {id}', 'pr.votes': '{n} votes',
    'pr.closed': 'No congress is registered on this server yet, so proposals cannot be made here. Once the congress staff register their congress, this form opens.',
  },
});

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let congresses = [];
let shown = null;

function renderCongresses() {
  const want = $('congress').value || params.get('congress');
  replace($('congress'), congresses.map((c) => h('option', { value: c.id, selected: c.id === want }, pick(c.name))));
}

function who(p) {
  if (p.submitter === 'deputy') return t('pr.deputy', { n: p.deputy });
  if (p.name) return `${t(`sub.${p.submitter}`)} · ${p.name}`;
  return t(`sub.${p.submitter}`);
}

function detail(e) {
  const d = e.detail ?? {};
  const out = [];
  if (d.into) out.push(h('a', { href: `#number=${d.into}` }, t('pr.mergedInto', { n: d.into })));
  if (d.from) out.push(h('a', { href: `#number=${d.from}` }, d.from));
  if (d.label) out.push(t('pr.item', { label: pick(d.label) }));
  if (d.candidate && e.action === 'candidate') out.push(t('pr.candidate', { id: pick(d.name) || d.candidate }));
  if (d.election) out.push(h('a', { href: `/elections/${encodeURIComponent(d.election)}` }, t('pr.election', { id: d.election })));
  if (d.votes != null) out.push(t('pr.votes', { n: d.votes }));
  if (d.candidate && (e.action === 'adopted' || e.action === 'tie')) out.push(h('a', { href: `/projects/${encodeURIComponent(d.candidate)}` }, d.candidate));
  return out.length ? h('div', { class: 'muted' }, out.flatMap((x, i) => [i ? ' · ' : '', x])) : null;
}

function renderProposal() {
  if (!shown) return;
  const p = shown;
  replace($('lookup-result'), h('article', { id: 'proposal', dataset: { status: p.status } },
    h('h3', {}, p.title, ' ', statusBadge(p.status)),
    h('p', { class: 'mono' }, p.number),
    h('p', {}, p.description),
    h('p', { class: 'muted' }, `${p.location} · ${p.category} · ${t('pr.by', { who: who(p) })}`),
    h('h4', {}, t('pr.history')),
    h('ol', { class: 'timeline' }, (p.history ?? []).map((e) => h('li', { dataset: { action: e.action } },
      h('div', {}, h('b', {}, t(`p.action.${e.action}`)), e.reason ? `：${e.reason}` : ''),
      detail(e),
      h('div', { class: 'when' }, formatTime(e.time_ms))))),
  ));
}

async function lookup(number) {
  $('number').value = number;
  try {
    shown = await api(`/api/cycle/proposals/${encodeURIComponent(number.trim())}`);
    renderProposal();
  } catch (e) {
    shown = null;
    replace($('lookup-result'), h('div', { class: 'notice error' }, errorText(e)));
  }
}

function showFields() {
  const s = $('submitter').value;
  $('name-row').hidden = !(s === 'department' || s === 'organisation');
  $('code-row').hidden = s !== 'deputy';
}

$('submitter').addEventListener('change', showFields);
$('proposal-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const body = {
    congress: f.get('congress'), year: Number(f.get('year')), title: f.get('title'), description: f.get('description'),
    location: f.get('location'), category: f.get('category'), submitter: f.get('submitter'),
  };
  if (!$('name-row').hidden) body.name = f.get('name');
  if (!$('code-row').hidden) body.deputy_code = f.get('deputy_code');
  if (f.get('contact')) body.contact = f.get('contact');
  $('submit-button').disabled = true;
  try {
    const p = await api('/api/cycle/proposals', { body });
    replace($('submit-message'), h('div', { class: 'notice ok', id: 'received' },
      h('div', {}, t('pr.sent')), h('div', { class: 'number mono', id: 'tracking-number' }, p.number), h('div', {}, t('pr.sent.keep'))));
    ev.target.reset();
    $('year').value = body.year;
    renderCongresses();
    showFields();
    location.hash = `number=${p.number}`;
  } catch (e) {
    replace($('submit-message'), h('div', { class: 'notice error' }, errorText(e)));
  } finally {
    $('submit-button').disabled = false;
  }
});
$('lookup-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  location.hash = `number=${$('number').value.trim()}`;
});
function fromHash() {
  const m = location.hash.match(/^#number=([\w-]+)$/);
  if (m) lookup(decodeURIComponent(m[1]));
}
window.addEventListener('hashchange', fromHash);

initPage();
onLangChange(() => { renderCongresses(); renderProposal(); });
$('year').value = params.get('year') ?? new Date().getFullYear() + 1;
showFields();
if (yearFromQuery()) keepYear(yearFromQuery());
try {
  congresses = await api('/api/cycle/congresses');
  renderCongresses();
  // With no congress to send it to, the form cannot be used: say why rather than fail on submit.
  $('form-closed').hidden = congresses.length > 0;
  for (const el of $('proposal-form').elements) el.disabled = congresses.length === 0;
} catch (e) {
  replace($('submit-message'), h('div', { class: 'notice error' }, errorText(e)));
}
fromHash();
