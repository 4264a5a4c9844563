/**
 * What `run`/`disasm` do with a program path that is not a readable regular file of sane size:
 * one NN404 line naming the file, without reading it (a FIFO would block forever, a huge file
 * would fill memory).
 */
import { fmtInt } from '../../src/diagnostics/error.js';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, ftruncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { captureIo } from '../../src/cli/context.js';
import { MAX_PROGRAM_FILE_BYTES } from '../../src/cli/load-program.js';
import { main } from '../../src/cli/main.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-program-file-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function disasm(path: string): Promise<{ code: number; err: string }> {
  const io = captureIo();
  const code = await main(['disasm', path], io);
  return { code, err: io.err.join('') };
}

describe('program files that are not programs', () => {
  test('a FIFO is refused without opening it', async () => {
    const fifo = join(work, 'pipe.nnp');
    execFileSync('mkfifo', [fifo]);
    expect(await disasm(fifo)).toEqual({ code: 1, err: `error NN404: ${fifo}: is not a regular file — the file is not an nnchip program; produce one with \`nnchip lower\`\n` });
  });

  test('a folder named .nnp is refused', async () => {
    const dir = join(work, 'folder.nnp');
    mkdirSync(dir);
    expect((await disasm(dir)).err).toMatch(/^error NN404: .*folder\.nnp: is not a regular file/);
  });

  test('a file over the size cap is refused before it is read', async () => {
    const big = join(work, 'big.nnp');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, MAX_PROGRAM_FILE_BYTES + 1); // sparse: no disk space used
    closeSync(fd);
    expect((await disasm(big)).err).toBe(`error NN404: ${big}: is ${fmtInt(MAX_PROGRAM_FILE_BYTES + 1)} bytes; a program file is at most ${fmtInt(MAX_PROGRAM_FILE_BYTES)} — the file is not an nnchip program; produce one with \`nnchip lower\`\n`);
  });

  test('a large file of another kind is refused from its first bytes, not read whole', async () => {
    const big = join(work, 'sparse.nnp');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, MAX_PROGRAM_FILE_BYTES - 1); // 1.4 GB of zeros, under the cap (sparse: no disk space used)
    closeSync(fd);
    const before = process.memoryUsage().arrayBuffers;
    expect((await disasm(big)).err).toBe(`error NN404: ${big}: missing the NNCHIP program header — the file is not an nnchip program; produce one with \`nnchip lower\`\n`);
    // it was read whole first: 1.4 GB held (and about 13 s) before the header was looked at
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 ** 26);
  });

  test('a program of another format version says so (it was "not an nnchip program")', async () => {
    const future = join(work, 'future.nnp');
    // "NNCHIP\0\x02", then what a version 1 file holds: the version is read first
    writeFileSync(future, Buffer.concat([Buffer.from('NNCHIP\u0000\u0002', 'latin1'), Buffer.alloc(40)]));
    expect((await disasm(future)).err).toBe(`error NN404: ${future}: is an nnchip program of format version 2; this nnchip reads version 1 — lower the model again with this nnchip (\`nnchip lower\`), or use the nnchip that wrote it\n`);
  });

  test('a missing file is NN101', async () => {
    expect((await disasm(join(work, 'missing.nnp'))).err).toMatch(/^error NN101: .*missing\.nnp: cannot be read/);
  });
});
