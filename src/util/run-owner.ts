// SPDX-License-Identifier: MIT
/**
 * Which nnchip run left a lock, a staging name or a temporary folder, and whether that run is
 * gone: "<host>.<pid>", where a pid is only checked on its own host (shared folders: NFS, SLURM).
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { hostname } from 'node:os';

/** This machine, as 8 hex digits (host names may hold any characters). */
export const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
/** This run. */
export const OWNER = `${HOST}.${process.pid}`;
/** Matches an OWNER inside a name. */
export const OWNER_PATTERN = '[0-9a-f]{8}\\.\\d+';

export function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

/** Milliseconds since `path` last changed (Infinity if it is gone). */
export function ageOf(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

/**
 * True when the run `owner` that made `path` has ended: on this host, its pid is not running; on
 * another host (or unreadable), `path` has not changed for `maxAgeMs`.
 */
export function ownerGone(owner: string, path: string, maxAgeMs: number): boolean {
  const m = /^([0-9a-f]{8})\.(\d+)$/.exec(owner.trim());
  if (m !== null && m[1] === HOST) return !isAlive(Number(m[2]));
  return ageOf(path) > maxAgeMs;
}
