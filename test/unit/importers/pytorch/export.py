#!/usr/bin/env python3
"""Export three tiny PyTorch models to ONNX: the patterns PyTorch's exporter writes for real nets.

    /usr/bin/python3 test/unit/importers/pytorch/export.py    (Debian: python3-torch python3-onnx)

Random weights (seeded; BatchNorm statistics set to non-trivial values), eval mode, static batch 1.
  lenet.onnx   [1, 1, 12, 12]  (x − 0.5)/0.25, Conv(no bias) BN ReLU6, AvgPool2d(2) (Pad + AveragePool),
               dilated Conv, Hardtanh, AvgPool2d(3, 1, padding 1) (counted padding), MaxPool2d(ceil_mode),
               interpolate(scale_factor=2) (Resize nearest), mean(dim=(2, 3)), Linear, log_softmax   opset 13
  kws1d.onnx   [1, 10, 20]     Conv1d BN1d ReLU MaxPool1d, depthwise dilated Conv1d, AvgPool1d, Flatten, Linear  opset 17
  rows.onnx    [1, 6, 5]       Linear on each of 6 rows, ReLU, transpose(1, 2), Conv1d(1×1), mean(dim=2), Linear  opset 14
"""
import os

import torch
from torch import nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.c2 = nn.Conv2d(4, 6, 3, padding=2, dilation=2)
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        x = (x - 0.5) / 0.25
        x = F.relu6(self.bn(self.c1(x)))
        x = F.avg_pool2d(x, 2)
        x = F.hardtanh(self.c2(x))
        x = F.avg_pool2d(x, 3, stride=1, padding=1)
        x = F.max_pool2d(x, 2, ceil_mode=True, stride=2)
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return F.log_softmax(self.fc(x.mean(dim=(2, 3))), dim=1)


class Kws1d(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(10, 8, 3, padding=1)
        self.bn = nn.BatchNorm1d(8)
        self.dw = nn.Conv1d(8, 8, 3, padding=2, dilation=2, groups=8)
        self.fc = nn.Linear(8 * 5, 4)

    def forward(self, x):
        x = F.max_pool1d(F.relu(self.bn(self.c1(x))), 2)
        x = F.avg_pool1d(F.relu(self.dw(x)), 2)
        return self.fc(torch.flatten(x, 1))


class Rows(nn.Module):
    def __init__(self):
        super().__init__()
        self.row = nn.Linear(5, 8)
        self.mix = nn.Conv1d(8, 4, 1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = F.relu(self.row(x)).transpose(1, 2)
        return self.fc(self.mix(x).mean(dim=2))


def export(model, shape, name, opset):
    torch.manual_seed(7)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.3, 0.3)
    model.eval()
    torch.onnx.export(model, torch.rand(*shape), os.path.join(HERE, name), opset_version=opset, input_names=["x"], output_names=["y"], do_constant_folding=True)


if __name__ == "__main__":
    torch.manual_seed(1)
    export(LeNet(), (1, 1, 12, 12), "lenet.onnx", 13)
    torch.manual_seed(2)
    export(Kws1d(), (1, 10, 20), "kws1d.onnx", 17)
    torch.manual_seed(3)
    export(Rows(), (1, 6, 5), "rows.onnx", 14)
