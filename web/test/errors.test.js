// The pages' error texts: the server's own faults (spec/api.md §6) in the page's language, never
// the server's English message in a Chinese page; other refusals keep the server's message.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { api, ApiError, electionBoardKey, ERROR_CODES, errorText, setLang } from '../src/ui/common.js';

// setLang re-applies the page's texts: a page with no element to translate.
globalThis.document = { documentElement: {}, querySelectorAll: () => [] };

test('a storage_full 503 reads in the page language and says nothing was recorded', () => {
  const e = new ApiError(503, 'storage_full', "the board's storage is full: nothing was recorded; try again later");
  setLang('zh');
  const zh = errorText(e);
  assert.match(zh, /存储空间已满/);
  assert.match(zh, /未被记录/);
  assert.doesNotMatch(zh, /[A-Za-z]/, 'no English in the Chinese text');
  setLang('en');
  assert.match(errorText(e), /storage is full: nothing was recorded/);
  assert.doesNotMatch(errorText(e), /[\u4e00-\u9fff]/, 'no Chinese in the English text');
});

test('a 409 audited_ciphertexts reads in the page language and says nothing was recorded', () => {
  const e = new ApiError(409, 'audited_ciphertexts', "this ballot's ciphertexts are those of the audited ballot of entry 7");
  setLang('zh');
  const zh = errorText(e);
  assert.match(zh, /核验/);
  assert.match(zh, /未被记录/);
  assert.doesNotMatch(zh, /[A-Za-z]/, 'no English in the Chinese text');
  setLang('en');
  assert.match(errorText(e), /both cast and audited\. Nothing was recorded/);
  assert.doesNotMatch(errorText(e), /[\u4e00-\u9fff]/, 'no Chinese in the English text');
});

test('a busy 503 and a 500 have texts of their own; a 409 reads in Chinese, with the server message in English', () => {
  setLang('zh');
  assert.match(errorText(new ApiError(503, 'unavailable', 'the server is busy')), /服务器繁忙/);
  assert.match(errorText(new ApiError(500, 'internal', 'internal server error')), /内部故障/);
  const conflict = new ApiError(409, 'conflict', 'voting is not open');
  assert.match(errorText(conflict), /当前状态不允许这项操作/);
  assert.doesNotMatch(errorText(conflict), /[A-Za-z]/, 'no English in the Chinese text');
  setLang('en');
  assert.equal(errorText(conflict), 'The current state does not allow this, or it was done already (for example, already voted, or voting closed): nothing was recorded. (voting is not open)');
  assert.equal(errorText(new ApiError(500, 'internal', 'internal server error')).includes('internal server error'), false, 'a whole text stands alone');
  // A code the page does not know: a text of its own with the status.
  setLang('zh');
  assert.equal(errorText(new ApiError(418, 'teapot', 'I am a teapot')), '服务器拒绝了本次操作（状态 418）。');
});

// Every code the server can send (the `code()` match of ballot-server/src/error.rs and the table
// of spec/api.md §6) has a text in both languages: Chinese with no Latin letter, English with no
// Chinese character (issue 16 item 12).
test('every server error code has a Chinese and an English text', () => {
  const rust = readFileSync(new URL('../../ballot-server/src/error.rs', import.meta.url), 'utf8');
  const fromRust = [...rust.matchAll(/ApiError::\w+\(_\) => "(\w+)"/g)].map((m) => m[1]);
  const api = readFileSync(new URL('../../spec/api.md', import.meta.url), 'utf8');
  const section = api.slice(api.indexOf('## 6. Errors'), api.indexOf('### 6.1'));
  const fromSpec = [...section.matchAll(/^\| \d{3} \| `(\w+)` \|/gm)].map((m) => m[1]);
  assert.ok(fromRust.length >= 16, `codes read from error.rs: ${fromRust}`);
  assert.deepEqual([...fromRust].sort(), [...ERROR_CODES].sort(), 'error.rs and the page list the same codes');
  assert.deepEqual([...new Set(fromSpec)].sort(), [...ERROR_CODES].sort(), 'spec/api.md §6 and the page list the same codes');
  for (const code of ERROR_CODES) {
    const e = new ApiError(400, code, 'a message from the server');
    setLang('zh');
    const zh = errorText(e);
    assert.ok(/[\u4e00-\u9fff]/.test(zh) && !/[A-Za-z]/.test(zh), `${code}: ${zh}`);
    setLang('en');
    const en = errorText(e);
    assert.ok(/[A-Za-z]/.test(en) && !/[\u3400-\u9fff]/.test(en) && !en.startsWith('error.'), `${code}: ${en}`);
  }
});

test('refusals of how a request was sent (403 cross_origin, 415) read in the page language', () => {
  for (const [status, code, zh, en] of [
    [403, 'cross_origin', /其他网站/, /another site/],
    [415, 'unsupported_media_type', /数据格式/, /format the page sent/],
  ]) {
    const e = new ApiError(status, code, 'a write to the API carries Content-Type: application/json');
    setLang('zh');
    assert.match(errorText(e), zh);
    assert.doesNotMatch(errorText(e), /[A-Za-z]/, 'no English in the Chinese text');
    setLang('en');
    assert.match(errorText(e), en);
  }
});

test('every write declares JSON, with a body or without one (spec/api.md §6.3)', async () => {
  const seen = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (path, init) => {
    seen.push({ path, init });
    return { ok: true, text: async () => '{}' };
  };
  try {
    await api('/api/elections/e/open', { method: 'POST' });
    await api('/api/elections/e/roll', { method: 'PUT', body: { names: [] } });
    await api('/api/elections/e');
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.equal(seen[0].init.headers['Content-Type'], 'application/json');
  assert.equal(seen[0].init.body, undefined);
  assert.equal(seen[1].init.headers['Content-Type'], 'application/json');
  assert.equal(seen[2].init.method, 'GET');
  assert.equal(seen[2].init.headers['Content-Type'], undefined);
});

test('the board key of an election is the one GET /api/board-key lists with it, else the current one', () => {
  const answer = {
    board_key: 'NEW',
    keys: [{ board_key: 'NEW', elections: ['e-2028'] }, { board_key: 'OLD', elections: ['e-2027', 'f'] }],
  };
  assert.equal(electionBoardKey(answer, 'e-2027'), 'OLD');
  assert.equal(electionBoardKey(answer, 'e-2028'), 'NEW');
  assert.equal(electionBoardKey(answer, 'unknown'), 'NEW');
  // A server of before rotation: board_key only.
  assert.equal(electionBoardKey({ board_key: 'ONE' }, 'e-2027'), 'ONE');
});
