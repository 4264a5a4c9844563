// SPDX-License-Identifier: MIT
/** `nnchip wasm <model> [-o model.wasm] [--no-simd]`: a standalone WebAssembly module + JS loader + types. */
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { buildWasm } from '../../backends/wasm/emit.js';
import { emitLoader } from '../../backends/wasm/loader/loader.js';
import { PAGE_BYTES } from '../../backends/wasm/plan/memory.js';
import { NnchipError } from '../../diagnostics/error.js';
import { checkOutput, writeFilesAtomic } from '../../util/atomic-write.js';
import type { CliContext } from '../context.js';
import { examples, MODEL_OR_PROGRAM_INPUTS } from '../help.js';
import { checkHeap } from '../heap.js';
import { programFor } from '../load-program.js';
import { addCompileOptions, type CompileFlags } from '../options.js';
import { addForceOption, outputOptions, type ForceFlag } from '../output-flags.js';
import { bytes } from '../render.js';
import { modelStem } from '../model-path.js';

type WasmFlags = CompileFlags & ForceFlag & { out?: string; simd: boolean; json?: boolean };

export function register(program: Command, ctx: CliContext): void {
  addCompileOptions(
    addForceOption(
      program
        .command('wasm')
        .description('compile to a standalone WebAssembly module with a JS loader (model.wasm, model.mjs, model.d.mts) that computes what the reference interpreter does, bit for bit (docs/wasm.md)')
        .argument('<model>', MODEL_OR_PROGRAM_INPUTS)
        .option('-o, --out <file.wasm>', 'output module; the loader and types are written beside it (default ./<model-name>.wasm)')
        .option('--no-simd', 'scalar build for engines without WebAssembly SIMD (same results, slower)')
        .option('--json', 'print {"out", "wasm", "loader", "types", "simd", "bytes", "memoryBytes", "pages", "memoryMap", "input", "output", "stats"} as JSON: "out" (= "wasm"), "loader" and "types" the files written, "bytes" the module\'s size, "memoryBytes" its fixed linear memory')
        .addHelpText(
          'after',
          examples([
            ['nnchip wasm examples/digits-mlp/model.json', './digits-mlp.wasm + .mjs loader + types'],
            ['nnchip wasm digits-mlp.nnchip -o web/mlp.wasm --no-simd', 'a lowered folder, for engines without SIMD'],
          ]),
        ),
    ),
  ).action((model: string, flags: WasmFlags) => {
    const out = flags.out ?? `${modelStem(model).replace(/\.(nnchip|nnp)$/, '')}.wasm`;
    if (!out.endsWith('.wasm')) throw new NnchipError('NN801', `-o "${out}" must name a .wasm file (the loader is written beside it as .mjs and .d.mts)`);
    const stem = join(dirname(out), basename(out, '.wasm'));
    const files = { wasm: out, loader: `${stem}.mjs`, types: `${stem}.d.mts` };
    const written = outputOptions(flags, model, flags.calibration, flags.config);
    for (const f of Object.values(files)) checkOutput(f, 'file', written);
    const p = programFor(model, flags, ctx);
    checkHeap(p, 'wasm', undefined, model);
    const build = buildWasm(p, { simd: flags.simd });
    const loader = emitLoader(p, basename(out));
    // one set: a kill never leaves a loader beside a module of another build
    writeFilesAtomic(new Map<string, string | Uint8Array>([[files.wasm, build.bytes], [files.types, loader.dts], [files.loader, loader.mjs]]), written);
    const summary = {
      out: files.wasm,
      ...files,
      simd: flags.simd,
      bytes: build.bytes.length,
      memoryBytes: build.plan.pages * PAGE_BYTES,
      pages: build.plan.pages,
      memoryMap: build.plan,
      input: p.input,
      output: p.outputs[0],
      ...(p.outputs.length > 1 ? { outputs: p.outputs } : {}),
      stats: build.stats,
    };
    if (flags.json) {
      ctx.io.stdout(JSON.stringify(summary) + '\n');
      return;
    }
    const { io } = ctx;
    io.stdout(`${io.color.bold(model)} → ${files.wasm} (${bytes(build.bytes.length)}, ${flags.simd ? 'SIMD' : 'scalar'}) + ${files.loader} + ${files.types}\n`);
    io.stdout(`memory: ${build.plan.pages} page${build.plan.pages === 1 ? '' : 's'} (${bytes(build.plan.end)} used, fixed); ${build.stats.matmuls} matmuls run as ${build.stats.gemms} GEMM calls\n`);
    io.stdout(`use: import { load } from './${basename(files.loader)}'; const net = await load(); net.run(new Float32Array(${p.input.rows * p.input.rowBytes}))\n`);
  });
}
