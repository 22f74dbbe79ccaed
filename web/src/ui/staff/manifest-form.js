// Creating an election: the candidate list (typed row by row, or imported from CSV), the ballot
// form and the decision settings become a manifest (spec/record.md §3), which is validated as
// the server validates it (validateManifest) before POST /api/elections. A manifest JSON may also
// be uploaded as is.
//
// CSV columns, in this order (a header row is recognised and skipped; comma or tab separated,
// "quoted" fields may hold commas, quotes doubled; UTF-8):
//   name, department, investment (万元), completion (YYYY-MM), description
import { PROTOCOL_VERSION, validateManifest, ManifestError } from '../../piaojue.js';
import { addTexts, currentLang, h, replace, t } from '../common.js';
import { notice, submit } from './ui.js';

/** The quorum choices in words and their fractions `[num, den]` (`custom`: the two fields). */
const QUORUMS = { two_thirds: [2, 3], half: [1, 2], none: [0, 1] };

export const CSV_COLUMNS = ['name', 'department', 'investment_wan', 'completion', 'description'];

/** Splits CSV text into rows of trimmed fields (comma or, when the first line has one, tab). */
export function parseCsv(text) {
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const firstLine = src.split('\n', 1)[0];
  const sep = firstLine.includes('\t') ? '\t' : ',';
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  let line = 1;
  let rowLine = 1;
  const endField = () => {
    row.push(wasQuoted ? field : field.trim());
    field = '';
    wasQuoted = false;
  };
  const endRow = () => {
    endField();
    if (row.some((f) => f !== '')) rows.push({ line: rowLine, fields: row });
    row = [];
    rowLine = line;
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else { if (c === '\n') line++; field += c; }
    } else if (c === '"' && field.trim() === '') {
      quoted = true; wasQuoted = true; field = '';
    } else if (c === sep) endField();
    else if (c === '\n') { line++; endRow(); }
    else field += c;
  }
  if (quoted) throw new CsvError(rowLine, t('csv.unclosed'));
  endRow();
  return rows;
}

/** A CSV problem on a line (1-based). */
export class CsvError extends Error {
  constructor(line, message) {
    super(message);
    this.line = line;
  }
}

/** "1,250.5", "1250.5万元" → 1250.5; NaN when not a number ≥ 0. */
export function parseWan(text) {
  const s = String(text).replace(/[,，\s]/g, '').replace(/万元$|万$/, '');
  if (!/^\d+(\.\d+)?$/.test(s)) return NaN;
  return Number(s);
}

/**
 * The candidates of a CSV text: `{ candidates: [{ name, department, investmentWan, completion,
 * description }], errors: [{ line, message }] }`. A first row whose investment column is not a
 * number is taken as a header.
 */
export function candidatesFromCsv(text) {
  const candidates = [];
  const errors = [];
  let rows;
  try {
    rows = parseCsv(text);
  } catch (e) {
    return { candidates, errors: [{ line: e.line, message: e.message }] };
  }
  rows.forEach(({ line, fields }, i) => {
    if (i === 0 && fields.length >= 3 && Number.isNaN(parseWan(fields[2]))) return; // header
    if (fields.length < 3 || fields.length > 5) {
      errors.push({ line, message: t('csv.columns', { got: fields.length }) });
      return;
    }
    const [name, department = '', investment = '', completion = '', description = ''] = fields;
    const investmentWan = parseWan(investment);
    if (!name) errors.push({ line, message: t('csv.noName') });
    else if (Number.isNaN(investmentWan)) errors.push({ line, message: t('csv.badInvestment', { value: investment }) });
    else candidates.push({ name, department, investmentWan, completion, description });
  });
  return { candidates, errors };
}

/** 万元 → yuan, an integer. */
export function wanToYuan(wan) {
  return Math.round(wan * 10000);
}

const text = (zh, en = '') => ({ zh, en });

