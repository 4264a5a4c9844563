#!/usr/bin/env python3
"""Train a small squeeze-excite CNN on the deterministic digit splits; export it to ONNX.

    /usr/bin/python3 examples/digits-se-onnx/export.py   (Debian: apt-get install python3-torch)

Two squeeze-excite blocks, each a map times a per-channel gate computed from it (docs/hardware.md):
  Conv(1→8, 3×3, stride 2, pad 1) BatchNorm ReLU → SE(8 → 4 → 8, Sigmoid gate, x * s)
  → Conv(8→16, 3×3, stride 2, pad 1) Hardswish → SE(16 → 4 → 16, Hardsigmoid gate, s * x: torchvision's)
  → Flatten → Gemm(784→10)
(each SE: AdaptiveAvgPool2d(1), Conv 1×1, ReLU, Conv 1×1, gate, Mul)

Writes next to this file:
  model.onnx        torch.onnx.export, opset 14, static input [1, 1, 28, 28], constant folding on
  calibration.json  {"inputs": [...]}: 40 training images (4 per class), channel-major [1, 28, 28]
                    flattened (the model's own input layout), pixels at 4 decimals

Data: ../digits-data.mjs through ../mlperf_common.py (the same split as every digits example).
Training: Adam lr 0.01 (×0.8 per epoch), batch 64, 8 epochs, seeded; deterministic on CPU.
"""
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mlperf_common import load_digits, predict, seed_everything, train, write_calibration  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 2612
EPOCHS = 8
BATCH = 64
LR = 0.01
LR_DECAY = 0.8  # per epoch


class SE(nn.Module):
    def __init__(self, c, squeeze, gate, gate_first):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1, self.fc2 = nn.Conv2d(c, squeeze, 1), nn.Conv2d(squeeze, c, 1)
        self.gate, self.gate_first = gate, gate_first

    def forward(self, x):
        s = self.gate(self.fc2(torch.relu(self.fc1(self.pool(x)))))
        return s * x if self.gate_first else x * s


class DigitsSE(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU(), SE(8, 4, nn.Sigmoid(), False),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.Hardswish(), SE(16, 4, nn.Hardsigmoid(), True),
        )
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


def main():
    gen = seed_everything(SEED)
    data = {split: (x.reshape(-1, 1, 28, 28), y) for split, (x, y) in load_digits().items()}
    (xtr, ytr), (xte, yte), (xcal, _) = data["train"], data["test"], data["calibration"]
    model = DigitsSE()
    accuracy = lambda: (predict(model, xte).argmax(1) == yte).float().mean().item()  # noqa: E731
    train(model, xtr, ytr, nn.functional.cross_entropy, EPOCHS, BATCH, LR, gen, decay=LR_DECAY,
          log=lambda epoch, loss: print(f"epoch {epoch + 1}/{EPOCHS} loss={loss:.4f} test_acc={accuracy():.4f}"))
    model.eval()
    acc = accuracy()
    path = os.path.join(HERE, "model.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, opset_version=14, do_constant_folding=True,
                      input_names=["input"], output_names=["logits"])
    # calibration: rows 0-9, 60-69, 120-129, 180-189 of the calibration split (4 per class)
    write_calibration(os.path.join(HERE, "calibration.json"), [xcal[j] for j in range(len(xcal)) if (j // 10) % 6 == 0])
    print(f"torch {torch.__version__}, python {sys.version.split()[0]}")
    print(f"test accuracy: {acc * 100:.2f}% ({len(yte)} samples); wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
