// SPDX-License-Identifier: MIT
/**
 * Which commands the CLI loads for a command line: the one named, none for a bare `--version`
 * (process start is most of a small command), all of them when the help has to list them.
 */
import { expect, test } from 'vitest';
import { COMMANDS, commandsFor } from '../../../src/cli/registry.js';

const names = (argv: string[]): string[] => commandsFor(argv).map((c) => c.name);

test('a command word loads that command alone, whatever the flags beside it', () => {
  expect(names(['sim', 'prog.nnp', '--json'])).toEqual(['sim']);
  expect(names(['--debug', 'lower', 'model.json'])).toEqual(['lower']);
  expect(names(['sim', '--version'])).toEqual(['sim']);
});

test('a bare --version (or -V) loads no command; with --help, or no command word, all of them', () => {
  expect(names(['--version'])).toEqual([]);
  expect(names(['-V'])).toEqual([]);
  const all = COMMANDS.map((c) => c.name);
  expect(names(['--version', '--help'])).toEqual(all);
  expect(names(['--help'])).toEqual(all);
  expect(names([])).toEqual(all);
  expect(names(['help', 'sim'])).toEqual(all);
  expect(names(['simm'])).toEqual(all);
});