/**
 * The manifest of the form's settings and the candidates. `s`: `{ electionId, titleZh, titleEn,
 * congressZh, congressEn, deputies, form: 'top_k' | 'approve_each', seats, n, t, decide (boolean),
 * majority, quorumNum, quorumDen, revote }`. Not validated: see `checkManifest`.
 */
export function buildManifest(s, candidates) {
  const N = candidates.length;
  const K = s.seats;
  const projectOption = (c, i) => ({
    id: optionId(i, N),
    title: text(c.name),
    project: {
      department: text(c.department),
      investment_yuan: wanToYuan(c.investmentWan),
      completion: c.completion,
      description: text(c.description),
    },
  });
  const choice = (id, zh, en) => ({ id, title: text(zh, en) });
  const contests = s.form === 'approve_each'
    ? candidates.map((c, i) => ({
      id: optionId(i, N),
      title: text(c.name),
      min: 1,
      max: 1,
      options: [choice('yes', '赞成', 'Yes'), choice('no', '反对', 'No'), choice('abstain', '弃权', 'Abstain')],
    }))
    : [{
      id: 'projects',
      title: text(`请从${N}个候选项目中选择不超过${K}个`, `Choose at most ${K} of ${N} candidate projects`),
      min: 0,
      max: K,
      options: candidates.map(projectOption),
    }];
  const decision = s.decide
    ? { kind: s.form, seats: K, majority: s.majority, quorum: { num: s.quorumNum, den: s.quorumDen } }
    : { kind: 'counts' };
  return {
    version: PROTOCOL_VERSION,
    election_id: s.electionId,
    title: text(s.titleZh, s.titleEn),
    congress: text(s.congressZh, s.congressEn),
    deputies: s.deputies,
    tellers: { n: s.n, t: s.t },
    contests,
    decision,
    revote: s.revote,
  };
}

/** Option / contest ids p01, p02 … (p001 … beyond 99 candidates). */
function optionId(i, count) {
  return `p${String(i + 1).padStart(count > 99 ? 3 : 2, '0')}`;
}

/**
 * Validates a manifest with the protocol's own check; returns null or the message to show
 * (the English text of ManifestError, prefixed in the current language).
 */
export function checkManifest(m) {
  try {
    validateManifest(m, { draft: true });
    return null;
  } catch (e) {
    if (e instanceof ManifestError) return `${t('form.invalid')}: ${e.message}`;
    throw e;
  }
}

