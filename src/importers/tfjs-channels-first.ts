// SPDX-License-Identifier: MIT
/**
 * Keras models saved with `data_format: channels_first` (Keras 2 trained on GPUs, image_data_format
 * "channels_first"): their maps are [C, H, W], which nnchip holds as [H, W, C] like every map, the input
 * read channel-major (GraphInput layout 'chw'). Which layers may read such a map and how: the spatial
 * layers with data_format channels_first (tfjs-layer.ts `channelsLast`), element-wise layers and merges of
 * maps held so, BatchNormalization and Concatenate on axis 1 (the channels), Flatten (channel-major unless
 * its data_format is channels_first, which Keras and tfjs flatten pixel-major); anything else is refused.
 */
import { NnchipError } from '../diagnostics/error.js';
import type { LayerEntry } from './tfjs-layer.js';

/** Layers that read their data_format themselves (Layer.channelsLast): a channels_first one reads a [C, H, W] map. */
const SPATIAL = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose', 'MaxPooling2D', 'AveragePooling2D', 'UpSampling2D', 'ZeroPadding2D', 'Cropping2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'Flatten']);
/** Element-wise layers and merges: a [C, H, W] map in, one out (merges: every input so). */
const ELEMENTWISE = new Set(['Activation', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'Add', 'Subtract', 'Average', 'Maximum', 'Minimum', 'Identity', 'Dropout', 'AlphaDropout', 'GaussianDropout', 'GaussianNoise', 'SpatialDropout2D', 'ActivityRegularization']);

const dataFormat = (c: Readonly<Record<string, unknown>>): unknown => c['data_format'] ?? c['dataFormat'];

/** True when some layer of the model declares channels_first: its image input is then [C, H, W]. */
export function declaresChannelsFirst(layers: readonly LayerEntry[]): boolean {
  return layers.some((l) => dataFormat(l.config) === 'channels_first');
}

/**
 * A layer reading `cf` maps held channels-first: the entry to convert (BatchNormalization and Concatenate
 * with their axis 1 as the channel axis, −1) and whether its output is held so; refused otherwise.
 */
export function channelsFirstLayer(l: LayerEntry, cf: readonly boolean[], file: string): { entry: LayerEntry; cf: boolean } {
  const fail = (detail: string): NnchipError => new NnchipError('NN110', detail, { file, layer: l.name });
  const axis = l.config['axis'];
  const one = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  // Keras applies an activation softmax to the last axis, W of a [C, H, W] map
  if (l.config['activation'] === 'softmax') throw fail(`${l.className} with activation softmax on a channels_first map is not supported (Keras takes it over W, the last axis)`);
  if (SPATIAL.has(l.className)) {
    const global = l.className.startsWith('Global');
    return { entry: l, cf: l.className !== 'Flatten' && (!global || l.config['keepdims'] === true) };
  }
  if (ELEMENTWISE.has(l.className)) {
    if (cf.some((c) => !c)) throw fail(`${l.className} of a channels_first map and a tensor that is not one is not supported`);
    return { entry: l, cf: true };
  }
  // axis 1 of [N, C, H, W] (or −3)
  if ((l.className === 'BatchNormalization' || l.className === 'Concatenate') && (one === 1 || one === -3) && cf.every((c) => c)) return { entry: { ...l, config: { ...l.config, axis: -1 } }, cf: true };
  throw fail(`${l.className} reading a channels_first map [C, H, W] is not supported (only channels_first spatial layers, element-wise layers, BatchNormalization and Concatenate on axis 1, Flatten)`);
}

/**
 * Permute((3, 1, 2)) of a map held channels-last makes the [C, H, W] map a channels_first model holds (models
 * ported from PyTorch do it before Flatten, to keep its weights' order), and Permute((2, 3, 1)) of a [C, H, W]
 * map undoes it: neither moves data here (an identity; the map is marked held or not). True / false: the
 * output is held channels-first or not; undefined for any other layer.
 */
export function layoutPermute(l: LayerEntry, inputs: readonly string[], shapeOf: (t: string) => readonly number[] | undefined, held: boolean): boolean | undefined {
  if (l.className !== 'Permute' || inputs.length !== 1 || shapeOf(inputs[0]!)?.length !== 3) return undefined;
  const dims = JSON.stringify(l.config['dims']);
  if (!held && dims === '[3,1,2]') return true;
  if (held && dims === '[2,3,1]') return false;
  return undefined;
}
