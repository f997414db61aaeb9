#!/usr/bin/env python3
"""PyTorch twin of @skelflow/dsnf (DSNF as built from the model card, ../shared/docs/model-cards.md §3).

The same architecture as examples/dsnf: K flow steps of ActNorm -> channel reversal -> affine
coupling whose conditioner is DualSpaceGCN = STG-NF's ST-GCN block (uniform 18x18 adjacency)
+ g * hyperbolic branch (per-joint trajectory -> Linear -> expmap0 -> HGCN over the OpenPose-18
bones on the Poincare ball with c = softplus(raw) -> logmap0 -> Linear); prior N(R, I); NLL in
bits/dim; the AWAM objective with the first-order mass estimator. It loads weights exported from
@skelflow (a JSON state dict with @skelflow's names) and writes the golden fixtures the TypeScript
tests reproduce. Written independently from the TypeScript code, from the model card's equations
and ../shared/docs/reference-formulas.md §1.

Needs Debian's python3-torch; run with /usr/bin/python3 from the repository root.

  /usr/bin/python3 bench/torch/dsnf.py --golden               # fixtures: examples/dsnf/test/fixtures/dsnf_golden.json
  /usr/bin/python3 bench/torch/dsnf.py --time --threads 2     # JSON timings (training / scoring segments/s)
"""
import argparse, json, math, os, time
import torch
from torch import nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, '..', '..', 'examples', 'dsnf', 'test', 'fixtures')

MIN_NORM = 1e-15
TANH_CLAMP = 15.0
ARTANH_CLAMP = 1 - 1e-7
PROJ_EPS = 4e-3

# OpenPose-18 bones (the order of STG-NF's graph.py 'openpose' layout).
OPENPOSE18_EDGES = [(4, 3), (3, 2), (7, 6), (6, 5), (13, 12), (12, 11), (10, 9), (9, 8), (11, 5), (8, 2), (5, 1), (2, 1), (0, 1), (15, 0), (14, 0), (17, 15), (16, 14)]


def norm(x):  # clamped through the squared norm, keepdim
    return torch.sqrt(torch.clamp_min((x * x).sum(-1, keepdim=True), MIN_NORM * MIN_NORM))


class Ball(nn.Module):
    """Poincare ball of curvature -c, c = softplus(raw_c) (geoopt's parameterisation)."""

    def __init__(self, c=1.0):
        super().__init__()
        self.raw_c = nn.Parameter(torch.tensor(math.log(math.expm1(c))))

    def c(self):
        return F.softplus(self.raw_c)

    def expmap0(self, u):
        sc = torch.sqrt(self.c()); z = sc * norm(u)
        return torch.tanh(torch.clamp_max(z, TANH_CLAMP)) / z * u

    def logmap0(self, y):
        sc = torch.sqrt(self.c()); z = sc * norm(y)
        return torch.atanh(torch.clamp_max(z, ARTANH_CLAMP)) / z * y

    def proj(self, x):
        maxnorm = (1 - PROJ_EPS) / torch.sqrt(self.c())
        return x * torch.clamp_max(maxnorm / norm(x), 1.0)

    def mobius_add(self, x, y):
        c = self.c()
        x2 = (x * x).sum(-1, keepdim=True); y2 = (y * y).sum(-1, keepdim=True); xy = (x * y).sum(-1, keepdim=True)
        num = (1 + 2 * c * xy + c * y2) * x + (1 - c * x2) * y
        den = 1 + 2 * c * xy + c * c * x2 * y2
        return num / torch.clamp_min(den, MIN_NORM)

    def matvec(self, m, x):
        sc = torch.sqrt(self.c())
        mx = x @ m.t()
        xn = sc * norm(x)
        xr = torch.atanh(torch.clamp_max(xn, ARTANH_CLAMP)) / xn
        t = sc * norm(mx) * xr
        return torch.tanh(torch.clamp_max(t, TANH_CLAMP)) / t * xr * mx


class HGCNLayer(nn.Module):
    """HypLinear (W (x) x (+) expmap0(b)) -> HypAgg (A . logmap0) -> HypAct (ReLU), one ball."""

    def __init__(self, d_in, d_out, adj, ball):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(d_out, d_in)); self.bias = nn.Parameter(torch.zeros(d_out))
        self.register_buffer('adj', adj); self.ball = [ball]  # not a child: the conditioner owns it

    def forward(self, x):
        b = self.ball[0]
        h = b.proj(b.mobius_add(b.proj(b.matvec(self.weight, x)), b.proj(b.expmap0(self.bias))))
        h = b.proj(b.expmap0(torch.einsum('vw,nwd->nvd', self.adj, b.logmap0(h))))
        return b.proj(b.expmap0(torch.relu(b.logmap0(h))))