addTexts({
  zh: {
    'csv.unclosed': '引号未闭合', 'csv.columns': '应有 3–5 列（名称, 责任单位, 投资万元, 完成时限, 项目内容），这一行有 {got} 列',
    'csv.noName': '项目名称为空', 'csv.badInvestment': '投资额“{value}”不是数字（单位：万元）',
    'csv.line': '第 {line} 行',
    'form.heading': '新建选举', 'form.basics': '基本信息',
    'form.id': '选举编号', 'form.id.hint': '小写字母、数字、- 和 _，最多 64 个字符，例如 2027-minsheng',
    'form.titleZh': '标题（中文）', 'form.titleEn': '标题（英文，可选）',
    'form.congressZh': '会议名称（中文）', 'form.congressEn': '会议名称（英文，可选）',
    'form.deputies': '应到代表人数',
    'form.deputies.hint': '本级人民代表大会依法确定的代表人数，是计算法定人数和过半数的基数，也是可发放凭证的上限；选举创建后不能更改。',
    'form.ballot': '选票与规则', 'form.form': '票式',
    'form.form.top_k': '差额票决：从 N 个候选项目中选择不超过 K 个', 'form.form.approve_each': '逐项表决：每个项目赞成 / 反对 / 弃权',
    'form.seats': '项目数 K（最多可选 / 拟通过的项目数）',
    'form.n': '监票人数', 'form.t': '解密所需监票人数（其中任意这么多名监票人共同操作即可解密总票数）',
    'form.decide': '决定规则', 'form.decide.rule': '按规则决定是否通过', 'form.decide.counts': '只公布票数，不作决定',
    'form.majority': '过半数的基数', 'form.majority.all_deputies': '全体代表（名册人数）过半数', 'form.majority.voting': '参加投票的代表过半数',
    'form.quorum': '表决有效的投票人数要求',
    'form.quorum.half': '投票人数超过应到代表人数的一半', 'form.quorum.two_thirds': '投票人数超过应到代表人数的三分之二',
    'form.quorum.none': '不设要求', 'form.quorum.custom': '其他比例',
    'form.quorum.custom.before': '投票人数超过应到代表人数的', 'form.quorum.custom.den': '分之', 'form.quorum.custom.after': '',
    'form.revote': '同一凭证再次投票', 'form.revote.first_final': '第一次投票为准，之后拒收', 'form.revote.last_counts': '以最后一次投票为准',
    'form.parent': '重新表决的原选举编号（可选，平票后重投时填写）',
    'form.candidates': '候选项目', 'form.col.name': '项目名称', 'form.col.department': '责任单位',
    'form.col.investment': '总投资（万元）', 'form.col.completion': '完成时限', 'form.col.description': '项目内容',
    'form.addRow': '添加一行', 'form.removeRow': '删除', 'form.count': '共 {n} 个候选项目',
    'form.csv': '从 CSV 导入', 'form.csv.help': '每行一个项目，列的顺序：名称, 责任单位, 投资（万元）, 完成时限（YYYY-MM）, 项目内容。可用逗号或制表符分隔（可直接从 Excel 复制粘贴）；含逗号的内容请加英文双引号；第一行可以是表头。',
    'form.csv.paste': '粘贴 CSV 内容', 'form.csv.file': '或选择 CSV 文件', 'form.csv.import': '导入（替换上面的列表）',
    'form.csv.done': '已导入 {n} 个项目。', 'form.csv.errors': 'CSV 有错误，未导入：',
    'form.check': '检查清单', 'form.create': '创建选举', 'form.valid': '清单有效：{n} 个候选项目，{contests} 个表决事项。',
    'form.invalid': '清单无效', 'form.preview': '清单 JSON 预览',
    'form.noCandidates': '请至少输入一个候选项目。', 'form.badNumber': '“{field}”须为整数',
    'form.created': '选举已创建。',
    'form.upload': '上传选举清单文件', 'form.upload.help': '已有按本系统格式编写的选举清单文件（JSON）时，可直接上传，原样提交。',
    'form.upload.file': '清单文件（.json）', 'form.upload.create': '检查并创建', 'form.upload.notJson': '不是有效的 JSON：{error}',
    'form.upload.none': '请先选择清单文件。',
  },
  en: {
    'csv.unclosed': 'a quote is not closed', 'csv.columns': 'expected 3–5 columns (name, department, investment 万元, completion, description), this row has {got}',
    'csv.noName': 'the project name is empty', 'csv.badInvestment': 'the investment “{value}” is not a number (in 万元, 10,000 yuan)',
    'csv.line': 'line {line}',
    'form.heading': 'New election', 'form.basics': 'Basics',
    'form.id': 'Election id', 'form.id.hint': 'lower-case letters, digits, - and _, at most 64 characters, e.g. 2027-minsheng',
    'form.titleZh': 'Title (Chinese)', 'form.titleEn': 'Title (English, optional)',
    'form.congressZh': 'Congress session (Chinese)', 'form.congressEn': 'Congress session (English, optional)',
    'form.deputies': 'Deputies of the congress',
    'form.deputies.hint': 'The number of deputies the law gives this congress: the base of the quorum and of the majority, and the most credentials that can be issued. It cannot change once the election is created.',
    'form.ballot': 'Ballot and rules', 'form.form': 'Ballot form',
    'form.form.top_k': 'Choose up to K of N candidate projects', 'form.form.approve_each': 'Yes / no / abstain on each project',
    'form.seats': 'K (most projects chosen / to be adopted)',
    'form.n': 'Number of tellers', 'form.t': 'Tellers needed to decrypt (any this many of them together decrypt the totals)',
    'form.decide': 'Decision', 'form.decide.rule': 'Decide by the rule which projects pass', 'form.decide.counts': 'Publish the counts only',
    'form.majority': 'Majority of', 'form.majority.all_deputies': 'all deputies on the roll', 'form.majority.voting': 'the deputies who voted',
    'form.quorum': 'For the vote to be valid',
    'form.quorum.half': 'more than half of the deputies vote', 'form.quorum.two_thirds': 'more than two thirds of the deputies vote',
    'form.quorum.none': 'no requirement', 'form.quorum.custom': 'another fraction',
    'form.quorum.custom.before': 'more than', 'form.quorum.custom.den': 'in', 'form.quorum.custom.after': 'of the deputies vote',
    'form.revote': 'A second ballot of a credential', 'form.revote.first_final': 'the first ballot is final; later ones are refused', 'form.revote.last_counts': 'the last ballot counts',
    'form.parent': 'Re-vote of election (optional, after a tie)',
    'form.candidates': 'Candidate projects', 'form.col.name': 'Project', 'form.col.department': 'Department',
    'form.col.investment': 'Investment (万元)', 'form.col.completion': 'Completion', 'form.col.description': 'Description',
    'form.addRow': 'Add a row', 'form.removeRow': 'Remove', 'form.count': '{n} candidate projects',
    'form.csv': 'Import from CSV', 'form.csv.help': 'One project per line, columns in this order: name, department, investment (万元 = 10,000 yuan), completion (YYYY-MM), description. Comma or tab separated (paste from a spreadsheet works); quote fields that hold commas with "…"; the first line may be a header.',
    'form.csv.paste': 'Paste CSV', 'form.csv.file': 'or choose a CSV file', 'form.csv.import': 'Import (replaces the list above)',
    'form.csv.done': '{n} projects imported.', 'form.csv.errors': 'The CSV has errors; nothing was imported:',
    'form.check': 'Check', 'form.create': 'Create election', 'form.valid': 'The manifest is valid: {n} candidate projects, {contests} contests.',
    'form.invalid': 'Invalid manifest', 'form.preview': 'Manifest JSON preview',
    'form.noCandidates': 'Enter at least one candidate project.', 'form.badNumber': '“{field}” must be a whole number',
    'form.created': 'The election was created.',
    'form.upload': 'Upload an election manifest file', 'form.upload.help': 'A manifest file (JSON) already written in this system’s format can be uploaded and is sent as is.',
    'form.upload.file': 'Manifest file (.json)', 'form.upload.create': 'Check and create', 'form.upload.notJson': 'Not valid JSON: {error}',
    'form.upload.none': 'Choose a manifest file first.',
  },
});

