// SPDX-License-Identifier: MIT
/**
 * The error table: every failure a user can cause has a code here, a one-line message template
 * and a hint that says what to do. Codes: NN1xx import, NN2xx graph/shape, NN3xx quantize/lower,
 * NN4xx fit/config, NN5xx run/input (NN55x output files), NN6xx budgets, NN7xx tools, NN8xx usage, NN9xx internal.
 */

export interface CodeSpec {
  readonly exit: ExitCode;
  readonly hint: string;
}

/** Documented process exit codes (README "Exit codes"). */
export const EXIT = {
  ok: 0,
  badInput: 1, // malformed or inconsistent model / data file
  usage: 2, // bad command line
  unsupported: 3, // a valid model using something nnchip cannot lower
  overBudget: 4, // `sim` budgets exceeded, certificate mismatch, or a design too large for its FPGA
  toolMissing: 5, // an external tool (iverilog, yosys, …) is not installed
  output: 6, // an output was not written: the path is taken or protected, or the file system refused
  internal: 70, // a bug in nnchip
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const CODES = {
  NN101: { exit: EXIT.badInput, hint: 'check that the file exists and is readable' },
  NN102: { exit: EXIT.badInput, hint: 'the file is not valid JSON; re-export the model' },
  NN103: { exit: EXIT.badInput, hint: 'the file is not in a format nnchip reads (TF.js Layers model.json, ONNX, nnchip JSON)' },
  NN104: { exit: EXIT.badInput, hint: 'weight files must stay inside the model folder; re-export the model' },
  NN105: { exit: EXIT.badInput, hint: 'a weight shard is missing or has the wrong size; re-export or re-download the model' },
  NN106: { exit: EXIT.badInput, hint: 'weights must be float32 (TF.js also: float16, int32 and tfjs-converter\'s uint8/uint16/float16 quantization; ONNX also: float16, bfloat16, double); re-export with float32 weights' },
  NN107: { exit: EXIT.badInput, hint: 'the model file is malformed; re-export the model' },
  NN108: { exit: EXIT.badInput, hint: 'weights must be finite numbers; retrain or clean the model' },
  NN109: { exit: EXIT.badInput, hint: 'raise the limit with --max-params / --max-memory if the model is really that large' },
  NN110: { exit: EXIT.unsupported, hint: 'replace the layer with a supported one, or open an issue' },
  NN111: { exit: EXIT.badInput, hint: 'fix the SCALE-Sim topology CSV (docs/scale-sim.md shows the conv and GEMM forms)' },
  NN115: { exit: EXIT.unsupported, hint: 're-export the model with an ONNX opset from 1 to 20 (torch.onnx.export(..., opset_version=17))' },
  NN116: { exit: EXIT.unsupported, hint: 're-export with one float input of fixed shape, batch 1 or symbolic: [N, C, H, W], [N, C, L], [N, T, F] or [N, K]' },
  NN201: { exit: EXIT.badInput, hint: 're-export the model; topology and weights disagree' },
  NN202: { exit: EXIT.badInput, hint: 'each tensor must be produced once and consumed after it is produced' },
  NN203: { exit: EXIT.badInput, hint: 'check the layer sizes in the model' },
  NN301: { exit: EXIT.usage, hint: 'pass --calibration samples.json (recommended) or --input-range lo,hi' },
  NN302: { exit: EXIT.badInput, hint: 'the data file must be JSON: an array of samples or {"inputs": [...]}, each sample a flat or nested array of numbers' },
  NN303: { exit: EXIT.badInput, hint: 'each sample must have exactly as many numbers as the model input' },
  NN304: { exit: EXIT.unsupported, hint: 'the rescale factor cannot be represented; check the calibration data' },
  NN305: { exit: EXIT.unsupported, hint: 'nnchip lowers networks built from the supported layers only' },
  NN306: { exit: EXIT.unsupported, hint: 'run this model once per sample (--batch 1, the default); a batch needs feature maps given pixel-major (TF.js, nnchip JSON)' },
  NN307: { exit: EXIT.badInput, hint: 'give each sample flat, or nested exactly in the model input shape (ONNX maps channel-major [C, H, W], TF.js [H, W, C])' },
  NN308: { exit: EXIT.usage, hint: 'use that batch or less (the instructions, and the compiler\'s time and memory, grow with the batch), or raise --max-memory or --max-instructions when it is the limit and the machine has the memory' },
  NN401: { exit: EXIT.usage, hint: 'use --array RxC with 1 ≤ R, C ≤ 256, e.g. --array 8x8' },
  NN402: { exit: EXIT.usage, hint: 'fix the field in the machine configuration' },
  NN403: { exit: EXIT.unsupported, hint: 'enlarge the buffer in the machine configuration (--config) or use a larger array' },
  NN404: { exit: EXIT.badInput, hint: 'the file is not an nnchip program; produce one with `nnchip lower`' },
  NN405: { exit: EXIT.overBudget, hint: 'use the suggested fields in --config, a smaller model, or a larger part (--device)' },
  NN406: { exit: EXIT.unsupported, hint: 'lower it for a larger array (--array) or larger buffers (--config), or raise --max-instructions where node has the memory: the compiler takes about 1 KB per instruction (NODE_OPTIONS=--max-old-space-size)' },
  NN501: { exit: EXIT.badInput, hint: 'check the input file' },
  NN502: { exit: EXIT.badInput, hint: 'merge all N shards of one sweep, made with identical flags' },
  // the board link (src/board/, `nnchip board run`)
  NN511: { exit: EXIT.badInput, hint: 'check that the FPGA holds this folder\'s bitstream and flash image (make -C <dir> prog), then run again' },
  NN512: { exit: EXIT.badInput, hint: 'check the --port path (ls /dev/ttyUSB*), that the board is plugged in and that you may open it (group dialout)' },
  NN513: { exit: EXIT.badInput, hint: 'check that --port is the board\'s UART (iCEBreaker, HX8K breakout: the second FTDI channel, often /dev/ttyUSB1) and that the FPGA holds this folder\'s bitstream and flash image (make -C <dir> prog)' },
  NN514: { exit: EXIT.badInput, hint: 'program the board with this folder (make -C <dir> prog), or pass the folder its bitstream came from' },
  NN515: { exit: EXIT.badInput, hint: 'pass a folder written by `nnchip verilog <model> --board <name> -o <dir>`' },
  NN516: { exit: EXIT.badInput, hint: 'compile the model for the folder\'s machine (no --config/--array, or the same ones), or build a bitstream for it (nnchip verilog --board; --with tables,pooling,shifts builds that hardware for models that need it)' },
  NN601: { exit: EXIT.overBudget, hint: 'raise the budget or choose a larger array / more SRAM' },
  NN602: { exit: EXIT.overBudget, hint: 'the program is not constant-cost: this is a bug in the program or in nnchip' },
  // output files (src/util/output-paths.ts, atomic-write.ts): exit 6, nothing written
  NN551: { exit: EXIT.output, hint: 'pass --force to replace it, or choose another output path (-o/--out)' },
  NN552: { exit: EXIT.output, hint: 'choose an output path outside the inputs and the current folder (--force does not change this)' },
  NN553: { exit: EXIT.output, hint: 'choose an output path of the right kind (-o/--out), or remove what is there' },
  NN554: { exit: EXIT.output, hint: 'choose an output path you can write to (-o/--out), or fix the permissions' },
  NN555: { exit: EXIT.output, hint: 'free some space, or choose an output path on another file system (-o/--out)' },
  NN556: { exit: EXIT.output, hint: 'choose an output path on an ordinary file system, with a shorter name (-o/--out)' },
  NN557: { exit: EXIT.output, hint: 'two nnchip runs were writing the same folder; run this one again' },
  NN558: { exit: EXIT.output, hint: 'set TMPDIR to a folder that exists and that you can write to' },
  NN559: { exit: EXIT.output, hint: 'check the output path and run again (-o/--out)' },
  NN701: { exit: EXIT.toolMissing, hint: 'install it: apt-get install -y iverilog verilator yosys nextpnr-ice40' },
  NN703: { exit: EXIT.toolMissing, hint: 'install the serial-port library: npm install serialport (an optional dependency of nnchip)' },
  NN702: { exit: EXIT.internal, hint: 'an external tool failed; run with --debug to see its output' },
  NN801: { exit: EXIT.usage, hint: 'see `nnchip --help`' },
  NN901: { exit: EXIT.internal, hint: 'this is a bug in nnchip: please report it with the command line and the model' },
} as const satisfies Record<string, CodeSpec>;

export type ErrorCode = keyof typeof CODES;
