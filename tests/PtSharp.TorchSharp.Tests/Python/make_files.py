"""Writes the files the PtSharp.TorchSharp tests load, with whatever torch runs this script (1.13 on the host,
2.6 inside the chroot), and each torch's own outputs as the reference.

    python make_files.py OUT_DIR

sd_<case>.pt      state dicts (resnet18, mobilenet_v3_small, lstm, transformer, vit_tiny, mlp_bf16)
full_<case>.pt    complete pickled models (resnet18, mobilenet_v2, squeezenet1_1, mlp, mlp_legacy; attention and
                  transformer encoder layers: see transformers())
io_<case>.pt, io_full_<case>.pt   {"x": input, ("tgt": second input,) "y": torch's output in eval mode}
dtypes.pt / dtypes.json   every dtype TorchSharp has, views with offsets and strides, tied weights; expected bytes
ts_<case>.pt      TorchScript archives (scripted MLP, traced CNN)
resume_<opt>.pt   training checkpoint after 3 steps (adam, adamw, sgd); resume_<opt>_after.pt: parameters
                  after 3 more steps on the same batches (resume_batches.pt)
Weights are random with fixed seeds; nothing is downloaded.
"""
import collections
import json
import os
import sys

import torch
import torch.nn as nn
import torchvision

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
P = lambda name: os.path.join(out, name)


def seed(n=0):
    torch.manual_seed(n)


def trained_bn(model, shape):
    """A couple of train-mode passes so BatchNorm running stats and num_batches_tracked are not defaults."""
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn(*shape))
    return model.eval()


def vit_tiny():
    from torchvision.models.vision_transformer import VisionTransformer
    return VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64,
                             dropout=0.0, attention_dropout=0.0, num_classes=10)


def save_io(name, model, *inputs):
    with torch.no_grad():
        y = model(*inputs)
    if isinstance(y, tuple):
        y = y[0]
    io = {"x": inputs[0], "y": y}
    if len(inputs) > 1:
        io["tgt"] = inputs[1]
    torch.save(io, P("io_" + name + ".pt"))


def state_dicts():
    seed(1)
    m = trained_bn(torchvision.models.resnet18(num_classes=10), (2, 3, 64, 64))
    torch.save(m.state_dict(), P("sd_resnet18.pt"))
    save_io("resnet18", m, torch.randn(2, 3, 64, 64))
    seed(2)
    m = trained_bn(torchvision.models.mobilenet_v3_small(), (2, 3, 64, 64))  # TorchVision .NET: 1000 classes
    torch.save(m.state_dict(), P("sd_mobilenet_v3_small.pt"))
    save_io("mobilenet_v3_small", m, torch.randn(2, 3, 64, 64))
    seed(3)
    m = nn.LSTM(10, 20, num_layers=2, batch_first=True).eval()
    torch.save(m.state_dict(), P("sd_lstm.pt"))
    save_io("lstm", m, torch.randn(3, 7, 10))
    seed(4)
    m = nn.Transformer(d_model=32, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=64, dropout=0.0).eval()
    torch.save(m.state_dict(), P("sd_transformer.pt"))
    save_io("transformer", m, torch.randn(5, 2, 32), torch.randn(3, 2, 32))
    seed(5)
    m = vit_tiny().eval()
    torch.save(m.state_dict(), P("sd_vit_tiny.pt"))
    save_io("vit_tiny", m, torch.randn(2, 3, 32, 32))
    seed(6)
    m = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8)).to(torch.bfloat16).eval()
    torch.save(m.state_dict(), P("sd_mlp_bf16.pt"))
    save_io("mlp_bf16", m, torch.randn(4, 16).to(torch.bfloat16))


def full_models():
    cases = {
        "resnet18": (lambda: torchvision.models.resnet18(num_classes=10), (2, 3, 64, 64)),
        "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(num_classes=10), (2, 3, 64, 64)),
        "squeezenet1_1": (lambda: torchvision.models.squeezenet1_1(num_classes=10), (2, 3, 64, 64)),
        "mlp": (lambda: nn.Sequential(nn.Linear(12, 24), nn.ReLU(), nn.Dropout(0.1), nn.Linear(24, 24), nn.Tanh(),
                                      nn.Linear(24, 5), nn.LogSoftmax(dim=1)), (4, 12)),
    }
    for i, (name, (make, shape)) in enumerate(cases.items()):
        seed(10 + i)
        m = make()
        m = trained_bn(m, shape) if name != "mlp" else m.eval()
        torch.save(m, P("full_" + name + ".pt"), pickle_protocol=2)
        save_io("full_" + name, m, torch.randn(*shape))
        if name == "mlp":
            torch.save(m, P("full_mlp_legacy.pt"), _use_new_zipfile_serialization=False)
            save_io("full_mlp_legacy", m, torch.randn(*shape))


