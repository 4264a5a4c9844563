/**
 * The board link refuses what it cannot honour, as one-line errors: an answer timeout past a week
 * (setTimeout would fire at once past 2³¹ − 1 ms), NaN or negative; a port that does not open gets
 * a hint for its reason.
 */
import { describe, expect, test } from 'vitest';
import { BoardSession, MAX_TIMEOUT_S, type ByteLink } from '../../../src/board/host.js';
import { openHint, openReason } from '../../../src/cli/commands/board.js';
import { NnchipError } from '../../../src/diagnostics/error.js';

const silent: ByteLink = { write: async () => {}, onData: () => {} };

describe('BoardSession timeouts', () => {
  test.each([Number.NaN, -1, Infinity, (MAX_TIMEOUT_S + 1) * 1000, 1e15])('timeout %s ms: NN801', (ms) => {
    expect(() => new BoardSession(silent, ms)).toThrow(expect.objectContaining({ code: 'NN801' }) as Error);
  });

  test('a silent board: NN513 after the timeout, saying what to check', async () => {
    const s = new BoardSession(silent, 20);
    const e = await s.info().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NnchipError);
    expect((e as NnchipError).code).toBe('NN513');
    expect((e as NnchipError).format()).toMatch(/within 0\.02 s — check that --port is the board's UART .*make -C <dir> prog.*longer --timeout$/);
  });
});

describe('a port that does not open', () => {
  test.each([
    ['Error: No such file or directory, cannot open /dev/ttyUSB9', /there is no \/dev\/ttyUSB9: plug the board in/],
    ['Error: Permission denied, cannot open /dev/ttyUSB9', /dialout/],
    ['Error: Resource temporarily unavailable Cannot lock port', /another program holds/],
    ['Error: Inappropriate ioctl for device setting custom baud rate of 115200', /not a serial port/],
  ])('%s', (message, hint) => {
    expect(openHint(message, '/dev/ttyUSB9')).toMatch(hint);
  });
});

describe('the reason a port did not open, without serialport\'s wrapping', () => {
  test.each([
    ['Error: No such file or directory, cannot open /dev/ttyUSB9', 'No such file or directory'],
    ['Error: Inappropriate ioctl for device setting custom baud rate of 115200', 'Inappropriate ioctl for device setting custom baud rate of 115200'],
    ['Permission denied, cannot open /dev/ttyUSB1', 'Permission denied, cannot open /dev/ttyUSB1'],
  ])('%s', (message, reason) => {
    expect(openReason(message, '/dev/ttyUSB9')).toBe(reason);
  });
});
