#!/usr/bin/python3
"""
Real exporter output for mopar's tests and results: models built with torchvision / plain torch (random init,
no weights downloaded) and written with torch.onnx.export, the way users make their ONNX files. Run it with the
Debian python that has torch (CI does not need it: the small files are committed under test/fixtures/exported).

  /usr/bin/python3 scripts/export-fixtures.py --small --out test/fixtures/exported     # tiny fixtures (committed)
  /usr/bin/python3 scripts/export-fixtures.py --full --out /work/cache/exports [--only resnet50,vgg16]   # full-size

Every model has a dynamic batch axis (dynamic_axes) as exporters are usually told; "small" versions keep each
architecture's block structure at narrow widths and low resolution. Exported with torch 1.13 defaults
(opset 14, constant folding on), which deduplicates identical initializers behind Identity nodes and computes
reshape targets from Shape nodes: exactly the habits mopar must handle.
"""
import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models import resnet as tv_resnet
from torchvision.models import vgg as tv_vgg

torch.manual_seed(0)


def randomize_norms(model, seed=1):
    """Trained-like BatchNorm statistics (random init leaves mean 0 / var 1 / bias 0, so folded biases are all
    zero and a bias routed to the wrong slice would go unnoticed)."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)
    return model


class NarrowResNet(tv_resnet.ResNet):
    """torchvision's ResNet (its Bottleneck blocks and forward) at a narrower base width."""

    def __init__(self, layers, base=8, num_classes=10):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = base, 1, 1, 64
        self.conv1 = nn.Conv2d(3, base, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(tv_resnet.Bottleneck, base, layers[0])
        self.layer2 = self._make_layer(tv_resnet.Bottleneck, base * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(tv_resnet.Bottleneck, base * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(tv_resnet.Bottleneck, base * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(base * 8 * tv_resnet.Bottleneck.expansion, num_classes)


def narrow_vgg16(width=8, hidden=64, num_classes=10):
    cfg = [c if c == 'M' else c * width // 64 for c in tv_vgg.cfgs['D']]
    m = tv_vgg.VGG(tv_vgg.make_layers(cfg), num_classes=num_classes)
    # Same classifier shape (Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear), narrower.
    m.classifier = nn.Sequential(
        nn.Linear(cfg[-2] * 7 * 7, hidden), nn.ReLU(True), nn.Dropout(),
        nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(), nn.Linear(hidden, num_classes))
    return m


class BertLike(nn.Module):
    """Embeddings + torch.nn.TransformerEncoder (post-norm, as BERT) + pooler; token ids in."""

    def __init__(self, vocab=1000, d=64, heads=4, layers=4, ff=128, seq=32):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, seq, d) * 0.02)
        self.norm = nn.LayerNorm(d)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation='gelu', batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.pool = nn.Linear(d, d)

    def forward(self, ids):
        x = self.norm(self.tok(ids) + self.pos)
        x = self.encoder(x)
        return x, torch.tanh(self.pool(x[:, 0]))


class GPTBlock(nn.Module):
    def __init__(self, d, heads, seq):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.register_buffer('mask', torch.tril(torch.ones(seq, seq)).view(1, 1, seq, seq))

    def forward(self, x):
        b, t, c = x.size()
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        # view(b, t, heads, c // heads): the exporter computes b from Shape(x) (dynamic batch).
        q = q.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        k = k.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        v = v.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / (c // self.heads) ** 0.5)
        att = att.masked_fill(self.mask[:, :, :t, :t] == 0, float('-inf')).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.proj(y)
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class GPT2Like(nn.Module):
    """A GPT-2 decoder in plain torch: causal attention, pre-norm, LM head tied to the token embedding."""

    def __init__(self, vocab=1000, d=64, heads=4, layers=4, seq=32):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(seq, d)
        self.blocks = nn.ModuleList(GPTBlock(d, heads, seq) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.wte.weight  # tied weights

    def forward(self, ids):
        pos = torch.arange(ids.size(1), device=ids.device).unsqueeze(0)
        x = self.wte(ids) + self.wpe(pos)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.ln_f(x))


class CRNN(nn.Module):
    """OCR recogniser (CRNN): a VGG-style conv stack, columns as a sequence, bidirectional LSTM, per-step classes."""

    def __init__(self, width=16, hidden=32, classes=37):
        super().__init__()
        w = width

        def block(i, o, pool):
            layers = [nn.Conv2d(i, o, 3, 1, 1), nn.BatchNorm2d(o), nn.ReLU(True)]
            return layers + ([nn.MaxPool2d(pool)] if pool else [])
        self.cnn = nn.Sequential(*block(1, w, 2), *block(w, 2 * w, 2), *block(2 * w, 4 * w, None),
                                 *block(4 * w, 4 * w, (2, 1)), *block(4 * w, 8 * w, None), *block(8 * w, 8 * w, (2, 1)))
        self.rnn = nn.LSTM(8 * w * 2, hidden, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, x):
        f = self.cnn(x)                      # [b, c, h, w]
        b, c, h, w = f.size()
        f = f.permute(0, 3, 1, 2).reshape(b, w, c * h)
        y, _ = self.rnn(f)
        return self.fc(y).log_softmax(-1)


def vit_small():
    m = torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=3, num_heads=2, hidden_dim=32,
                                             mlp_dim=64, num_classes=10)
    return m


def tv(name, **kw):
    return lambda: getattr(torchvision.models, name)(weights=None, **kw)


def tv_seg(name, **kw):
    return lambda: getattr(torchvision.models.segmentation, name)(weights=None, weights_backbone=None, **kw)


class SegOut(nn.Module):
    """Segmentation models return a dict; export its 'out' tensor."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)['out']


# name: (constructor, input shape without batch, input dtype, randomize BN)
SMALL = {
    'resnet50': (lambda: NarrowResNet([3, 4, 6, 3], base=8), (3, 64, 64), 'float', False),
    'mobilenetv3-small': (lambda: torchvision.models.mobilenet_v3_small(weights=None, width_mult=0.25, num_classes=10),
                          (3, 64, 64), 'float', False),
    'vgg16': (lambda: narrow_vgg16(hidden=16), (3, 224, 224), 'float', True),
    'vit-b16': (vit_small, (3, 32, 32), 'float', False),
    'bert-like': (lambda: BertLike(vocab=256), (32,), 'ids', False),
    'gpt2-like': (lambda: GPT2Like(vocab=256), (32,), 'ids', False),
    'crnn': (lambda: CRNN(width=8, hidden=16), (1, 32, 64), 'float', True),
}

FULL = {
    'resnet18': (tv('resnet18'), (3, 224, 224), 'float', False),
    'resnet50': (tv('resnet50'), (3, 224, 224), 'float', False),
    'mobilenetv3-small': (tv('mobilenet_v3_small'), (3, 224, 224), 'float', False),
    'vgg16': (tv('vgg16'), (3, 224, 224), 'float', False),
    'densenet121': (tv('densenet121'), (3, 224, 224), 'float', False),
    'efficientnet-b0': (tv('efficientnet_b0'), (3, 224, 224), 'float', False),
    'convnext-tiny': (tv('convnext_tiny'), (3, 224, 224), 'float', False),
    'vit-b16': (tv('vit_b_16'), (3, 224, 224), 'float', False),
    'bert-like': (lambda: BertLike(vocab=30522, d=768, heads=12, layers=12, ff=3072, seq=128), (128,), 'ids', False),
    'gpt2-like': (lambda: GPT2Like(vocab=50257, d=768, heads=12, layers=12, seq=128), (128,), 'ids', False),
    'crnn': (lambda: CRNN(width=64, hidden=256), (1, 32, 128), 'float', True),
    'lraspp-mobilenetv3': (lambda: SegOut(tv_seg('lraspp_mobilenet_v3_large')()), (3, 224, 224), 'float', False),
}


def export(name, spec, out_dir):
    ctor, shape, kind, randomize = spec
    model = ctor().eval()
    if randomize:
        randomize_norms(model)
    if isinstance(model, torchvision.models.VisionTransformer):
        # torchvision zero-initialises the head: all-zero logits would verify nothing.
        nn.init.normal_(model.heads.head.weight, std=0.2)
    x = torch.randint(0, 100, (1, *shape)) if kind == 'ids' else torch.randn(1, *shape)
    path = os.path.join(out_dir, f'{name}.onnx')
    with torch.no_grad():
        outputs = model(x)
    n_out = len(outputs) if isinstance(outputs, tuple) else 1
    out_names = ['output'] if n_out == 1 else [f'output{i}' for i in range(n_out)]
    torch.onnx.export(model, (x,), path, input_names=['input'], output_names=out_names, opset_version=14,
                      dynamic_axes={n: {0: 'batch'} for n in ['input', *out_names]})
    print(f'{path}: {os.path.getsize(path) / 1e6:.2f} MB', file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--small', action='store_true')
    ap.add_argument('--full', action='store_true')
    ap.add_argument('--out', required=True)
    ap.add_argument('--only')
    a = ap.parse_args()
    specs = SMALL if a.small else FULL
    os.makedirs(a.out, exist_ok=True)
    for name, spec in specs.items():
        if a.only and name not in a.only.split(','):
            continue
        export(name, spec, a.out)


if __name__ == '__main__':
    main()
