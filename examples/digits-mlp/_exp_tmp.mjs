import * as tf from '@tensorflow/tfjs';
import { loadDigits } from '../digits-data.mjs';
tf.env().set('PROD', true); await tf.setBackend('cpu');
const [EPOCHS, BS, LR, SHIFT0, DECAY, ROT, SCALE, CLEAN] = process.argv.slice(2).map(Number); let SHIFT = SHIFT0;
function mulberry32(a) { return () => { a |= 0; a = a + 0x6D2B79F5 | 0; let t = Math.imul(a ^ a >>> 15, 1 | a); t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t; return ((t ^ t >>> 14) >>> 0) / 4294967296; }; }
const rnd = mulberry32(42);
const tr = loadDigits('train'), te = loadDigits('test');
const teX = (() => { const x = new Float32Array(te.inputs.length * 784); te.inputs.forEach((r, i) => x.set(r, i * 784)); return tf.tensor2d(x, [te.inputs.length, 784]); })();
function epochData() {
  const n = tr.inputs.length, perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [perm[i], perm[j]] = [perm[j], perm[i]]; }
  const x = new Float32Array(n * 784), y = new Int32Array(n);
  perm.forEach((p, k) => {
    const src = tr.inputs[p]; y[k] = tr.labels[p];
    if (!SHIFT) { x.set(src, k * 784); return; }
    const ang = (rnd() * 2 - 1) * ROT * Math.PI / 180, sc = 1 + (rnd() * 2 - 1) * SCALE;
    const tx = (rnd() * 2 - 1) * SHIFT, ty = (rnd() * 2 - 1) * SHIFT;
    const ca = Math.cos(ang) / sc, sa = Math.sin(ang) / sc;
    for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) {
      const u = c - 13.5 - tx, v = r - 13.5 - ty;
      const fx = ca * u + sa * v + 13.5, fy = -sa * u + ca * v + 13.5;
      const x0 = Math.floor(fx), y0 = Math.floor(fy), ax = fx - x0, ay = fy - y0;
      const g = (yy, xx) => (yy < 0 || yy > 27 || xx < 0 || xx > 27) ? 0 : src[yy * 28 + xx];
      x[k * 784 + r * 28 + c] = (1 - ay) * ((1 - ax) * g(y0, x0) + ax * g(y0, x0 + 1)) + ay * ((1 - ax) * g(y0 + 1, x0) + ax * g(y0 + 1, x0 + 1));
    }
  });
  return { xs: tf.tensor2d(x, [n, 784]), ys: tf.tidy(() => tf.oneHot(tf.tensor1d(y, 'int32'), 10).toFloat()) };
}
const m = tf.sequential();
m.add(tf.layers.dense({ inputShape: [784], units: 64, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1234 }) }));
m.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 1235 }) }));
const opt = tf.train.adam(LR);
m.compile({ optimizer: opt, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
const acc = () => { const p = tf.tidy(() => m.predict(teX).argMax(-1).dataSync()); let ok = 0; te.labels.forEach((l, i) => ok += p[i] === l); return ok / te.labels.length; };
const t0 = Date.now();
for (let e = 0; e < EPOCHS; e++) {
  opt.learningRate = LR * Math.pow(DECAY || 1, e);
  if (e >= EPOCHS - (CLEAN || 0)) SHIFT = 0;
  const { xs, ys } = epochData();
  const h = await m.fit(xs, ys, { epochs: 1, batchSize: BS, shuffle: false, verbose: 0 });
  xs.dispose(); ys.dispose();
  console.log(e + 1, h.history.acc[0].toFixed(4), acc().toFixed(4), ((Date.now() - t0) / 1000).toFixed(1));
}
