// The cycle's pages in a real headless Chromium, driven by tests/browser_cycle.rs against a real
// `piaojue serve` that ran a small demo year: on a phone, in Chinese then English,
//   /proposals   submit a proposal (tracking number shown), look it up, look up a merged one;
//                on a server with no congress, the form is closed and says why;
//   /plan        the year plan, opened without ?year on the newest year with data, the header
//                keeping the year: congresses, votes (valid, tie, re-vote), adopted projects,
//                the overdue ones flagged, township offices named as townships name them;
//   /projects/…  plan, progress with a drawn photo, inspection notes, the overdue flag; a deputy
//                adds a note;
//   /evaluation  ratings and satisfaction rates, the newest year by default;
//   /elections/… a vote that tied: approval, validity, tie, re-vote linked both ways;
// and on a desktop, /staff/cycle: sign in, the proposals with negative-list hints, shortlist the
// new proposal, the submission QR code.
// Input: env PIAOJUE_BASE, PIAOJUE_TOKEN, PIAOJUE_YEAR, PIAOJUE_MERGED (a merged proposal),
// PIAOJUE_PROJECT (an adopted project, on time), PIAOJUE_OVERDUE (an overdue county project),
// PIAOJUE_EMPTY_BASE (a server with no congress), PIAOJUE_DEPUTY_CODE (a county deputy's code),
// PIAOJUE_TIED and PIAOJUE_REVOTE (a vote that tied and its re-vote),
// PIAOJUE_ARTIFACTS, PIAOJUE_CHROMIUM. Prints `NUMBER <tracking number>` of the new proposal.
// Exit status 1 on a failed assertion, with a screenshot cycle-failure.png.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { formatPercent } from '../src/ui/common.js';

const env = process.env;
const base = env.PIAOJUE_BASE;
const year = env.PIAOJUE_YEAR;
const out = env.PIAOJUE_ARTIFACTS ?? 'browser-artifacts';
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: env.PIAOJUE_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const errors = [];
async function newPage(viewport) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return page;
}
const phone = await newPage({ width: 390, height: 844 });
const shot = (page, name) => page.screenshot({ path: `${out}/cycle-${name}.png`, fullPage: true });
const toEnglish = async (page) => { await page.click('#lang-switch'); await page.waitForFunction(() => document.documentElement.lang === 'en'); };

