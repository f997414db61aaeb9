#!/usr/bin/env python3
"""PyTorch twin of @skelflow/msg-flow (golden fixtures and speed reference).

The same architecture as examples/msg-flow, written functionally over a dict of tensors named as
@skelflow's state dict (tokenizer.encoder.in.weight, flow.transform.3.2.net.tcnConv.weight, ...):
  tokenizer  T2M-GPT's VQ-VAE (models/encdec.py, resnet.py, quantize_cnn.py QuantizeEMAReset) with
             F.conv1d, nearest x2 upsampling, ||z||^2 - 2 z.E + ||E||^2 assignment, straight-through
             estimator, EMA with reset below a count of 1;
  prior      TokenModel of bench/torch/transformer.py (PyTorch's own nn.TransformerEncoder);
  flow       STG-NF (ActNorm -> channel reversal -> affine coupling with an st_gcn conditioner,
             sigmoid(h + 2) + 1e-6 scale, prior N(R, I)) with the token context projected into the
             graph-conv output and the residual conv output of every conditioner;
  score      z-scored token NLL + lambda * z-scored flow NLL.

Needs Debian's python3-torch (torch 1.13); run with /usr/bin/python3.

  golden: /usr/bin/python3 bench/torch/msg_flow.py golden --in spec.json --out fixture.json
          (bench/torch/msg_flow_fixture.ts writes spec.json and calls this): float64 tokens, S_sem,
          context, flow z, S_det, fused score, and one SGD step per stage (tokenizer with its EMA
          codebook update, prior, flow with BatchNorm running statistics).
  bench:  /usr/bin/python3 bench/torch/msg_flow.py bench --threads 2 --reps 5 [--batch 256] ...
          prints one JSON line: median seconds of one training step per stage and of scoring a
          batch (tokenizer + prior + context + flow).
"""
import json, math, os, sys, time
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transformer import TokenModel, load as load_token_model  # noqa: E402
from twin_common import arr, median, median_seconds, twin_main  # noqa: E402


# ---------------------------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------------------------

def conv(P, name, x, stride=1, pad=0, dil=1):
    """Conv1d on channels-last [B, T, C]."""
    y = F.conv1d(x.transpose(1, 2), P[name + '.weight'], P.get(name + '.bias'), stride=stride, padding=pad, dilation=dil)
    return y.transpose(1, 2)


def resnet(P, prefix, h, c):
    dil = [c['dilationGrowth'] ** i for i in range(c['depth'])][::-1]
    for j, d in enumerate(dil):
        r = conv(P, f'{prefix}.{j}.conv1', F.relu(h), pad=d, dil=d)
        h = h + conv(P, f'{prefix}.{j}.conv2', F.relu(r))
    return h


def encode(P, x, c):
    h = F.relu(conv(P, 'tokenizer.encoder.in', x, pad=1))
    for i in range(c['downT']):
        h = conv(P, f'tokenizer.encoder.down{i}.conv', h, stride=2, pad=1)
        h = resnet(P, f'tokenizer.encoder.down{i}.res', h, c)
    return conv(P, 'tokenizer.encoder.out', h, pad=1)


def decode(P, zq, c):
    h = F.relu(conv(P, 'tokenizer.decoder.in', zq, pad=1))
    for i in range(c['downT']):
        h = resnet(P, f'tokenizer.decoder.up{i}.res', h, c)
        h = torch.repeat_interleave(h, 2, dim=1)
        h = conv(P, f'tokenizer.decoder.up{i}.conv', h, pad=1)
    return conv(P, 'tokenizer.decoder.out', F.relu(conv(P, 'tokenizer.decoder.mid', h, pad=1)), pad=1)


def sequences(x):
    B, C, T, V = x.shape
    return x.permute(0, 2, 1, 3).reshape(B, T, C * V)


def assign(z, E):
    flat = z.reshape(-1, z.shape[-1])
    d = (flat ** 2).sum(1, keepdim=True) - 2 * flat @ E.t() + (E ** 2).sum(1)[None]
    return d.argmin(1)


