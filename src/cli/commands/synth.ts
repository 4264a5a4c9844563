// SPDX-License-Identifier: MIT
/** `nnchip synth <model> --target ice40 [--device hx8k|up5k]`: yosys (+ nextpnr when installed) resource and Fmax figures, as % of the part. */
import type { Command } from 'commander';
import { NnchipError } from '../../diagnostics/error.js';
import { DEVICE_NAMES, deviceFor, FPGA_DEVICES, RESOURCE_LABEL, RESOURCES } from '../../backends/verilog/devices.js';
import { VERILOG_TARGETS } from '../../backends/verilog/emit.js';
import { notFitting, type RecompileFn } from '../../backends/verilog/fit.js';
import { synthesize, type SynthReport } from '../../backends/verilog/synth.js';
import type { Program } from '../../isa/program.js';
import type { CliContext } from '../context.js';
import { progressLine } from '../progress.js';
import { examples, MODEL_OR_PROGRAM_INPUTS } from '../help.js';
import { programFor } from '../load-program.js';
import { compilerFor } from '../recompile.js';
import { isProgramPath } from '../model-path.js';
import { checkOutput } from '../../util/atomic-write.js';
import { addForceOption, outputOptions, type ForceFlag } from '../output-flags.js';
import { addCompileOptions, type CompileFlags } from '../options.js';
import { fmtInt, table } from '../render.js';
import { parseTarget } from './verilog.js';

type SynthFlags = CompileFlags & ForceFlag & { target: string; device?: string; out?: string; pnr: boolean; bitstream?: boolean; json?: boolean; yosys?: string };

const share = (used: number, of: number): string => (of === 0 ? 'the part has none' : `${((100 * used) / of).toFixed(1)}% of ${fmtInt(of)}`);

function rows(r: SynthReport, clockMhz: number): (string | number)[][] {
  const fmax = r.fmaxMhz === null ? `— (${r.note ?? 'not placed'})` : `${r.fmaxMhz.toFixed(1)} MHz`;
  const clock = r.fmaxMhz === null ? '' : `${r.fmaxMhz >= clockMhz ? 'meets' : 'misses'} clockMhz ${clockMhz}`;
  const out: (string | number)[][] = RESOURCES.filter((k) => k !== 'io' || r.available !== null).map((k) =>
    r.available === null ? [RESOURCE_LABEL[k], r[k], ''] : [RESOURCE_LABEL[k], r[k], share(r[k], r.available[k])],
  );
  out.push(['cells', r.cells, '']);
  if (r.transistors !== null) out.push(['transistors (logic, CMOS estimate)', r.transistors, '']);
  out.push(['memory bits (buffers + ROM)', r.memoryBits, ''], ['Fmax', fmax, clock]);
  return out;
}

/** Compiles the same model for another machine config (a .nnp program cannot be: its instruction count stands). */
function recompiler(model: string, flags: SynthFlags, p: Program): RecompileFn {
  const compileFor = compilerFor(model, flags);
  if (compileFor === null) return () => ({ instructions: p.instructions.length });
  return (config) => {
    const q = compileFor(config);
    return q === null ? null : { instructions: q.instructions.length };
  };
}

const SYNTH_HELP = `
Parts: ice40 hx8k (default; 7,680 logic cells, 32 block RAMs, no DSPs) or up5k (5,280 logic cells,
30 block RAMs, 8 DSPs); ecp5 25k. The figures are printed as % of the part. A design that does not
fit is not placed: synth exits 4 naming what is over, by how much, and a machine config that fits.

Small FPGAs: an iCE40 has no multipliers (the UP5K has 8 DSPs), so the machine must be small.
The threshold unit's exact 32x16 multiply is the largest block; "thresholdPasses" in --config
trades it for cycles: 4*C gives one lane multiplying in 4-bit steps. A 4x4 array that places and
routes on an HX8K (the tiny example: about 5,500 LUTs, 28 block RAMs, 58 MHz), and on an UP5K
(its PEs in the 8 DSPs); small.json in the examples below:
  {"rows": 4, "cols": 4, "thresholdPasses": 16, "actDepth": 64, "wgtDepth": 16,
   "accDepth": 16, "qntDepth": 4, "outDepth": 16, "queueDepth": 2, "clockMhz": 12}
The program ROM is on chip too: keep the model small (each instruction is 128 bits). nextpnr is
asked for the config's clockMhz (default 100; the iCE40 boards' oscillators run at 12 MHz).

Without Debian's tools: yosys falls back to the npm package @yowasp/yosys, nextpnr-ice40 and icepack
to @yowasp/nextpnr-ice40 (optional dependencies: npm ci installs them, npm ci --omit=optional not).

Exit codes: 0 done, 2 usage (e.g. a part of another family), 4 the design does not fit the part,
5 yosys (or make) not installed, 6 -o not written (see nnchip --help), 70 a tool failed (the end of
its log is printed; -o keeps it all).`;