try {
  // Proposals: submit, the tracking number, the lookup.
  await phone.goto(`${base}/proposals?congress=county&year=${year}`);
  await phone.waitForSelector('#congress option[value="county"]', { state: 'attached' });
  assert.equal(await phone.textContent('h1'), '民生实事项目建议');
  await phone.fill('#title', '城关小学门口增设人行天桥');
  await phone.fill('#description', '上下学高峰车多，学生过马路危险，建议增设人行天桥。');
  await phone.fill('#location', '城关小学');
  await phone.fill('#category', '交通');
  await phone.fill('#contact', '13800000001');
  await phone.click('#submit-button');
  const number = (await phone.textContent('#tracking-number', { timeout: 10_000 })).trim();
  assert.match(number, /^\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  console.log(`NUMBER ${number}`);
  await phone.waitForSelector('#proposal[data-status="received"]');
  assert.ok(!(await phone.textContent('#proposal')).includes('13800000001'), 'the contact is not shown');
  await shot(phone, 'proposal-zh');
  // A deputy's proposal with a code that is not valid: the server's refusal is shown.
  await phone.selectOption('#submitter', 'deputy');
  await phone.fill('#title', '某'); await phone.fill('#description', '某'); await phone.fill('#location', '某'); await phone.fill('#category', '某');
  await phone.fill('#deputy-code', 'AAAA-AAAA-AAAA-AAAA');
  await phone.click('#submit-button');
  await phone.waitForSelector('#submit-message .notice.error');
  // A merged proposal's history.
  await phone.fill('#number', env.PIAOJUE_MERGED);
  await phone.click('#lookup-button');
  await phone.waitForSelector('#proposal[data-status="merged"] li[data-action="merged"]');
  await toEnglish(phone);
  assert.equal(await phone.textContent('h1'), 'Proposals for livelihood projects');
  assert.ok((await phone.textContent('#proposal')).includes('Merged into'));
  await shot(phone, 'proposal-en');

  // A server with no congress: the form is closed and says why (issue 16 item 10).
  const empty = await newPage({ width: 390, height: 844 });
  await empty.goto(`${env.PIAOJUE_EMPTY_BASE}/proposals`);
  await empty.waitForSelector('#form-closed:not([hidden])');
  assert.match(await empty.textContent('#form-closed'), /^本系统尚未登记任何人大，暂时不能在此提出建议。/);
  assert.equal(await empty.isDisabled('#submit-button'), true);
  assert.equal(await empty.isDisabled('#title'), true);
  await shot(empty, 'closed-zh');
  await toEnglish(empty);
  assert.match(await empty.textContent('#form-closed'), /^No congress is registered on this server yet/);
  await empty.context().close();

  // The year plan (English kept from the switch, stored in localStorage), then Chinese; opened
  // without a year, on the newest year with data, and the header's links keep it (item 10).
  await phone.goto(`${base}/plan`);
  await phone.waitForSelector('section.congress[data-congress="county"] li[data-project]');
  assert.equal(await phone.inputValue('#year'), year);
  const keepsYear = async (page) => {
    const hrefs = await page.$$eval('header.top nav a', (as) => as.map((a) => a.getAttribute('href')));
    assert.equal(hrefs.length, 3);
    for (const href of hrefs) assert.match(href, new RegExp(`^/\\w+\\?year=${year}$`), href);
  };
  await keepsYear(phone);
  assert.equal(await phone.textContent('#heading'), 'Livelihood projects: the year plan');
  // Overdue projects flagged (item 11), and only they.
  const overdue = phone.locator(`li[data-project="${env.PIAOJUE_OVERDUE}"] .badge.overdue`);
  assert.equal(await overdue.textContent(), 'Overdue');
  assert.equal(await phone.locator(`li[data-project="${env.PIAOJUE_PROJECT}"] .badge.overdue`).count(), 0);
  // Township projects done by the township's offices: no township "bureau" (item 11).
  const townshipOffices = () => phone.$$eval('section.congress:not([data-congress="county"]) li[data-project] > div:first-child > .muted',
    (ds) => ds.map((d) => d.textContent.split(' · ')[0]));
  const officesEn = await townshipOffices();
  assert.ok(officesEn.length >= 2, `${officesEn}`);
  for (const o of officesEn) assert.doesNotMatch(o, /Bureau/, o);
  const congresses = await phone.locator('section.congress').count();
  assert.ok(congresses >= 2, `${congresses} congresses`);
  assert.ok(await phone.locator('a.badge[data-purpose="selection"]').count() >= congresses);
  assert.ok((await phone.textContent('#congresses')).includes('valid'));
  await shot(phone, 'plan-en');
  await phone.click('#lang-switch');
  await phone.waitForFunction(() => document.getElementById('heading').textContent === '年度民生实事项目计划');
  assert.ok((await phone.textContent('#congresses')).includes('有效'));
  assert.equal(await overdue.textContent(), '已逾期');
  for (const o of await townshipOffices()) {
    assert.match(o, /^\p{Script=Han}+[镇乡]\p{Script=Han}+$/u, o);
    assert.doesNotMatch(o, /局/, o);
  }
  // Projects named as people name them: no bare number after a name (issue 16 item 8).
  assert.doesNotMatch(await phone.textContent('#congresses'), /（\d+）/);
  await shot(phone, 'plan-zh');

  // A project: plan, progress with its photo, notes; a deputy adds one.
  await phone.goto(`${base}/projects/${env.PIAOJUE_PROJECT}`);
  await phone.waitForSelector('#plan .timeline li');
  await keepsYear(phone);
  assert.equal(await phone.locator('#project-name .badge.overdue').count(), 0, 'on time: no flag');
  const img = phone.locator('#progress .attachments img').first();
  await img.waitFor();
  await phone.waitForFunction(() => document.querySelector('#progress .attachments img').complete);
  // A real photo (item 11), not a 1×1 dot; it loads under the CSP.
  assert.deepEqual(await img.evaluate((i) => [i.naturalWidth, i.naturalHeight]), [480, 320], 'the photo loads under the CSP');
  const notes = await phone.locator('#notes li').count();
  await phone.fill('#deputy-code', env.PIAOJUE_DEPUTY_CODE);
  await phone.fill('#note-date', `${year}-09-01`);
  await phone.fill('#note-text', '再次视察：附属设施已完工。');
  await phone.click('#note-button');
  await phone.waitForFunction((n) => document.querySelectorAll('#notes li').length === n + 1, notes);
  await shot(phone, 'project-zh');
  await toEnglish(phone);
  await phone.waitForFunction(() => document.querySelector('#plan h2').textContent === 'Implementation plan');
  await shot(phone, 'project-en');
  // An overdue project says so on its page (item 11).
  await phone.goto(`${base}/projects/${env.PIAOJUE_OVERDUE}`);
  await phone.waitForSelector('#project-name .badge.overdue');
  assert.equal(await phone.textContent('#project-name .badge.overdue'), 'Overdue');
  await phone.click('#lang-switch');
  await phone.waitForFunction(() => document.querySelector('#project-name .badge.overdue').textContent === '已逾期');
  await shot(phone, 'overdue-zh');
  await toEnglish(phone);

  // Evaluation results.
  await phone.goto(`${base}/evaluation`);
  await phone.waitForSelector('section.evaluation table.ratings tbody tr');
  assert.equal(await phone.inputValue('#year'), year, 'the newest year with data');
  await keepsYear(phone);
  assert.ok(/Satisf/.test(await phone.textContent('#evaluations')));
  assert.ok(/\d+\.\d\d%/.test(await phone.textContent('table.ratings')));
  // The rating rule in words, and each rate rounded half up from its counts (issue 16 item 9).
  assert.match(await phone.textContent('.rating-rule'), /^Rating rule: a project with at least \d+ “satisfied” votes/);
  const first = phone.locator('section.evaluation').first();
  const rows = await first.locator('table.ratings tbody tr').evaluateAll((rs) => rs.map((r) => [...r.querySelectorAll('td')].map((d) => d.textContent)));
  const ballots = Number((await first.locator('p.muted').first().textContent()).match(/^(\d+) ballots/)[1]);
  for (const [, , rate, counts] of rows) {
    const [s, b] = counts.split(' / ').map(Number);
    assert.equal(rate, `${formatPercent(s + b, ballots)}%`, `${counts} of ${ballots}`);
  }
  await shot(phone, 'evaluation-en');
  await phone.click('#lang-switch');
  await phone.waitForFunction(() => document.querySelector('table.ratings th').textContent === '项目');
  assert.ok(/满意/.test(await phone.textContent('#evaluations')));
  assert.match(await phone.textContent('.rating-rule'), /^评价规则：“满意”票达到 \d+ 票（全体代表过半数）的，评为满意/);
  await shot(phone, 'evaluation-zh');

  // A vote that tied: its approval, its validity, the tie and its re-vote, linked both ways.
  await phone.goto(`${base}/elections/${env.PIAOJUE_TIED}`);
  await phone.waitForSelector('#approval');
  await phone.waitForSelector('#tie');
  await phone.waitForSelector(`#children a[href="/elections/${env.PIAOJUE_REVOTE}"]`);
  assert.ok((await phone.textContent('#result')).includes('表决是否有效'), 'the validity is shown');
  // The tie and the re-vote by names, never by ids (issue 16 item 8).
  const tiedIds = await phone.evaluate(async (id) => {
    const s = await (await fetch(`/api/elections/${id}`)).json();
    return s.manifest.contests.flatMap((c) => [c.id, ...c.options.map((o) => o.id)]);
  }, env.PIAOJUE_TIED);
  const tieText = await phone.textContent('#tie');
  for (const x of tiedIds) assert.ok(!tieText.includes(x), `no id ${x} in: ${tieText}`);
  assert.ok(!(await phone.textContent('#children')).includes(env.PIAOJUE_REVOTE), 'the re-vote by its title');
  assert.ok(await phone.locator('#result-headline').count() === 1, 'a one-line summary');
  await shot(phone, 'tie-zh');
  await phone.click(`#children a[href="/elections/${env.PIAOJUE_REVOTE}"]`);
  await phone.waitForSelector(`#parent a[href="/elections/${env.PIAOJUE_TIED}"]`);
  assert.ok(!(await phone.textContent('#parent')).includes(env.PIAOJUE_TIED), 'the tied vote by its title');
  await phone.waitForSelector('#approval');
  await toEnglish(phone);
  await phone.waitForFunction(() => document.getElementById('approval').textContent.startsWith('Candidate list approved'));
  await shot(phone, 'revote-en');

  // Staff: screening on a desktop.
  const desk = await newPage({ width: 1280, height: 900 });
  await desk.goto(`${base}/staff/cycle?year=${year}&congress=county`);
  await desk.fill('#token', 'pjs_wrong');
  await desk.click('#signin-button');
  await desk.waitForSelector('#signin-message .notice.error');
  await desk.fill('#token', env.PIAOJUE_TOKEN);
  await desk.click('#signin-button');
  await desk.waitForSelector(`#proposal-table tr[data-number="${number}"]`);
  assert.ok(await desk.locator('#qr svg.qr').count() === 1, 'the submission QR code');
  assert.ok(await desk.locator('.hint-neg').count() >= 1, 'negative-list hints');
  await desk.click(`#proposal-table tr[data-number="${number}"] button[data-action="shortlist"]`);
  await desk.waitForSelector(`#proposal-table tr[data-number="${number}"][data-status="shortlisted"]`);
  await shot(desk, 'staff-zh');
  // The project number's pattern compiles (browsers compile `pattern` with the v flag, where a
  // bare '-' in a class is invalid and the pattern is then ignored with a console error).
  const mismatch = (value) => desk.$eval('#n-id', (el, v) => { el.value = v; return el.validity.patternMismatch; }, value);
  assert.equal(await mismatch('T16'), true, 'capitals do not match the number pattern');
  assert.equal(await mismatch('t16-2'), false);
  await desk.$eval('#n-id', (el) => { el.value = ''; });
  await toEnglish(desk);
  await desk.waitForFunction(() => document.querySelector('h1').textContent.startsWith('Livelihood projects'));
  await shot(desk, 'staff-en');

  assert.deepEqual(errors, [], 'no page errors and no CSP violations');
  console.log('OK');
} catch (e) {
  await phone.screenshot({ path: `${out}/cycle-failure.png`, fullPage: true }).catch(() => {});
  console.error(e);
  console.error(errors.join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
}
