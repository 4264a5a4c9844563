"""PyTorch layers that compute exactly what the matching TF.js (Keras) Layers compute, so a network
can be trained quickly with PyTorch and then written by TF.js itself (../mlperf-tfjs-save.mjs).

Each layer knows its TF.js class, config and weights in TF.js layout. Tensors are NCHW in PyTorch
and NHWC in TF.js; 'same' padding is TF's (the extra row/column of an odd total goes after).
"""
import base64
import json
import os
import subprocess
import tempfile

import torch
from torch import nn

from mlperf_common import EXAMPLES

BN_EPSILON = 1e-3  # Keras' default, used on both sides


def _tensor(t):
    t = t.detach().contiguous().to(torch.float32)
    return {"shape": list(t.shape), "data": base64.b64encode(t.numpy().astype("<f4").tobytes()).decode()}


def _same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


class Conv(nn.Module):
    """Conv2D (or DepthwiseConv2D when depthwise) with padding 'same' or 'valid', no bias (a BN follows)."""

    def __init__(self, name, cin, cout, kernel, stride=1, padding="same", depthwise=False):
        super().__init__()
        self.name, self.kernel, self.stride, self.padding, self.depthwise = name, tuple(kernel), stride, padding, depthwise
        self.conv = nn.Conv2d(cin, cout, self.kernel, stride=stride, groups=cin if depthwise else 1, bias=False)

    def forward(self, x):
        if self.padding == "same":
            top, bottom = _same_pads(x.shape[2], self.kernel[0], self.stride)
            left, right = _same_pads(x.shape[3], self.kernel[1], self.stride)
            x = nn.functional.pad(x, (left, right, top, bottom))
        return self.conv(x)

    def spec(self):
        config = {"name": self.name, "kernelSize": list(self.kernel), "strides": [self.stride, self.stride],
                  "padding": self.padding, "useBias": False}
        w = self.conv.weight
        if self.depthwise:
            return {"class": "depthwiseConv2d", "config": config, "weights": [_tensor(w.permute(2, 3, 0, 1))]}
        return {"class": "conv2d", "config": {**config, "filters": w.shape[0]}, "weights": [_tensor(w.permute(2, 3, 1, 0))]}


class BatchNorm(nn.BatchNorm2d):
    def __init__(self, name, channels):
        super().__init__(channels, eps=BN_EPSILON)
        self.name = name

    def spec(self):
        return {"class": "batchNormalization", "config": {"name": self.name, "epsilon": BN_EPSILON},
                "weights": [_tensor(self.weight), _tensor(self.bias), _tensor(self.running_mean), _tensor(self.running_var)]}


class ReLU(nn.ReLU):
    def __init__(self, name):
        super().__init__()
        self.name = name

    def spec(self):
        return {"class": "reLU", "config": {"name": self.name}, "weights": []}


class AveragePool(nn.Module):
    """AveragePooling2D (valid, strides = pool size), then Flatten."""

    def __init__(self, name, pool):
        super().__init__()
        self.name, self.pool = name, list(pool)

    def forward(self, x):
        return nn.functional.avg_pool2d(x, self.pool).flatten(1)

    def spec(self):
        return [{"class": "averagePooling2d", "config": {"name": self.name, "poolSize": self.pool}, "weights": []},
                {"class": "flatten", "config": {"name": "flatten"}, "weights": []}]


class Dropout(nn.Dropout):
    def __init__(self, name, rate):
        super().__init__(rate)
        self.name = name

    def spec(self):
        return {"class": "dropout", "config": {"name": self.name, "rate": self.p}, "weights": []}


class Dense(nn.Linear):
    def __init__(self, name, cin, cout):
        super().__init__(cin, cout)
        self.name = name

    def spec(self):
        return {"class": "dense", "config": {"name": self.name, "units": self.out_features, "activation": "softmax"},
                "weights": [_tensor(self.weight.t()), _tensor(self.bias)]}


def conv_bn_relu(name, cin, cout, kernel, stride=1, depthwise=False):
    return [Conv(name, cin, cout, kernel, stride, depthwise=depthwise), BatchNorm(f"{name}_bn", cout), ReLU(f"{name}_relu")]


def save_tfjs(model_name, layers, input_hwc, out_dir, check_inputs):
    """Write out_dir/model.json + weights.bin with TF.js (a Sequential of `layers`' specs and weights)
    and make TF.js check its own predictions on check_inputs (NCHW) against PyTorch's."""
    specs = []
    for layer in layers:
        if hasattr(layer, "spec"):
            s = layer.spec()
            specs += s if isinstance(s, list) else [s]
    model = nn.Sequential(*layers).eval()
    with torch.no_grad():
        probs = torch.softmax(model(check_inputs), dim=1)
    doc = {"name": model_name, "inputShape": list(input_hwc), "layers": specs,
           "check": {"inputs": _tensor(check_inputs.permute(0, 2, 3, 1)), "outputs": _tensor(probs)}}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "spec.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        subprocess.run(["node", os.path.join(EXAMPLES, "mlperf-tfjs-save.mjs"), path, out_dir], check=True)