class STBlock(nn.Module):
    """STG-NF's st_gcn with the uniform all-joints adjacency."""

    def __init__(self, kt, residual, V=18):
        super().__init__()
        self.gcn = nn.Conv2d(1, 2, 1)
        self.tcn = nn.Sequential(nn.BatchNorm2d(2), nn.ReLU(), nn.Conv2d(2, 2, (kt, 1), padding=((kt - 1) // 2, 0)), nn.BatchNorm2d(2))
        self.residual = nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2)) if residual else None
        self.register_buffer('A', torch.ones(V, V) / V)

    def forward(self, x):
        res = 0 if self.residual is None else self.residual(x)
        h = torch.einsum('nctv,vw->nctw', self.gcn(x), self.A)
        return torch.relu(self.tcn(h) + res)


class DualSpaceGCN(nn.Module):
    def __init__(self, T, kt, residual, d_h=8, layers=1, c=1.0, V=18):
        super().__init__()
        self.T = T
        self.euclid = STBlock(kt, residual, V)
        self.ball = Ball(c)
        self.lift = nn.Linear(T, d_h)
        a = torch.eye(V)
        for i, j in OPENPOSE18_EDGES:
            a[i, j] = 1; a[j, i] = 1
        adj = a / a.sum(1, keepdim=True)  # D^-1 (A + I)
        self.hgcn = nn.ModuleList([HGCNLayer(d_h, d_h, adj, self.ball) for _ in range(layers)])
        self.exit = nn.Linear(d_h, 2 * T)
        self.gate = nn.Parameter(torch.tensor(0.0))
        self.probe_e = None; self.probe_h = None

    def forward(self, x):
        n, _, T, V = x.shape
        h_e = self.euclid(x)
        if self.probe_e is not None:
            h_e = h_e + self.probe_e
        p = self.ball.proj(self.ball.expmap0(self.lift(x.permute(0, 3, 1, 2).reshape(n, V, T))))
        for layer in self.hgcn:
            p = layer(p)
        u = self.ball.logmap0(p)
        if self.probe_h is not None:
            u = u + self.probe_h
        h_h = self.exit(u).reshape(n, V, 2, T).permute(0, 2, 3, 1)
        return h_e + self.gate * h_h


class Step(nn.Module):
    def __init__(self, T, kt, residual, **kw):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, 2, 1, 1)); self.logs = nn.Parameter(torch.zeros(1, 2, 1, 1))
        self.net = DualSpaceGCN(T, kt, residual, **kw)

    def forward(self, z, logdet):
        T, V = z.shape[2], z.shape[3]
        z = (z + self.bias) * torch.exp(self.logs); logdet = logdet + self.logs.sum() * T * V
        z = z.flip(1)
        z1, z2 = z[:, :1], z[:, 1:]
        h = self.net(z1)
        scale = torch.sigmoid(h[:, 1::2] + 2.0) + 1e-6
        z2 = (z2 + h[:, 0::2]) * scale
        return torch.cat([z1, z2], 1), logdet + torch.log(scale).sum(dim=(1, 2, 3))


