/**
 * The generated module and loader in a real browser: headless Chromium (Debian's package, driven
 * by playwright-core) loads them from a page served on 127.0.0.1 and must produce the outputs Node
 * produces, in the SIMD and the scalar build. Without Chromium the test is skipped, except in CI.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { emitWasm } from '../../src/backends/wasm/emit.js';
import { emitLoader } from '../../src/backends/wasm/loader/loader.js';
import { IN_CI } from '../helpers/ci.js';
import { compileDigitsMlp } from '../helpers/compile.js';
import { randomSamples } from '../helpers/random-graph.js';

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const TYPES: Record<string, string> = { '.html': 'text/html', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

const PAGE = `<!doctype html><meta charset="utf-8"><title>nnchip wasm</title>
<script type="module">
import { load } from './model.mjs';
try {
  const inputs = await (await fetch('./inputs.json')).json();
  const out = {};
  for (const build of ['model.wasm', 'model-scalar.wasm']) {
    const net = await load(new URL(build, location.href));
    out[build] = inputs.map((x) => Array.from(net.run(Float32Array.from(x))));
  }
  window.results = out;
} catch (e) {
  window.results = { error: String(e && e.stack || e) };
}
</script>`;

/** A static file server for one folder, bound to 127.0.0.1 on a free port. */
async function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    const file = path.endsWith('/') ? join(path, 'index.html') : path;
    if (!file.startsWith(dir) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !IN_CI) {
  process.stderr.write(`browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium); in CI this is a failure\n`);
}
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('headless Chromium', () => {
  test.skipIf(!haveChromium && !IN_CI)('module + loader served from localhost = Node, both builds', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is required in CI`).toBe(true);
    const { program } = compileDigitsMlp();
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-browser-'));
    dirs.push(dir);
    const inputs = randomSamples(4, 784, 11).map((x) => Array.from(x));
    const loader = emitLoader(program, 'model.wasm');
    writeFileSync(join(dir, 'model.wasm'), emitWasm(program, { simd: true }));
    writeFileSync(join(dir, 'model-scalar.wasm'), emitWasm(program, { simd: false }));
    writeFileSync(join(dir, 'model.mjs'), loader.mjs);
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify(inputs));
    writeFileSync(join(dir, 'index.html'), PAGE);
    const node = (await import(pathToFileURL(join(dir, 'model.mjs')).href)) as { load(s?: unknown): Promise<{ run(x: Float32Array): Float32Array }> };
    const net = await node.load();
    const want = inputs.map((x) => Array.from(net.run(Float32Array.from(x))));

    const { chromium } = await import('playwright-core');
    const { server, url } = await serve(dir);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.waitForFunction(() => (globalThis as unknown as { results?: unknown }).results !== undefined, undefined, { timeout: 30_000 });
      const got = (await page.evaluate(() => (globalThis as unknown as { results: unknown }).results)) as Record<string, number[][]> & { error?: string };
      expect(got.error).toBeUndefined();
      expect(got['model.wasm']).toEqual(want);
      expect(got['model-scalar.wasm']).toEqual(want);
    } finally {
      await browser.close();
      server.close();
    }
  });
});
