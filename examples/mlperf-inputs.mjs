// The MLPerf Tiny examples' inputs made from digits (../digits-data.mjs), the same way their training
// scripts make them in PyTorch (resnet8/export.py, ds-cnn/train.py, mobilenet-vww/train.py,
// autoencoder/export.py): each function maps one 28×28 digit (784 floats in [0, 1], row-major) to a
// flat sample in that model's own input layout.

/** ResNet-8: zero-pad to 32×32, repeat on 3 channels; channel-major [3, 32, 32] (ONNX NCHW). */
export function resnet8Input(digit) {
  const out = new Float32Array(3 * 32 * 32);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) out[c * 1024 + (y + 2) * 32 + x + 2] = digit[y * 28 + x];
  }
  return out;
}

/** One source coordinate of PyTorch's bilinear resize (align_corners=False, no antialias). */
function bilinearTaps(outSize, inSize) {
  const scale = inSize / outSize;
  return Array.from({ length: outSize }, (_, o) => {
    const src = Math.max((o + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    return { i0, i1, w1: src - i0 };
  });
}
const ROWS_49 = bilinearTaps(49, 28);
const COLS_10 = bilinearTaps(10, 28);

/** DS-CNN: bilinear resize 28×28 → 49×10, row-major (NHWC with one channel). */
export function dsCnnInput(digit) {
  const out = new Float32Array(49 * 10);
  const at = (y, x) => digit[y * 28 + x];
  ROWS_49.forEach(({ i0: y0, i1: y1, w1: wy }, r) => {
    COLS_10.forEach(({ i0: x0, i1: x1, w1: wx }, c) => {
      const top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx;
      const bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx;
      out[r * 10 + c] = top * (1 - wy) + bottom * wy;
    });
  });
  return out;
}

/** MobileNet VWW: binarize at 0.5, scale 3× (nearest) to 84×84, centre in 96×96, 3 channels, NHWC. */
export function mobilenetInput(digit) {
  const out = new Float32Array(96 * 96 * 3);
  for (let y = 0; y < 84; y++) {
    for (let x = 0; x < 84; x++) {
      const v = digit[Math.floor(y / 3) * 28 + Math.floor(x / 3)] > 0.5 ? 1 : 0;
      out.fill(v, ((y + 6) * 96 + x + 6) * 3, ((y + 6) * 96 + x + 6) * 3 + 3);
    }
  }
  return out;
}

/** MobileNet VWW's two classes stand in for person / no person: digit ≥ 5 or not. */
export const mobilenetLabel = (digitClass) => (digitClass >= 5 ? 1 : 0);

/** Autoencoder: zero-pad columns to 32, keep rows 4..23: 20×32 = 640 values. */
export function autoencoderInput(digit) {
  const out = new Float32Array(640);
  for (let y = 0; y < 20; y++) for (let x = 0; x < 28; x++) out[y * 32 + x + 2] = digit[(y + 4) * 28 + x];
  return out;
}
