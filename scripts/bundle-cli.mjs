// scripts/bundle-cli.mjs: the CLI as one script with a V8 code cache (src/cli/bundle.ts says why
// and how bin/nnchip.mjs uses it). `npm run build` runs it after tsc; it writes, under dist/:
//   src/cli/cli.bundle.cjs    every module src/cli/main.ts reaches, compiled by tsc as CommonJS,
//                             each a function in one table (required on first use)
//   src/cli/cli.bundle.cache  V8's code cache of it after `nnchip sim` runs on a lowered digits CNN
//   src/cli/cli.bundle.json   the manifest (written last): each ES module of dist/ beside a bundled
//                             one, the script and the cache, with size, mtime and sha1; any change
//                             and bin/nnchip.mjs runs the ES modules instead
// Generated output: never committed (dist/ is not).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const { BUNDLE_FILES, sha1Of } = await import(join(dist, 'src/cli/bundle.js'));
const out = (f) => join(dist, f);
// no stale cache may meet a new script (V8 checks a cache against the source's length only)
for (const f of Object.values(BUNDLE_FILES)) rmSync(out(f), { force: true });

const work = mkdtempSync(join(tmpdir(), 'nnchip-bundle-'));
try {
  // 1. the CLI's modules as CommonJS (types were checked by the ES build; this only emits)
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  const cjs = join(work, 'cjs');
  execFileSync(process.execPath, [tsc, '--ignoreConfig', 'src/cli/main.ts', '--module', 'commonjs', '--moduleResolution', 'bundler', '--target', 'ES2022', '--verbatimModuleSyntax', 'false', '--noCheck', '--skipLibCheck', '--types', 'node', '--removeComments', '--rootDir', '.', '--outDir', cjs], { cwd: root, stdio: ['ignore', 2, 2] }); // stdout to stderr too (npm pack --json)

  // 2. the modules main.js reaches by require() of a literal specifier: ours (relative, and the
  // registry's lazy ones), and the two CommonJS packages every sim loads with the plain-JS ones
  // they require (commander; @webassemblyjs/wasm-gen with leb128, ieee754, utf8, long). Any other
  // package stays Node's to load from the requiring module's own file in dist/ (one with native
  // code or files beside it, serialport or protobufjs, must find them where it is installed), as
  // do Node's built-ins and ES-module packages (chalk). Each module's table entry maps every
  // specifier it requires to a bundled module, resolved here.
  const modules = new Map(); // id → { code, deps, file }: ids and files relative to the repository
  const pending = ['dist/src/cli/main.js'];
  const BUNDLED_PACKAGES = new Set(['commander', '@webassemblyjs/wasm-gen']);
  // modules that copy functions' source text (Function.prototype.toString) into what they write:
  // the WebAssembly loader is runtime.ts's createLoad and numerics.ts's quantizeToInt8 as the ES
  // build holds them, so the bundle requires the ES module (require(esm)), not a CommonJS copy
  const AS_WRITTEN = new Set(['dist/src/backends/wasm/loader/loader.js']);
  const isBuiltin = (spec) => spec.startsWith('node:') || builtinModules.includes(spec);
  const commonJs = (file) => {
    if (file.endsWith('.cjs')) return true;
    if (!file.endsWith('.js')) return false;
    for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
      const pkg = join(dir, 'package.json');
      if (existsSync(pkg)) return JSON.parse(readFileSync(pkg, 'utf8')).type !== 'module';
    }
    return true;
  };
  while (pending.length > 0) {
    const id = pending.pop();
    if (modules.has(id)) continue;
    const ours = id.startsWith('dist/');
    let code = readFileSync(ours ? join(cjs, id.slice('dist/'.length)) : join(root, id), 'utf8');
    // import.meta.url as an argument (createRequire, fileURLToPath) is the module's own file in dist/;
    // inside generated source text (the WebAssembly loader's template) it stays as written
    if (ours) code = code.replaceAll('(import.meta.url)', '(__importMetaUrl)');
    const deps = {};
    const requireOf = createRequire(join(root, id));
    for (const m of code.matchAll(/\brequire\((["'])([^"'\n]+)\1\)/g)) {
      const spec = m[2];
      if (isBuiltin(spec) || Object.hasOwn(deps, spec)) continue;
      let dep;
      if (ours && spec.startsWith('.')) {
        dep = posix.join(posix.dirname(id), spec);
        if (AS_WRITTEN.has(dep)) continue;
      }
      else if (ours && !BUNDLED_PACKAGES.has(spec)) continue;
      else {
        let file;
        try {
          file = requireOf.resolve(spec);
        } catch {
          continue; // an optional package not installed (serialport): Node's require reports it when asked
        }
        if (!commonJs(file)) continue;
        dep = relative(root, file).split(sep).join('/');
      }
      deps[spec] = dep;
      pending.push(dep);
    }
    modules.set(id, { code, deps });
  }
  const ids = [...modules.keys()].sort();
  for (const id of ids) if (id.startsWith('dist/') && !existsSync(join(root, id))) throw new Error(`bundle-cli: ${id} has no ES module in dist/ (run tsc -p tsconfig.build.json first)`);

  // 3. one script: a table of module functions and a require over it (Node's CommonJS rules:
  // cached on first load, \`this\` the exports, each specifier as resolved above, the rest Node's)
  const parts = ['(function (root, nodeRequire, fileUrl, trace) {\nconst defs = {\n'];
  for (const id of ids) {
    const { code, deps } = modules.get(id);
    parts.push(`${JSON.stringify(id)}: [${JSON.stringify(deps)}, function (exports, require, module, __filename, __dirname, __importMetaUrl) {\n${code}\n}],\n`);
  }
  parts.push(`};
const loaded = new Map();
// built-ins only a few commands call, loaded on first use (every command's modules require them
// at the top): child_process, which commander and the EDA tool runner require, costs 2-3 ms a start
const lazyBuiltins = { 'node:child_process': null, child_process: null };
function lazyBuiltin(file, spec) {
  return (lazyBuiltins[spec] ??= new Proxy({}, { get: (_, key) => nodeRequire(file, spec)[key] }));
}
function load(id) {
  const hit = loaded.get(id);
  if (hit !== undefined) return hit.exports;
  const [deps, def] = defs[id];
  const module = { exports: {} };
  loaded.set(id, module);
  if (trace !== null) trace(id);
  const file = root + '/' + id;
  const require = (spec) => { const dep = deps[spec]; return dep !== undefined ? load(dep) : spec in lazyBuiltins ? lazyBuiltin(file, spec) : nodeRequire(file, spec); };
  def.call(module.exports, module.exports, require, module, file, file.slice(0, file.lastIndexOf('/')), fileUrl(file));
  return module.exports;
}
return load('dist/src/cli/main.js');
})`);
  // ASCII only, so a run reads it as latin1 (a copy, no UTF-8 decoding: 2 ms less) into a one-byte
  // string: every other character as \uXXXX (per UTF-16 unit), the same value in a string, template,
  // regular expression or identifier; the bundle reads no template's raw text
  const source = parts.join('').replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  new Script(source, { filename: BUNDLE_FILES.script }); // a syntax error fails the build, not a run
  if (!/^[\x00-\x7f]*$/.test(source)) throw new Error('bundle-cli: the script is not ASCII');
  writeFileSync(out(BUNDLE_FILES.script), source);

  // 4. the code cache, made in a fresh node (the flags a CLI run has) after `sim` on a lowered
  // digits CNN (lowered here by the ES modules: `lower`'s functions stay out of the cache)
  const cnn = join(work, 'digits-cnn');
  execFileSync(process.execPath, [join(root, 'bin/nnchip.mjs'), 'lower', join(root, 'examples/digits-cnn/model.json'), '-o', cnn], { stdio: 'pipe' });
  const train = `
const { runBundle, BUNDLE_FILES, DIST } = await import(${JSON.stringify(join(dist, 'src/cli/bundle.js'))});
const { captureIo } = await import(${JSON.stringify(join(dist, 'src/cli/context.js'))});
const { writeFileSync } = await import('node:fs');
const { main, script } = runBundle();
for (const argv of ${JSON.stringify([['sim', cnn, '--json'], ['sim', cnn]])}) {
  const io = captureIo();
  if (await main(argv, io) !== 0) throw new Error('training run failed: ' + io.err.join(''));
}
writeFileSync(DIST + '/' + BUNDLE_FILES.cache, script.createCachedData());
`;
  execFileSync(process.execPath, ['--input-type=module', '-e', train], { stdio: ['ignore', 2, 2] });

  // 5. the manifest, last: what a run checks before trusting the bundle
  const files = [...ids.filter((id) => id.startsWith('dist/')).map((id) => id.slice('dist/'.length)), BUNDLE_FILES.script, BUNDLE_FILES.cache].map((f) => {
    const s = statSync(out(f));
    return [f, s.size, s.mtimeMs, sha1Of(readFileSync(out(f)))];
  });
  writeFileSync(out(BUNDLE_FILES.manifest), JSON.stringify({ files }));
  // on stderr: `npm pack --json` (prepack builds) prints a lifecycle script's stdout into its JSON
  console.error(`bundle-cli: ${ids.length} modules, ${(source.length / 1024).toFixed(0)} KiB script, ${(statSync(out(BUNDLE_FILES.cache)).size / 1024).toFixed(0)} KiB code cache`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
