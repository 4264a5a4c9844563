export type DigitsSplit = 'train' | 'test' | 'calibration';

export interface LabeledDigits {
  /** each 784 floats in [0, 1], row-major 28x28 */
  inputs: Float32Array[];
  /** digit class 0..9, same length as inputs */
  labels: number[];
}

export declare const IMAGE_SIZE: 784;
export declare const NUM_CLASSES: 10;

/**
 * Deterministic split of the `mnist` package's 10,000 digits: per class, the first
 * 80% (floor) in file order are 'train', the rest 'test'; 'calibration' is 200
 * train samples (20 per class, evenly spaced). Classes are interleaved round-robin,
 * so a `limit` prefix is class-balanced. Cached per process.
 */
export declare function loadDigits(split: DigitsSplit, limit?: number): LabeledDigits;

/**
 * Writes `{"inputs": [[...]], "labels": [...]}` with pixels rounded to 4 decimals
 * ("labels" omitted when not given), via a temp file + rename.
 */
export declare function writeLabeledJson(
  path: string,
  data: { inputs: ArrayLike<number>[]; labels?: number[] },
): void;