def transformers():
    """Complete pickled MultiheadAttention / TransformerEncoderLayer / TransformerEncoder models. An attention
    module's reference output is m(q, k, v)[0] (self-attention: q = k = v = x); io has "key"/"value" otherwise."""
    L = nn.TransformerEncoderLayer
    cases = {
        "mha": (lambda: nn.MultiheadAttention(16, 4), (5, 2, 16)),
        "mha_batch_first_nobias": (lambda: nn.MultiheadAttention(16, 2, bias=False, batch_first=True), (2, 5, 16)),
        "mha_kdim_vdim": (lambda: nn.MultiheadAttention(16, 4, add_bias_kv=True, add_zero_attn=True, kdim=12, vdim=8,
                                                        batch_first=True), (2, 5, 16)),
        "encoder_layer": (lambda: L(32, 4, 64, dropout=0.1), (6, 2, 32)),
        "encoder_layer_gelu_norm_first": (lambda: L(32, 4, 48, dropout=0.0, activation="gelu", layer_norm_eps=1e-6,
                                                    batch_first=True, norm_first=True), (2, 6, 32)),
        "encoder_layer_module_activation": (lambda: L(32, 2, 40, activation=nn.GELU(approximate="tanh")), (4, 3, 32)),
        "encoder": (lambda: nn.TransformerEncoder(L(32, 4, 64, batch_first=True), num_layers=2, norm=nn.LayerNorm(32)),
                    (2, 6, 32)),
    }
    if tuple(int(v) for v in torch.__version__.split(".")[:2]) >= (2, 1):  # bias=False arrived in torch 2.1
        cases["encoder_nobias"] = (lambda: nn.TransformerEncoder(L(32, 4, 64, bias=False), num_layers=2), (6, 2, 32))
    for i, (name, (make, shape)) in enumerate(cases.items()):
        seed(50 + i)
        m = make().eval()
        # Non-zero biases (torch initialises MultiheadAttention's to 0), so a dropped bias would show.
        with torch.no_grad():
            for pname, p in m.named_parameters():
                if "bias" in pname:
                    p.copy_(torch.randn_like(p) * 0.1)
        torch.save(m, P("full_" + name + ".pt"))
        x = torch.randn(*shape)
        io = {"x": x}
        with torch.no_grad():
            if isinstance(m, nn.MultiheadAttention):
                key = torch.randn(shape[0], 7, m.kdim) if name == "mha_kdim_vdim" else x
                value = torch.randn(shape[0], 7, m.vdim) if name == "mha_kdim_vdim" else x
                if key is not x:
                    io["key"], io["value"] = key, value
                try:
                    io["y"] = m(x, key, value)[0]
                except TypeError:  # torch 1.13's eval fast path cannot take bias=False; dropout is 0, so train()
                    io["y"] = m.train()(x, key, value)[0]  # runs the same maths on the reference path
                    m.eval()
            else:
                io["y"] = m(x)
        torch.save(io, P("io_full_" + name + ".pt"))


def torchscript():
    seed(40)
    mlp = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 3)).eval()
    torch.jit.save(torch.jit.script(mlp), P("ts_scripted.pt"))
    save_io("ts_scripted", mlp, torch.randn(2, 6))
    seed(41)
    cnn = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    cnn = trained_bn(cnn, (2, 3, 8, 8))
    x = torch.randn(2, 3, 8, 8)
    torch.jit.save(torch.jit.trace(cnn, x), P("ts_traced.pt"))
    save_io("ts_traced", cnn, x)


def dtypes():
    seed(20)
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 7
    sd = collections.OrderedDict()
    sd["f64"] = base.double()
    sd["f32"] = base
    sd["f16"] = base.half()
    sd["bf16"] = base.bfloat16()
    sd["c64"] = torch.complex(base, -base)
    sd["c128"] = torch.complex(base.double(), base.double() * 2)
    sd["i8"] = (base * 5).to(torch.int8)
    sd["i16"] = (base * -300).to(torch.int16)
    sd["i32"] = (base * 1e5).to(torch.int32)
    sd["i64"] = (base * 1e12).to(torch.int64)
    sd["u8"] = (base * 30).to(torch.uint8)
    sd["bool"] = base > 1.5
    sd["scalar"] = torch.tensor(3.5)
    sd["num_batches_tracked"] = torch.tensor(7)
    big = torch.randn(10, 8)
    sd["view_offset"] = big[3:7]             # storage offset 24
    sd["view_transposed"] = big.t()          # strides (1, 8)
    sd["view_step"] = big[::2, 1::3]         # offset and strides
    sd["empty"] = torch.zeros(0, 3)
    tied = torch.randn(5, 4)
    sd["embed.weight"] = tied
    sd["lm_head.weight"] = tied
    torch.save(sd, P("dtypes.pt"))
    expected = {}
    for k, v in sd.items():
        c = v.contiguous()
        raw = c.view(torch.uint8) if c.dim() > 0 and c.numel() > 0 else c.reshape(1).view(torch.uint8) if c.numel() else c
        expected[k] = {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                       "hex": bytes(raw.flatten().tolist()).hex() if c.numel() else ""}
    with open(P("dtypes.json"), "w") as f:
        json.dump(expected, f)
    float8 = getattr(torch, "float8_e4m3fn", None)
    if float8 is not None:
        torch.save({"f8": base.to(float8)}, P("float8.pt"))


def resume_model():
    seed(30)
    return nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 4))


OPTIMIZERS = {
    "adam": lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.95), eps=1e-7, weight_decay=0.001),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.05),
    "sgd": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.001, nesterov=False),
}


def train(model, opt, batches):
    for x, y in batches:
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    return float(loss)


def resume():
    seed(31)
    batches = [(torch.randn(4, 8), torch.randn(4, 4)) for _ in range(6)]
    torch.save({"x": [b[0] for b in batches], "y": [b[1] for b in batches]}, P("resume_batches.pt"))
    for name, make in OPTIMIZERS.items():
        model = resume_model()
        opt = make(model.parameters())
        loss = train(model, opt, batches[:3])
        torch.save({"epoch": 3, "loss": loss, "model_state_dict": model.state_dict(),
                    "optimizer_state_dict": opt.state_dict(), "note": "resume test"}, P("resume_%s.pt" % name))
        train(model, opt, batches[3:])
        torch.save(model.state_dict(), P("resume_%s_after.pt" % name))


state_dicts()
full_models()
transformers()
torchscript()
dtypes()
resume()
print("ok", torch.__version__)
