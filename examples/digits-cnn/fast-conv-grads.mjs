// Faster CPU kernels for the two convolution gradients, registered over tfjs-backend-cpu's own.
// The stock kernels index every element through TensorBuffer.get() and make one training epoch
// of this small CNN take minutes on 2 cores; these compute the same sums with flat array loops
// (NHWC, dilation 1, any stride and padding). Only training speed changes: the model, its saved
// files and how tfjs runs it are untouched. Call useFastConvGrads() after tf.setBackend('cpu').
import * as tf from '@tensorflow/tfjs';

function convInfo(xShape, filterShape, attrs) {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') throw new Error('fast-conv-grads: NHWC only');
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
}

/** Calls f(n, outPixel, inPixel, tap) for every output pixel and kernel tap that reads inside the input. */
function forTaps(c, f) {
  const { batchSize, inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = c;
  for (let n = 0; n < batchSize; n++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let ox = 0; ox < outWidth; ox++)
        for (let ky = 0; ky < filterHeight; ky++) {
          const iy = oy * strideHeight + ky - c.padInfo.top;
          if (iy < 0 || iy >= inHeight) continue;
          for (let kx = 0; kx < filterWidth; kx++) {
            const ix = ox * strideWidth + kx - c.padInfo.left;
            if (ix < 0 || ix >= inWidth) continue;
            f(n, (n * outHeight + oy) * outWidth + ox, (n * inHeight + iy) * inWidth + ix, ky * filterWidth + kx);
          }
        }
}

function backpropFilter({ inputs: { x, dy }, backend, attrs }) {
  const c = convInfo(x.shape, attrs.filterShape, attrs);
  const xv = backend.data.get(x.dataId).values, dyv = backend.data.get(dy.dataId).values;
  const ci = c.inChannels, co = c.outChannels;
  const dw = new Float32Array(c.filterHeight * c.filterWidth * ci * co);
  forTaps(c, (n, o, i, tap) => {
    for (let a = 0; a < ci; a++) {
      const xa = xv[i * ci + a];
      if (xa === 0) continue;
      const base = (tap * ci + a) * co;
      for (let b = 0; b < co; b++) dw[base + b] += xa * dyv[o * co + b];
    }
  });
  return backend.makeTensorInfo(c.filterShape, 'float32', dw);
}

function backpropInput({ inputs: { dy, filter }, backend, attrs }) {
  const c = convInfo(attrs.inputShape, filter.shape, attrs);
  const wv = backend.data.get(filter.dataId).values, dyv = backend.data.get(dy.dataId).values;
  const ci = c.inChannels, co = c.outChannels;
  const dx = new Float32Array(attrs.inputShape.reduce((p, d) => p * d, 1));
  forTaps(c, (n, o, i, tap) => {
    for (let a = 0; a < ci; a++) {
      let s = 0;
      const base = (tap * ci + a) * co;
      for (let b = 0; b < co; b++) s += dyv[o * co + b] * wv[base + b];
      dx[i * ci + a] += s;
    }
  });
  return backend.makeTensorInfo(attrs.inputShape, 'float32', dx);
}

export function useFastConvGrads() {
  for (const [kernelName, kernelFunc] of [['Conv2DBackpropFilter', backpropFilter], ['Conv2DBackpropInput', backpropInput]]) {
    tf.unregisterKernel(kernelName, 'cpu');
    tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc });
  }
}