def vq_forward(P, x, c, train):
    """Loss terms, tokens and (train) the EMA-updated codebook state, T2M-GPT's rule."""
    seq = sequences(x)
    ze = encode(P, seq, c)
    E = P['tokenizer.quantizer.embeddings']
    idx = assign(ze, E)
    flat = ze.reshape(-1, ze.shape[-1])
    e = E[idx]
    zq = (flat + (e - flat).detach()).reshape(ze.shape)
    recon = decode(P, zq, c)
    rec = ((seq - recon) ** 2).mean()
    vel = (((seq[:, 1:] - seq[:, :-1]) - (recon[:, 1:] - recon[:, :-1])) ** 2).mean()
    commit = ((flat - e.detach()) ** 2).mean()
    loss = rec + c['velocity'] * vel + c['commitment'] * commit
    state = None
    if train:
        with torch.no_grad():
            K = E.shape[0]
            onehot = F.one_hot(idx, K).to(flat.dtype)
            size = c['mu'] * P['tokenizer.quantizer.clusterSize'] + (1 - c['mu']) * onehot.sum(0)
            avg = c['mu'] * P['tokenizer.quantizer.embedAvg'] + (1 - c['mu']) * onehot.t() @ flat
            usage = (size >= 1.0).to(flat.dtype)[:, None]
            codes = usage * avg / size[:, None] + (1 - usage) * flat[:K]  # batch >= K in the fixture
            state = {'embeddings': codes, 'clusterSize': size, 'embedAvg': avg}
    return loss, idx.reshape(ze.shape[:2]), state


# ---------------------------------------------------------------------------------------------
# Flow
# ---------------------------------------------------------------------------------------------

def bn(P, S, name, x, train):
    return F.batch_norm(x, S[name + '.runningMean'], S[name + '.runningVar'], P[name + '.weight'], P[name + '.bias'],
                        training=train, momentum=0.1, eps=1e-5)


