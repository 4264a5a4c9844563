// SPDX-License-Identifier: MIT
/** `nnchip verilog <model> --target <ice40|ecp5|asic|generic> [-o dir] [--input samples.json]`: a complete RTL design folder. */
import type { Command } from 'commander';
import { emitVerilog, ICE40_DEVICES, VERILOG_TARGETS, type Ice40Device, type VerilogTarget } from '../../backends/verilog/emit.js';
import { NnchipError } from '../../diagnostics/error.js';
import { quantizeBatches } from '../../isa/program.js';
import { scheduleTimes } from '../../isa/timing.js';
import { checkOutput, writeDirAtomic } from '../../util/atomic-write.js';
import type { CliContext } from '../context.js';
import { programInputSpec, readSamples } from '../data.js';
import { examples, MODEL_OR_PROGRAM_INPUTS } from '../help.js';
import { programFor } from '../load-program.js';
import { addCompileOptions, type CompileFlags } from '../options.js';
import { addForceOption, outputOptions, type ForceFlag } from '../output-flags.js';
import { modelStem } from '../model-path.js';

type VerilogFlags = CompileFlags & ForceFlag & { target: string; out?: string; input?: string; device: string; json?: boolean };

export function parseTarget(name: string): VerilogTarget {
  const t = VERILOG_TARGETS.find((x) => x === name);
  if (t === undefined) throw new NnchipError('NN801', `unknown target "${name}" (available: ${VERILOG_TARGETS.join(', ')})`);
  return t;
}

export function parseDevice(name: string): Ice40Device {
  const d = ICE40_DEVICES.find((x) => x === name);
  if (d === undefined) throw new NnchipError('NN801', `unknown iCE40 device "${name}" (available: ${ICE40_DEVICES.join(', ')})`);
  return d;
}

export function register(program: Command, ctx: CliContext): void {
  addCompileOptions(
    addForceOption(
      program
        .command('verilog')
        .description('generate synthesizable Verilog, ROM images, a self-checking test bench and the flow files for one target')
        .argument('<model>', MODEL_OR_PROGRAM_INPUTS)
        .option('--target <name>', `flow: ${VERILOG_TARGETS.join(', ')}`, 'generic')
        .option('--device <name>', `iCE40 part: ${ICE40_DEVICES.join(', ')}`, 'hx8k')
        .option('-o, --out <dir>', 'output folder (default ./<model-name>.rtl/)')
        .option('--input <file>', 'JSON samples for the test bench (default: one all-zero input)')
        .option('--json', 'print a summary as JSON')
        .addHelpText(
          'after',
          examples([
            ['nnchip verilog examples/tiny/tiny.nnchip.json --array 4x4 --target ice40', './tiny.rtl/: RTL, ROMs, test bench, flow'],
            ['nnchip verilog digits-mlp.nnchip --input samples.json -o rtl/', 'a test bench that checks these samples'],
          ]),
        ),
    ),
  ).action((model: string, flags: VerilogFlags) => {
    const target = parseTarget(flags.target);
    const device = parseDevice(flags.device);
    const name = modelStem(model).replace(/\.(nnchip|nnp)$/, '');
    const out = flags.out ?? `${name}.rtl`;
    const written = outputOptions(flags, model, flags.input, flags.calibration, flags.config);
    checkOutput(out, 'folder', written);
    const p = programFor(model, flags, ctx);
    // the test bench runs one inference per batch of samples
    const inputs = flags.input === undefined ? undefined : quantizeBatches(p, readSamples(flags.input, programInputSpec(p)).inputs);
    const files = emitVerilog(p, { target, device, name, ...(inputs === undefined ? {} : { inputs }) });
    writeDirAtomic(out, files, written);
    const cycles = scheduleTimes(p.instructions, p.config).cycles;
    const summary = { out, target, array: `${p.config.rows}x${p.config.cols}`, files: [...files.keys()], instructions: p.instructions.length, samples: inputs?.length ?? 1, cycles };
    if (flags.json) {
      ctx.io.stdout(JSON.stringify(summary) + '\n');
      return;
    }
    const { io } = ctx;
    io.stdout(`${io.color.bold(model)} → ${out}/  (array ${summary.array}, target ${target}, ${files.size} files, ${p.instructions.length} instructions, ${cycles.toLocaleString('en-US')} cycles per inference)\n`);
    io.stdout(`next: make -C ${out} sim | verilate | lint | synth${target === 'ice40' || target === 'ecp5' ? ' | pnr' : ''}\n`);
  });
}
