// The staff pages (/staff) in a real headless Chromium, driven by tests/browser_staff.rs against
// a real `piaojue serve`. The script and the test take turns over stdin/stdout: the script
// prints `STEP <name> <json>` and waits for a line `go` on stdin, while the test plays the
// tellers (key ceremony, decryption) and a deputy (a ballot) over the API.
//
//   browser                                               test (Rust)
//   wrong token refused; right token accepted
//   create "up to 10 of 13" from a pasted CSV (n=3, t=2)
//   register the 3 tellers' keys             STEP tellers → runs the key ceremony
//   ceremony done; sheets withheld while the list
//   served lacks a key, then 5 sheets with short(F);
//   the hall screen; roll                    STEP registered {seed, short, fingerprint} →
//                                                        checks 5 credentials, the roll, F
//   open (confirmed), listed in the audit trail, turnout 0 / 5; the booth
//   from sheet 2's link shows short(F)       STEP open {seed} → audits a ballot, casts one
//   turnout 1 / 5; close (confirmed); each
//   teller's command line, none decrypted   STEP closed → teller 1 posts its share
//   teller 1 shown as decrypted              STEP decrypted-1 → teller 3 posts its share
//   result shown; publish (confirmed)        STEP published
//
// Input: env PIAOJUE_BASE, PIAOJUE_TOKEN, PIAOJUE_TELLER_KEYS (comma separated, teller 1
// first), PIAOJUE_ARTIFACTS (screenshots), PIAOJUE_CHROMIUM. Exit status 1 on a failed
// assertion, with a screenshot staff-failure.png.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const base = process.env.PIAOJUE_BASE;
const token = process.env.PIAOJUE_TOKEN;
const tellerKeys = (process.env.PIAOJUE_TELLER_KEYS ?? '').split(',');
const out = process.env.PIAOJUE_ARTIFACTS ?? 'browser-artifacts';
mkdirSync(out, { recursive: true });
const TIMEOUT = 20_000;
const ID = 'staff-e2e';

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
/** Tells the test where we are and waits for its `go`. */
async function step(name, data = {}) {
  console.log(`STEP ${name} ${JSON.stringify(data)}`);
  const { value, done } = await lines.next();
  assert.ok(!done && value.trim() === 'go', `the test answered ${JSON.stringify(value)} to ${name}`);
}

