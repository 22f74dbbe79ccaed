// The staff pages' pure parts: CSV import, the manifest they build (validated as the server
// validates it), teller keys, the roll, the sign-in link and serials of the credential sheets.
import test from 'node:test';
import assert from 'node:assert/strict';
import { credentialFromSeed, ManifestError, toHex, validateManifest } from '../src/piaojue.js';
import { buildManifest, candidatesFromCsv, checkManifest, parseCsv, parseWan, wanToYuan } from '../src/ui/staff/manifest-form.js';
import { chunks, newSeed, serialText, shuffled, signInLink } from '../src/ui/staff/sheets.js';
import { parseTellerKeys } from '../src/ui/staff/ceremony.js';
import { parseRoll } from '../src/ui/staff/election-view.js';
import { percent } from '../src/ui/staff/turnout.js';

const settings = {
  electionId: 'e2027', titleZh: '2027年度民生实事项目票决', titleEn: '2027 vote', congressZh: '示例县人大', congressEn: '', deputies: 30,
  form: 'top_k', seats: 2, n: 3, t: 2, decide: true, majority: 'all_deputies', quorumNum: 2, quorumDen: 3, revote: 'first_final',
};

test('parseCsv: quotes, doubled quotes, commas and newlines inside quotes, CRLF, BOM, blank lines', () => {
  const rows = parseCsv('\uFEFFa, b ,"c, d"\r\n\r\n"x ""y""","multi\nline",z\n');
  assert.deepEqual(rows.map((r) => r.fields), [['a', 'b', 'c, d'], ['x "y"', 'multi\nline', 'z']]);
  assert.deepEqual(rows.map((r) => r.line), [1, 3]);
  assert.deepEqual(parseCsv('a\tb, c\td').map((r) => r.fields), [['a', 'b, c', 'd']], 'tab separated when the first line has a tab');
  assert.throws(() => parseCsv('"open'), /引号|quote/);
});

test('parseWan: 万元 with separators and units; not a number', () => {
  assert.equal(parseWan('3800'), 3800);
  assert.equal(parseWan('1,250.5'), 1250.5);
  assert.equal(parseWan('12万元'), 12);
  assert.ok(Number.isNaN(parseWan('abc')));
  assert.ok(Number.isNaN(parseWan('-3')));
  assert.equal(wanToYuan(1250.5), 12_505_000);
  assert.equal(wanToYuan(0.01), 100);
});

test('candidatesFromCsv: header skipped, 3 to 5 columns, errors with line numbers', () => {
  const csv = '名称,责任单位,投资（万元）,完成时限,项目内容\n城区老旧小区改造,县住建局,3800,2027-12,"改造 12 个小区，惠及 3,000 户"\n农村饮水,县水利局,1250\n';
  const { candidates, errors } = candidatesFromCsv(csv);
  assert.deepEqual(errors, []);
  assert.deepEqual(candidates, [
    { name: '城区老旧小区改造', department: '县住建局', investmentWan: 3800, completion: '2027-12', description: '改造 12 个小区，惠及 3,000 户' },
    { name: '农村饮水', department: '县水利局', investmentWan: 1250, completion: '', description: '' },
  ]);
  const bad = candidatesFromCsv('a,b,1,2027-12,d\nb,c,lots,2027,d\n,c,1\nonly,two\na,b,1,c,d,e');
  assert.equal(bad.candidates.length, 1);
  assert.deepEqual(bad.errors.map((e) => e.line), [2, 3, 4, 5]);
});

test('buildManifest: up to K of N is a valid top_k manifest with the projects', () => {
  const { candidates } = candidatesFromCsv(Array.from({ length: 13 }, (_, i) => `项目${i + 1},部门${i},${100 + i},2027-12,内容${i}`).join('\n'));
  const m = buildManifest({ ...settings, seats: 10 }, candidates);
  validateManifest(m, { draft: true });
  assert.equal(checkManifest(m), null);
  assert.equal(m.contests.length, 1);
  const c = m.contests[0];
  assert.deepEqual([c.min, c.max, c.options.length], [0, 10, 13]);
  assert.equal(c.title.zh, '请从13个候选项目中选择不超过10个');
  assert.deepEqual(c.options[12], {
    id: 'p13', title: { zh: '项目13', en: '' },
    project: { department: { zh: '部门12', en: '' }, investment_yuan: 1_120_000, completion: '2027-12', description: { zh: '内容12', en: '' } },
  });
  assert.deepEqual(m.decision, { kind: 'top_k', seats: 10, majority: 'all_deputies', quorum: { num: 2, den: 3 } });
  assert.deepEqual(m.tellers, { n: 3, t: 2 });
});

test('buildManifest: yes/no/abstain on each, counts only, and the errors validation reports', () => {
  const { candidates } = candidatesFromCsv('a,d,1\nb,d,2\nc,d,3');
  const each = buildManifest({ ...settings, form: 'approve_each', seats: 2, majority: 'voting', revote: 'last_counts' }, candidates);
  validateManifest(each, { draft: true });
  assert.deepEqual(each.contests.map((c) => [c.id, c.min, c.max, c.options.map((o) => o.id).join('/')]),
    [['p01', 1, 1, 'yes/no/abstain'], ['p02', 1, 1, 'yes/no/abstain'], ['p03', 1, 1, 'yes/no/abstain']]);
  assert.equal(each.revote, 'last_counts');
  const counts = buildManifest({ ...settings, decide: false }, candidates);
  assert.deepEqual(counts.decision, { kind: 'counts' });
  validateManifest(counts, { draft: true });

  assert.match(checkManifest(buildManifest({ ...settings, seats: 4 }, candidates)), /range \[0, 4\] impossible/);
  assert.match(checkManifest(buildManifest({ ...settings, form: 'approve_each', seats: 4 }, candidates)), /seats/);
  assert.match(checkManifest(buildManifest({ ...settings, t: 4 }, candidates)), /tellers/);
  assert.match(checkManifest(buildManifest({ ...settings, electionId: 'Bad Id' }, candidates)), /identifier/);
  assert.match(checkManifest(buildManifest({ ...settings, quorumNum: 4, quorumDen: 3 }, candidates)), /quorum/);
  assert.throws(() => validateManifest(buildManifest({ ...settings, seats: 0 }, candidates), { draft: true }), ManifestError);
});

