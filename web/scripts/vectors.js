// The spec's vector files, for the tests and scripts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));

/** A JSON file of spec/vectors/. */
export function vector(name) {
  return JSON.parse(readFileSync(new URL(`../../spec/vectors/${name}`, import.meta.url), 'utf8'));
}

export const hex = (b) => Buffer.from(b).toString('hex');
export const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'));
/** Unpadded base64url, the protocol's JSON text of bytes (spec/protocol.md §2.6). */
export const b64 = (b) => Buffer.from(b).toString('base64url');
/** The base64url text of the bytes given in hex (for values written in hex in the tests). */
export const hexToB64 = (s) => Buffer.from(s, 'hex').toString('base64url');
