#!/usr/bin/env python3
"""PyTorch twin of @skelflow/nn's MGNet blocks (golden fixtures).

The 3-D convolutions are PyTorch's own nn.Conv3d and the separateness loss PyTorch's own
nn.TripletMarginLoss, so the oracle is independent of our lowering:
  DepthwiseConv3d(C, k, dilation d) -> nn.Conv3d(C, C, k, padding=d*(k-1)//2, dilation=d, groups=C)
                                       (weight [C, 1, k, k, k]; ours [C, k, k, k])
  LargeKernelAttention3d(C)          -> LKA3d below: GENet models/unamsk_encoder/van.py LKA with Conv3d:
                                       conv0 5^3 pad 2 -> conv_spatial 7^3 dilation 3 pad 9 -> conv1 1^3
                                       (conv1.weight [C, C, 1, 1, 1]; ours [C, C])
  Lsta                               -> LSTA below: x + x * sigmoid(LKA3d(1)(x.mean(1, keepdim=True)))
  memoryAddress / MemoryModule.read  -> softmax_i(cos(q, m_i)) and its weighted sum of the items
  memoryUpdate                       -> MNAD model/Memory.py get_update_query + F.normalize (top-1 rule)
  separatenessLoss (sum)             -> MNAD's spread loss: nn.TripletMarginLoss(margin, reduction='sum')
                                       on F.normalize(q) with the two most similar items (detached)
  CubeVitEncoder                     -> CubeViT below: the cube embedding as nn.Conv3d(C, D, cube, stride=cube)
                                       (our Linear weight [D, pt*ph*pw*C] reshaped [D, pt, ph, pw, C] and
                                       permuted to [D, C, pt, ph, pw]; tokens = conv output flattened (t, h, w)),
                                       + learned positions, nn.TransformerEncoder(nn.TransformerEncoderLayer(
                                       norm_first, gelu, dropout 0), final nn.LayerNorm), LSTA on [B, D, t, h, w];
                                       patch mask = pixels of hidden patches set to 0 in every frame

Needs Debian's python3-torch (torch 1.13); run with /usr/bin/python3.

  golden: /usr/bin/python3 bench/torch/mgnet_blocks.py golden --in weights.json --out fixture.json
          reads weights and inputs exported from @skelflow (bench/torch/mgnet_blocks_fixture.ts
          writes them and calls this), computes in float64, writes inputs + outputs as JSON.
  bench:  /usr/bin/python3 bench/torch/mgnet_blocks.py bench --batch 32 --channels 64 --queries 2048 \
              --dim 64 --items 10 --threads 2 --reps 5
          prints one JSON line of median wall and CPU seconds (float32): LSTA forward + backward
          on [batch, channels, 12, 4, 4], and memory read + separateness forward + backward.
"""
import json, os, re, sys, time
import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twin_common import arr, median_seconds, twin_main  # noqa: E402