def stgcn(P, S, name, x1, ctx, train, V):
    n, cin, T, _ = x1.shape
    w = P[name + '.gcn.weight']
    cout = P[name + '.tcnConv.weight'].shape[0]
    K = w.shape[0] // cout
    A = torch.full((K, V, V), 1.0 / V, dtype=x1.dtype)
    g = F.conv2d(x1, w[:, :, None, None], P[name + '.gcn.bias'])
    g = torch.einsum('nkctv,kvw->nctw', g.view(n, K, cout, T, V), A)
    c = ctx[..., 0]  # [B, Cc, T]
    g = g + torch.einsum('oj,njt->not', P[name + '.ctxGcn'], c)[..., None]
    u = F.relu(bn(P, S, name + '.tcnBn1', g, train))
    kt = P[name + '.tcnConv.weight'].shape[2]
    q = F.conv2d(u, P[name + '.tcnConv.weight'][..., None], P[name + '.tcnConv.bias'], padding=((kt - 1) // 2, 0))
    q = bn(P, S, name + '.tcnBn2', q, train)
    if name + '.resConv.weight' in P:
        r = F.conv2d(x1, P[name + '.resConv.weight'][:, :, None, None], P[name + '.resConv.bias'])
        r = r + torch.einsum('oj,njt->not', P[name + '.ctxRes'], c)[..., None]
        q = q + bn(P, S, name + '.resBn', r, train)
    return F.relu(q)


def flow_forward(P, S, x, ctx, c, train):
    B, C, T, V = x.shape
    logdet = torch.zeros(B, dtype=x.dtype)
    for k in range(c['flowSteps']):
        p = f'flow.transform.{k}'
        logs = P[p + '.0.logs']
        x = (x + P[p + '.0.bias'][None, :, None, None]) * torch.exp(logs)[None, :, None, None]
        logdet = logdet + T * V * logs.sum()
        x = x.flip(1)
        x1, x2 = x[:, :1], x[:, 1:]
        h = stgcn(P, S, p + '.2.net', x1, ctx, train, V)
        shift, s = h[:, 0::2], h[:, 1::2]
        scale = torch.sigmoid(s + 2.0) + 1e-6
        x = torch.cat([x1, (x2 + shift) * scale], 1)
        logdet = logdet + torch.log(scale).flatten(1).sum(1)
    R = S['flow.prior.radius']
    logpz = (-0.5 * ((x - R) ** 2 / (1 + 1e-6) + math.log(2 * math.pi))).flatten(1).sum(1)
    nll = -(logpz + logdet) / (math.log(2) * C * T * V)
    return x, logdet, nll


# ---------------------------------------------------------------------------------------------
# Whole model
# ---------------------------------------------------------------------------------------------

def token_model(c, named):
    m = TokenModel(c['codebook'], c['segLen'] // 2 ** c['downT'], c['dModel'], c['heads'], c['layers'], 4 * c['dModel'], c['dropout']).double()
    if named is not None:
        load_token_model(m, named, 'prior.')
    return m


def context_of(P, h, c):
    p = (h - P['contextMean']) @ P['contextBasis'].t()  # [B, N, Cc]
    f = c['segLen'] // p.shape[1]
    frames = torch.repeat_interleave(p, f, dim=1)  # [B, T, Cc]
    return frames.permute(0, 2, 1)[..., None]


def frozen(P, prior, x, c):
    with torch.no_grad():
        seq = sequences(x)
        tokens = assign(encode(P, seq, c), P['tokenizer.quantizer.embeddings']).reshape(x.shape[0], -1)
        prior.eval()
        sem = prior.nll(tokens).mean(1)
        h = prior.states(prior.teacher_input(tokens))
        if c['hidden'] == 'after':
            bos = torch.full((tokens.shape[0], 1), prior.K, dtype=torch.long)
            h = prior.states(torch.cat([bos, tokens], 1))[:, 1:]
        return tokens, sem, context_of(P, h, c)


def tensors(named, grad_names=()):
    return {k: torch.tensor(v['data'], dtype=torch.float64).reshape(v['shape']).requires_grad_(k in grad_names) for k, v in named.items()}


def golden(args):
    spec = json.load(open(args.inp))
    c = spec['config']
    state = spec['state']
    x = torch.tensor(spec['x']['data'], dtype=torch.float64).reshape(spec['x']['shape'])
    P = tensors(state)
    prior = token_model(c, state)
    tokens, sem, ctx = frozen(P, prior, x, c)
    out = {'tokens': tokens.tolist(), 'sem': sem.tolist(), 'context': arr(ctx)}
    with torch.no_grad():
        z, logdet, det = flow_forward(P, P, x, ctx, c, False)
    m_sem, s_sem, m_det, s_det = P['scoreStats'].tolist()
    out.update({'z': arr(z), 'logdet': logdet.tolist(), 'det': det.tolist(),
                'fused': (((sem - m_sem) / s_sem) + c['lambda'] * ((det - m_det) / s_det)).tolist()})
    lr = spec['sgdLr']
    # Stage A: one SGD step of the tokenizer loss (train mode: the codebook follows its EMA).
    names = [k for k in state if k.startswith('tokenizer.') and k in spec['parameters']]
    Pa = tensors(state, names)
    loss, _, st = vq_forward(Pa, x, c, True)
    loss.backward()
    out['vqStep'] = {'loss': loss.item(), 'parameters': {k: arr(Pa[k] - lr * Pa[k].grad) for k in names},
                     'quantizer': {k: arr(v) for k, v in st.items()}}
    # Stage B: one SGD step of the prior's mean token NLL on the frozen tokenizer's tokens.
    prior_b = token_model(c, state)
    prior_b.train()
    lb = prior_b.nll(tokens).mean()
    lb.backward()
    out['priorStep'] = {'loss': lb.item(), 'parameters': {'prior.' + k: arr(p - lr * p.grad) for k, p in prior_b.named_parameters()}}
    # Stage C: one SGD step of the flow's mean NLL (bits/dim), BatchNorm in train mode.
    names = [k for k in state if k.startswith('flow.') and k in spec['parameters']]
    Pc = tensors(state, names)
    S = {k: v.clone() for k, v in Pc.items() if not v.requires_grad}
    _, _, nll = flow_forward(Pc, S, x, ctx, c, True)
    lc = nll.mean()
    lc.backward()
    out['flowStep'] = {'loss': lc.item(), 'parameters': {k: arr(Pc[k] - lr * Pc[k].grad) for k in names},
                       'buffers': {k: arr(S[k]) for k in S if k.startswith('flow.') and ('running' in k)}}
    spec['torch'] = out
    spec['torchVersion'] = torch.__version__
    with open(args.out, 'w') as f:
        json.dump(spec, f)


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------

def init_params(c, V):
    """Random float32 parameters with the model's names and shapes (timing only)."""
    g = torch.Generator().manual_seed(0)
    P, S = {}, {}

    def p(name, *shape, scale=0.1):
        P[name] = (torch.randn(*shape, generator=g) * scale).requires_grad_(True)

    W, D, Cin = c['vqWidth'], c['codeDim'], 2 * V
    p('tokenizer.encoder.in.weight', W, Cin, 3); p('tokenizer.encoder.in.bias', W)
    for i in range(c['downT']):
        p(f'tokenizer.encoder.down{i}.conv.weight', W, W, 4); p(f'tokenizer.encoder.down{i}.conv.bias', W)
        for pre in (f'tokenizer.encoder.down{i}.res', f'tokenizer.decoder.up{i}.res'):
            for j in range(c['depth']):
                p(f'{pre}.{j}.conv1.weight', W, W, 3); p(f'{pre}.{j}.conv1.bias', W)
                p(f'{pre}.{j}.conv2.weight', W, W, 1); p(f'{pre}.{j}.conv2.bias', W)
        p(f'tokenizer.decoder.up{i}.conv.weight', W, W, 3); p(f'tokenizer.decoder.up{i}.conv.bias', W)
    p('tokenizer.encoder.out.weight', D, W, 3); p('tokenizer.encoder.out.bias', D)
    p('tokenizer.decoder.in.weight', W, D, 3); p('tokenizer.decoder.in.bias', W)
    p('tokenizer.decoder.mid.weight', W, W, 3); p('tokenizer.decoder.mid.bias', W)
    p('tokenizer.decoder.out.weight', Cin, W, 3); p('tokenizer.decoder.out.bias', Cin)
    P['tokenizer.quantizer.embeddings'] = torch.randn(c['codebook'], D, generator=g)
    P['tokenizer.quantizer.clusterSize'] = torch.ones(c['codebook'])
    P['tokenizer.quantizer.embedAvg'] = P['tokenizer.quantizer.embeddings'].clone()
    kt = c['segLen'] // 2 + 1
    for k in range(c['flowSteps']):
        n = f'flow.transform.{k}'
        p(n + '.0.bias', 2); p(n + '.0.logs', 2)
        p(n + '.2.net.gcn.weight', 2, 1); p(n + '.2.net.gcn.bias', 2)
        p(n + '.2.net.tcnConv.weight', 2, 2, kt); p(n + '.2.net.tcnConv.bias', 2)
        p(n + '.2.net.ctxGcn', 2, c['contextChannels'])
        bns = ['tcnBn1', 'tcnBn2']
        if k > 0:
            p(n + '.2.net.resConv.weight', 2, 1); p(n + '.2.net.resConv.bias', 2)
            p(n + '.2.net.ctxRes', 2, c['contextChannels'])
            bns.append('resBn')
        for b in bns:
            P[f'{n}.2.net.{b}.weight'] = torch.ones(2, requires_grad=True)
            P[f'{n}.2.net.{b}.bias'] = torch.zeros(2, requires_grad=True)
            S[f'{n}.2.net.{b}.runningMean'] = torch.zeros(2)
            S[f'{n}.2.net.{b}.runningVar'] = torch.ones(2)
    S['flow.prior.radius'] = torch.tensor(float(c['R']))
    P['contextMean'] = torch.zeros(c['dModel'])
    P['contextBasis'] = torch.randn(c['contextChannels'], c['dModel'], generator=g) * 0.1
    P['scoreStats'] = torch.tensor([0.0, 1.0, 0.0, 1.0])
    return P, S


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    c = {'segLen': 24, 'vqWidth': args.vq_width, 'codeDim': args.code_dim, 'codebook': args.codebook, 'downT': 1,
         'depth': args.vq_depth, 'dilationGrowth': 3, 'mu': 0.99, 'commitment': 0.02, 'velocity': 0.1,
         'dModel': args.d_model, 'heads': 4, 'layers': 2, 'dropout': 0.1, 'hidden': 'predicting',
         'flowSteps': 8, 'R': 3.0, 'contextChannels': args.context_channels, 'lambda': 1.0}
    V = 18
    P, S = init_params(c, V)
    prior = TokenModel(c['codebook'], 12, c['dModel'], c['heads'], c['layers'], 4 * c['dModel'], c['dropout'])
    g = torch.Generator().manual_seed(1)
    x = torch.randn(args.batch, 2, 24, V, generator=g)
    xs = torch.randn(args.score, 2, 24, V, generator=g)
    tok_params = [v for k, v in P.items() if k.startswith('tokenizer.') and v.requires_grad]
    flow_params = [v for k, v in P.items() if k.startswith('flow.') and v.requires_grad]
    opt_a = torch.optim.Adam(tok_params, lr=1e-3)
    opt_b = torch.optim.Adam(prior.parameters(), lr=1e-3)
    opt_c = torch.optim.Adamax(flow_params, lr=5e-4)
    tokens, _, ctx = frozen(P, prior, x, c)

    def step_a():
        opt_a.zero_grad()
        loss, _, st = vq_forward(P, x, c, True)
        loss.backward()
        opt_a.step()
        for k, v in st.items():
            P['tokenizer.quantizer.' + k] = v

    def step_b():
        prior.train()
        opt_b.zero_grad()
        prior.nll(tokens).mean().backward()
        opt_b.step()

    def step_c():
        opt_c.zero_grad()
        _, _, nll = flow_forward(P, S, x, ctx, c, True)
        nll.mean().backward()
        torch.nn.utils.clip_grad_norm_(flow_params, 100)
        opt_c.step()

    def score():
        with torch.no_grad():
            _, sem, cx = frozen(P, prior, xs, c)
            _, _, det = flow_forward(P, S, xs, cx, c, False)
            return sem, det

    def score_stages():
        with torch.no_grad():
            t0 = time.perf_counter()
            _, sem, cx = frozen(P, prior, xs, c)
            t1 = time.perf_counter()
            flow_forward(P, S, xs, cx, c, False)
            return t1 - t0, time.perf_counter() - t1

    res = {}
    for name, fn in [('tokenizerStep', step_a), ('priorStep', step_b), ('flowStep', step_c), ('score', score)]:
        res[name] = median_seconds(fn, args.warmup, args.reps)
    parts = [score_stages() for _ in range(args.reps)]
    res['scoreFrozen'] = median([a for a, _ in parts])
    res['scoreFlow'] = median([b for _, b in parts])
    res.update({'threads': args.threads, 'torch': torch.__version__, 'batch': args.batch, 'scoreBatch': args.score})
    print(json.dumps(res))


def main():
    def bench_args(b):
        b.add_argument('--batch', type=int, default=256)
        b.add_argument('--score', type=int, default=1024)
        b.add_argument('--vq-width', type=int, default=32)
        b.add_argument('--code-dim', type=int, default=16)
        b.add_argument('--vq-depth', type=int, default=2)
        b.add_argument('--codebook', type=int, default=64)
        b.add_argument('--d-model', type=int, default=64)
        b.add_argument('--context-channels', type=int, default=4)

    twin_main(__doc__, golden, bench, bench_args, reps=5, warmup=1)


if __name__ == '__main__':
    main()
