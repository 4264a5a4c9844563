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
  ir: ['diagnostics'],
  importers: ['ir', 'diagnostics', 'util'],
  passes: ['ir', 'isa', 'diagnostics'],
  sim: ['isa', 'diagnostics', 'util'],
  'backends/verilog': ['isa', 'diagnostics', 'util'],
  'backends/wasm': ['isa', 'diagnostics', 'util'],
  explore: ['isa', 'passes', 'ir', 'importers', 'diagnostics', 'util'],
  cli: ['*'],
  index: ['*'],
};

function importsOf(path: string): string[] {
  const text = readFileSync(join(ROOT, path), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)].map((m) => relative(ROOT, resolve(ROOT, dirname(path), m[1]!)).replace(/\.js$/, '.ts'));
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
