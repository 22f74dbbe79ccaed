// What the booth and the election page read from the board: entries, and the election's set-up
// (tellers, ceremony output, credential list) with the fingerprint recomputed from it, so that a
// page never trusts the fingerprint the status gives without checking it against the board.
import { electionFingerprint, toBase64 } from '../piaojue.js';
import { ApiError, api } from './common.js';

/** `/api/elections/{id}` + `rest`. */
export function apiPath(id, rest = '') {
  return `/api/elections/${encodeURIComponent(id)}${rest}`;
}

/** Entries `from …` (at most `limit`), parsed. */
export function fetchEntries(id, from, limit) {
  return api(apiPath(id, `/board/entries?from=${from}&limit=${limit}`));
}

/** One entry's exact bytes (for the leaf hash of a receipt). */
export async function fetchEntryBytes(id, index) {
  const res = await fetch(apiPath(id, `/board/entries/${index}`), { cache: 'no-store' });
  if (!res.ok) throw new Error(res.status === 404 ? `the log has no entry ${index}` : `HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * The board's latest checkpoint cosigned by a quorum of the manifest's witnesses, the signed
 * note's exact bytes (`GET …/board/checkpoint`, spec/api.md; 404 while no size has the quorum).
 * A refusal is an `ApiError` (its `status` 404 while none has the quorum).
 */
export async function fetchCheckpoint(id) {
  const res = await fetch(apiPath(id, '/board/checkpoint'), { cache: 'no-store' });
  if (!res.ok) {
    let body = null;
    try { body = JSON.parse(await res.text()); } catch { /* not JSON */ }
    const message = body?.message ?? '';
    throw new ApiError(res.status, body?.error ?? 'http',
      res.status === 404 ? 'no checkpoint has the quorum of cosignatures yet' : `HTTP ${res.status}${message ? `: ${message}` : ''}`);
  }
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * The set-up of election `id` (with `manifest`, from its status) that an observer or a booth checks: `{ signingKeys, output, credentials, fingerprint }`,
 * `credentials` from the board's `credentials` entries up to `open`, and `fingerprint` the one
 * recomputed from all of it (null before the ceremony's output).
 */
export async function loadSetup(id, manifest) {
  const ceremony = await api(apiPath(id, '/ceremony'));
  const credentials = [];
  let opened = false;
  const page = 500;
  for (let from = 0; !opened; from += page) {
    const entries = await fetchEntries(id, from, page);
    for (const e of entries) {
      if (e.kind === 'credentials') credentials.push(...e.data.keys);
      if (e.kind === 'open') { opened = true; break; }
    }
    if (entries.length < page) break;
  }
  let fingerprint = null;
  if (ceremony.output && credentials.length) {
    fingerprint = toBase64(electionFingerprint({
      manifest,
      tellerKeys: ceremony.signing_keys,
      jointKey: ceremony.output.joint_key,
      verificationKeys: ceremony.output.verification_keys,
      credentials,
    }));
  }
  return { ceremony, signingKeys: ceremony.signing_keys ?? [], output: ceremony.output, credentials, fingerprint, opened };
}