export function register(program: Command, ctx: CliContext): void {
  addCompileOptions(
    addForceOption(
      program
        .command('synth')
        .description('synthesize the generated RTL with yosys (and place and route with nextpnr when installed); print LUTs, FFs, BRAMs, DSPs, I/O as % of the part, and Fmax')
        .argument('<model>', MODEL_OR_PROGRAM_INPUTS)
        .option('--target <name>', `flow: ${VERILOG_TARGETS.join(', ')}`, 'ice40')
        .option('--device <name>', `part: ${DEVICE_NAMES.map((d) => `${d} (${FPGA_DEVICES[d].target})`).join(', ')}; default hx8k for ice40, 25k for ecp5 (up5k maps multipliers to its DSPs)`)
        .option('-o, --out <dir>', 'keep the design and the tool reports and logs in this folder (default: a temporary folder, removed; kept when a tool fails)')
        .option('--no-pnr', 'synthesis only')
        .option('--bitstream', 'also write the bitstream (icepack / ecppack) into the -o folder')
        .option(
          '--yosys <which>',
          'yosys to run: system (yosys on PATH), yowasp (the @yowasp/yosys npm package: yosys compiled to WebAssembly, no system install, slower) or a path to a yosys binary (default: $NNCHIP_YOSYS, else system when on PATH, else yowasp)',
        )
        .option('--json', 'print {"array", "config", "clockMhz", "target", "device", "luts", "ffs", "brams", "dsps", "io", "available", "over", "cells", "transistors", "memoryBits", "fmaxMhz", "placed", "note", "yosys", "pnr", "bitstream"} as JSON: the resources used, "available" the part\'s, "over" what does not fit (then exit 4), "fmaxMhz" null unless placed')
        .addHelpText('after', SYNTH_HELP)
        .addHelpText(
          'after',
          examples([
            ['nnchip synth examples/tiny/tiny.nnchip.json --array 4x4 --config small.json', 'iCE40 HX8K: LUTs, FFs, BRAMs, Fmax, % of the part'],
            ['nnchip synth examples/tiny/tiny.nnchip.json --array 4x4 --target ecp5 --no-pnr --json', 'ECP5 25k, synthesis figures only, as JSON'],
            ['nnchip synth examples/tiny/tiny.nnchip.json --array 4x4 --config small.json --device up5k -o up5k --bitstream', 'UP5K (PEs in its DSPs): place, route and pack a bitstream into up5k/'],
          ]),
        ),
    ),
  ).action(async (model: string, flags: SynthFlags) => {
    const { io } = ctx;
    const written = outputOptions(flags, model, flags.calibration, flags.config);
    if (flags.out !== undefined) checkOutput(flags.out, 'folder', written);
    const target = parseTarget(flags.target);
    const device = deviceFor(target, flags.device);
    if (flags.bitstream === true && (flags.out === undefined || !flags.pnr)) throw new NnchipError('NN801', '--bitstream needs -o <dir> (where the bitstream is kept) and place and route (not --no-pnr)');
    const p = programFor(model, flags, ctx);
    // long steps (tens of seconds to minutes each): say what is running and for how long (--json: stdout is for the figures; stderr keeps quiet)
    const progress = flags.json ? null : progressLine(io);
    let report: SynthReport;
    try {
      report = await synthesize(p, {
        target,
        device,
        noPnr: !flags.pnr,
        bitstream: flags.bitstream === true,
        ...(progress === null ? {} : { onStep: progress.step }),
        onToolLog: (tail) => {
          progress?.stop(true);
          if (!flags.json) io.stderr(io.errColor.dim(`${tail.map((l) => `  | ${l}`).join('\n')}\n`));
        },
        ...(flags.yosys === undefined ? {} : { yosys: flags.yosys }),
        ...(flags.out === undefined ? {} : { dir: flags.out, written }),
      });
    } finally {
      progress?.stop();
    }
    const overLine = report.over.length === 0 || device === null ? null : notFitting(report.over, FPGA_DEVICES[device], p.config, p.instructions.length, recompiler(model, flags, p));
    if (flags.json) io.stdout(JSON.stringify({ array: `${p.config.rows}x${p.config.cols}`, config: p.config, clockMhz: p.config.clockMhz, ...report }) + '\n');
    else {
      io.stdout(`${io.color.bold(model)}: array ${p.config.rows}x${p.config.cols}, ${report.target}${device === null ? '' : ` ${FPGA_DEVICES[device].part}`}\n`);
      const y = report.yosys;
      io.stdout(io.color.dim(`yosys ${y.version ?? '(version unknown)'}: ${y.kind === 'yowasp' ? 'yowasp (@yowasp/yosys, WebAssembly)' : y.kind} — ${y.command}\n`));
      if (report.pnr !== null) io.stdout(io.color.dim(`place and route: ${report.pnr.kind === 'yowasp' ? 'yowasp (@yowasp/nextpnr-ice40, WebAssembly)' : 'system'} — ${report.pnr.command}\n`));
      io.stdout(table(['resource', 'used', 'of the part'], rows(report, p.config.clockMhz), io));
      if (report.bitstream !== null) io.stdout(`bitstream: ${report.bitstream}\n`);
    }
    // a lowered program holds one machine's instructions: the suggestion is for lowering the model again
    const relower = isProgramPath(model) ? { hint: 'lower the model again with the suggested fields in --config (a lowered program keeps its machine), use a smaller model, or a larger part (--device)' } : {};
    if (overLine !== null) throw new NnchipError('NN405', overLine.line, relower);
  });
}