test('parseTellerKeys: n keys in order, prefixes and spaces allowed, wrong ones refused', () => {
  const k = (c) => c.repeat(43);
  assert.deepEqual(parseTellerKeys(`${k('A')}\n\n1: ${k('Q')}\n监票人3：${k('g').replace(/(.{8})/g, '$1 ')}`, 3), [k('A'), k('Q'), k('g')]);
  assert.throws(() => parseTellerKeys(`${k('A')}\n${k('Q')}`, 3), /3/);
  assert.throws(() => parseTellerKeys(`${k('A')}\n${k('A')}`, 2), /重复|repeated/);
  assert.throws(() => parseTellerKeys(`${k('A')}\nxyz`, 2), /2/);
  // Base64url is case-sensitive, and a last character with unused bits set is no key.
  assert.throws(() => parseTellerKeys(`${k('A')}\n${k('B')}`, 2), /2/);
});

test('parseRoll, percent, chunks', () => {
  assert.deepEqual(parseRoll(' 张三 \n\n李四\r\n  \n王五'), ['张三', '李四', '王五']);
  assert.equal(percent(1, 3), '33.3%');
  assert.equal(percent(0, 0), '—');
  assert.deepEqual(chunks([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  assert.equal(chunks(Array.from({ length: 1001 }), 500).map((c) => c.length).join(), '500,500,1');
});

test('credential sheets: fresh seeds, the booth link format, serials', () => {
  const a = newSeed();
  const b = newSeed();
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, b);
  assert.equal(toHex(credentialFromSeed(a).publicKey).length, 64);
  const f = `${'_'.repeat(42)}8`; // F = 32 bytes 0xff, as src/cli/sheets.rs' test
  assert.equal(signInLink('https://vote.example', 'e2027', a.toUpperCase(), f), `https://vote.example/elections/e2027/vote#credential=${a}&fingerprint=${f}`);
  assert.equal(serialText(7), '0007');
  assert.equal(serialText(12345), '12345');
});

test('credential serials are given in a shuffled order: a permutation, not the sending order', () => {
  const list = Array.from({ length: 50 }, (_, i) => i);
  const out = shuffled(list);
  assert.deepEqual([...out].sort((a, b) => a - b), list, 'a permutation of the same items');
  assert.deepEqual(list, Array.from({ length: 50 }, (_, i) => i), 'the input is not changed');
  // Random: 20 shuffles of 50 items are not all the identity (probability 50!^-20 otherwise).
  assert.ok(Array.from({ length: 20 }, () => shuffled(list)).some((s) => s.some((x, i) => x !== i)));
  // Every position gets every item over many shuffles of 3 (uniformity, roughly).
  const seen = new Set();
  for (let k = 0; k < 200; k++) seen.add(shuffled(['a', 'b', 'c']).join(''));
  assert.equal(seen.size, 6, 'all 6 orders of 3 items occur');
  // Rejection sampling: a source that first gives a value in the biased tail is asked again.
  const bytes = [[0xff, 0xff, 0xff, 0xff], [0, 0, 0, 1]];
  let calls = 0;
  const out2 = shuffled(['x', 'y', 'z'], () => { const b = bytes[Math.min(calls, 1)]; calls++; return Uint8Array.from(b); });
  assert.equal(calls, 3, 'the tail value (2^32 − 1 ≥ limit for 3) is drawn again');
  assert.deepEqual([...out2].sort(), ['x', 'y', 'z']);
});

test('the audit card names every outcome the server writes, in both languages, and flags an interrupted action', async () => {
  const { AUDIT_OUTCOMES, hasInterrupted } = await import('../src/ui/staff/audit.js');
  const { setLang, t } = await import('../src/ui/common.js');
  const { readFileSync } = await import('node:fs');
  const rust = readFileSync(new URL('../../ballot-server/src/audit.rs', import.meta.url), 'utf8');
  for (const o of AUDIT_OUTCOMES) assert.ok(rust.includes(`"${o}"`), `audit.rs writes ${o}`);
  assert.ok(AUDIT_OUTCOMES.includes('pending') && AUDIT_OUTCOMES.includes('interrupted'));
  globalThis.document ??= { documentElement: {}, querySelectorAll: () => [] };
  setLang('zh');
  for (const o of AUDIT_OUTCOMES) assert.doesNotMatch(t(`audit.outcome.${o}`), /[A-Za-z]|^audit/, `zh ${o}`);
  assert.match(t('audit.outcome.interrupted'), /中断/);
  assert.match(t('audit.interrupted'), /可能已经生效，也可能没有生效/);
  assert.doesNotMatch(t('audit.interrupted'), /[A-Za-z]/);
  setLang('en');
  for (const o of AUDIT_OUTCOMES) assert.doesNotMatch(t(`audit.outcome.${o}`), /[\u4e00-\u9fff]|^audit/, `en ${o}`);
  assert.match(t('audit.interrupted'), /may or may not have taken effect/);
  setLang('zh');
  assert.equal(hasInterrupted([{ outcome: 'done' }, { outcome: 'pending' }]), false);
  assert.equal(hasInterrupted([{ outcome: 'done' }, { outcome: 'interrupted' }]), true);
});
