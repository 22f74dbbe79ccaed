// The staff audit trail of one election (GET /api/staff/audit, spec/api.md §7.8): who did
// what, from which address, when, and what came of it; newest first.
import { addTexts, formatTime, h, replace, t } from '../common.js';

/** Every action the server names (ballot-server/src/audit.rs); each has a text in both languages. */
export const AUDIT_ACTIONS = [
  'create', 'start_ceremony', 'register_credentials', 'register_roll', 'open', 'close',
  'publish', 'create_congress', 'deputy_codes', 'decide_proposal', 'set_negative_list',
  'create_candidate', 'approve', 'revote', 'evaluation', 'set_plan', 'add_progress', 'add_attachment',
];

/**
 * The outcomes the server names: `pending` while the action runs (its row is written before it),
 * `interrupted` when the server died while it ran (it may or may not have taken effect).
 */
export const AUDIT_OUTCOMES = ['done', 'refused', 'failed', 'pending', 'interrupted'];

/** The labels the server gives the tokens it makes (src/cli/serve.rs). */
const TOKEN_LABELS = ['first start', 'rotated'];

addTexts({
  zh: {
    'audit.heading': '操作记录', 'audit.intro': '工作人员对本次选举的每一项操作：时间、操作人（令牌标识）、操作、来源地址和结果，最新的在前。',
    'audit.empty': '暂无操作记录。', 'audit.time': '时间', 'audit.staff': '操作人', 'audit.action': '操作',
    'audit.client': '来源地址', 'audit.outcome': '结果',
    'audit.action.create': '新建选举', 'audit.action.start_ceremony': '设定监票人', 'audit.action.register_credentials': '登记凭证',
    'audit.action.register_roll': '保存名册', 'audit.action.open': '开始投票',
    'audit.action.close': '截止投票', 'audit.action.publish': '公布结果',
    'audit.action.create_congress': '新建会议', 'audit.action.deputy_codes': '生成代表码', 'audit.action.decide_proposal': '审查项目建议',
    'audit.action.set_negative_list': '设定负面清单', 'audit.action.create_candidate': '新建候选项目', 'audit.action.approve': '审议通过',
    'audit.action.revote': '重新表决', 'audit.action.evaluation': '满意度测评', 'audit.action.set_plan': '制定实施计划',
    'audit.action.add_progress': '报送进展', 'audit.action.add_attachment': '上传附件',
    'audit.outcome.done': '已完成', 'audit.outcome.refused': '被拒绝', 'audit.outcome.failed': '失败',
    'audit.outcome.pending': '进行中', 'audit.outcome.interrupted': '已中断，结果不明',
    'audit.interrupted': '标为“已中断，结果不明”的操作，是服务器在操作进行过程中停止运行所致，该操作可能已经生效，也可能没有生效。请查看本次选举的当前状态予以确认，必要时重新操作。',
    'audit.label.first start': '首次启动时生成', 'audit.label.rotated': '轮换后生成',
  },
  en: {
    'audit.heading': 'Audit trail', 'audit.intro': 'Every staff action on this election: when, by whom (token id), what, from which address, and what came of it; newest first.',
    'audit.empty': 'No actions recorded yet.', 'audit.time': 'Time', 'audit.staff': 'Staff', 'audit.action': 'Action',
    'audit.client': 'Address', 'audit.outcome': 'Outcome',
    'audit.action.create': 'Created the election', 'audit.action.start_ceremony': 'Set the tellers', 'audit.action.register_credentials': 'Registered credentials',
    'audit.action.register_roll': 'Saved the roll', 'audit.action.open': 'Opened voting',
    'audit.action.close': 'Closed voting', 'audit.action.publish': 'Published the result',
    'audit.action.create_congress': 'Created a congress', 'audit.action.deputy_codes': 'Made deputy codes', 'audit.action.decide_proposal': 'Screened a proposal',
    'audit.action.set_negative_list': 'Set the negative list', 'audit.action.create_candidate': 'Created a candidate project', 'audit.action.approve': 'Approved',
    'audit.action.revote': 'Called a revote', 'audit.action.evaluation': 'Satisfaction evaluation', 'audit.action.set_plan': 'Set an implementation plan',
    'audit.action.add_progress': 'Reported progress', 'audit.action.add_attachment': 'Uploaded an attachment',
    'audit.outcome.done': 'done', 'audit.outcome.refused': 'refused', 'audit.outcome.failed': 'failed',
    'audit.outcome.pending': 'in progress', 'audit.outcome.interrupted': 'interrupted, outcome unknown',
    'audit.interrupted': 'An action marked “interrupted, outcome unknown” was under way when the server stopped: it may or may not have taken effect. Check the election’s current state to see which, and repeat the action if needed.',
    'audit.label.first start': 'made at first start', 'audit.label.rotated': 'made when rotated',
  },
});

/** A known key's text, else the raw value (a newer server's action). */
function named(prefix, value, known) {
  return known.includes(value) ? t(`${prefix}.${value}`) : value;
}

/** The rows of `entries` (as the server answers them). */
export function auditRows(entries) {
  return entries.map((e) => h('tr', { dataset: { action: e.action, outcome: e.outcome } },
    h('td', {}, formatTime(e.time_ms)),
    h('td', {}, named('audit.label', e.staff_label, TOKEN_LABELS), ' ', h('span', { class: 'mono' }, e.token_id)),
    h('td', {}, named('audit.action', e.action, AUDIT_ACTIONS)),
    h('td', { class: 'mono' }, e.client),
    h('td', { class: `outcome-${e.outcome}` }, named('audit.outcome', e.outcome, AUDIT_OUTCOMES))));
}

/** Whether any of `entries` is an action whose server died while it ran (outcome unknown). */
export function hasInterrupted(entries) {
  return entries.some((e) => e.outcome === 'interrupted');
}

/** The audit card of election `id`: `{ card, update() }`, `update` loading the newest rows. */
export function auditCard(id, ctx) {
  const body = h('div', { id: 'audit-list' }, t('loading'));
  const card = h('section', { class: 'card', id: 'audit' },
    h('h2', {}, t('audit.heading')), h('p', { class: 'muted' }, t('audit.intro')), body);
  const update = async () => {
    const entries = await ctx.call(`/api/staff/audit?election=${encodeURIComponent(id)}&limit=50`);
    if (!entries.length) {
      replace(body, h('p', { class: 'muted' }, t('audit.empty')));
      return;
    }
    replace(body, h('table', { class: 'audit' },
      h('thead', {}, h('tr', {}, ['audit.time', 'audit.staff', 'audit.action', 'audit.client', 'audit.outcome'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, auditRows(entries))),
    hasInterrupted(entries) ? h('p', { class: 'notice warn', id: 'audit-interrupted' }, t('audit.interrupted')) : false);
  };
  return { card, update };
}