class DSNF(nn.Module):
    def __init__(self, T=24, K=8, R=3.0, d_h=8, layers=1, c=1.0):
        super().__init__()
        self.R = R
        self.steps = nn.ModuleList([Step(T, T // 2 + 1, k > 0, d_h=d_h, layers=layers, c=c) for k in range(K)])

    def forward(self, x):
        logdet = torch.zeros(x.shape[0]); z = x
        for s in self.steps:
            z, logdet = s(z, logdet)
        logp = (-0.5 * ((z - self.R) ** 2 / (1 + 1e-6) + math.log(2 * math.pi))).sum(dim=(1, 2, 3))
        return z, -(logdet + logp) / (math.log(2.0) * z[0].numel())

    def set_probes(self, e=None, h=None):
        for k, s in enumerate(self.steps):
            s.net.probe_e = None if e is None else e[:, k]
            s.net.probe_h = None if h is None else h[:, k]

    # @skelflow state names -> this module's tensors (parameters and buffers)
    def skelflow_names(self):
        out = {}
        for k, s in enumerate(self.steps):
            p = f'flow.transform.{k}.'; q = p + '2.net.'
            out[p + '0.bias'] = (s.bias, 'act'); out[p + '0.logs'] = (s.logs, 'act')
            e = s.net.euclid
            out[q + 'gate'] = (s.net.gate, None)
            out[q + 'euclid.gcn.weight'] = (e.gcn.weight, 'conv'); out[q + 'euclid.gcn.bias'] = (e.gcn.bias, None)
            out[q + 'euclid.tcnConv.weight'] = (e.tcn[2].weight, 'tconv'); out[q + 'euclid.tcnConv.bias'] = (e.tcn[2].bias, None)
            bns = [('tcnBn1', e.tcn[0]), ('tcnBn2', e.tcn[3])]
            if e.residual is not None:
                out[q + 'euclid.resConv.weight'] = (e.residual[0].weight, 'conv'); out[q + 'euclid.resConv.bias'] = (e.residual[0].bias, None)
                bns.append(('resBn', e.residual[1]))
            for name, bn in bns:
                for a, b in [('weight', 'weight'), ('bias', 'bias'), ('runningMean', 'running_mean'), ('runningVar', 'running_var')]:
                    out[f'{q}euclid.{name}.{a}'] = (getattr(bn, b), None)
            out[q + 'ball.rawC'] = (s.net.ball.raw_c, None)
            out[q + 'lift.weight'] = (s.net.lift.weight, None); out[q + 'lift.bias'] = (s.net.lift.bias, None)
            for i, layer in enumerate(s.net.hgcn):
                out[f'{q}hgcn.{i}.lin.weight'] = (layer.weight, None); out[f'{q}hgcn.{i}.lin.bias'] = (layer.bias, None)
            out[q + 'exit.weight'] = (s.net.exit.weight, None); out[q + 'exit.bias'] = (s.net.exit.bias, None)
        return out

    def load_skelflow(self, state):
        with torch.no_grad():
            for name, (t, kind) in self.skelflow_names().items():
                v = torch.tensor(state[name]['data'], dtype=torch.float32)
                t.copy_(v.reshape(t.shape))
        return self

    def export_skelflow(self):
        return {name: t.detach().reshape(-1).tolist() for name, (t, _) in self.skelflow_names().items()}


def unit(d):
    n = d.reshape(d.shape[0], -1).norm(dim=1)
    return d / n.reshape([-1] + [1] * (d.dim() - 1))


def awam(model, x, spaces, alpha, eps, adaptive=True, tau=1.0):
    """spaces: list of (kind, direction [B, ...], rho); kind in 'input', 'euclid', 'tangent'.
    L = mean NLL + alpha/(S B) sum_b sum_s w_bs AM_bs, AM_bs^2 = d_s ((NLL(+eps u) - NLL(-eps u)) / 2eps)^2 (J = 1),
    w = detach(rho B softmax_b(AM/tau)) or rho; only the clean pass moves the BatchNorm statistics."""
    _, nll0 = model(x)
    # The perturbed passes run on copies of the BatchNorm statistics, so only the clean pass moves them.
    bns = [b for b in model.modules() if isinstance(b, nn.BatchNorm2d)]
    originals = [(b.running_mean, b.running_var, b.num_batches_tracked) for b in bns]
    for b in bns:
        b.running_mean = b.running_mean.clone(); b.running_var = b.running_var.clone(); b.num_batches_tracked = b.num_batches_tracked.clone()
    ams = []
    for kind, d, rho in spaces:
        u = unit(d); dim = u[0].numel()
        vals = []
        for sgn in (1.0, -1.0):
            if kind == 'input':
                _, v = model(x + sgn * eps * u)
            else:
                model.set_probes(e=sgn * eps * u if kind == 'euclid' else None, h=sgn * eps * u if kind == 'tangent' else None)
                _, v = model(x)
                model.set_probes()
            vals.append(v)
        D = (vals[0] - vals[1]) / (2 * eps)
        ams.append(torch.sqrt(torch.clamp_min(D * D * dim, 1e-12)))
    for b, (rm, rv, nb) in zip(bns, originals):
        b.running_mean, b.running_var, b.num_batches_tracked = rm, rv, nb
    B = x.shape[0]
    reg = 0
    weights = []
    for (kind, d, rho), am in zip(spaces, ams):
        w = (rho * B * torch.softmax(am.detach() / tau, 0)) if adaptive else torch.full_like(am, rho)
        weights.append(w)
        reg = reg + (w * am).sum()
    loss = nll0.mean() + alpha / (len(spaces) * B) * reg
    return loss, nll0, torch.stack(ams, 1), torch.stack(weights, 1)


def golden():
    inp = json.load(open(os.path.join(FIX, 'dsnf_inputs.json')))
    cfg = inp['config']
    m = DSNF(cfg['segLen'], cfg['K'], cfg['R'], d_h=cfg['hyperbolicDim'], c=cfg['curvature']).load_skelflow(inp['state'])
    t = lambda o: torch.tensor(o['data'], dtype=torch.float32).reshape(o['shape'])
    x = t(inp['x']); dirs = {k: t(v) for k, v in inp['directions'].items()}
    out = {'source': 'bench/torch/dsnf.py --golden, torch ' + torch.__version__}
    m.eval()
    with torch.no_grad():
        z, nll = m(x)
    out['eval'] = {'nll': nll.tolist(), 'z': z.reshape(-1).tolist()}
    m.train()
    spaces = [('euclid', dirs['euclid'], cfg['rhoE']), ('tangent', dirs['tangent'], cfg['rhoH'])]
    loss, nll0, am, w = awam(m, x, spaces, cfg['alpha'], cfg['epsilon'])
    out['awam'] = {'loss': loss.item(), 'nll': nll0.tolist(), 'mass': am.tolist(), 'weights': w.tolist()}
    m.load_skelflow(inp['state'])  # the awam call moved the BatchNorm statistics once; start the step from the same state
    # One Adamax step on the AWAM objective (clip 100), from the same state, train mode.
    opt = torch.optim.Adamax(m.parameters(), lr=cfg['lr'])
    loss, *_ = awam(m, x, spaces, cfg['alpha'], cfg['epsilon'])
    opt.zero_grad(); loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), cfg['clipNorm']); opt.step()
    out['step'] = {'loss': loss.item(), 'state': m.export_skelflow()}
    # Input-space approximate mass (constant weights, rho = 1) from the stepped state.
    m.load_skelflow(inp['state'])
    loss_m, _, am_m, _ = awam(m, x, [('input', dirs['input'], 1.0)], cfg['alpha'], cfg['epsilon'], adaptive=False)
    out['mass'] = {'loss': loss_m.item(), 'mass': am_m.tolist()}
    path = os.path.join(FIX, 'dsnf_golden.json')
    json.dump(out, open(path, 'w'))
    print('wrote', path)


def timing(threads, batch, seg_len, n_infer, steps, loss_kind):
    torch.set_num_threads(threads); torch.manual_seed(0)
    m = DSNF(seg_len)
    for s in m.steps:
        with torch.no_grad():
            s.net.gate.fill_(0.1)
    opt = torch.optim.Adamax(m.parameters(), lr=5e-4)
    x = torch.randn(batch, 2, seg_len, 18)
    K = len(m.steps)
    def train_step():
        if loss_kind == 'nll':
            _, nll = m(x); loss = nll.mean()
        else:
            spaces = [('euclid', torch.randn(batch, K, 2, seg_len, 18), 0.5), ('tangent', torch.randn(batch, K, 18, 8), 1.5)]
            loss, *_ = awam(m, x, spaces, 0.1, 1e-2)
        opt.zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 100); opt.step()
    m.train(); train_step()
    t0 = time.perf_counter()
    for _ in range(steps): train_step()
    train = steps * batch / (time.perf_counter() - t0)
    m.eval(); xs = torch.randn(n_infer, 2, seg_len, 18)
    with torch.no_grad():
        m(xs[:batch]); t0 = time.perf_counter()
        for i in range(0, n_infer, batch): m(xs[i:i + batch])
        infer = n_infer / (time.perf_counter() - t0)
    return {'peer': 'pytorch-' + torch.__version__, 'threads': threads, 'batch': batch, 'seg_len': seg_len, 'loss': loss_kind,
            'train_segments_per_s': round(train, 1), 'infer_segments_per_s': round(infer, 1)}


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--golden', action='store_true')
    ap.add_argument('--time', action='store_true')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--seg-len', type=int, default=24)
    ap.add_argument('--infer', type=int, default=4096)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--loss', default='nll', choices=['nll', 'awam'])
    a = ap.parse_args()
    if a.golden:
        golden()
    if a.time:
        print(json.dumps(timing(a.threads, a.batch, a.seg_len, a.infer, a.steps, a.loss)))
