#!/usr/bin/env python3
"""ResNet-8, the MLPerf Tiny image-classification network, trained briefly with PyTorch and exported to ONNX.

    /usr/bin/python3 examples/resnet8/export.py      (Debian: apt-get install python3-torch python3-onnx)

Writes next to this file:
  model.onnx        torch.onnx.export, opset 13, static input [1, 3, 32, 32], constant folding on
                    (eval mode: each BatchNorm is folded into its Conv by the exporter)
  calibration.json  {"inputs": [...]}: 20 training images (2 per class), channel-major [3, 32, 32] flattened

Architecture (MLPerf Tiny v1.0 `resnet_v1_eembc`): Conv 3×3 16 + BN + ReLU; three stacks of two Conv 3×3
+ BN with a residual Add and ReLU (16, 32 stride 2, 64 stride 2 filters; the strided stacks take a
1×1 strided Conv shortcut); global average pool over 8×8; Linear 64→10.
Data: the deterministic digit splits (../digits-data.mjs), each 28×28 digit zero-padded to 32×32
and repeated on the three colour channels, so the input has CIFAR-10's shape.
Training: Adam lr 0.003 (×0.7 per epoch), batch 64, 2 epochs, seeded; deterministic on CPU.
"""
import os
import sys

import torch
from torch import nn

sys.dont_write_bytecode = True  # no __pycache__ in examples/
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mlperf_common import conv_bn_relu, export_onnx, load_digits, predict, seed_everything, train, write_calibration  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 8
EPOCHS = int(os.environ.get("EPOCHS", "2"))


def to_input(x):
    """[N, 28, 28] digits → [N, 3, 32, 32]: zero-pad by 2 on every side, repeat on 3 channels."""
    return nn.functional.pad(x, (2, 2, 2, 2)).unsqueeze(1).repeat(1, 3, 1, 1)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = conv_bn_relu(cin, cout, 3, stride=stride)
        self.conv2 = conv_bn_relu(cout, cout, 3, relu=False)
        self.shortcut = None if stride == 1 and cin == cout else nn.Conv2d(cin, cout, 1, stride=stride)
        self.relu = nn.ReLU()

    def forward(self, x):
        skip = x if self.shortcut is None else self.shortcut(x)
        return self.relu(self.conv2(self.conv1(x)) + skip)


class ResNet8(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = conv_bn_relu(3, 16, 3)
        self.stacks = nn.Sequential(Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)  # exports as GlobalAveragePool
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(self.flatten(self.pool(self.stacks(self.stem(x)))))


def main():
    gen = seed_everything(SEED)
    data = load_digits()
    (xtr, ytr), (xte, yte), (xcal, _) = [(to_input(x), y) for x, y in (data["train"], data["test"], data["calibration"])]
    model = ResNet8()
    acc = lambda: (predict(model, xte).argmax(1) == yte).float().mean().item()  # noqa: E731
    train(model, xtr, ytr, nn.functional.cross_entropy, EPOCHS, 64, 0.003, gen,
          log=lambda e, loss: print(f"epoch {e + 1}/{EPOCHS} loss={loss:.4f} test_acc={acc():.4f}", flush=True))
    path = os.path.join(HERE, "model.onnx")
    export_onnx(model, torch.zeros(1, 3, 32, 32), path, output_name="logits")
    # calibration: the first 2 images per class of the 20-per-class calibration split
    write_calibration(os.path.join(HERE, "calibration.json"), xcal[:20])
    params = sum(p.numel() for p in model.parameters())
    print(f"torch {torch.__version__}; {params} parameters; test accuracy {acc() * 100:.2f}% ({len(yte)} samples); "
          f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
