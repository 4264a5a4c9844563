// SPDX-License-Identifier: MIT
/**
 * The generated FuseSoC core (nnchip.core), parsed: every target's filesets exist, every file it names
 * is in the design folder, every toplevel is a module of its filesets, and the iCE40 pnr target has a
 * pcf whose pins are the board top's ports. (No YAML library is a dependency: a parser for the block
 * YAML subset the template uses, which refuses anything outside it.)
 */
import { describe, expect, test } from 'vitest';
import { cellModelPath, cellsOf } from '../../../../src/backends/verilog/cell-models.js';
import { emitVerilog, ICE40_DEVICES, peMultipliersOf, VERILOG_TARGETS, type Ice40Device, type VerilogTarget } from '../../../../src/backends/verilog/emit.js';
import { compileGraph } from '../../../helpers/compile.js';
import { randomMlp, randomSamples } from '../../../helpers/random-graph.js';

type Yaml = string | Yaml[] | { [key: string]: Yaml };

/** `[a, b]` → ['a', 'b']; `{k: v}` → { k: 'v' }; anything else is a plain scalar. */
function flow(text: string): Yaml {
  const t = text.trim();
  const inner = (): string[] => t.slice(1, -1).split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (t.startsWith('[')) return inner();
  if (t.startsWith('{')) return Object.fromEntries(inner().map((kv) => kv.split(/:\s*/, 2) as [string, string]));
  expect(t, 'a plain scalar').not.toMatch(/^[&*!|>'"%@`]/);
  return t;
}

/** Block mappings and sequences by indentation, as the core template writes them. */
function parseYaml(text: string): Yaml {
  const lines = text
    .split('\n')
    .map((raw) => raw.replace(/\s+#.*$|^\s*#.*$/, ''))
    .filter((l) => l.trim() !== '')
    .map((l) => ({ indent: l.length - l.trimStart().length, body: l.trim() }));
  let i = 0;
  const block = (indent: number): Yaml => {
    if (lines[i]!.body.startsWith('- ')) {
      const list: Yaml[] = [];
      while (i < lines.length && lines[i]!.indent === indent && lines[i]!.body.startsWith('- ')) {
        const item = lines[i++]!.body.slice(2);
        const m = /^([^\s:{[]+):\s+(.+)$/.exec(item);
        list.push(m ? { [m[1]!]: flow(m[2]!) } : flow(item));
      }
      return list;
    }
    const map: { [key: string]: Yaml } = {};
    while (i < lines.length && lines[i]!.indent === indent) {
      const m = /^([\w.-]+):(?:\s+(.+))?$/.exec(lines[i]!.body);
      expect(m, `line "${lines[i]!.body}" is "key: value" or "key:"`).not.toBeNull();
      expect(map[m![1]!], `duplicate key ${m![1]}`).toBeUndefined();
      i++;
      if (m![2] !== undefined) map[m![1]!] = flow(m![2]);
      else {
        expect(lines[i]!.indent, `a block under ${m![1]}`).toBeGreaterThan(indent);
        map[m![1]!] = block(lines[i]!.indent);
      }
    }
    expect(i === lines.length || lines[i]!.indent < indent, `line "${lines[i]?.body}" is mis-indented`).toBe(true);
    return map;
  };
  return block(0);
}

const asMap = (y: Yaml | undefined, what: string): { [key: string]: Yaml } => {
  expect(typeof y === 'object' && y !== null && !Array.isArray(y), `${what} is a mapping`).toBe(true);
  return y as { [key: string]: Yaml };
};
const asList = (y: Yaml | undefined, what: string): Yaml[] => {
  expect(Array.isArray(y), `${what} is a list`).toBe(true);
  return y as Yaml[];
};
const fileName = (f: Yaml): string => (typeof f === 'string' ? f : Object.keys(f as object)[0]!);

const samples = randomSamples(2, 6, 3);
const program = compileGraph(randomMlp([6, 5, 4], 1), samples, { rows: 2, cols: 3 });
interface Case {
  readonly target: VerilogTarget;
  readonly device: Ice40Device | undefined;
}
const cases = VERILOG_TARGETS.flatMap((target): Case[] => (target === 'ice40' ? ICE40_DEVICES.map((device) => ({ target, device })) : [{ target, device: undefined }]));

describe('nnchip.core', () => {
  test.each(cases)('$target $device: a CAPI=2 core whose targets name files and modules of the design', ({ target, device }) => {
    const opts = { target, ...(device === undefined ? {} : { device }) };
    const files = emitVerilog(program, opts);
    // the CLI writes the cell models beside the design (from the installed yosys: not needed here, only their paths)
    const cellModels = cellsOf(peMultipliersOf(opts)).map(cellModelPath);
    const inFolder = (f: string): boolean => files.has(f) || cellModels.includes(f);
    const text = files.get('nnchip.core')!;
    expect(text.split('\n')[0]).toBe('CAPI=2:');
    const core = asMap(parseYaml(text.split('\n').slice(1).join('\n')), 'the core');
    expect(core['name']).toMatch(/^nnchip:design:[a-z0-9_]+:\d+\.\d+\.\d+$/);
    const filesets = asMap(core['filesets'], 'filesets');
    for (const [name, fs] of Object.entries(filesets)) {
      const set = asMap(fs, `fileset ${name}`);
      expect(['verilogSource', 'user', 'PCF']).toContain(set['file_type']);
      for (const f of asList(set['files'], `fileset ${name} files`)) expect(inFolder(fileName(f)), `${name}: ${fileName(f)} is in the design folder`).toBe(true);
    }
    const targets = asMap(core['targets'], 'targets');
    expect(Object.keys(targets)).toEqual(expect.arrayContaining(['default', 'sim', 'lint']));
    for (const [name, t] of Object.entries(targets)) {
      const spec = asMap(t, `target ${name}`);
      const sets = asList(spec['filesets'], `${name} filesets`).map(String);
      for (const s of sets) expect(filesets[s], `${name} uses fileset ${s}`).toBeDefined();
      const sources = sets.flatMap((s) => (asMap(filesets[s], s)['file_type'] === 'verilogSource' ? asList(asMap(filesets[s], s)['files'], s).map(fileName) : []));
      expect(sources.some((f) => new RegExp(`^\\s*module\\s+${String(spec['toplevel'])}\\b`, 'm').test(files.get(f) ?? '')), `${name}: toplevel ${String(spec['toplevel'])} is a module of its filesets`).toBe(true);
      if (spec['tools'] !== undefined) expect(Object.keys(asMap(spec['tools'], `${name} tools`))).toEqual([spec['default_tool']]);
    }
    expect(targets['synth'], 'no synth target without a place-and-route flow').toBeUndefined();
    // the cells the RTL instantiates by name (the UP5K's SB_MAC16) are simulated and linted with yosys's models, not synthesized from them
    const filesOf = (t: string): string[] => asList(asMap(targets[t], t)['filesets'], `${t} filesets`).flatMap((s) => asList(asMap(filesets[String(s)], String(s))['files'], String(s)).map(fileName));
    for (const model of cellModels) {
      expect(filesOf('sim'), `sim compiles ${model}`).toContain(model);
      expect(filesOf('lint'), `lint reads ${model}`).toContain(model);
      expect(filesOf('default'), `default synthesizes no cell model`).not.toContain(model);
      if (targets['pnr'] !== undefined) expect(filesOf('pnr'), `pnr synthesizes no cell model`).not.toContain(model);
    }
    expect(cellModels.length > 0, 'the UP5K design multiplies in DSPs').toBe(device === 'up5k');
    if (target !== 'ice40') {
      expect(targets['pnr']).toBeUndefined();
      return;
    }
    const pnr = asMap(targets['pnr'], 'pnr');
    expect(pnr['default_tool']).toBe('icestorm');
    const icestorm = asMap(asMap(pnr['tools'], 'pnr tools')['icestorm'], 'icestorm');
    expect(icestorm['pnr']).toBe('next');
    expect(asList(icestorm['nextpnr_options'], 'nextpnr_options').slice(0, 1)).toEqual([`--${device}`]);
    const pcfSets = asList(pnr['filesets'], 'pnr filesets').map(String).filter((s) => asMap(filesets[s], s)['file_type'] === 'PCF');
    expect(pcfSets).toHaveLength(1);
    const pcf = files.get(fileName(asList(asMap(filesets[pcfSets[0]!], 'pcf')['files'], 'pcf files')[0]!))!;
    const pins = [...pcf.matchAll(/^set_io\s+(\S+)/gm)].map((m) => m[1]!).sort();
    const top = /module\s+nnchip_pnr_top\s*\(([\s\S]*?)\);/.exec(files.get('fpga/nnchip_pnr_top.v') ?? '')?.[1] ?? '';
    const ports = [...top.matchAll(/(?:input|output)\s+(?:wire|reg)?\s*(?:\[[^\]]*\]\s*)?(\w+)/g)].map((m) => m[1]!).sort();
    expect(pins).toEqual(ports);
  });
});
