#!/usr/bin/env python3
"""MobileNetV1 0.25, the MLPerf Tiny visual-wake-words network, trained briefly with PyTorch and written by TF.js Layers.

    /usr/bin/python3 examples/mobilenet-vww/train.py      (Debian: apt-get install python3-torch; Node for TF.js)

Writes next to this file:
  model.json, weights.bin   TF.js Layers Sequential `mobilenet_vww`, saved by @tensorflow/tfjs (../mlperf-tfjs-save.mjs)
  calibration.json          {"inputs": [...]}: 4 training images (2 per class), 96×96×3 row-major (NHWC)

Architecture (MLPerf Tiny v1.0 `mobilenet_v1` for vww, alpha 0.25): Conv2D 8 (3×3, stride 2, same) + BN + ReLU;
13 depthwise-separable blocks (DepthwiseConv2D 3×3 + BN + ReLU + Conv2D 1×1 + BN + ReLU) with
16, 32, 32, 64, 64, 128 ×6, 256, 256 filters, stride 2 at the 2nd, 4th, 6th and 12th;
AveragePooling2D 3×3 (the whole map); Flatten; Dense 2 + softmax.
Data: no photographs here, so each 96×96×3 image is a digit: binarized at 0.5, scaled 3× (nearest) to
84×84, centred, on all three channels (binary values keep calibration.json small). The two classes
stand in for person / no person: digit ≥ 5 or not.
Training: PyTorch layers that compute what the TF.js layers compute (../mlperf_keras.py), Adam lr 0.003,
batch 32, 1 epoch over the first 4,000 training images, seeded (brief: CPU is scarce); then TF.js builds
the same network, takes the weights, checks its predictions against PyTorch's and saves it.
"""
import os
import sys

import torch
from torch import nn

sys.dont_write_bytecode = True  # no __pycache__ in examples/
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mlperf_common import load_digits, predict, seed_everything, train, write_calibration  # noqa: E402
from mlperf_keras import AveragePool, Dense, conv_bn_relu, save_tfjs  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 96
EPOCHS = int(os.environ.get("EPOCHS", "1"))
TRAIN_IMAGES = 4000
# (filters, stride) of the 13 depthwise-separable blocks, alpha 0.25
BLOCKS = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2)] + [(128, 1)] * 5 + [(256, 2), (256, 1)]


def to_input(x):
    """[N, 28, 28] digits → [N, 3, 96, 96]: binarize, 3× nearest upscale, pad 6, three channels."""
    big = (x > 0.5).float().repeat_interleave(3, dim=1).repeat_interleave(3, dim=2)
    return nn.functional.pad(big, (6, 6, 6, 6)).unsqueeze(1).repeat(1, 3, 1, 1)


def mobilenet():
    layers = conv_bn_relu("conv_1", 3, 8, (3, 3), stride=2)
    cin = 8
    for i, (cout, stride) in enumerate(BLOCKS, start=1):
        layers += conv_bn_relu(f"dw_{i}", cin, cin, (3, 3), stride=stride, depthwise=True) + conv_bn_relu(f"pw_{i}", cin, cout, (1, 1))
        cin = cout
    return layers + [AveragePool("avg_pool", (3, 3)), Dense("dense", cin, 2)]


def main():
    gen = seed_everything(SEED)
    data = load_digits()
    (xtr, ytr), (xte, yte), (xcal, ycal) = [(to_input(x), (y >= 5).long()) for x, y in (data["train"], data["test"], data["calibration"])]
    xtr, ytr = xtr[:TRAIN_IMAGES], ytr[:TRAIN_IMAGES]
    layers = mobilenet()
    model = nn.Sequential(*layers)
    acc = lambda: (predict(model, xte, 200).argmax(1) == yte).float().mean().item()  # noqa: E731
    train(model, xtr, ytr, nn.functional.cross_entropy, EPOCHS, 32, 0.003, gen,
          log=lambda e, loss: print(f"epoch {e + 1}/{EPOCHS} loss={loss:.4f} test_acc={acc():.4f}", flush=True))
    save_tfjs("mobilenet_vww", layers, (96, 96, 3), HERE, xte[:8])
    # calibration: 2 per class from the calibration split (digits 0, 1 and 5, 6), NHWC like the model input
    write_calibration(os.path.join(HERE, "calibration.json"), [xcal[j].permute(1, 2, 0) for j in (0, 1, 5, 6)])
    print(f"torch {torch.__version__}; test accuracy {acc() * 100:.2f}% ({len(yte)} samples)")


if __name__ == "__main__":
    main()