// ---------------------------------------------------------------------------------------------
// The form (DOM)

const blankRow = () => ({ name: '', department: '', investment: '', completion: '', description: '' });

/**
 * Renders the create form into `box`. `ctx.call(path, opts)` calls the API with the staff
 * token; `ctx.created(id)` is called after the server accepted the election.
 */
export function renderCreateForm(box, ctx) {
  const rows = [blankRow()];
  const field = (key, input) => h('div', { class: 'field' }, h('label', { for: input.id }, t(key)), input);
  const input = (id, attrs = {}) => h('input', { id, name: id, autocomplete: 'off', ...attrs });
  const select = (id, options, value) => {
    const s = h('select', { id, name: id }, options.map(([v, key]) => h('option', { value: v }, t(key))));
    s.value = value;
    return s;
  };

  const f = {
    electionId: input('f-id', { placeholder: '2027-minsheng', pattern: '[a-z0-9_\\-]{1,64}', spellcheck: 'false' }),
    titleZh: input('f-title-zh', { placeholder: '2027年度民生实事项目票决' }),
    titleEn: input('f-title-en', { placeholder: '2027 livelihood projects vote' }),
    congressZh: input('f-congress-zh', { placeholder: '某县第十八届人民代表大会第五次会议' }),
    congressEn: input('f-congress-en'),
    deputies: input('f-deputies', { type: 'number', min: 1, max: 100000, inputmode: 'numeric' }),
    form: select('f-form', [['top_k', 'form.form.top_k'], ['approve_each', 'form.form.approve_each']], 'top_k'),
    seats: input('f-seats', { type: 'number', min: 1, value: 10, inputmode: 'numeric' }),
    n: input('f-n', { type: 'number', min: 1, max: 32, value: 3, inputmode: 'numeric' }),
    t: input('f-t', { type: 'number', min: 1, max: 32, value: 2, inputmode: 'numeric' }),
    decide: select('f-decide', [['rule', 'form.decide.rule'], ['counts', 'form.decide.counts']], 'rule'),
    majority: select('f-majority', [['all_deputies', 'form.majority.all_deputies'], ['voting', 'form.majority.voting']], 'all_deputies'),
    quorum: select('f-quorum', [['two_thirds', 'form.quorum.two_thirds'], ['half', 'form.quorum.half'], ['none', 'form.quorum.none'], ['custom', 'form.quorum.custom']], 'two_thirds'),
    quorumNum: input('f-quorum-num', { type: 'number', min: 0, value: 2, inputmode: 'numeric' }),
    quorumDen: input('f-quorum-den', { type: 'number', min: 1, value: 3, inputmode: 'numeric' }),
    revote: select('f-revote', [['first_final', 'form.revote.first_final'], ['last_counts', 'form.revote.last_counts']], 'first_final'),
    parent: input('f-parent', { spellcheck: 'false' }),
  };
  // In Chinese "more than den 分之 num of the deputies"; in English "more than num in den".
  const quorumCustom = h('div', { class: 'row nowrap', id: 'quorum-custom', hidden: true },
    h('span', {}, t('form.quorum.custom.before')),
    ...(currentLang() === 'zh'
      ? [f.quorumDen, h('span', {}, t('form.quorum.custom.den')), f.quorumNum]
      : [f.quorumNum, h('span', {}, t('form.quorum.custom.den')), f.quorumDen]),
    h('span', {}, t('form.quorum.custom.after')));
  f.quorumNum.setAttribute('aria-label', t('form.quorum.custom'));
  f.quorumDen.setAttribute('aria-label', t('form.quorum.custom'));
  const ruleFields = h('div', { class: 'grid2' },
    field('form.majority', f.majority),
    h('div', { class: 'field' }, h('label', { for: 'f-quorum' }, t('form.quorum')), f.quorum,
      quorumCustom));
  f.decide.addEventListener('change', () => { ruleFields.hidden = f.decide.value !== 'rule'; });
  f.quorum.addEventListener('change', () => {
    const [num, den] = QUORUMS[f.quorum.value] ?? [f.quorumNum.value, f.quorumDen.value];
    f.quorumNum.value = num;
    f.quorumDen.value = den;
    quorumCustom.hidden = f.quorum.value !== 'custom';
  });

  const tbody = h('tbody', { id: 'candidate-rows' });
  const count = h('p', { class: 'muted', id: 'candidate-count' });
  const cols = ['name', 'department', 'investment', 'completion', 'description'];
  const renderRows = () => {
    replace(tbody, rows.map((r, i) => h('tr', {},
      h('td', { class: 'num' }, String(i + 1)),
      cols.map((c) => {
        const el = h(c === 'description' ? 'textarea' : 'input', {
          class: `cell-${c}`, 'aria-label': t(`form.col.${c}`), rows: c === 'description' ? 1 : null,
          inputmode: c === 'investment' ? 'decimal' : null, placeholder: c === 'completion' ? '2027-12' : null,
          oninput: (ev) => { r[c] = ev.target.value; },
        });
        el.value = r[c];
        return h('td', {}, el);
      }),
      h('td', {}, h('button', { type: 'button', class: 'small', title: t('form.removeRow'), onclick: () => { rows.splice(i, 1); if (!rows.length) rows.push(blankRow()); renderRows(); } }, '×')),
    )));
    count.textContent = t('form.count', { n: rows.filter((r) => r.name.trim()).length });
  };
  tbody.addEventListener('input', () => { count.textContent = t('form.count', { n: rows.filter((r) => r.name.trim()).length }); });

  const csvText = h('textarea', { id: 'f-csv', rows: 6, spellcheck: 'false', placeholder: '城区老旧小区改造,县住建局,3800,2027-12,改造老旧小区 12 个' });
  const csvFile = h('input', { id: 'f-csv-file', type: 'file', accept: '.csv,.txt,text/csv,text/plain' });
  csvFile.addEventListener('change', async () => { if (csvFile.files[0]) csvText.value = await csvFile.files[0].text(); });
  const csvMsg = h('div', { id: 'csv-message' });
  const importCsv = () => {
    const { candidates, errors } = candidatesFromCsv(csvText.value);
    if (errors.length) {
      replace(csvMsg, notice('error', t('form.csv.errors'),
        h('ul', {}, errors.map((e) => h('li', {}, `${t('csv.line', { line: e.line })}: ${e.message}`)))));
      return;
    }
    rows.splice(0, rows.length, ...candidates.map((c) => ({
      name: c.name, department: c.department, investment: String(c.investmentWan), completion: c.completion, description: c.description,
    })));
    if (!rows.length) rows.push(blankRow());
    renderRows();
    replace(csvMsg, notice('ok', t('form.csv.done', { n: candidates.length })));
  };

  const msg = h('div', { id: 'form-message', role: 'status' });
  const preview = h('pre', { class: 'json-preview', id: 'manifest-preview' });
  const previewBox = h('details', { hidden: true }, h('summary', {}, t('form.preview')), preview);

  const int = (el, key) => {
    const v = Number(el.value);
    if (!Number.isInteger(v) || v < 0 || el.value.trim() === '') throw new Error(t('form.badNumber', { field: t(key) }));
    return v;
  };
  /** The manifest of the form, or throws with a message to show. */
  const manifest = () => {
    const candidates = [];
    for (const [i, r] of rows.entries()) {
      if (!r.name.trim() && !r.department.trim() && !r.investment.trim() && !r.description.trim()) continue;
      const wan = parseWan(r.investment || '0');
      if (!r.name.trim()) throw new Error(`${t('form.candidates')} ${i + 1}: ${t('csv.noName')}`);
      if (Number.isNaN(wan)) throw new Error(`${t('form.candidates')} ${i + 1}: ${t('csv.badInvestment', { value: r.investment })}`);
      candidates.push({ name: r.name.trim(), department: r.department.trim(), investmentWan: wan, completion: r.completion.trim(), description: r.description.trim() });
    }
    if (!candidates.length) throw new Error(t('form.noCandidates'));
    return buildManifest({
      electionId: f.electionId.value.trim(),
      titleZh: f.titleZh.value.trim(), titleEn: f.titleEn.value.trim(),
      congressZh: f.congressZh.value.trim(), congressEn: f.congressEn.value.trim(),
      deputies: int(f.deputies, 'form.deputies'),
      form: f.form.value, seats: int(f.seats, 'form.seats'), n: int(f.n, 'form.n'), t: int(f.t, 'form.t'),
      decide: f.decide.value === 'rule', majority: f.majority.value,
      quorumNum: int(f.quorumNum, 'form.quorum'), quorumDen: int(f.quorumDen, 'form.quorum'),
      revote: f.revote.value,
    }, candidates);
  };
  const check = () => {
    let m;
    try {
      m = manifest();
    } catch (e) {
      replace(msg, notice('error', e.message));
      previewBox.hidden = true;
      return null;
    }
    preview.textContent = JSON.stringify(m, null, 2);
    previewBox.hidden = false;
    const problem = checkManifest(m);
    if (problem) {
      replace(msg, notice('error', problem));
      return null;
    }
    const n = f.form.value === 'approve_each' ? m.contests.length : m.contests[0].options.length;
    replace(msg, notice('ok', t('form.valid', { n, contests: m.contests.length })));
    return m;
  };

  const create = (m, button, out, parent = '') => submit(button, out, async () => {
    await ctx.call(`/api/elections${parent ? `?parent=${encodeURIComponent(parent)}` : ''}`, { body: m });
    ctx.created(m.election_id);
    return t('form.created');
  });
  const createButton = h('button', { type: 'submit', class: 'primary', id: 'create-election' }, t('form.create'));
  const form = h('form', { id: 'create-form', novalidate: true, onsubmit: (ev) => {
    ev.preventDefault();
    const m = check();
    if (m) create(m, createButton, msg, f.parent.value.trim());
  } },
  h('h2', {}, t('form.basics')),
  field('form.id', f.electionId), h('p', { class: 'hint muted' }, t('form.id.hint')),
  h('div', { class: 'grid2' }, field('form.titleZh', f.titleZh), field('form.titleEn', f.titleEn)),
  h('div', { class: 'grid2' }, field('form.congressZh', f.congressZh), field('form.congressEn', f.congressEn)),
  field('form.deputies', f.deputies), h('p', { class: 'hint muted' }, t('form.deputies.hint')),
  h('h2', {}, t('form.ballot')),
  field('form.form', f.form),
  h('div', { class: 'grid3' }, field('form.seats', f.seats), field('form.n', f.n), field('form.t', f.t)),
  field('form.decide', f.decide), ruleFields,
  h('div', { class: 'grid2' }, field('form.revote', f.revote), field('form.parent', f.parent)),
  h('h2', {}, t('form.candidates')),
  h('div', { class: 'table-wrap' }, h('table', { class: 'candidates' },
    h('thead', {}, h('tr', {}, h('th', {}, '#'), cols.map((c) => h('th', {}, t(`form.col.${c}`))), h('th', {}))),
    tbody)),
  h('div', { class: 'row' }, h('button', { type: 'button', id: 'add-row', onclick: () => { rows.push(blankRow()); renderRows(); } }, t('form.addRow')), count),
  h('details', { class: 'csv-import', open: true }, h('summary', {}, t('form.csv')),
    h('p', { class: 'muted' }, t('form.csv.help')),
    h('label', { for: 'f-csv' }, t('form.csv.paste')), csvText,
    h('label', { for: 'f-csv-file' }, t('form.csv.file')), csvFile,
    h('div', { class: 'row' }, h('button', { type: 'button', id: 'import-csv', onclick: importCsv }, t('form.csv.import'))),
    csvMsg),
  msg, previewBox,
  h('div', { class: 'row actions' },
    h('button', { type: 'button', id: 'check-manifest', onclick: check }, t('form.check')),
    createButton));
  renderRows();

  // Upload a manifest as is.
  const upFile = h('input', { id: 'f-manifest-file', type: 'file', accept: '.json,application/json' });
  const upMsg = h('div', { id: 'upload-message' });
  const upButton = h('button', { type: 'button', class: 'primary', id: 'upload-manifest' }, t('form.upload.create'));
  upButton.addEventListener('click', async () => {
    const file = upFile.files[0];
    if (!file) return replace(upMsg, notice('error', t('form.upload.none')));
    let m;
    try {
      m = JSON.parse(await file.text());
    } catch (e) {
      return replace(upMsg, notice('error', t('form.upload.notJson', { error: e.message })));
    }
    const problem = checkManifest(m);
    if (problem) return replace(upMsg, notice('error', problem));
    await create(m, upButton, upMsg);
  });

  replace(box,
    h('h1', {}, t('form.heading')),
    h('section', { class: 'card' }, form),
    h('section', { class: 'card', id: 'upload-card' },
      h('h2', {}, t('form.upload')), h('p', { class: 'muted' }, t('form.upload.help')),
      h('label', { for: 'f-manifest-file' }, t('form.upload.file')), upFile,
      upMsg, h('div', { class: 'row actions' }, upButton)));
}
