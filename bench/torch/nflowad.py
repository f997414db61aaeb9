#!/usr/bin/env python3
"""PyTorch twin of NFlowAD's conditional Glow on vectors (@skelflow/flows `ConditionalGlow`).

Importable (`sys.path` = bench/torch): `from nflowad import ConditionalGlow`. The modules below hold
their weights under the names of @skelflow's state dict, so `load_state_dict` takes an exported
@skelflow state as is:

  | @skelflow (flows)            | here                       | state names                               |
  | ---------------------------- | -------------------------- | ----------------------------------------- |
  | ActNorm on [B, D]            | ActNorm                    | bias, logs, initialized                   |
  | InvertibleLinearLU           | InvertibleLinearLU         | lower, upper, logS, p, signS              |
  | ConcatContextMlp             | ConcatContextMlp           | mlp.{2k}.weight, mlp.{2k}.bias            |
  | ConditionalAffineCoupling    | ConditionalAffineCoupling  | net.mlp.*                                 |
  | ReverseChannels              | Reverse                    | -                                         |
  | ConditionalGlow              | ConditionalGlow            | transform.{3b..3b+2}.*, prior.mean/logStd |

Equations (Glow, Kingma & Dhariwal 2018; NFlowAD Eq. 3-4): per step b
  ActNorm      y = (x + bias) * exp(logs),                 log|det| = sum(logs)
  LU linear    y = x W^T, W = P (L*M + I) (U*M^T + diag(signS exp(logS))), log|det| = sum(logS)
  coupling     h_a = x[:, :floor(D/2)], (shift, raw) = net([h_a, c]).chunk(2),
               scale = sigmoid(raw + 2) + 1e-6, y_b = (x_b + shift) * scale, log|det| = sum(log scale)
  prior        N(0, I): log p(h | c) = log N(z; 0, I) + sum of the log-dets.
ActNorm initialises from the first training batch (zero mean, unit population std per dimension).

  golden: /usr/bin/python3 bench/torch/nflowad.py golden --in spec.json --out fixture.json
          (bench/torch/nflowad_flow_fixture.ts writes spec.json and calls this): in float64, per
          case z, log-det, log p(h | c), the ActNorm data-dependent initialisation from a fresh
          state, and one Adam step (lr from the spec) on the mean NLL: every parameter after it.
  bench:  /usr/bin/python3 bench/torch/nflowad.py bench --threads 2 --reps 5 [--n 768] [--dim 64] ...
          prints one JSON line: median seconds of one training step (forward + backward + Adam on
          the mean NLL of n vectors with their contexts) and of scoring them (eval, no grad).

Needs Debian's python3-torch (torch 1.13); run with /usr/bin/python3.
"""
import json, math, os, sys
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twin_common import arr, median_seconds, twin_main  # noqa: E402

LOG_2PI = math.log(2 * math.pi)


class ActNorm(nn.Module):
    """Glow's ActNorm on [B, D] with the data-dependent initialisation on the first training batch."""

    def __init__(self, dim):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(dim))
        self.logs = nn.Parameter(torch.zeros(dim))
        self.register_buffer('initialized', torch.tensor(0.0))

    def forward(self, x, context=None):
        if self.training and self.initialized.item() == 0:
            with torch.no_grad():
                mean = x.mean(0)
                std = ((x - mean) ** 2).mean(0).sqrt()
                self.bias.copy_(-mean)
                self.logs.copy_(torch.log(1.0 / (std + 1e-6)))
                self.initialized.fill_(1.0)
        y = (x + self.bias) * torch.exp(self.logs)
        return y, self.logs.sum().expand(x.shape[0])

    def inverse(self, y, context=None):
        x = y * torch.exp(-self.logs) - self.bias
        return x, (-self.logs.sum()).expand(y.shape[0])


