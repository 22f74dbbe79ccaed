// The staff pages (/staff): sign in with the staff token (kept in sessionStorage only), the
// elections with their state, one election selected by the URL hash `#election=<id>` (or the
// create form, `#create`), its lifecycle actions, live turnout and the credential sheets.
import { addTexts, api, ApiError, errorText, h, initPage, onLangChange, pick, replace, t } from '../common.js';
import { LIVE_STATES, renderElection } from '../staff/election-view.js';
import { renderCreateForm } from '../staff/manifest-form.js';
import { renderSheets } from '../staff/sheets.js';

addTexts({
  zh: {
    'page.title': '票决 · 工作人员',
    'staff.heading': '工作人员', 'staff.signin': '登录', 'staff.token': '工作人员令牌',
    'staff.token.help': '令牌在服务器上的 piaojue-data/staff-token 文件中（首次启动服务器时生成）。令牌只保存在本标签页中，关闭即清除。',
    'staff.signin.button': '登录', 'staff.signout': '退出',
    'staff.signin.refused': '令牌无效，服务器拒绝登录。请检查后重试。', 'staff.signin.missing': '请输入令牌。',
    'staff.signin.expired': '令牌已失效，请重新登录。',
    'staff.elections': '选举', 'staff.create': '新建选举', 'staff.none': '还没有选举。',
    'staff.pick': '请从左侧选择一场选举，或新建选举。', 'staff.notFound': '没有这场选举：{id}',
  },
  en: {
    'page.title': 'Piaojue · Staff',
    'staff.heading': 'Staff', 'staff.signin': 'Sign in', 'staff.token': 'Staff token',
    'staff.token.help': 'The token is in the file piaojue-data/staff-token on the server (made on the server’s first start). It is kept in this tab only and cleared when the tab closes.',
    'staff.signin.button': 'Sign in', 'staff.signout': 'Sign out',
    'staff.signin.refused': 'The server refused this token. Check it and try again.', 'staff.signin.missing': 'Enter the token.',
    'staff.signin.expired': 'The token is no longer valid; sign in again.',
    'staff.elections': 'Elections', 'staff.create': 'New election', 'staff.none': 'No elections yet.',
    'staff.pick': 'Choose an election on the left, or create one.', 'staff.notFound': 'No such election: {id}',
  },
});

const TOKEN_KEY = 'piaojue.staff-token';
const POLL_MS = 3000;

const signinBox = document.getElementById('signin');
const workspace = document.getElementById('workspace');
const listBox = document.getElementById('election-list');
const detail = document.getElementById('detail');
const signoutButton = document.getElementById('sign-out');

let token = sessionStorage.getItem(TOKEN_KEY);
let elections = [];
let view = null; // { id, state, update } of the election shown
let timer = null;

/** Calls a staff endpoint; a 401/403 means the token went bad: back to the sign-in. */
async function call(path, opts = {}) {
  try {
    return await api(path, { ...opts, token });
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) signOut(t('staff.signin.expired'));
    throw e;
  }
}

/** Whether `candidate` is a valid staff token (`GET /api/staff/session`, which changes nothing). */
async function tokenIsValid(candidate) {
  try {
    await api('/api/staff/session', { token: candidate });
    return true;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return false;
    throw e;
  }
}

function showSignin(message) {
  workspace.hidden = true;
  signoutButton.hidden = true;
  signinBox.hidden = false;
  replace(document.getElementById('signin-message'), message ? h('div', { class: 'notice error' }, message) : null);
  document.getElementById('token').focus();
}

function signOut(message) {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  stopPolling();
  showSignin(message);
}

async function signIn(ev) {
  ev.preventDefault();
  const input = document.getElementById('token');
  const candidate = input.value.trim();
  if (!candidate) return showSignin(t('staff.signin.missing'));
  const button = document.getElementById('signin-button');
  button.disabled = true;
  try {
    if (!(await tokenIsValid(candidate))) return showSignin(t('staff.signin.refused'));
    token = candidate;
    sessionStorage.setItem(TOKEN_KEY, token);
    input.value = '';
    await start();
  } catch (e) {
    showSignin(errorText(e));
  } finally {
    button.disabled = false;
  }
}

async function start() {
  signinBox.hidden = true;
  workspace.hidden = false;
  signoutButton.hidden = false;
  await loadList();
  await route();
}

async function loadList() {
  try {
    elections = await api('/api/elections');
    renderList();
  } catch (e) {
    replace(listBox, h('div', { class: 'notice error' }, errorText(e)));
  }
}

function selectedId() {
  const m = location.hash.match(/^#election=(.+)$/);
  return m ? decodeURIComponent(m[1]) : null;
}

function renderList() {
  const sel = selectedId();
  if (!elections.length) return replace(listBox, h('p', { class: 'muted' }, t('staff.none')));
  replace(listBox, h('ul', { class: 'election-list' }, elections.map((e) => h('li', {},
    h('a', {
      href: `#election=${encodeURIComponent(e.election_id)}`,
      class: e.election_id === sel ? 'selected' : null,
      dataset: { election: e.election_id },
    },
    h('span', { class: 'name' }, pick(e.manifest?.title) || e.election_id),
    h('span', { class: 'muted mono small' }, e.election_id),
    h('span', { class: `badge state-${e.state}` }, t(`state.${e.state}`)))))));
}

function stopPolling() {
  clearTimeout(timer);
  timer = null;
}

/** Reloads the selected election's status; re-renders on a state change. Returns the status. */
async function refresh() {
  const id = view?.id ?? selectedId();
  if (!id) return null;
  let s;
  try {
    s = await api(`/api/elections/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) replace(detail, h('div', { class: 'notice error' }, t('staff.notFound', { id })));
    else if (view) replace(document.getElementById('poll-error') ?? detail, h('div', { class: 'notice error' }, errorText(e)));
    else replace(detail, h('div', { class: 'notice error' }, errorText(e)));
    return null;
  }
  if (selectedId() !== id) return s; // the user moved on meanwhile
  const entry = elections.find((e) => e.election_id === id);
  if (!entry || entry.state !== s.state) {
    elections = entry ? elections.map((e) => (e.election_id === id ? s : e)) : [...elections, s];
    renderList();
  }
  if (!view || view.id !== id || view.state !== s.state) {
    view = { id, ...renderElection(detail, s, { call, refresh }) };
  }
  await view.update(s);
  schedule(s);
  return s;
}

function schedule(s) {
  stopPolling();
  if (LIVE_STATES.has(s.state)) timer = setTimeout(refresh, POLL_MS);
}

async function route() {
  stopPolling();
  view = null;
  renderList();
  if (!token) return;
  if (location.hash === '#create') {
    renderCreateForm(detail, {
      call,
      created: async (id) => {
        await loadList();
        location.hash = `#election=${encodeURIComponent(id)}`;
      },
    });
    return;
  }
  if (!selectedId()) return replace(detail, h('p', { class: 'muted card' }, t('staff.pick')));
  replace(detail, h('p', {}, t('loading')));
  await refresh();
}

initPage();
document.getElementById('signin-form').addEventListener('submit', signIn);
signoutButton.addEventListener('click', () => signOut());
window.addEventListener('hashchange', route);
onLangChange(() => {
  renderSheets();
  if (!token) return;
  if (location.hash === '#create') return; // keep what was typed; labels follow on the next visit
  view = null;
  route();
});
if (token) start(); else showSignin();
