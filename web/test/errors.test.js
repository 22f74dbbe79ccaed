// The pages' error texts: the server's own faults (spec/api.md §6) in the page's language, never
// the server's English message in a Chinese page; other refusals keep the server's message.
import test from 'node:test';
import assert from 'node:assert/strict';
import { api, ApiError, errorText, setLang } from '../src/ui/common.js';

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

test('a busy 503 and a 500 have texts of their own; a 409 keeps the server message', () => {
  setLang('zh');
  assert.match(errorText(new ApiError(503, 'unavailable', 'the server is busy')), /服务器繁忙/);
  assert.match(errorText(new ApiError(500, 'internal', 'internal server error')), /内部故障/);
  assert.match(errorText(new ApiError(409, 'conflict', 'voting is not open')), /voting is not open/);
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
