// Writes web/test/fixtures/receipt.json, the server-made receipt that web/test/receipt.test.js
// checks: against a running server with an open election (e.g. `piaojue serve --demo
// --demo-deputies 4`), casts a ballot with the first credential, then a second one with the
// next (so that the board's head grows past the receipt's), and saves the board key, the
// receipt, the entry's exact bytes, the latest head and the consistency proof between them.
//   node web/e2e/make-receipt-fixture.mjs http://127.0.0.1:8080 demo-2027 <seed-hex> <seed-hex>
import { writeFileSync } from 'node:fs';
import * as booth from '../src/piaojue.js';

const [base, id, seed1, seed2] = process.argv.slice(2);
const get = async (p) => { const r = await fetch(base + p); if (!r.ok) throw new Error(`${p}: ${r.status}`); return r; };
const post = async (p, body) => {
  const r = await fetch(base + p, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (r.status !== 201) throw new Error(`${p}: ${r.status} ${await r.text()}`);
  return r.json();
};
const api = `/api/elections/${id}`;
const status = await (await get(api)).json();
const { output } = await (await get(`${api}/ceremony`)).json();
const election = new booth.Election({ manifest: status.manifest, fingerprint: status.fingerprint, jointKey: output.joint_key });
const first = status.manifest.contests.map((c) => [c.options.length > 1 ? 1 : 0].slice(0, Math.max(c.min, Math.min(1, c.max))));
const receipt = await post(`${api}/ballots`, booth.buildBallot(election, seed1, booth.selectionFromChosen(status.manifest, first)).cast());
await post(`${api}/ballots`, booth.buildBallot(election, seed2, booth.selectionFromChosen(status.manifest, first)).cast());
const head = await (await get(`${api}/board/head`)).json();
const consistency = await (await get(`${api}/board/consistency?old=${receipt.tree_head.size}&new=${head.size}`)).json();
const entry = await (await get(`${api}/board/entries/${receipt.index}`)).text();
const { board_key } = await (await get('/api/board-key')).json();
writeFileSync(new URL('../test/fixtures/receipt.json', import.meta.url),
  `${JSON.stringify({ board_key, receipt, entry, head, consistency }, null, 2)}\n`);
console.log(`receipt of entry ${receipt.index}, head ${receipt.tree_head.size} → ${head.size}`);