class InvertibleLinearLU(nn.Module):
    """Glow's LU-decomposed invertible 1x1 on vectors (InvConv2dLU with @skelflow's names)."""

    def __init__(self, dim):
        super().__init__()
        q, _ = torch.linalg.qr(torch.randn(dim, dim))
        lu, piv = torch.linalg.lu_factor(q)
        p, l, u = torch.lu_unpack(lu, piv)
        s = torch.diagonal(u)
        mask = torch.tril(torch.ones(dim, dim), -1)
        self.lower = nn.Parameter(l * mask)
        self.upper = nn.Parameter(u * mask.T)
        self.logS = nn.Parameter(torch.log(s.abs()))
        self.register_buffer('p', p)
        self.register_buffer('signS', torch.sign(s))
        self.register_buffer('mask', mask, persistent=False)

    def weight(self):
        eye = torch.eye(self.logS.shape[0], dtype=self.logS.dtype)
        l = self.lower * self.mask + eye
        u = self.upper * self.mask.T + torch.diag(self.signS * torch.exp(self.logS))
        return self.p @ l @ u

    def forward(self, x, context=None):
        return x @ self.weight().T, self.logS.sum().expand(x.shape[0])

    def inverse(self, y, context=None):
        return y @ torch.inverse(self.weight()).T, (-self.logS.sum()).expand(y.shape[0])


class Reverse(nn.Module):
    def forward(self, x, context=None):
        return x.flip(1), x.new_zeros(x.shape[0])

    def inverse(self, y, context=None):
        return y.flip(1), y.new_zeros(y.shape[0])


class ConcatContextMlp(nn.Module):
    """MLP on [x1, c]: Linear -> ReLU (x hidden_layers) -> Linear, the last one zero-initialised."""

    def __init__(self, in_dim, context_dim, out_dim, hidden=128, hidden_layers=2):
        super().__init__()
        sizes = [in_dim + context_dim] + [hidden] * hidden_layers + [out_dim]
        layers = []
        for k in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[k], sizes[k + 1]))
            if k + 2 < len(sizes):
                layers.append(nn.ReLU())
        nn.init.zeros_(layers[-1].weight)
        nn.init.zeros_(layers[-1].bias)
        self.mlp = nn.Sequential(*layers)
        self.context_dim = context_dim

    def forward(self, x1, context=None):
        return self.mlp(torch.cat([x1, context], 1) if self.context_dim > 0 else x1)


class ConditionalAffineCoupling(nn.Module):
    def __init__(self, dim, context_dim, hidden=128, hidden_layers=2):
        super().__init__()
        self.split = dim // 2
        self.net = ConcatContextMlp(self.split, context_dim, 2 * (dim - self.split), hidden, hidden_layers)

    def _shift_scale(self, xa, context):
        shift, raw = self.net(xa, context).chunk(2, 1)
        scale = torch.sigmoid(raw + 2) + 1e-6
        return shift, scale

    def forward(self, x, context=None):
        xa, xb = x[:, :self.split], x[:, self.split:]
        shift, scale = self._shift_scale(xa, context)
        return torch.cat([xa, (xb + shift) * scale], 1), torch.log(scale).sum(1)

    def inverse(self, y, context=None):
        ya, yb = y[:, :self.split], y[:, self.split:]
        shift, scale = self._shift_scale(ya, context)
        return torch.cat([ya, yb / scale - shift], 1), -torch.log(scale).sum(1)


class StandardNormalPrior(nn.Module):
    """N(mean, exp(logStd)^2) per dimension with scalar buffers (0, 0): @skelflow's DiagonalGaussianPrior([D])."""

    def __init__(self):
        super().__init__()
        self.register_buffer('mean', torch.tensor(0.0))
        self.register_buffer('logStd', torch.tensor(0.0))

    def log_prob(self, z):
        return (-0.5 * (2 * self.logStd + (z - self.mean) ** 2 / torch.exp(2 * self.logStd) + LOG_2PI)).sum(1)


class ConditionalGlow(nn.Module):
    """B x (ActNorm -> LU linear | reverse -> conditional affine coupling), prior N(0, I)."""

    def __init__(self, dim, context_dim, steps, hidden=128, hidden_layers=2, mixing='lu'):
        super().__init__()
        layers = []
        for _ in range(steps):
            layers.append(ActNorm(dim))
            layers.append(InvertibleLinearLU(dim) if mixing == 'lu' else Reverse())
            layers.append(ConditionalAffineCoupling(dim, context_dim, hidden, hidden_layers))
        self.transform = nn.ModuleList(layers)
        self.prior = StandardNormalPrior()

    def forward(self, h, context=None):
        """z = f(h; c) and log|det dz/dh| [B]."""
        logdet = h.new_zeros(h.shape[0])
        for layer in self.transform:
            h, ld = layer(h, context)
            logdet = logdet + ld
        return h, logdet

    def inverse(self, z, context=None):
        logdet = z.new_zeros(z.shape[0])
        for layer in reversed(self.transform):
            z, ld = layer.inverse(z, context)
            logdet = logdet + ld
        return z, logdet

    def log_prob(self, h, context=None):
        """log p(h | c) in nats, [B]."""
        z, logdet = self.forward(h, context)
        return self.prior.log_prob(z) + logdet


