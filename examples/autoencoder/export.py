#!/usr/bin/env python3
"""The MLPerf Tiny anomaly-detection autoencoder, trained briefly with PyTorch and exported to ONNX.

    /usr/bin/python3 examples/autoencoder/export.py      (Debian: apt-get install python3-torch python3-onnx)

Writes next to this file:
  model.onnx        torch.onnx.export, opset 13, static input [1, 640], constant folding on
  calibration.json  {"inputs": [...]}: 20 training vectors (2 per digit class), 640 values each

Architecture (MLPerf Tiny v1.0 anomaly detection, `keras_model.get_model(640)`): Linear 640→128,
then 128→128 three times, then 128→8 (the bottleneck), 8→128, 128→128 three times, each followed by
BatchNorm and ReLU; a final Linear 128→640 with no activation. 640-128-128-128-128-8-128-128-128-128-640.
Data: no machine-sound spectrograms here, so each vector is a digit: the 28×28 image zero-padded to
28×32 and rows 4..23 kept (the digit's 20-row box), 20×32 = 640 values in [0, 1].
Training: MSE reconstruction, Adam lr 0.003 (×0.7 per epoch), batch 64, 4 epochs, seeded.
"""
import os
import sys

import torch
from torch import nn

sys.dont_write_bytecode = True  # no __pycache__ in examples/
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mlperf_common import export_onnx, load_digits, predict, seed_everything, train, write_calibration  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 640
EPOCHS = int(os.environ.get("EPOCHS", "4"))
SIZES = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128]


def to_input(x):
    """[N, 28, 28] digits → [N, 640]: pad columns to 32, keep rows 4..23."""
    return nn.functional.pad(x, (2, 2))[:, 4:24, :].reshape(-1, 640)


def autoencoder():
    layers = []
    for a, b in zip(SIZES, SIZES[1:]):
        layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
    layers.append(nn.Linear(SIZES[-1], 640))
    return nn.Sequential(*layers)


def main():
    gen = seed_everything(SEED)
    data = load_digits()
    (xtr, _), (xte, _), (xcal, _) = [(to_input(x), y) for x, y in (data["train"], data["test"], data["calibration"])]
    model = autoencoder()
    mse = lambda: ((predict(model, xte) - xte) ** 2).mean().item()  # noqa: E731
    train(model, xtr, xtr, nn.functional.mse_loss, EPOCHS, 64, 0.003, gen,
          log=lambda e, loss: print(f"epoch {e + 1}/{EPOCHS} loss={loss:.5f} test_mse={mse():.5f}", flush=True))
    path = os.path.join(HERE, "model.onnx")
    export_onnx(model, torch.zeros(1, 640), path, output_name="reconstruction")
    write_calibration(os.path.join(HERE, "calibration.json"), xcal[:20])
    params = sum(p.numel() for p in model.parameters())
    print(f"torch {torch.__version__}; {params} parameters; test reconstruction MSE {mse():.5f} ({len(xte)} samples); "
          f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
