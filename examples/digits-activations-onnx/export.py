#!/usr/bin/env python3
"""Train a small CNN with table activations on the deterministic digit splits; export it to ONNX.

    /usr/bin/python3 examples/digits-activations-onnx/export.py   (Debian: apt-get install python3-torch python3-onnx)

Every activation is one the chip runs as a threshold step table (docs/numerics.md):
  Conv(1→4, 3×3, stride 2, pad 1) LeakyRelu(0.1) → Conv(4→8, 3×3, stride 2, pad 1) PRelu (8 slopes)
  → Flatten → Gemm(392→16) HardSwish → Gemm(16→16) Tanh → Gemm(16→12) Sigmoid → Gemm(12→10)

Writes next to this file:
  model.onnx        torch.onnx.export, opset 14 (HardSwish's), static input [1, 1, 28, 28], constant folding on
  calibration.json  {"inputs": [...]}: 30 training images (3 per class), channel-major [1, 28, 28]
                    flattened (the model's own input layout), pixels at 4 decimals

Data: ../digits-data.mjs through ../mlperf_common.py (the same split as every digits example).
Training: Adam lr 0.01 (×0.8 per epoch), batch 64, 10 epochs, seeded; deterministic on CPU.
"""
import os
import sys

import onnx
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mlperf_common import load_digits, predict, seed_everything, train, write_calibration  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 1616
EPOCHS = 10
BATCH = 64
LR = 0.01
LR_DECAY = 0.8  # per epoch


class DigitsActivations(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.LeakyReLU(0.1),
            nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.PReLU(8),
        )
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Linear(8 * 7 * 7, 16), nn.Hardswish(),
            nn.Linear(16, 16), nn.Tanh(),
            nn.Linear(16, 12), nn.Sigmoid(),
            nn.Linear(12, 10),
        )

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


def main():
    gen = seed_everything(SEED)
    data = {split: (x.reshape(-1, 1, 28, 28), y) for split, (x, y) in load_digits().items()}
    (xtr, ytr), (xte, yte), (xcal, _) = data["train"], data["test"], data["calibration"]
    model = DigitsActivations()
    accuracy = lambda: (predict(model, xte).argmax(1) == yte).float().mean().item()  # noqa: E731
    train(model, xtr, ytr, nn.functional.cross_entropy, EPOCHS, BATCH, LR, gen, decay=LR_DECAY,
          log=lambda epoch, loss: print(f"epoch {epoch + 1}/{EPOCHS} loss={loss:.4f} test_acc={accuracy():.4f}"))
    acc = accuracy()
    path = os.path.join(HERE, "model.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, opset_version=14, do_constant_folding=True,
                      input_names=["input"], output_names=["logits"])
    onnx.checker.check_model(onnx.load(path))
    # calibration: rows 0-9, 60-69, 120-129 of the 20-per-class calibration split (3 per class)
    write_calibration(os.path.join(HERE, "calibration.json"), [xcal[j] for j in range(len(xcal)) if (j // 10) % 6 == 0])
    print(f"torch {torch.__version__}, onnx {onnx.__version__}, python {sys.version.split()[0]}")
    print(f"test accuracy: {acc * 100:.2f}% ({len(yte)} samples); wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
