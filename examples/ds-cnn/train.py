#!/usr/bin/env python3
"""DS-CNN, the MLPerf Tiny keyword-spotting network, trained briefly with PyTorch and written by TF.js Layers.

    /usr/bin/python3 examples/ds-cnn/train.py      (Debian: apt-get install python3-torch; Node for TF.js)

Writes next to this file:
  model.json, weights.bin   TF.js Layers Sequential `ds_cnn`, saved by @tensorflow/tfjs (../mlperf-tfjs-save.mjs)
  calibration.json          {"inputs": [...]}: 50 training inputs (5 per class), 49×10 row-major (NHWC, 1 channel)

Architecture (MLPerf Tiny v1.0 `ds_cnn` for kws): Conv2D 64 (10×4, stride 2, same) + BN + ReLU + Dropout;
four times DepthwiseConv2D 3×3 (same) + BN + ReLU + Conv2D 64 1×1 + BN + ReLU; Dropout;
AveragePooling2D 24×5 (the reference's final_pool_size = half the input: on the 25×5 map it
averages rows 0..23 and drops row 24); Flatten; Dense 12 + softmax.
Data: no speech here, so each 49×10 "spectrogram" is a digit resized (bilinear) from 28×28 to 49×10;
classes are the 10 digits (units 10 and 11, "silence" and "unknown" in KWS, never occur).
Training: PyTorch layers that compute what the TF.js layers compute (../mlperf_keras.py), Adam lr 0.003
(×0.7 per epoch), batch 64, 1 epoch, seeded; then TF.js builds the same network, takes the weights,
checks its predictions against PyTorch's and saves it.
"""
import os
import sys

import torch
from torch import nn

sys.dont_write_bytecode = True  # no __pycache__ in examples/
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mlperf_common import load_digits, predict, seed_everything, train, write_calibration  # noqa: E402
from mlperf_keras import AveragePool, Dense, Dropout, conv_bn_relu, save_tfjs  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 49
EPOCHS = int(os.environ.get("EPOCHS", "1"))


def to_input(x):
    """[N, 28, 28] digits → [N, 1, 49, 10] (bilinear resize)."""
    return nn.functional.interpolate(x.unsqueeze(1), size=(49, 10), mode="bilinear", align_corners=False)


def ds_cnn():
    layers = conv_bn_relu("conv_1", 1, 64, (10, 4), stride=2) + [Dropout("dropout_1", 0.2)]
    for i in range(1, 5):
        layers += conv_bn_relu(f"dw_{i}", 64, 64, (3, 3), depthwise=True) + conv_bn_relu(f"pw_{i}", 64, 64, (1, 1))
    return layers + [Dropout("dropout_2", 0.4), AveragePool("avg_pool", (24, 5)), Dense("dense", 64, 12)]


def main():
    gen = seed_everything(SEED)
    data = load_digits()
    (xtr, ytr), (xte, yte), (xcal, _) = [(to_input(x), y) for x, y in (data["train"], data["test"], data["calibration"])]
    layers = ds_cnn()
    model = nn.Sequential(*layers)
    acc = lambda: (predict(model, xte).argmax(1) == yte).float().mean().item()  # noqa: E731
    train(model, xtr, ytr, nn.functional.cross_entropy, EPOCHS, 64, 0.003, gen,
          log=lambda e, loss: print(f"epoch {e + 1}/{EPOCHS} loss={loss:.4f} test_acc={acc():.4f}", flush=True))
    save_tfjs("ds_cnn", layers, (49, 10, 1), HERE, xte[:16])
    # calibration: every 4th block of 10 of the 20-per-class calibration split (5 per class)
    write_calibration(os.path.join(HERE, "calibration.json"), [xcal[j] for j in range(len(xcal)) if (j // 10) % 4 == 0])
    print(f"torch {torch.__version__}; test accuracy {acc() * 100:.2f}% ({len(yte)} samples)")


if __name__ == "__main__":
    main()
