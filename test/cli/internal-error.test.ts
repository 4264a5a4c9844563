/**
 * An internal error (a bug, not bad input) is still reported the way --json promises: one JSON line
 * on stderr with code NN901 and exit 70, the stack trace inside it; without --json, the error line
 * and then the stack. A command whose action throws a plain Error stands in for the bug.
 */
import type { Command } from 'commander';
import { expect, test, vi } from 'vitest';
import { captureIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';

vi.mock('../../src/cli/commands/isa.js', () => ({
  register: (program: Command): void => {
    program
      .command('isa')
      .option('--json', 'as JSON')
      .action(() => {
        throw new TypeError('cannot read properties of undefined (reading "rows")');
      });
  },
}));

test('--json: one JSON line, code NN901, exit 70, the stack inside', async () => {
  const io = captureIo();
  expect(await main(['isa', '--json'], io)).toBe(70);
  expect(io.out.join('')).toBe('');
  const lines = io.err.join('').trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  const { error } = JSON.parse(lines[0]!) as { error: Record<string, unknown> };
  expect(error).toMatchObject({ code: 'NN901', file: null, layer: null, exitCode: 70, message: 'internal error: cannot read properties of undefined (reading "rows")' });
  expect(error['hint']).toMatch(/bug in nnchip/);
  expect(error['stack']).toMatch(/^TypeError: .*\n\s+at /);
});

test('without --json: the error line, then the stack', async () => {
  const io = captureIo();
  expect(await main(['isa'], io)).toBe(70);
  const text = io.err.join('');
  expect(text).toMatch(/^error NN901: internal error: cannot read properties of undefined \(reading "rows"\) — this is a bug in nnchip: please report it with the command line and the model\nTypeError: /);
});
