// The beacon: a small signed file that names the fleet branch's commit, with a sequence number
// that only grows and an expiry. Gateways poll it (a conditional GET: a 304 costs a few hundred
// bytes) instead of the git server, and touch git only when it names a new commit. Its
// signature stops a tampered beacon, its sequence a replayed older one, its expiry a gateway held
// on a stale state (it then knows it may be frozen). Written by `ferry beacon`.
import { parsePublicKey } from './ssh-wire.js';
import { parseSshSignature, verifySshSignature } from './ssh-signature.js';

/** The SSH signature namespace of beacons (a commit signature cannot pass for one). */
export const BEACON_NAMESPACE = 'ferry-beacon';
/** The largest beacon a gateway reads. */
export const MAX_BEACON_BYTES = 16 * 1024;

export interface BeaconBody {
  readonly v: 1;
  readonly branch: string;
  readonly commit: string;
  readonly sequence: number;
  readonly issuedAt: string;
  readonly expiresAt: string;
}

export interface Beacon extends BeaconBody {
  /** An armored SSH signature over canonicalBeacon(body), namespace ferry-beacon. */
  readonly signature: string;
}

/** The exact bytes signed: the body's fields in a fixed order, as JSON. */
export function canonicalBeacon(body: BeaconBody): string {
  const { v, branch, commit, sequence, issuedAt, expiresAt } = body;
  return JSON.stringify({ v, branch, commit, sequence, issuedAt, expiresAt });
}

export type BeaconVerdict =
  | { readonly ok: true; readonly beacon: Beacon; readonly expired: boolean }
  | { readonly ok: false; readonly reason: string };

/** The public key a gateway trusts beacons from: an SSH public key line. */
export function beaconKey(line: string): Buffer {
  const blob = Buffer.from(line.trim().split(/\s+/)[1] ?? '', 'base64');
  parsePublicKey(blob); // throws on a key it cannot use
  return blob;
}

/**
 * Checks a beacon's text: its shape, its signature by `key` (a public key blob), its branch, a
 * sequence not lower than the last one seen, and whether it has expired by `now`.
 */
export function verifyBeacon(
  text: string,
  check: { key: Buffer; branch: string; lastSequence: number; now: number },
): BeaconVerdict {
  let beacon: Beacon;
  try {
    beacon = JSON.parse(text) as Beacon;
  } catch {
    return { ok: false, reason: 'the beacon is not JSON' };
  }
  const shapeOk =
    beacon?.v === 1 &&
    typeof beacon.branch === 'string' &&
    /^[0-9a-f]{40}$/.test(String(beacon.commit)) &&
    Number.isSafeInteger(beacon.sequence) &&
    !Number.isNaN(Date.parse(String(beacon.expiresAt))) &&
    typeof beacon.issuedAt === 'string' &&
    typeof beacon.signature === 'string';
  if (!shapeOk) return { ok: false, reason: 'the beacon lacks a field or has a malformed one' };
  const signature = parseSshSignature(beacon.signature);
  if (typeof signature === 'string') return { ok: false, reason: `beacon: ${signature}` };
  if (!signature.publicKey.blob.equals(check.key))
    return {
      ok: false,
      reason: 'the beacon is signed by another key than source.beacon.publicKey',
    };
  if (!verifySshSignature(signature, canonicalBeacon(beacon), BEACON_NAMESPACE))
    return { ok: false, reason: 'the beacon signature does not match its content' };
  if (beacon.branch !== check.branch)
    return { ok: false, reason: `the beacon is for branch ${beacon.branch}, not ${check.branch}` };
  if (beacon.sequence < check.lastSequence)
    return {
      ok: false,
      reason: `the beacon's sequence ${beacon.sequence} is lower than ${check.lastSequence}, seen before (a replay)`,
    };
  return { ok: true, beacon, expired: check.now >= Date.parse(beacon.expiresAt) };
}
