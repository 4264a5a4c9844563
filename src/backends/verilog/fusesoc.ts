// SPDX-License-Identifier: MIT
/**
 * The parts of the FuseSoC core (targets/fusesoc/nnchip.core) that depend on the target: an iCE40
 * design gets a `pnr` target (yosys + nextpnr through edalize's icestorm tool) on the board top
 * fpga/nnchip_pnr_top.v with the pins of ice40/nnchip_<device>.pcf; other targets have no pnr target.
 */

/** nextpnr's package per iCE40 device, as in targets/ice40/Makefile. */
const ICE40_PACKAGE: Readonly<Record<string, string>> = { hx8k: 'ct256', up5k: 'sg48' };

export interface CoreValues {
  readonly CORE_PNR_FILESETS: string;
  readonly CORE_PNR_TARGET: string;
}

export interface CoreCellValues {
  readonly CORE_CELL_FILESETS: string;
  readonly CORE_SIM_FILESETS: string;
  readonly CORE_LINT_FILESETS: string;
}

/**
 * The simulation models of the FPGA cells the design instantiates (cell-models.ts: sim/SB_MAC16.v
 * when the PEs multiply in the UP5K's DSPs) as a fileset of the sim and lint targets, as the
 * Makefiles' sim and lint compile them; not of default or pnr, where the synthesis tool maps the
 * cells itself and a model would be synthesized as a module of the design.
 */
export function coreCellValues(models: readonly string[]): CoreCellValues {
  if (models.length === 0) return { CORE_CELL_FILESETS: '', CORE_SIM_FILESETS: 'rtl, tb, mem', CORE_LINT_FILESETS: 'rtl' };
  return {
    CORE_CELL_FILESETS: `  cells:\n    files:\n${models.map((m) => `      - ${m}\n`).join('')}    file_type: verilogSource\n`,
    CORE_SIM_FILESETS: 'rtl, cells, tb, mem',
    CORE_LINT_FILESETS: 'rtl, cells',
  };
}

/** `synthFlags`: yosys synth_ice40's extra options, as the ice40 Makefile gets them (emit.ts ice40SynthFlags). */
export function corePnrValues(target: string, device: string | undefined, clockMhz: number, synthFlags: string): CoreValues {
  if (target !== 'ice40') return { CORE_PNR_FILESETS: '', CORE_PNR_TARGET: '  # place and route: generate the design with --target ice40 for a pnr target' };
  const dev = device ?? 'hx8k';
  const synthOptions = synthFlags === '' ? '' : `\n        yosys_synth_options: [${synthFlags.split(' ').join(', ')}]`;
  return {
    CORE_PNR_FILESETS: `  fpga:
    files:
      - fpga/nnchip_pnr_top.v
    file_type: verilogSource
  pcf:
    files:
      - ice40/nnchip_${dev}.pcf
    file_type: PCF
`,
    CORE_PNR_TARGET: `  pnr:
    description: iCE40-${dev.toUpperCase()} place and route (yosys, nextpnr-ice40, icepack) of the board top; pins in ice40/nnchip_${dev}.pcf
    default_tool: icestorm
    filesets: [rtl, fpga, mem, pcf]
    toplevel: nnchip_pnr_top
    tools:
      icestorm:
        pnr: next${synthOptions}
        nextpnr_options: [--${dev}, --package, ${ICE40_PACKAGE[dev] ?? 'ct256'}, --freq, ${clockMhz}]`,
  };
}
