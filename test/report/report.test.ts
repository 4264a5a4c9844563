/**
 * The HTML report in a real browser (Debian's chromium, driven by playwright-core): it loads over
 * http with no console errors and no failed requests, its bar chart has one bar per layer, nothing
 * is wider than the page at 1280 and 1920 px, and screenshots are kept in test-artifacts/ (not
 * committed). Chromium missing: skipped, except in CI.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_GRID } from '../../src/explore/grid.js';
import { renderReport } from '../../src/explore/report.js';
import { resultOf } from '../../src/explore/results.js';
import { sweep } from '../../src/explore/sweep.js';
import { loadModel } from '../../src/importers/index.js';
import { makeConfig } from '../../src/isa/config.js';
import { compile } from '../../src/passes/pipeline.js';
import { IN_CI } from '../helpers/ci.js';
import { calibrationSamples, DIGITS_MLP } from '../helpers/compile.js';
import { REPO } from '../helpers/cli.js';
import { randomMlp, randomSamples } from '../helpers/random-graph.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ARTIFACTS = join(REPO, 'test-artifacts');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && IN_CI) throw new Error(`${CHROMIUM} is missing and CI is set: install it (apt-get install -y chromium)`);
if (!haveChromium) process.stderr.write(`test/report: ${CHROMIUM} not found; skipping the browser test (apt-get install -y chromium)\n`);

/** Pages by path; anything else is a 404 (which the test counts as a failed request). */
const pages = new Map<string, string>();

function digitsPage(): string {
  const graph = loadModel(DIGITS_MLP);
  const calibration = { samples: calibrationSamples() };
  const { program } = compile(graph, { config: makeConfig({ rows: 8, cols: 8 }), calibration });
  const explore = resultOf(sweep({ model: 'digits-mlp', graph, calibration, grid: DEFAULT_GRID }));
  return renderReport({ model: 'digits-mlp', program, explore, calibration: `${calibration.samples.length} samples from calibration.json` });
}

/** The widest layer table of the shipped examples: the CNN's (shapes like 13x13x8→11x11x16). */
function cnnPage(): string {
  const graph = loadModel(join(REPO, 'examples/digits-cnn/model.json'));
  const samples = (JSON.parse(readFileSync(join(REPO, 'examples/digits-cnn/calibration.json'), 'utf8')) as { inputs: number[][] }).inputs.map((s) => Float32Array.from(s));
  const { program } = compile(graph, { config: makeConfig({ rows: 8, cols: 8 }), calibration: { samples } });
  return renderReport({ model: 'digits-cnn', program, calibration: `${samples.length} samples from calibration.json` });
}

const deep = randomMlp([64, 48, 40, 32, 24, 10], 8);
const deepProgram = compile(deep, { config: makeConfig({ rows: 4, cols: 8 }), calibration: { samples: randomSamples(4, 64, 1) } }).program;

interface Layout {
  /** Page width beyond the viewport (a horizontal scroll bar when > 0). */
  readonly pageScroll: number;
  /** Elements reaching past main's content edge. */
  readonly over: string[];
  /** Tables that need their own scroll bar. */
  readonly scrollers: number;
  /** Summary cards per row. */
  readonly cardRows: number[];
}

/** Runs in the page (a string: the test's TypeScript has no DOM types). */
const MEASURE_LAYOUT = `(() => {
  const main = document.querySelector('main');
  const right = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
  const over = [...main.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > right + 0.5 && e.closest('pre') === null);
  const rows = new Map();
  for (const card of main.querySelectorAll('dl.figures > div')) {
    const top = Math.round(card.getBoundingClientRect().top);
    rows.set(top, (rows.get(top) ?? 0) + 1);
  }
  return {
    pageScroll: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    over: over.slice(0, 5).map((e) => e.tagName.toLowerCase() + '.' + e.className + ' ends at ' + Math.round(e.getBoundingClientRect().right) + ' > ' + Math.round(right)),
    scrollers: [...main.querySelectorAll('div.table')].filter((e) => e.scrollWidth > e.clientWidth).length,
    cardRows: [...rows.values()],
  };
})()`;

describe.skipIf(!haveChromium)('report in headless chromium', () => {
  let server: Server;
  let browser: Browser;
  let base = '';

  beforeAll(async () => {
    pages.set('/digits.html', digitsPage());
    pages.set('/deep.html', renderReport({ model: 'deep-mlp', program: deepProgram }));
    pages.set('/cnn.html', cnnPage());
    server = createServer((req, res) => {
      const body = pages.get(req.url ?? '');
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(body ?? 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** Open a page; collect console errors, page errors, failed requests and HTTP errors. */
  async function open(path: string, screenshot: string): Promise<{ problems: string[]; bars: string[]; roofPoints: number; paretoPoints: number }> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    page.on('response', (r) => void (r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`)));
    const response = await page.goto(`${base}${path}`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    await page.screenshot({ path: join(ARTIFACTS, screenshot), fullPage: true });
    const bars = await page.locator('svg#layer-chart .bar').evaluateAll((els) => els.map((e) => e.getAttribute('data-layer') ?? ''));
    const roofPoints = await page.locator('svg#roofline .roof-point').count();
    const paretoPoints = await page.locator('svg#pareto-chart circle.point.pareto').count();
    await page.close();
    return { problems, bars, roofPoints, paretoPoints };
  }

  test('the digits MLP report (with the explore Pareto plot) loads cleanly; one bar per layer', async () => {
    const r = await open('/digits.html', 'report-digits-mlp.png');
    expect(r.problems).toEqual([]);
    expect(r.bars).toEqual(['dense_1', 'dense_2']);
    expect(r.roofPoints).toBe(2);
    expect(r.paretoPoints).toBeGreaterThan(0);
  });

  test.each([1280, 1920])('at %i px wide, nothing is wider than the page and no summary card sits alone in its row', async (width) => {
    for (const path of ['/cnn.html', '/digits.html']) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(`${base}${path}`, { waitUntil: 'load' });
      await page.screenshot({ path: join(ARTIFACTS, `report${path.replace('.html', '')}-${width}.png`), fullPage: true });
      const layout = await page.evaluate<Layout>(MEASURE_LAYOUT);
      await page.close();
      expect(layout.pageScroll, `${path} at ${width} px`).toBe(0);
      expect(layout.over, `${path} at ${width} px`).toEqual([]);
      expect(layout.scrollers, `${path} at ${width} px: a table needs its own scroll bar`).toBe(0);
      expect(layout.cardRows.length).toBeGreaterThan(0);
      if (layout.cardRows.length > 1) expect(Math.min(...layout.cardRows), `${path} at ${width} px: cards per row ${layout.cardRows.join(', ')}`).toBeGreaterThan(1);
    }
  });

  test('a five-layer network: five bars, in layer order', async () => {
    const r = await open('/deep.html', 'report-deep-mlp.png');
    expect(r.problems).toEqual([]);
    expect(r.bars).toEqual(deepProgram.layers.map((l) => l.name));
    expect(r.roofPoints).toBe(deepProgram.layers.length);
    expect(r.paretoPoints).toBe(0);
  });
});