const browser = await chromium.launch({
  executablePath: process.env.PIAOJUE_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
const page = await context.newPage();
page.setDefaultTimeout(TIMEOUT);
const errors = [];
const requests = [];
page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
// API refusals the page handles (the sign-in probe's 404, a 403, a 409) are logged by Chromium as
// "Failed to load resource"; anything else (a CSP violation, an exception) is an error.
page.on('console', (m) => {
  if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) errors.push(`console: ${m.text()}`);
});
page.on('request', (r) => requests.push(`${r.method()} ${r.url()} ${r.postData() ?? ''}`));
const dialogs = [];
page.on('dialog', (d) => { dialogs.push(d.message()); d.accept(); });

/** A screenshot of the top of the page (the sheets, when shown, are below the panel). */
async function shot(name, opts = {}) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${out}/staff-${name}.png`, ...opts });
}
const state = () => page.locator('#election-state').getAttribute('data-state');
const waitState = (s, timeout = TIMEOUT) => page.waitForSelector(`#election-state[data-state="${s}"]`, { timeout });

const CSV = [
  '名称,责任单位,投资（万元）,完成时限,项目内容',
  '城区老旧小区改造,县住建局,3800,2027-12,"改造老旧小区 12 个，惠及 3,000 户"',
  '农村饮水安全提升,县水利局,1250,2027-10,新建供水管网 40 公里',
  '城乡公交一体化,县交通运输局,980,2027-06,新增公交线路 6 条',
  '中小学校食堂改造,县教育局,620,2027-08,改造食堂 9 所',
  '社区居家养老服务中心,县民政局,740,2027-12,建成服务中心 5 个',
  '农贸市场提升改造,县商务局,510,2027-09,改造农贸市场 3 个',
  '城区停车位建设,县城管局,830,2027-12,新增停车位 1200 个',
  '乡镇卫生院能力提升,县卫健局,1100,2027-11,添置设备，培训医生',
  '背街小巷路灯亮化,县城管局,260,2027-05,安装路灯 800 盏',
  '全民健身场地建设,县文广旅体局,430,2027-07,新建健身场地 20 处',
  '农村生活污水治理,县生态环境分局,1570,2027-12,治理 15 个行政村',
  '婴幼儿托育服务,县卫健局,390,2027-09,新增托位 300 个',
  '易涝点排水改造,县水利局,680,2027-06,改造易涝点 11 处',
].join('\n');

try {
  // --- Sign in ------------------------------------------------------------------------------
  await page.goto(`${base}/staff`);
  await page.waitForSelector('#signin:not([hidden])');
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  await page.fill('#token', 'not-the-staff-token');
  await page.click('#signin-button');
  await page.waitForSelector('#signin-message .notice.error');
  assert.match(await page.locator('#signin-message').innerText(), /令牌无效/);
  assert.ok(await page.locator('#workspace').isHidden(), 'a wrong token does not get in');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('piaojue.staff-token')), null);

  await page.fill('#token', token);
  await page.click('#signin-button');
  await page.waitForSelector('#workspace:not([hidden])');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('piaojue.staff-token')), token);
  assert.equal(await page.evaluate(() => Object.values(localStorage).join()).then((v) => v.includes(token)), false, 'the token is not in localStorage');
  await page.waitForSelector('#election-list .muted'); // no elections yet

  // --- Create the election from a CSV -----------------------------------------------------------
  await page.click('#new-election');
  await page.waitForSelector('#create-form');
  await page.fill('#f-id', ID);
  await page.fill('#f-title-zh', '2027年度民生实事项目票决');
  await page.fill('#f-title-en', '2027 livelihood projects vote');
  await page.fill('#f-congress-zh', '示例县第十八届人民代表大会第五次会议');
  await page.fill('#f-congress-en', '5th session of the 18th People’s Congress of Example County');
  await page.fill('#f-deputies', '5');
  await page.fill('#f-n', '3');
  await page.fill('#f-t', '2');
  await page.fill('#f-csv', CSV);
  await page.click('#import-csv');
  await page.waitForSelector('#csv-message .notice.ok');
  assert.match(await page.locator('#csv-message').innerText(), /已导入 13 个项目/);
  assert.equal(await page.locator('#candidate-rows tr').count(), 13);
  assert.equal(await page.locator('#candidate-rows tr').nth(0).locator('.cell-name').inputValue(), '城区老旧小区改造');
  // K larger than N: the protocol's validation refuses it before anything is sent.
  await page.fill('#f-seats', '14');
  await page.click('#check-manifest');
  await page.waitForSelector('#form-message .notice.error');
  assert.match(await page.locator('#form-message').innerText(), /清单无效.*range \[0, 14\] impossible with 13 options/);
  await page.fill('#f-seats', '10');
  await page.click('#check-manifest');
  await page.waitForSelector('#form-message .notice.ok');
  const preview = JSON.parse(await page.locator('#manifest-preview').textContent());
  assert.equal(preview.contests[0].options.length, 13);
  assert.equal(preview.contests[0].options[0].project.investment_yuan, 38_000_000);
  assert.deepEqual(preview.decision, { kind: 'top_k', seats: 10, majority: 'all_deputies', quorum: { num: 2, den: 3 } });
  // The quorum in words (issue 16 item 14): no num/den, no spec references on the form.
  assert.doesNotMatch(await page.locator('#create-form').innerText(), /\bnum\b|\bden\b|spec\/|门限/);
  const quorumOf = async () => {
    await page.click('#check-manifest');
    await page.waitForSelector('#form-message .notice.ok');
    return JSON.parse(await page.locator('#manifest-preview').textContent()).decision.quorum;
  };
  assert.equal(await page.inputValue('#f-quorum'), 'two_thirds');
  await page.selectOption('#f-quorum', 'half');
  assert.deepEqual(await quorumOf(), { num: 1, den: 2 });
  await page.selectOption('#f-quorum', 'none');
  assert.deepEqual(await quorumOf(), { num: 0, den: 1 });
  await page.selectOption('#f-quorum', 'custom');
  assert.equal(await page.locator('#quorum-custom').isVisible(), true);
  assert.match(await page.locator('#quorum-custom').innerText(), /投票人数超过应到代表人数的\s*分之/);
  await page.fill('#f-quorum-den', '5');
  await page.fill('#f-quorum-num', '3');
  assert.deepEqual(await quorumOf(), { num: 3, den: 5 });
  await page.selectOption('#f-quorum', 'two_thirds');
  assert.equal(await page.locator('#quorum-custom').isHidden(), true);
  assert.deepEqual(await quorumOf(), { num: 2, den: 3 });
  await shot('create', { fullPage: true });
  await page.click('#create-election');
  await waitState('draft');
  assert.equal(new URL(page.url()).hash, `#election=${ID}`);
  assert.match(await page.locator('#election-list').innerText(), /2027年度民生实事项目票决/);
  assert.match(await page.locator('#election-summary').innerText(), /从 13 个候选项目中选择不超过 10 个/);
  // Creating it again is refused, in Chinese only (issue 16 item 12: no server English in a Chinese page).
  await page.click('#new-election');
  await page.fill('#f-id', ID);
  await page.fill('#f-deputies', '5');
  await page.fill('#f-csv', CSV);
  await page.click('#import-csv');
  await page.click('#create-election');
  await page.waitForSelector('#form-message .notice.error');
  const refusal = await page.locator('#form-message').innerText();
  assert.match(refusal, /这项操作已经完成过/);
  assert.doesNotMatch(refusal, /[A-Za-z]/, 'no English in the Chinese refusal');
  await page.click(`#election-list a[data-election="${ID}"]`);
  await waitState('draft');

  // --- Tellers ------------------------------------------------------------------------------------
  assert.equal(await page.locator('#open-voting').count(), 0, 'no open button in draft');
  await page.fill('#teller-keys', tellerKeys.slice(0, 2).join('\n'));
  await page.click('#register-tellers');
  await page.waitForSelector('#tellers-message .notice.error');
  assert.match(await page.locator('#tellers-message').innerText(), /需要 3 个识别码，粘贴了 2 个/);
  await page.fill('#teller-keys', tellerKeys.map((k, i) => `${i + 1}: ${k}`).join('\n'));
  await page.click('#register-tellers');
  await waitState('key_ceremony');
  await page.waitForSelector('#ceremony-progress tr[data-teller="3"]');
  assert.equal(await page.locator('#ceremony-progress td.done').count(), 0);
  assert.match(await page.locator('#fingerprint-none').innerText(), /密钥生成仪式尚未完成，还没有选举指纹/);
  await step('tellers', { id: ID });

  // The test ran the ceremony; the page polls and moves on by itself.
  await waitState('registration', 15_000);
  await page.waitForSelector('#ceremony-output');
  assert.equal(await page.locator('#ceremony-progress td.done').count(), 12);
  // Plain words on the staff page (issue 16 item 7): the exact terms only under 技术细节.
  const plain = await page.evaluate(() => {
    const b = document.body.cloneNode(true);
    for (const d of b.querySelectorAll('details.tech')) d.remove();
    return b.textContent;
  });
  assert.doesNotMatch(plain, /一致性证明|根哈希|公钥/, 'no 公钥 on the staff page outside 技术细节');
  assert.equal(await page.locator('#ceremony-joint-key').isVisible(), false, 'the election key only under 技术细节');
  await page.waitForSelector('#fingerprint-short');
  const emptyListShort = await page.locator('#fingerprint-short').getAttribute('data-short');

  // --- Credentials and sheets ------------------------------------------------------------------
  // First through a server that drops a key just registered from the list it serves: no sheet,
  // no seed shown, the reason in Chinese; the seeds are kept, and a second check (the server
  // honest again) shows the sheets.
  const listPath = `${base}/api/elections/${ID}/credentials`;
  const dropFirst = async (route) => {
    if (route.request().method() !== 'GET') return route.continue();
    const res = await route.fetch();
    const body = await res.json();
    return route.fulfill({ response: res, json: { keys: body.keys.slice(1) } });
  };
  await page.route(listPath, dropFirst);
  await page.fill('#cred-count', '5');
  await page.click('#generate-credentials');
  await page.waitForSelector('#cred-message .notice.ok');
  assert.match(await page.locator('#cred-message').innerText(), /已登记 5 张凭证；服务器上共 5 张/);
  await page.waitForSelector('#sheets-error');
  assert.equal(await page.locator('#sheets-error').getAttribute('data-code'), 'missing');
  assert.match(await page.locator('#sheets-error').innerText(), /凭证单暂不显示.*服务器提供的凭证名单缺少本页刚登记的 1 张凭证/);
  assert.doesNotMatch(await page.locator('#sheets-error').innerText(), /[A-Za-z]/, 'Chinese only');
  assert.match(await page.locator('#sheets-warning').innerText(), /5 张凭证的凭证码仍保存在本页中/);
  assert.equal(await page.locator('#sheets .sheet, #sheets .seed').count(), 0, 'no sheet and no seed shown');
  await page.unroute(listPath, dropFirst);
  await page.click('#retry-sheets');
  await page.waitForSelector('#sheets .sheet');
  const sheets = page.locator('#sheets .sheet');
  assert.equal(await sheets.count(), 5);
  assert.equal(await page.locator('#sheets .sheet svg.qr path').count(), 5);
  assert.match(await page.locator('#sheets-warning').innerText(), /只存在于这个浏览器窗口/);
  const info = await sheets.evaluateAll((els) => els.map((el) => ({
    serial: el.querySelector('.serial').textContent,
    seedText: el.querySelector('.seed').innerText,
    seed: el.querySelector('.seed').dataset.seed,
    link: el.querySelector('.qr-link').dataset.link,
    fingerprint: el.querySelector('.sheet-fingerprint').textContent,
    qrPath: el.querySelector('svg.qr path').getAttribute('d').length,
    pageBreak: getComputedStyle(el).breakAfter,
  })));
  const seeds = info.map((s) => s.seed);
  assert.deepEqual(info.map((s) => s.serial), ['0001', '0002', '0003', '0004', '0005']);
  assert.equal(new Set(seeds).size, 5, 'five different seeds');
  const short = await page.locator('#sheets-fingerprint').getAttribute('data-short');
  assert.match(short, /^\d{4} \d{4} \d{4} \d{4} \d{4}$/);
  assert.notEqual(short, emptyListShort, 'F covers the credential list');
  const fingerprint = new URLSearchParams(info[0].link.split('#')[1]).get('fingerprint');
  assert.match(fingerprint, /^[A-Za-z0-9_-]{43}$/);
  for (const s of info) {
    assert.match(s.seed, /^[0-9a-f]{64}$/);
    assert.equal(s.link, `${base}/elections/${ID}/vote#credential=${s.seed}&fingerprint=${fingerprint}`);
    assert.equal(s.fingerprint, `选举指纹 / Election fingerprint: ${short}`);
    assert.equal(s.seedText.replace(/\s+/g, ' ').trim(), s.seed.match(/.{8}/g).join(' '), 'the seed in groups of 8');
    assert.ok(s.qrPath > 1000, 'a QR code is drawn');
  }
  // The election's card shows the same fingerprint, and so does the hall screen, large.
  await page.waitForFunction((f) => document.querySelector('#fingerprint-short')?.dataset.short === f, short);
  await page.click('#show-hall');
  await page.waitForSelector('#hall-screen');
  assert.equal(await page.locator('#hall-fingerprint').getAttribute('data-short'), short);
  assert.equal(await page.locator('#hall-fingerprint .fp-group').count(), 5);
  assert.match(await page.locator('#hall-screen').innerText(), /2027年度民生实事项目票决[\s\S]*选举指纹[\s\S]*凭证登记尚未结束/);
  await page.screenshot({ path: `${out}/staff-hall.png` });
  await page.click('#hall-lang');
  await page.waitForFunction(() => /Election fingerprint/.test(document.querySelector('#hall-screen')?.innerText ?? ''));
  const hallText = await page.locator('#hall-screen > :not(.hall-bar)').allInnerTexts();
  assert.match(hallText.join('\n'), /2027 livelihood projects vote[\s\S]*Election fingerprint/);
  assert.doesNotMatch(hallText.join('\n'), /[\u4e00-\u9fff]/, 'English only (but the language switch, 中文)');
  await page.click('#hall-lang');
  await page.waitForFunction(() => /选举指纹/.test(document.querySelector('#hall-screen')?.innerText ?? ''));
  await page.keyboard.press('Escape');
  await page.waitForSelector('#hall-screen', { state: 'detached' });
  await page.locator('#sheets .sheet').first().screenshot({ path: `${out}/staff-sheet.png` });
  // Saved as one self-contained HTML file: the five sheets, their QR codes, no script.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-sheets')]);
  const file = `${out}/staff-sheets.html`;
  await download.saveAs(file);
  const html = readFileSync(file, 'utf8');
  assert.equal(html.match(/<article class="sheet"/g)?.length, 5);
  assert.equal(html.match(/<svg /g)?.length, 5);
  for (const seed of seeds) assert.ok(html.includes(`#credential=${seed}`) && html.includes(seed.slice(0, 8)));
  assert.ok(!/<script/i.test(html), 'no script in the saved sheets');
  assert.match(html, /break-after: page/);
  // Printed, each sheet is a page of its own and nothing else is printed.
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: `${out}/staff-print.png` });
  assert.deepEqual(await sheets.evaluateAll((els) => els.map((el) => getComputedStyle(el).breakAfter)), ['page', 'page', 'page', 'page', 'auto']);
  assert.equal(await page.locator('main').isHidden(), true, 'only the sheets are printed');
  await page.emulateMedia({ media: 'screen' });
  // Seeds stay in memory: not in storage.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  for (const seed of seeds) assert.ok(!stored.includes(seed), 'no seed in storage');

  // --- Roll -------------------------------------------------------------------------------------
  await page.fill('#roll-names', '张三\n李四\n王五\n\n赵六\n孙七\n周八\n');
  await page.click('#save-roll');
  await page.waitForSelector('#roll-message .notice.ok');
  await page.waitForFunction(() => document.querySelector('#summary-roll')?.textContent === '6');
  await step('registered', { seed: seeds[0], short, fingerprint });

  // --- Open, turnout ------------------------------------------------------------------------------
  assert.equal(await page.locator('#close-voting').count(), 0, 'no close button before opening');
  await page.click('#open-voting');
  await waitState('open');
  assert.match(dialogs.at(-1), /确定开始投票/);
  await page.waitForSelector('#turnout-credentials');
  assert.match(await page.locator('#turnout-credentials').innerText(), /0\s*\/\s*5/);
  assert.equal(await page.locator('#generate-credentials').count(), 0, 'no registration once open');
  await page.waitForFunction((f) => document.querySelector('#fingerprint-short')?.dataset.short === f, short);
  // The audit trail lists the opening, done, from this browser's address, in Chinese.
  await page.waitForSelector('#audit-list tr[data-action="open"][data-outcome="done"]');
  const opened = await page.locator('#audit-list tr[data-action="open"]').first().innerText();
  assert.match(opened, /开始投票/);
  assert.match(opened, /127\.0\.0\.1/);
  assert.match(opened, /已完成/);
  assert.ok(await page.locator('#audit-list tr[data-action="create"]').count() === 1, 'the creation is listed');
  // The booth, opened with the second sheet's link, accepts its pin and shows the same digits.
  const booth = await context.newPage();
  booth.on('pageerror', (e) => errors.push(`booth page error: ${e.message}`));
  await booth.goto(info[1].link);
  await booth.waitForSelector('#ballot');
  assert.equal((await booth.locator('#fingerprint-short').innerText()).trim(), short, 'the booth shows the sheets’ fingerprint');
  assert.equal(new URL(booth.url()).hash, '', 'the booth took the credential out of the address bar');
  await booth.close();
  await step('open', { seed: seeds[0] });
  await page.waitForFunction(() => /1\s*\/\s*5/.test(document.querySelector('#turnout-credentials')?.innerText ?? ''), null, { timeout: 15_000 });
  assert.match(await page.locator('#turnout-roll').innerText(), /1\s*\/\s*6/);
  assert.match(await page.locator('#turnout-credentials').innerText(), /20\.0%/);
  assert.equal(await page.locator('#turnout-credentials progress').getAttribute('value'), '1');
  await shot('turnout');
  // English second: the switch re-renders the panel in English, and back.
  await page.click('#lang-switch');
  await page.waitForFunction(() => /Turnout/.test(document.querySelector('#turnout h2')?.textContent ?? ''));
  assert.match(await page.locator('#election-state').innerText(), /Voting open/);
  await page.click('#lang-switch');
  await page.waitForFunction(() => /投票进度/.test(document.querySelector('#turnout h2')?.textContent ?? ''));
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('turnout-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // --- Close, decryption, publish ---------------------------------------------------------------
  await page.click('#close-voting');
  await waitState('closed');
  assert.match(dialogs.at(-1), /确定截止投票/);
  await page.waitForSelector('#decryption-count');
  assert.match(await page.locator('#decryption-count').innerText(), /已收到 0 \/ 2 份/);
  // What each teller runs, with this election's id and this server's address, and who has
  // decrypted (issue 16 item 13); the audited ballot explained beside the ballots.
  const commands = () => page.locator('#teller-commands li').evaluateAll((ls) => ls.map((l) => [l.dataset.done, l.querySelector('pre').textContent]));
  const listed = await commands();
  assert.equal(listed.length, 3, 'one line per teller');
  listed.forEach(([done, cmd], k) => {
    assert.equal(done, 'false');
    assert.equal(cmd, `piaojue teller decrypt ${ID} --key-file teller-${k + 1}.age --url ${base}`);
  });
  assert.match(await page.locator('#decryption').innerText(), /请每位监票人在自己的电脑上运行下面一行命令/);
  assert.equal(await page.locator('#summary-ballots').innerText(), '1 张（另有 1 张为代表核验加密是否正确而作废的选票，不计票）');
  await shot('decryption');
  await step('closed');
  await page.waitForSelector('#teller-commands li[data-teller="1"][data-done="true"]', { timeout: 15_000 });
  assert.match(await page.locator('#teller-commands li[data-teller="1"]').innerText(), /已解密/);
  assert.equal(await page.getAttribute('#teller-commands li[data-teller="3"]', 'data-done'), 'false');
  assert.match(await page.locator('#decryption-count').innerText(), /已收到 1 \/ 2 份/);
  await step('decrypted-1');
  await waitState('tallied', 15_000);
  await page.waitForSelector('#result tbody tr');
  assert.equal(await page.locator('#result tbody tr').count(), 13);
  await shot('result');
  await page.click('#publish-result');
  await waitState('published');

  // The seeds never left the page: no request carried one.
  for (const seed of seeds) assert.ok(!requests.some((r) => r.includes(seed)), 'a seed was sent to the server');
  assert.deepEqual(errors, [], 'no page errors, no CSP violations');
  console.log('STEP published {}');
} catch (e) {
  await shot('failure', { fullPage: true }).catch(() => {});
  console.error(e);
  console.error(errors.join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
  process.stdin.destroy();
}
