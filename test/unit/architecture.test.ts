/** Holds the dependency direction and the file-size budget of shared/STYLE.md §6.4 and §6.9. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const rel = join(dir, name);
    return statSync(join(ROOT, rel)).isDirectory() ? files(rel) : rel.endsWith('.ts') ? [rel] : [];
  });
}

const SOURCES = [...files('src'), ...files('sim')];

function area(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'sim') return 'sim';
  if (parts[1] === 'backends') return `backends/${parts[2]}`;
  return parts[1]!.endsWith('.ts') ? parts[1]!.replace(/\.ts$/, '') : parts[1]!;
}

/** What each area may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  diagnostics: [],
  util: ['diagnostics'],
  isa: ['diagnostics'],
  'wasm-encoding': [],
  ir: ['diagnostics', 'wasm-encoding'],
  importers: ['ir', 'diagnostics', 'util'],
  passes: ['ir', 'isa', 'diagnostics'],
  sim: ['isa', 'diagnostics', 'util'],
  'backends/verilog': ['isa', 'diagnostics', 'util'],
  'backends/wasm': ['isa', 'diagnostics', 'util', 'wasm-encoding'],
  board: ['backends/verilog', 'isa', 'diagnostics', 'util'],
  explore: ['isa', 'passes', 'ir', 'importers', 'diagnostics', 'util'],
  cli: ['*'],
  index: ['*'],
};

/** The WebAssembly back end's parts (its sub-folders) and what each may import of the others; files at its top level (emit.ts, instance.ts) assemble them. */
const WASM_PARTS: Record<string, readonly string[]> = {
  kernels: [],
  plan: [],
  loader: [],
};

function importsOf(path: string): string[] {
  const text = readFileSync(join(ROOT, path), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)].map((m) => relative(ROOT, resolve(ROOT, dirname(path), m[1]!)).replace(/\.js$/, '.ts'));
}

/** The wasm part of a file under src/backends/wasm/<part>/, or null at the top level or elsewhere. */
function wasmPart(path: string): string | null {
  const m = /^src\/backends\/wasm\/([^/]+)\//.exec(path);
  return m === null ? null : m[1]!;
}

/** Import cycles (type-only imports included: a cycle means a type lives in the wrong file), each as its file list. */
function cycles(paths: readonly string[]): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (p: string): void => {
    state.set(p, 'open');
    stack.push(p);
    for (const q of importsOf(p).filter((t) => paths.includes(t))) {
      if (state.get(q) === 'open') found.push(stack.slice(stack.indexOf(q)));
      else if (state.get(q) === undefined) visit(q);
    }
    stack.pop();
    state.set(p, 'done');
  };
  for (const p of paths) if (state.get(p) === undefined) visit(p);
  return found;
}

describe('architecture', () => {
  test.each(SOURCES)('%s imports only in the allowed direction', (path) => {
    const mine = area(path);
    const allowed = ALLOWED[mine];
    expect(allowed, `no rule for area ${mine}`).toBeDefined();
    for (const target of importsOf(path)) {
      const theirs = area(target);
      if (theirs === mine || allowed!.includes('*')) continue;
      expect(allowed, `${path} imports ${target}`).toContain(theirs);
    }
  });

  test.each(SOURCES.filter((p) => wasmPart(p) !== null))('%s imports only the WebAssembly parts it may', (path) => {
    const mine = wasmPart(path)!;
    const allowed = WASM_PARTS[mine];
    expect(allowed, `no rule for src/backends/wasm/${mine}/`).toBeDefined();
    for (const target of importsOf(path)) {
      const theirs = wasmPart(target);
      if (target.startsWith('src/backends/wasm/')) expect(theirs !== null && (theirs === mine || allowed!.includes(theirs)), `${path} imports ${target}`).toBe(true);
    }
  });

  test('no import cycles in src/ and sim/', () => {
    expect(cycles(SOURCES)).toEqual([]);
  });

  test('nothing imports the CLI', () => {
    for (const path of SOURCES.filter((p) => !['cli', 'index'].includes(area(p)))) {
      expect(importsOf(path).filter((t) => area(t) === 'cli'), path).toEqual([]);
    }
  });

  test.each(SOURCES)('%s stays within the 500-line budget', (path) => {
    const lines = readFileSync(join(ROOT, path), 'utf8').split('\n').length;
    expect(lines).toBeLessThanOrEqual(500);
  });
});
