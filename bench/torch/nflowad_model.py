#!/usr/bin/env python3
"""PyTorch twin of @skelflow/nflowad (golden fixtures and speed reference).

The whole NFlowAD model of examples/nflowad, built on the conditional-Glow twin of bench/torch/nflowad.py
(`from nflowad import ConditionalGlow`) and PyTorch's own Transformer modules, so the oracle is
independent of our code:

  | @skelflow (examples/nflowad)        | here                                                        |
  | ----------------------------------- | ----------------------------------------------------------- |
  | mae.embed (Linear C*V -> d)         | mae.embed = nn.Linear(C*V, d)                               |
  | mae.positions.weight [T, d]         | mae.positions.weight (nn.Parameter), rows 0..T-1 added      |
  | mae.encoder (pre-LN, GELU, final LN) | nn.TransformerEncoder(nn.TransformerEncoderLayer(d, H, F, 0, |
  |                                     |   'gelu', batch_first=True, norm_first=True), L, nn.LayerNorm(d)) |
  | mae.decoder (when decoderLayers > 0) | the same with decoderLayers blocks                          |
  | mae.head (Linear d -> C*V)          | mae.head = nn.Linear(d, C*V)                                |
  | flow (ConditionalGlow)              | flow = nflowad.ConditionalGlow(d, d, B, hidden, 2, 'lu')    |
  | scoreStats, thresholdValues, inputMean, inputStd | buffers of the same names                      |

State names are ours; under `mae.` after camelCase -> snake_case (selfAttn.inProjWeight ->
self_attn.in_proj_weight); the flow's names are the Glow twin's (logS, signS as is).

Equations (model card §4.2-4.3): vec(x_t) channel-major; h = Enc(W_emb vec(x_t) + b + pos_t);
x_hat = head(Dec(h)); err_{t,j} = ||x_hat - x||^2 / C; MSE_t = mean_j err; c = mean_t h_t;
log p_t = log p(h_t | c); S_t = a (MSE_t - m1)/s1 - b (log p_t - m2)/s2; S_{j,t} = a (err - m1)/s1;
S_seq = mean_t S_t. Stage 1 loss: sum over masked (t, j) of ||x_hat - x||^2 / (C * #masked) with the
masked joints zero-filled; stage 2 loss: -mean log p(h_t | c) on the frozen encoder's h.

  golden: /usr/bin/python3 bench/torch/nflowad_model.py golden --in spec.json --out fixture.json
          (bench/torch/nflowad_model_fixture.ts writes spec.json and calls this), float64: the
          normalised input, frame embeddings, h, reconstruction, context, flow z / log-det / log p,
          S_t, S_{j,t}, S_seq, and one Adam step per stage (autoencoder on the given mask; flow on
          the frozen h): loss and every trained parameter after it.
  bench:  /usr/bin/python3 bench/torch/nflowad_model.py bench --threads 2 --reps 3 [--batch 256] ...
          prints one JSON line: median seconds of one training step per stage and of scoring a batch.

Needs Debian's python3-torch (torch 1.13); run with /usr/bin/python3.
"""
import json, os, re, sys
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nflowad import ActNorm, ConditionalGlow  # noqa: E402
from twin_common import arr, median_seconds, twin_main  # noqa: E402


def snake(name):
    return re.sub(r'([A-Z])', lambda m: '_' + m.group(1).lower(), name)


class Positions(nn.Module):
    def __init__(self, T, d):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(T, d))


def encoder(d, H, F, layers):
    layer = nn.TransformerEncoderLayer(d, H, F, 0.0, activation='gelu', batch_first=True, norm_first=True)
    return nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d), enable_nested_tensor=False)


class Mae(nn.Module):
    def __init__(self, c):
        super().__init__()
        C, V, T, d = c['channels'], c['joints'], c['segLen'], c['dModel']
        F = c['feedforward'] or 4 * d
        self.C, self.V = C, V
        self.embed = nn.Linear(C * V, d)
        self.positions = Positions(T, d)
        self.encoder = encoder(d, c['heads'], F, c['layers'])
        self.decoder = encoder(d, c['heads'], F, c['decoderLayers']) if c['decoderLayers'] > 0 else None
        self.head = nn.Linear(d, C * V)

    def tokens(self, x):
        B, C, T, V = x.shape
        return self.embed(x.permute(0, 2, 1, 3).reshape(B, T, C * V)) + self.positions.weight[:T]

    def encode(self, x):
        return self.encoder(self.tokens(x))

    def decode(self, h):
        B, T, _ = h.shape
        y = self.head(self.decoder(h) if self.decoder is not None else h)
        return y.reshape(B, T, self.C, self.V).permute(0, 2, 1, 3)