def from_config(c):
    return ConditionalGlow(c['dim'], c['contextDim'], c['steps'], c['hidden'], c['hiddenLayers'], c['mixing'])


def tensor(a):
    return torch.tensor(a['data'], dtype=torch.float64).reshape(a['shape'])


def load(c, state):
    model = from_config(c).double()
    model.load_state_dict({n: tensor(a) for n, a in state.items()}, strict=True)
    return model


def golden_case(case, lr):
    h, ctx = tensor(case['h']), tensor(case['context'])
    model = load(case['config'], case['state'])
    model.eval()
    with torch.no_grad():
        z, logdet = model(h, ctx)
        logp = model.log_prob(h, ctx)
        back, _ = model.inverse(z, ctx)
    out = {'z': arr(z), 'logDet': logdet.tolist(), 'logProb': logp.tolist(), 'inverseError': (back - h).abs().max().item()}

    # The data-dependent initialisation: the same weights with every ActNorm flag cleared.
    fresh = load(case['config'], case['state'])
    for layer in fresh.transform:
        if isinstance(layer, ActNorm):
            layer.initialized.fill_(0.0)
    fresh.train()
    with torch.no_grad():
        zi, ldi = fresh(h, ctx)
    out['init'] = {
        'z': arr(zi),
        'logDet': ldi.tolist(),
        'actnorm': {f'transform.{i}': {'bias': l.bias.tolist(), 'logs': l.logs.tolist()} for i, l in enumerate(fresh.transform) if isinstance(l, ActNorm)},
    }

    # One Adam step on the mean NLL, in train mode (ActNorms already initialised).
    model.train()
    names = case['parameters']
    params = dict(model.named_parameters())
    assert sorted(names) == sorted(params), 'parameter names differ from @skelflow'
    opt = torch.optim.Adam([params[n] for n in names], lr=lr)
    opt.zero_grad()
    loss = -model.log_prob(h, ctx).mean()
    loss.backward()
    grads = {n: arr(params[n].grad) for n in names}
    opt.step()
    out['step'] = {'loss': loss.item(), 'grads': grads, 'after': {n: arr(params[n]) for n in names}}
    return out


def golden(args):
    spec = json.load(open(args.inp))
    torch.set_default_dtype(torch.float64)
    cases = {name: golden_case(case, spec['adamLr']) for name, case in spec['cases'].items()}
    out = {'about': spec['about'], 'adamLr': spec['adamLr'], 'torch': torch.__version__, 'cases': {}}
    for name, case in spec['cases'].items():
        out['cases'][name] = {'config': case['config'], 'h': case['h'], 'context': case['context'], 'state': case['state'], 'parameters': case['parameters'], 'expected': cases[name]}
    with open(args.out, 'w') as f:
        json.dump(out, f)


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = ConditionalGlow(args.dim, args.context, args.steps, args.hidden, args.hidden_layers, args.mixing)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(1)
    h = torch.randn(args.n, args.dim, generator=g)
    c = torch.randn(args.n, args.context, generator=g)

    def train_step():
        model.train()
        opt.zero_grad()
        loss = -model.log_prob(h, c).mean()
        loss.backward()
        opt.step()

    def score():
        model.eval()
        with torch.no_grad():
            model.log_prob(h, c)

    res = {name: median_seconds(fn, args.warmup, args.reps) for name, fn in [('trainStep', train_step), ('score', score)]}
    res.update({'threads': args.threads, 'torch': torch.__version__, 'n': args.n, 'dim': args.dim, 'context': args.context,
                'steps': args.steps, 'hidden': args.hidden, 'hiddenLayers': args.hidden_layers, 'mixing': args.mixing})
    print(json.dumps(res))


def main():
    def bench_args(b):
        b.add_argument('--n', type=int, default=768)
        b.add_argument('--dim', type=int, default=64)
        b.add_argument('--context', type=int, default=64)
        b.add_argument('--steps', type=int, default=4)
        b.add_argument('--hidden', type=int, default=128)
        b.add_argument('--hidden-layers', type=int, default=2)
        b.add_argument('--mixing', choices=['lu', 'reverse'], default='lu')

    twin_main(__doc__, golden, bench, bench_args, reps=5, warmup=1)


if __name__ == '__main__':
    main()
