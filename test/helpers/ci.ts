// SPDX-License-Identifier: MIT
/** The one rule for "are we in CI" (where a missing tool fails the run instead of skipping): CI set, non-empty and not "false". */

export function isCi(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const ci = env['CI'];
  return ci !== undefined && ci !== '' && ci !== 'false';
}

export const IN_CI = isCi();