class Nflowad(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d = c['dModel']
        self.mae = Mae(c)
        self.flow = ConditionalGlow(d, d, c['flowSteps'], c['flowHidden'], 2, 'lu')
        cv = c['channels'] * c['joints']
        self.register_buffer('scoreStats', torch.tensor([0.0, 1.0, 0.0, 1.0]))
        self.register_buffer('thresholdValues', torch.zeros(3))
        self.register_buffer('inputMean', torch.zeros(cv))
        self.register_buffer('inputStd', torch.ones(cv))

    def normalise(self, x):
        mode = self.c['normalise']
        if mode == 'frame':
            centred = x - x.mean(3, keepdim=True)  # per frame and channel, over the joints
            sd = (centred ** 2).mean((1, 3), keepdim=True).sqrt()  # per frame, over channels and joints
            return centred / torch.where(sd > 1e-6, sd, torch.ones_like(sd))
        if mode == 'dataset':
            B, C, T, V = x.shape
            return (x - self.inputMean.reshape(1, C, 1, V)) / self.inputStd.reshape(1, C, 1, V)
        return x

    def frame_log_prob(self, h):
        B, T, d = h.shape
        c = h.mean(1)
        rows = h.reshape(B * T, d)
        ctx = c[:, None, :].expand(B, T, d).reshape(B * T, d)
        return self.flow.log_prob(rows, ctx).reshape(B, T), rows, ctx

    def scores(self, x_raw):
        x = self.normalise(x_raw)
        h = self.mae.encode(x)
        x_hat = self.mae.decode(h)
        err = ((x_hat - x) ** 2).sum(1) / self.c['channels']  # [B, T, V]
        mse = err.mean(2)
        logp, rows, ctx = self.frame_log_prob(h)
        m1, s1, m2, s2 = self.scoreStats.tolist()
        a, b = self.c['alpha'], self.c['beta']
        frames = a * (mse - m1) / s1 - b * (logp - m2) / s2
        joints = a * (err - m1) / s1
        return dict(x=x, h=h, x_hat=x_hat, err=err, mse=mse, logp=logp, rows=rows, ctx=ctx, frames=frames, joints=joints, seq=frames.mean(1))


def masked_loss(mae, x, mask):
    """x [B, C, T, V] (normalised), mask [B, T, V] (1 = masked)."""
    keep = (1 - mask)[:, None, :, :]
    x_hat = mae.decode(mae.encode(x * keep))
    per = ((x_hat - x) ** 2).sum(1)
    return (per * mask).sum() / (torch.clamp(mask.sum(), min=1) * x.shape[1])


def tensor(a):
    return torch.tensor(a['data'], dtype=torch.float64).reshape(a['shape'])


def load(c, state):
    model = Nflowad(c).double()
    named = {(snake(n) if n.startswith('mae.') else n): tensor(a) for n, a in state.items()}
    model.load_state_dict(named, strict=True)
    return model


def golden(args):
    spec = json.load(open(args.inp))
    torch.set_default_dtype(torch.float64)
    c = spec['config']
    x = tensor(spec['x'])
    mask = tensor(spec['mask'])
    model = load(c, spec['state'])
    model.eval()
    with torch.no_grad():
        s = model.scores(x)
        z, logdet = model.flow(s['rows'], s['ctx'])
        tokens = model.mae.tokens(s['x'])
    out = {'normalised': arr(s['x']), 'tokens': arr(tokens), 'h': arr(s['h']), 'reconstruction': arr(s['x_hat']),
           'jointErrors': arr(s['err']), 'mse': arr(s['mse']), 'context': arr(s['h'].mean(1)),
           'z': arr(z), 'logDet': arr(logdet), 'logProb': arr(s['logp']),
           'frames': arr(s['frames']), 'joints': arr(s['joints']), 'sequence': arr(s['seq'])}

    # Stage 1: one Adam step of the autoencoder on the masked loss (dropout 0, so train = eval).
    m1 = load(c, spec['state'])
    m1.train()
    names = [n for n in spec['maeParameters']]
    params = {n: p for n, p in m1.named_parameters() if n.startswith('mae.')}
    by_ours = {n: params[snake(n)] for n in names}
    assert sorted(snake(n) for n in names) == sorted(params), 'autoencoder parameter names differ from @skelflow'
    opt = torch.optim.Adam([by_ours[n] for n in names], lr=spec['adamLr'])
    opt.zero_grad()
    loss = masked_loss(m1.mae, m1.normalise(x), mask)
    loss.backward()
    opt.step()
    out['maeStep'] = {'loss': loss.item(), 'after': {n: arr(by_ours[n]) for n in names}}

    # Stage 2: one Adam step of the flow on the frozen encoder's h (ActNorms already initialised).
    m2 = load(c, spec['state'])
    m2.eval()
    with torch.no_grad():
        h = m2.mae.encode(m2.normalise(x))
    m2.flow.train()
    fnames = spec['flowParameters']
    fparams = dict(m2.named_parameters())
    opt = torch.optim.Adam([fparams[n] for n in fnames], lr=spec['adamLr'])
    opt.zero_grad()
    logp, _, _ = m2.frame_log_prob(h)
    floss = -logp.mean()
    floss.backward()
    opt.step()
    out['flowStep'] = {'loss': floss.item(), 'after': {n: arr(fparams[n]) for n in fnames}}
    res = {'about': spec['about'], 'torch': torch.__version__, 'config': c, 'adamLr': spec['adamLr'], 'x': spec['x'], 'mask': spec['mask'],
           'state': spec['state'], 'maeParameters': names, 'flowParameters': fnames, 'expected': out}
    with open(args.out, 'w') as f:
        json.dump(res, f)


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    c = {'channels': args.channels, 'joints': args.joints, 'segLen': args.seg_len, 'dModel': args.dim, 'heads': args.heads,
         'layers': args.layers, 'decoderLayers': 0, 'feedforward': 0, 'flowSteps': args.flow_steps, 'flowHidden': args.flow_hidden,
         'alpha': 0.6, 'beta': 0.4, 'normalise': 'frame'}
    model = Nflowad(c)
    for m in model.flow.transform:
        if isinstance(m, ActNorm):
            m.initialized.fill_(1.0)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(args.batch, args.channels, args.seg_len, args.joints, generator=g)
    mask = (torch.rand(args.batch, args.seg_len, args.joints, generator=g) < 0.3).double().float()
    opt1 = torch.optim.Adam(model.mae.parameters(), lr=1e-3)
    opt2 = torch.optim.Adam(model.flow.parameters(), lr=1e-3)
    with torch.no_grad():
        h = model.mae.encode(model.normalise(x))

    def mae_step():
        model.mae.train()
        opt1.zero_grad()
        masked_loss(model.mae, model.normalise(x), mask).backward()
        opt1.step()

    def flow_step():
        model.flow.train()
        opt2.zero_grad()
        (-model.frame_log_prob(h)[0].mean()).backward()
        opt2.step()

    def score():
        model.eval()
        with torch.no_grad():
            model.scores(x)

    res = {name: median_seconds(fn, args.warmup, args.reps) for name, fn in [('maeStep', mae_step), ('flowStep', flow_step), ('score', score)]}
    res.update({'threads': args.threads, 'torch': torch.__version__, 'batch': args.batch, 'channels': args.channels, 'joints': args.joints,
                'segLen': args.seg_len, 'dModel': args.dim, 'heads': args.heads, 'layers': args.layers,
                'flowSteps': args.flow_steps, 'flowHidden': args.flow_hidden})
    print(json.dumps(res))


def main():
    def bench_args(b):
        b.add_argument('--batch', type=int, default=256)
        b.add_argument('--channels', type=int, default=2)
        b.add_argument('--joints', type=int, default=18)
        b.add_argument('--seg-len', type=int, default=24)
        b.add_argument('--dim', type=int, default=64)
        b.add_argument('--heads', type=int, default=4)
        b.add_argument('--layers', type=int, default=2)
        b.add_argument('--flow-steps', type=int, default=4)
        b.add_argument('--flow-hidden', type=int, default=128)

    twin_main(__doc__, golden, bench, bench_args, reps=3, warmup=1)


if __name__ == '__main__':
    main()
