"""Writes complete pickled models (torch.save(model)) and describes each module as torch sees it.

    python module_zoo.py OUT_DIR

OUT_DIR/<name>.pt for each model, OUT_DIR/expected.json: {name: [{"path", "cls", "attrs"}...]} in named_modules()
order (the registry's child order), with the hyper-parameters the registry reads, from the live modules.
Weights are random (fixed seed); nothing is downloaded.
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torchvision

torch.manual_seed(0)
out = sys.argv[1]
os.makedirs(out, exist_ok=True)


class Net(nn.Module):  # a user module: its forward is Python code the file does not carry
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x) * 2


def layer_zoo():
    return nn.Sequential(
        nn.Conv1d(3, 4, 3, stride=2, padding=1, bias=False), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.25),
        nn.MaxPool1d(2), nn.AvgPool1d(3, stride=1, padding=1, count_include_pad=False), nn.AdaptiveAvgPool1d(5),
        nn.Conv2d(4, 6, (3, 5), stride=(1, 2), padding="same" if False else (1, 2), dilation=1, groups=2),
        nn.Conv2d(6, 6, 3, padding="same", padding_mode="reflect"),
        nn.BatchNorm2d(6, eps=1e-3, momentum=None), nn.GroupNorm(3, 6), nn.LayerNorm([6], eps=1e-6),
        nn.MaxPool2d(3, stride=2, padding=1, dilation=1, ceil_mode=True), nn.AvgPool2d((2, 3)), nn.AdaptiveAvgPool2d((1, None)),
        nn.AdaptiveMaxPool2d(2), nn.Flatten(1, -1), nn.Identity(),
        nn.Linear(8, 5), nn.LeakyReLU(0.1), nn.ELU(0.5), nn.SELU(), nn.GELU(approximate="tanh"), nn.SiLU(), nn.Mish(),
        nn.Sigmoid(), nn.Tanh(), nn.Hardswish(), nn.Hardsigmoid(), nn.Hardtanh(-2.0, 3.0), nn.ReLU6(inplace=True),
        nn.Softplus(2.0, 10.0), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1),
        nn.ModuleList([nn.Linear(5, 5, bias=False), nn.Dropout2d()]), nn.ModuleDict({"a": nn.Embedding(7, 3, padding_idx=0)}),
    )


def sequence_zoo():
    enc_layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
    return nn.ModuleDict({
        "lstm": nn.LSTM(8, 16, num_layers=2, batch_first=True, bidirectional=True, dropout=0.1),
        "gru": nn.GRU(8, 12, bias=False),
        "mha": nn.MultiheadAttention(16, 2, dropout=0.0, add_bias_kv=True, kdim=8, vdim=6),
        "encoder": nn.TransformerEncoder(enc_layer, 2, norm=nn.LayerNorm(16)),
        "relu_layer": nn.TransformerEncoderLayer(8, 2, dim_feedforward=16),
    })


def small_vgg():
    from torchvision.models.vgg import VGG, make_layers
    m = VGG(make_layers([8, "M", 16, "M"], batch_norm=True), num_classes=10, init_weights=False)
    m.classifier = nn.Sequential(nn.Linear(16 * 7 * 7, 32), nn.ReLU(True), nn.Dropout(), nn.Linear(32, 10))
    return m


def small_alexnet():
    m = torchvision.models.alexnet(num_classes=10)
    m.classifier = nn.Sequential(nn.Dropout(), nn.Linear(256 * 6 * 6, 16), nn.ReLU(inplace=True), nn.Linear(16, 10))
    return m


MODELS = {
    "layers": layer_zoo,
    "sequence": sequence_zoo,
    "resnet18": lambda: torchvision.models.resnet18(num_classes=10),
    "resnet_bottleneck": lambda: torchvision.models.resnet.ResNet(torchvision.models.resnet.Bottleneck, [1, 1, 1, 1], num_classes=10),
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(num_classes=10),
    "mobilenet_v3_small": lambda: torchvision.models.mobilenet_v3_small(num_classes=10),
    "squeezenet1_1": lambda: torchvision.models.squeezenet1_1(num_classes=10),
    "vgg_small": small_vgg,
    "alexnet_small": small_alexnet,
    "user_net": Net,
    "user_inside": lambda: nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), Net())),
}


def val(v):
    if isinstance(v, tuple):
        return [val(x) for x in v]
    if isinstance(v, torch.Size):
        return list(v)
    return v


def attrs(m):
    a = {}
    names = {
        nn.Linear: ["in_features", "out_features"],
        nn.Conv1d: ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "padding_mode"],
        nn.Conv2d: ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "padding_mode"],
        nn.modules.batchnorm._BatchNorm: ["num_features", "eps", "momentum", "affine", "track_running_stats"],
        nn.LayerNorm: ["normalized_shape", "eps", "elementwise_affine"],
        nn.GroupNorm: ["num_groups", "num_channels", "eps", "affine"],
        nn.Embedding: ["num_embeddings", "embedding_dim", "padding_idx"],
        nn.modules.dropout._DropoutNd: ["p", "inplace"],
        nn.Flatten: ["start_dim", "end_dim"],
        nn.modules.rnn.RNNBase: ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"],
        nn.MultiheadAttention: ["embed_dim", "num_heads", "dropout", "add_zero_attn", "kdim", "vdim", "batch_first"],
        nn.TransformerEncoder: ["num_layers"],
        nn.LeakyReLU: ["negative_slope"], nn.ELU: ["alpha"], nn.GELU: ["approximate"], nn.Hardtanh: ["min_val", "max_val"],
        nn.Softplus: ["beta", "threshold"], nn.Softmax: ["dim"], nn.LogSoftmax: ["dim"],
    }
    for cls, keys in names.items():
        if isinstance(m, cls):
            for k in keys:
                a[k] = val(getattr(m, k))
    if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.LayerNorm)):
        a["bias"] = getattr(m, "bias", None) is not None
    if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)):
        r = 1 if "1d" in type(m).__name__ else 2
        ex = lambda v: list(v) if isinstance(v, tuple) else [v] * r
        a["kernel_size"] = ex(m.kernel_size)
        a["stride"] = ex(m.stride if m.stride is not None else m.kernel_size)
        a["padding"] = ex(m.padding)
        a["ceil_mode"] = m.ceil_mode
    if isinstance(m, nn.TransformerEncoderLayer):
        a["d_model"] = m.self_attn.embed_dim
        a["nhead"] = m.self_attn.num_heads
        a["dim_feedforward"] = m.linear1.out_features
        a["norm_first"] = m.norm_first
        act = m.activation
        a["activation"] = getattr(act, "__name__", type(act).__name__.lower())
    if isinstance(m, (nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)):
        r = 1 if "1d" in type(m).__name__ else 2
        a["output_size"] = list(m.output_size) if isinstance(m.output_size, tuple) else [m.output_size] * r
    if hasattr(m, "use_res_connect"):
        a["use_res_connect"] = bool(m.use_res_connect)
    return a


expected = {}
for name, make in MODELS.items():
    model = make().eval()
    torch.save(model, os.path.join(out, name + ".pt"))
    expected[name] = [{"path": p, "cls": type(m).__module__ + "." + type(m).__qualname__, "attrs": attrs(m)}
                      for p, m in model.named_modules()]
torch.save(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), os.path.join(out, "legacy_mlp.pt"), _use_new_zipfile_serialization=False)
expected["legacy_mlp"] = [{"path": p, "cls": type(m).__module__ + "." + type(m).__qualname__, "attrs": attrs(m)}
                          for p, m in torch.load(os.path.join(out, "legacy_mlp.pt"), weights_only=False).named_modules()]
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f)
print("ok", len(expected))
