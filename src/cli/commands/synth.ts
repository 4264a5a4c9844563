// SPDX-License-Identifier: MIT
/** `nnchip synth <model> --target ice40 [--device hx8k|up5k]`: yosys (+ nextpnr when installed) resource and Fmax figures. */
import type { Command } from 'commander';
import { ICE40_DEVICES, VERILOG_TARGETS } from '../../backends/verilog/emit.js';
import { synthesize, type SynthReport } from '../../backends/verilog/synth.js';
import type { CliContext } from '../context.js';
import { examples, MODEL_OR_PROGRAM_INPUTS } from '../help.js';
import { programFor } from '../load-program.js';
import { checkOutput } from '../../util/atomic-write.js';
import { addCompileOptions, type CompileFlags } from '../options.js';
import { addForceOption, outputOptions, type ForceFlag } from '../output-flags.js';
import { table } from '../render.js';
import { parseDevice, parseTarget } from './verilog.js';

type SynthFlags = CompileFlags & ForceFlag & { target: string; device: string; out?: string; pnr: boolean; json?: boolean; yosys?: string };

function rows(r: SynthReport): (string | number)[][] {
  const fmax = r.fmaxMhz === null ? `— (${r.note ?? 'not placed'})` : `${r.fmaxMhz.toFixed(1)} MHz`;
  const out: (string | number)[][] = [
    ['LUTs', r.luts],
    ['flip-flops', r.ffs],
    ['block RAMs', r.brams],
    ['DSPs', r.dsps],
    ['cells', r.cells],
  ];
  if (r.transistors !== null) out.push(['transistors (logic, CMOS estimate)', r.transistors]);
  out.push(['memory bits (buffers + ROM)', r.memoryBits], ['Fmax', fmax]);
  return out;
}

const SYNTH_HELP = `
Small FPGAs: an iCE40 has no multipliers (the UP5K has 8 DSPs), so the machine must be small.
The threshold unit's exact 32x16 multiply is the largest block; "thresholdPasses" in --config
trades it for cycles: 4*C gives one lane multiplying in 4-bit steps. A 4x4 array that places and
routes on an HX8K (about 5,600 LUTs, 28 BRAMs, 50 MHz):
  {"rows": 4, "cols": 4, "thresholdPasses": 16, "actDepth": 64, "wgtDepth": 16,
   "accDepth": 16, "qntDepth": 4, "outDepth": 16, "queueDepth": 2}
The program ROM is on chip too: keep the model small (each instruction is 128 bits).

Exit codes: 0 done (a design too large to place still reports its synthesis figures, with the
reason), 5 yosys (or make) not installed, 6 -o not written (see nnchip --help), 70 a tool failed
(--debug shows its output).
`;

export function register(program: Command, ctx: CliContext): void {
  addCompileOptions(
    addForceOption(
      program
        .command('synth')
        .description('synthesize the generated RTL with yosys (and place and route with nextpnr when installed); print LUTs, FFs, BRAMs, DSPs, Fmax')
        .argument('<model>', MODEL_OR_PROGRAM_INPUTS)
        .option('--target <name>', `flow: ${VERILOG_TARGETS.join(', ')}`, 'ice40')
        .option('--device <name>', `iCE40 part: ${ICE40_DEVICES.join(', ')} (up5k maps multipliers to its DSPs)`, 'hx8k')
        .option('-o, --out <dir>', 'keep the design and the tool reports in this folder (default: a temporary folder, removed)')
        .option('--no-pnr', 'synthesis only')
        .option(
          '--yosys <which>',
          'yosys to run: system (yosys on PATH), yowasp (the @yowasp/yosys npm package: yosys compiled to WebAssembly, no system install, slower) or a path to a yosys binary (default: $NNCHIP_YOSYS, else system when on PATH, else yowasp)',
        )
        .option('--json', 'print the figures as JSON')
        .addHelpText('after', SYNTH_HELP)
        .addHelpText(
          'after',
          examples([
            ['nnchip synth examples/tiny/tiny.nnchip.json --array 4x4 --config small.json', 'iCE40 HX8K: LUTs, FFs, BRAMs, Fmax'],
            ['nnchip synth digits-mlp.nnchip --target ecp5 --no-pnr --json', 'synthesis figures only, as JSON'],
          ]),
        ),
    ),
  ).action(async (model: string, flags: SynthFlags) => {
    const written = outputOptions(flags, model, flags.calibration, flags.config);
    if (flags.out !== undefined) checkOutput(flags.out, 'folder', written);
    const p = programFor(model, flags, ctx);
    const report = await synthesize(p, {
      target: parseTarget(flags.target),
      device: parseDevice(flags.device),
      noPnr: !flags.pnr,
      // long steps (tens of seconds each): say what is running, on a terminal only
      ...(ctx.io.interactive && !flags.json ? { onStep: (step: string) => ctx.io.stderr(ctx.io.color.dim(`${step}…\n`)) } : {}),
      ...(flags.yosys === undefined ? {} : { yosys: flags.yosys }),
      ...(flags.out === undefined ? {} : { dir: flags.out, written }),
    });
    if (flags.json) {
      ctx.io.stdout(JSON.stringify({ array: `${p.config.rows}x${p.config.cols}`, ...report }) + '\n');
      return;
    }
    const { io } = ctx;
    io.stdout(`${io.color.bold(model)}: array ${p.config.rows}x${p.config.cols}, ${report.target}${report.device === null ? '' : ` ${report.device}`}\n`);
    const y = report.yosys;
    io.stdout(io.color.dim(`yosys ${y.version ?? '(version unknown)'}: ${y.kind === 'yowasp' ? 'yowasp (@yowasp/yosys, WebAssembly)' : y.kind} — ${y.command}\n`));
    io.stdout(table(['resource', 'used'], rows(report), io));
  });
}
