// SPDX-License-Identifier: MIT
/**
 * A tfjs-saved model.json rewritten as other writers store the same model, for importer tests:
 * Keras 3 (`module`/`registered_name`, `batch_shape`, DTypePolicy objects, `inbound_nodes` as
 * {args, kwargs} of `__keras_tensor__`s, an explicit InputLayer in a Sequential, weights named by
 * their variable path under the model's name), tf.keras 2 saved from Python and converted
 * (`Functional`, an explicit InputLayer, the `model_config` wrapper), and a manifest of one weight
 * group per weight (`--split_weights_by_layer`). Keras 3's one model output is the bare [name, 0, 0].
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const policy = (d: unknown): unknown => (typeof d === 'string' ? { module: 'keras', class_name: 'DTypePolicy', config: { name: d }, registered_name: null } : d);
// tfjs counts a nested model's construction as its node 0 (its first call is node 1); Keras 3 counts its calls alone
const kerasTensor = (t: unknown[], models: ReadonlySet<unknown>): J => ({ class_name: '__keras_tensor__', config: { shape: null, dtype: 'float32', keras_history: [t[0], models.has(t[0]) && (t[1] as number) >= 1 ? (t[1] as number) - 1 : t[1], t[2]] } });
const isModel = (c: unknown): boolean => c === 'Sequential' || c === 'Model' || c === 'Functional';

function keras3Layer(l: J, functional: boolean, models: ReadonlySet<unknown>): J {
  const c: J = { ...l['config'] };
  if ('dtype' in c) c['dtype'] = policy(c['dtype']);
  if ('batch_input_shape' in c) {
    c['batch_shape'] = c['batch_input_shape'];
    delete c['batch_input_shape'];
  }
  const out: J = isModel(l['class_name'])
    ? { module: 'keras.src.models.functional', class_name: l['class_name'] === 'Model' ? 'Functional' : l['class_name'], config: keras3Config(l['class_name'], l['config']), registered_name: null, name: c['name'] }
    : { module: 'keras.layers', class_name: l['class_name'], config: c, registered_name: null, name: c['name'] };
  if (functional) out['inbound_nodes'] = ((l['inbound_nodes'] ?? []) as unknown[][][]).map((n) => ({ args: n.length === 1 ? [kerasTensor(n[0]!, models)] : [n.map((t) => kerasTensor(t, models))], kwargs: {} }));
  return out;
}

function keras3Config(className: string, config: J | J[]): J {
  const functional = className !== 'Sequential';
  const c: J = Array.isArray(config) ? { name: 'sequential', layers: config } : { ...config };
  const models = new Set((c['layers'] as J[]).filter((l) => isModel(l['class_name'])).map((l) => l['config']['name']));
  let layers = (c['layers'] as J[]).map((l) => keras3Layer(l, functional, models));
  const shape = layers[0]!['config']['batch_shape'];
  if (!functional && shape !== undefined && layers[0]!['class_name'] !== 'InputLayer') {
    delete layers[0]!['config']['batch_shape'];
    layers = [{ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: shape, dtype: 'float32', sparse: false, name: 'input_layer' }, registered_name: null }, ...layers];
    c['build_input_shape'] = shape;
  }
  // one model output: the bare [name, node, tensor], as some Keras 3 versions write it
  const outs = c['output_layers'] as unknown[][] | undefined;
  // output_layers: Keras 3 still counts a nested Functional's calls from 1 there (a Sequential's from 0)
  const sequentials = new Set((c['layers'] as J[]).filter((l) => l['class_name'] === 'Sequential').map((l) => l['config']['name']));
  if (outs !== undefined) c['output_layers'] = outs.map((t) => kerasTensor(t, sequentials)['config']['keras_history']);
  if (outs?.length === 1) c['output_layers'] = c['output_layers'][0];
  return { ...c, layers, dtype: policy('float32') };
}

function rewrite(dir: string, edit: (json: J) => J): void {
  const path = join(dir, 'model.json');
  writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, 'utf8')) as J)));
}

/** Keras 3, weights named `<model name>/<layer>/<weight>` as Keras 3 variable paths are. */
export function asKeras3(dir: string): void {
  rewrite(dir, (json) => {
    const m = json['modelTopology'];
    const name = String((Array.isArray(m['config']) ? undefined : m['config']['name']) ?? 'sequential');
    for (const g of json['weightsManifest']) for (const w of g['weights']) w['name'] = `${name}/${w['name']}`;
    const model = { module: 'keras', class_name: m['class_name'] === 'Model' ? 'Functional' : m['class_name'], config: keras3Config(m['class_name'], m['config']), registered_name: null };
    return { ...json, modelTopology: { model_config: model, keras_version: '3.5.0', backend: 'tensorflow' } };
  });
}

/** tf.keras 2 saved as .h5 and converted (keras_h5_conversion.py): `Functional`, explicit InputLayer, model_config + training_config. */
export function asTfKeras2(dir: string): void {
  rewrite(dir, (json) => {
    const m = json['modelTopology'];
    if (m['class_name'] === 'Model') m['class_name'] = 'Functional';
    if (m['class_name'] === 'Sequential') {
      const c: J = Array.isArray(m['config']) ? { name: 'sequential', layers: m['config'] } : m['config'];
      const shape = c['layers'][0]['config']['batch_input_shape'];
      if (shape !== undefined) c['layers'] = [{ class_name: 'InputLayer', config: { batch_input_shape: shape, dtype: 'float32', sparse: false, ragged: false, name: 'input_1' } }, ...c['layers']];
      m['config'] = c;
    }
    return { ...json, modelTopology: { model_config: m, keras_version: '2.11.0', backend: 'tensorflow', training_config: { loss: 'categorical_crossentropy' } } };
  });
}

/** One weight group (and shard) per float32 weight, the groups in reverse order. */
export function groupPerWeight(dir: string): void {
  rewrite(dir, (json) => {
    const [group] = json['weightsManifest'] as J[];
    const bin = Buffer.concat((group!['paths'] as string[]).map((p) => readFileSync(join(dir, p))));
    let at = 0;
    const groups = (group!['weights'] as J[]).map((w, i) => {
      const bytes = (w['shape'] as number[]).reduce((a, b) => a * b, 1) * 4;
      const path = `group${i + 1}-shard1of1.bin`;
      writeFileSync(join(dir, path), bin.subarray(at, (at += bytes)));
      return { paths: [path], weights: [w] };
    });
    return { ...json, weightsManifest: groups.reverse() };
  });
}