class LKA3d(nn.Module):
    def __init__(self, dim, k_local=5, k_dilated=7, dilation=3):
        super().__init__()
        self.conv0 = nn.Conv3d(dim, dim, k_local, padding=(k_local - 1) // 2, groups=dim)
        self.conv_spatial = nn.Conv3d(dim, dim, k_dilated, stride=1, padding=dilation * (k_dilated - 1) // 2, groups=dim, dilation=dilation)
        self.conv1 = nn.Conv3d(dim, dim, 1)

    def forward(self, x):
        return self.conv1(self.conv_spatial(self.conv0(x)))


class LSTA(nn.Module):
    def __init__(self):
        super().__init__()
        self.lka = LKA3d(1)

    def forward(self, x):  # x [B, C, T, H, W]
        return x + x * torch.sigmoid(self.lka(x.mean(1, keepdim=True)))


def snake(name):
    return re.sub(r'([A-Z])', lambda m: '_' + m.group(1).lower(), name)


class CubeViT(nn.Module):
    """MGNet's student encoder (our CubeVitEncoder) from PyTorch's own layers."""

    def __init__(self, channels, cube, dim, heads, layers, ff, lsta=True):
        super().__init__()
        self.cube = cube
        self.embed = nn.Conv3d(channels, dim, cube, stride=cube)
        self.pos = None  # [P, D], set on load
        layer = nn.TransformerEncoderLayer(dim, heads, ff, 0.0, activation='gelu', batch_first=True, norm_first=True)
        self.vit = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(dim), enable_nested_tensor=False)
        self.lsta = LSTA() if lsta else None

    def forward(self, x, mask=None):  # x [B, T, H, W, C]
        if mask is not None:
            B, T, H, W, C = x.shape
            gh, gw = H // self.cube[1], W // self.cube[2]
            keep = 1.0 - mask.reshape(gh, gw).repeat_interleave(self.cube[1], 0).repeat_interleave(self.cube[2], 1)
            x = x * keep[None, None, :, :, None]
        g = self.embed(x.permute(0, 4, 1, 2, 3))            # [B, D, t, h, w]
        b, d, t, h, w = g.shape
        e = g.flatten(2).transpose(1, 2) + self.pos          # [B, P, D], tokens (t, h, w) row-major
        e = self.vit(e)
        if self.lsta is None:
            return e
        y = self.lsta(e.transpose(1, 2).reshape(b, d, t, h, w))
        return y.flatten(2).transpose(1, 2)

    def load_skelflow(self, weights):
        """Our state dict: embed.weight [D, pt*ph*pw*C] -> Conv3d [D, C, pt, ph, pw]; vit.* snake_case; lsta.* as LSTA."""
        pt, ph, pw = self.cube
        D, F = weights['embed.weight']['shape']
        C = F // (pt * ph * pw)
        state = {}
        for n, a in weights.items():
            t = tensor(a)
            if n == 'embed.weight':
                state[n] = t.reshape(D, pt, ph, pw, C).permute(0, 4, 1, 2, 3).contiguous()
            elif n == 'pos.weight':
                self.pos = nn.Parameter(t.clone())
            elif n.startswith('lsta.'):
                state[n] = to_torch_name_shape(n, t)
            else:
                state[snake(n)] = t
        missing, unexpected = self.load_state_dict(state, strict=False)
        if [m for m in missing if m != 'pos'] or unexpected:
            raise SystemExit(f'CubeViT: state mismatch, missing {missing}, unexpected {unexpected}')

    def grads_ours(self, names):
        """Gradients in our names and shapes."""
        params = dict(self.named_parameters())
        out = {}
        pt, ph, pw = self.cube
        for n in names:
            if n == 'embed.weight':
                g = params[n].grad
                out[n] = arr(g.permute(0, 2, 3, 4, 1).reshape(g.shape[0], -1))
            elif n == 'pos.weight':
                out[n] = arr(self.pos.grad)
            elif n.startswith('lsta.'):
                out[n] = arr(ours(n, params[n].grad))
            else:
                out[n] = arr(params[snake(n)].grad)
        return out


def to_torch_name_shape(name, t):
    """Our state tensor -> PyTorch's shape (depthwise [C,k,k,k] -> [C,1,k,k,k]; 1^3 conv [C,C] -> [C,C,1,1,1])."""
    if name.endswith('weight') and t.dim() == 4:
        return t.unsqueeze(1)
    if name.endswith('conv1.weight') and t.dim() == 2:
        return t[:, :, None, None, None]
    return t


def load(module, weights):
    state = {n: to_torch_name_shape(n, tensor(a)) for n, a in weights.items()}
    missing = set(dict(module.named_parameters())) ^ set(state)
    if missing:
        raise SystemExit(f'state names differ: {sorted(missing)}')
    module.load_state_dict(state)


def tensor(a):
    return torch.tensor(a['data'], dtype=torch.float64).reshape(a['shape'])


def ours(name, g):
    """A PyTorch gradient in our shape."""
    if g.dim() == 5 and g.shape[1] == 1 and not name.endswith('conv1.weight'):
        return g.squeeze(1)
    if name.endswith('conv1.weight'):
        return g.reshape(g.shape[0], g.shape[1])
    return g


def address(q, items):
    return torch.softmax(F.normalize(q, dim=1) @ F.normalize(items, dim=1).t(), dim=1)


def mnad_update(q, items):
    """MNAD model/Memory.py: update() with get_update_query (train=True branch)."""
    q = F.normalize(q, dim=1)
    score = q @ items.t()                       # [N, M]
    score_query = torch.softmax(score, dim=0)   # over queries
    score_memory = torch.softmax(score, dim=1)  # over items
    _, gathering_indices = torch.topk(score_memory, 1, dim=1)
    m, d = items.shape
    query_update = torch.zeros((m, d), dtype=items.dtype)
    for i in range(m):
        idx = torch.nonzero(gathering_indices.squeeze(1) == i)
        a, _ = idx.size()
        if a != 0:
            query_update[i] = torch.sum(((score_query[idx, i] / torch.max(score_query[:, i])) * q[idx].squeeze(1)), dim=0)
        else:
            query_update[i] = 0
    return F.normalize(query_update + items, dim=1)


def spread_loss(q, items, margin, reduction='sum'):
    """MNAD model/Memory.py gather_loss spread part, with the paper's sum (MNAD: mean)."""
    qn = F.normalize(q, dim=1)
    score = qn @ items.t()
    _, idx = torch.topk(score, 2, dim=1)
    pos = items[idx[:, 0]].detach()
    neg = items[idx[:, 1]].detach()
    return nn.TripletMarginLoss(margin=margin, reduction=reduction)(qn, pos, neg)


def golden(args):
    spec = json.load(open(args.inp))
    torch.set_default_dtype(torch.float64)
    out = {'about': spec['about']}

    # 3DLKA with two channels (channel mixing in conv1) on a [B, 2, T, H, W] grid.
    lka = LKA3d(2)
    load(lka, spec['lka']['weights'])
    x = tensor(spec['lka']['x'])
    out['lkaOutput'] = arr(lka(x))

    # LSTA: output and gradients of L = sum(R * y) w.r.t. its parameters and input.
    lsta = LSTA()
    load(lsta, spec['lsta']['weights'])
    x = tensor(spec['lsta']['x']).requires_grad_(True)
    y = lsta(x)
    (y * tensor(spec['lsta']['projection'])).sum().backward()
    out['lstaOutput'] = arr(y)
    out['lstaGradients'] = {n: arr(ours(n, p.grad)) for n, p in lsta.named_parameters()}
    out['lstaInputGradient'] = arr(x.grad)

    # Memory: read weights, read-out, top-1 update, separateness and its query gradient.
    items = tensor(spec['memory']['items'])
    q = tensor(spec['memory']['queries']).requires_grad_(True)
    w = address(q, items)
    out['memoryWeights'] = arr(w)
    out['memoryRead'] = arr(w @ items)
    out['memoryUpdated'] = arr(mnad_update(q.detach(), items))
    sep = spread_loss(q, items, spec['memory']['margin'])
    sep.backward()
    out['separateness'] = sep.item()
    out['separatenessGradient'] = arr(q.grad)

    # The student encoder: output, masked output, gradients of sum(R * y) w.r.t. every parameter and the input.
    if 'encoder' in spec:
        e = spec['encoder']
        enc = CubeViT(e['channels'], tuple(e['cube']), e['dim'], e['heads'], e['layers'], e['ff'])
        enc.load_skelflow(e['weights'])
        x = tensor(e['x']).requires_grad_(True)
        y = enc(x)
        (y * tensor(e['projection'])).sum().backward()
        out['encoderOutput'] = arr(y)
        out['encoderGradients'] = enc.grads_ours(list(e['weights']))
        out['encoderInputGradient'] = arr(x.grad)
        with torch.no_grad():
            out['encoderMaskedOutput'] = arr(enc(x, torch.tensor(e['mask'], dtype=torch.float64)))
    with open(args.out, 'w') as f:
        json.dump({**spec, 'torch': out}, f)


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    lsta = LSTA()
    x = torch.randn(args.batch, args.channels, 12, 4, 4, requires_grad=True)

    def lsta_step():
        lsta.zero_grad()
        x.grad = None
        lsta(x).square().mean().backward()

    items = F.normalize(torch.rand(args.items, args.dim), dim=1)
    q = torch.randn(args.queries, args.dim, requires_grad=True)

    def memory_step():
        q.grad = None
        w = address(q, items)
        ((w @ items).square().mean() + spread_loss(q, items, 1.0)).backward()

    def cpu_seconds(fn):
        # Process CPU time summed over PyTorch's threads: comparable with ours on a shared machine.
        fn()
        ts = []
        for _ in range(args.reps):
            c0 = time.process_time()
            fn()
            ts.append(time.process_time() - c0)
        return sorted(ts)[len(ts) // 2]

    model = {}
    if args.model_batch > 0:
        # MGNet's student sizes (docs/mgnet.md defaults): level-1 step = student + H_B forward and
        # backward on [B, 24, 32, 32, 3] crops; level-2 step = frozen student forward + mask
        # encoder + head forward and backward; scoring = student + two masked passes, no gradient.
        B, D = args.model_batch, args.model_dim
        student = CubeViT(3, (2, 8, 8), D, 4, 1, 2 * D)
        masked = CubeViT(3, (2, 8, 8), D, 4, 1, 2 * D)
        for m in (student, masked):
            m.pos = nn.Parameter(torch.randn(192, D) * 0.02)
        head = nn.Sequential(nn.Linear(D, 64), nn.GELU(), nn.Linear(64, 72))
        mhead = nn.Linear(D, 32)
        crops = torch.rand(B, 24, 32, 32, 3)
        target = torch.randn(B, 12, 72)
        mask = torch.zeros(16)
        mask[torch.randperm(16)[:8]] = 1
        pool = lambda e: e.reshape(B, 12, 16, D).mean(2)

        def level1():
            student.zero_grad()
            ((head(pool(student(crops))) - target) ** 2).mean().backward()

        def level2():
            masked.zero_grad()
            with torch.no_grad():
                fu = pool(student(crops))[..., :32]
            fm = mhead(pool(masked(crops, mask)))
            (1 - F.cosine_similarity(fm, fu, dim=-1)).mean().backward()

        def score():
            with torch.no_grad():
                e = student(crops)
                head(pool(e))
                mhead(pool(masked(crops, mask)))
                mhead(pool(masked(crops, 1 - mask)))

        for name, fn in [('level1', level1), ('level2', level2), ('score', score)]:
            model[f'{name}StepSeconds'] = median_seconds(fn, 1, args.reps)
            model[f'{name}StepCpuSeconds'] = cpu_seconds(fn)
        model['batch'] = B
    print(json.dumps({
        'model': model,
        'torch': torch.__version__, 'threads': args.threads,
        'lstaStepSeconds': median_seconds(lsta_step, 1, args.reps),
        'memoryStepSeconds': median_seconds(memory_step, 1, args.reps),
        'lstaStepCpuSeconds': cpu_seconds(lsta_step),
        'memoryStepCpuSeconds': cpu_seconds(memory_step),
    }))


def main():
    def bench_args(b):
        for k, v in [('batch', 32), ('channels', 64), ('queries', 2048), ('dim', 64), ('items', 10), ('model-batch', 0), ('model-dim', 32)]:
            b.add_argument(f'--{k}', type=int, default=v)

    twin_main(__doc__, golden, bench, bench_args, reps=5, warmup=None)


if __name__ == '__main__':
    main()
