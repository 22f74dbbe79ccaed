// The home page (/): the list of elections with their state, each linking to its board page.
import { addTexts, api, errorText, h, initPage, onLangChange, pick, replace, t } from '../common.js';

addTexts({
  zh: {
    'page.title': '票决 · 选举列表',
    'index.heading': '民生实事项目票决',
    'index.intro': '每一场票决的选票都在代表的设备上加密；公告板公开记录每一步，任何人都可以下载并独立验证结果。',
    'index.none': '还没有选举。',
    'index.col.election': '选举', 'index.col.state': '状态', 'index.col.turnout': '已投票',
    'index.vote': '去投票',
  },
  en: {
    'page.title': 'Piaojue · Elections',
    'index.heading': 'Livelihood project votes',
    'index.intro': 'Every ballot is encrypted on the deputy’s device; the bulletin board records every step in public, and anyone can download it and verify the result independently.',
    'index.none': 'No elections yet.',
    'index.col.election': 'Election', 'index.col.state': 'State', 'index.col.turnout': 'Voted',
    'index.vote': 'Vote',
  },
});

const box = document.getElementById('elections');
let elections = null;

function render() {
  if (!elections) return;
  if (elections.length === 0) return replace(box, h('p', { class: 'muted' }, t('index.none')));
  replace(box, h('div', { class: 'table-wrap' }, h('table', { id: 'election-list' },
    h('thead', {}, h('tr', {}, h('th', {}, t('index.col.election')), h('th', {}, t('index.col.state')), h('th', {}, t('index.col.turnout')), h('th', {}))),
    h('tbody', {}, elections.map((e) => h('tr', { dataset: { election: e.election_id } },
      h('td', {}, h('a', { href: `/elections/${encodeURIComponent(e.election_id)}` }, pick(e.manifest?.title) || e.election_id),
        h('div', { class: 'muted mono' }, e.election_id)),
      h('td', {}, h('span', { class: `badge state-${e.state}` }, t(`state.${e.state}`))),
      h('td', {}, `${e.voted} / ${e.credentials}`),
      h('td', {}, e.state === 'open' ? h('a', { class: 'button primary', href: `/elections/${encodeURIComponent(e.election_id)}/vote` }, t('index.vote')) : null),
    ))),
  )));
}

initPage();
onLangChange(render);
try {
  elections = await api('/api/elections');
  render();
} catch (e) {
  replace(box, h('div', { class: 'notice error' }, errorText(e)));
}
