#!/usr/bin/env python3
"""PyTorch twin of @skelflow/nn's Transformer blocks (golden fixtures and speed reference).

The blocks are PyTorch's own modules, so the oracle is independent of our code:
  MultiHeadAttention      -> nn.MultiheadAttention(D, H, batch_first=True)
  TransformerBlock        -> nn.TransformerEncoderLayer(D, H, F, dropout, activation="gelu",
                                                        batch_first=True, norm_first=True)
  TransformerEncoder      -> nn.TransformerEncoder(layer, n, norm=nn.LayerNorm(D), enable_nested_tensor=False)
  AutoregressiveTokenModel -> TokenModel below: nn.Embedding(K + 1, D) (BOS = K), a learned
                              position table [L + 1, D], the causal encoder, nn.Linear(D, K, bias=False).
State names are ours after camelCase -> snake_case (tokenEmbedding.weight -> token_embedding.weight,
encoder.layers.0.selfAttn.inProjWeight -> encoder.layers.0.self_attn.in_proj_weight).

Needs Debian's python3-torch (torch 1.13); run with /usr/bin/python3.

  golden: /usr/bin/python3 bench/torch/transformer.py golden --in weights.json --out fixture.json
          reads the weights and inputs exported from @skelflow (bench/torch/transformer_fixture.ts
          writes them and calls this), computes in float64: token-model logits, per-token NLL, loss,
          hidden states; cross-attention with a key-padding mask; one SGD and one Adam step of the
          token model's mean NLL (parameters after each step); writes inputs + outputs as JSON.
  bench:  /usr/bin/python3 bench/torch/transformer.py bench --tokens 12 --codes 512 --dim 128 \
              --layers 2 --heads 4 --batch 256 --threads 2 --reps 5
          prints one JSON line of median seconds per forward+backward (+ Adam step) and per forward.
"""
import json, os, re, sys
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twin_common import arr, median_seconds, twin_main  # noqa: E402


def snake(name):
    return re.sub(r'([A-Z])', lambda m: '_' + m.group(1).lower(), name)


class TokenModel(nn.Module):
    def __init__(self, K, L, D, H, layers, F, dropout=0.0):
        super().__init__()
        self.K = K
        self.token_embedding = nn.Embedding(K + 1, D)
        self.position_embedding = nn.Embedding(L + 1, D)  # read by arange(T): our learned table
        layer = nn.TransformerEncoderLayer(D, H, F, dropout, activation='gelu', batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(D), enable_nested_tensor=False)
        self.head = nn.Linear(D, K, bias=False)
        self.drop = nn.Dropout(dropout)

    def states(self, ids):
        T = ids.shape[1]
        x = self.token_embedding(ids) + self.position_embedding.weight[:T]
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device=ids.device), 1)  # True = not allowed
        return self.encoder(self.drop(x), mask=mask)

    def teacher_input(self, tokens):
        bos = torch.full((tokens.shape[0], 1), self.K, dtype=torch.long)
        return torch.cat([bos, tokens[:, :-1]], 1)

    def logits(self, tokens):
        return self.head(self.states(self.teacher_input(tokens)))

    def nll(self, tokens):
        logp = torch.log_softmax(self.logits(tokens), -1)
        return -logp.gather(-1, tokens.unsqueeze(-1)).squeeze(-1)


def load(module, named, prefix=''):
    state = {snake(k[len(prefix):]): torch.tensor(v['data'], dtype=torch.float64).reshape(v['shape'])
             for k, v in named.items() if k.startswith(prefix)}
    missing, unexpected = module.load_state_dict(state, strict=False)
    if missing or unexpected:
        sys.exit(f'transformer.py: state mismatch, missing {missing}, unexpected {unexpected}')


def golden(args):
    spec = json.load(open(args.inp))
    c = spec['config']
    torch.manual_seed(0)
    model = TokenModel(c['numTokens'], c['maxLength'], c['dModel'], c['numHeads'], c['numLayers'], c['dimFeedforward']).double()
    load(model, spec['tokenModel'])
    model.eval()  # dropout 0 anyway; eval keeps PyTorch's fused path off nothing we rely on
    tokens = torch.tensor(spec['tokens'], dtype=torch.long)
    out = {}
    with torch.no_grad():
        out['logits'] = arr(model.logits(tokens))
        out['nll'] = arr(model.nll(tokens))
        out['loss'] = model.nll(tokens).mean().item()
        out['hidden'] = arr(model.states(model.teacher_input(tokens)))
    # Cross-attention with a key-padding mask.
    a = spec['attention']
    mha = nn.MultiheadAttention(a['dModel'], a['numHeads'], batch_first=True).double()
    load(mha, a['weights'])
    q = torch.tensor(a['query']['data'], dtype=torch.float64).reshape(a['query']['shape'])
    kv = torch.tensor(a['keyValue']['data'], dtype=torch.float64).reshape(a['keyValue']['shape'])
    pad = torch.tensor(a['keyPaddingMask'], dtype=torch.bool)
    with torch.no_grad():
        y, w = mha(q, kv, kv, key_padding_mask=pad, need_weights=True, average_attn_weights=False)
    out['attentionOutput'] = arr(y)
    out['attentionWeights'] = arr(w)
    # One training step of the mean NLL, from the same weights, with each optimiser.
    model.train()
    for name, make in [('sgd', lambda p: torch.optim.SGD(p, lr=spec['sgdLr'])),
                       ('adam', lambda p: torch.optim.Adam(p, lr=spec['adamLr']))]:
        load(model, spec['tokenModel'])
        opt = make(model.parameters())
        opt.zero_grad()
        loss = model.nll(tokens).mean()
        loss.backward()
        if name == 'sgd':
            out['gradients'] = {k: arr(p.grad) for k, p in model.named_parameters()}
        opt.step()
        out[f'{name}Step'] = {'loss': loss.item(), 'parameters': {k: arr(p) for k, p in model.named_parameters()}}
    spec['torch'] = out
    spec['torchVersion'] = torch.__version__
    with open(args.out, 'w') as f:
        json.dump(spec, f)


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = TokenModel(args.codes, args.tokens, args.dim, args.heads, args.layers, 4 * args.dim, args.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, args.codes, (args.batch, args.tokens), generator=g)

    def train_step():
        model.train()
        opt.zero_grad()
        loss = model.nll(tokens).mean()
        loss.backward()
        opt.step()

    def forward():
        model.eval()
        with torch.no_grad():
            model.nll(tokens)

    res = {}
    for name, fn in [('trainStep', train_step), ('forward', forward)]:
        res[name] = median_seconds(fn, args.warmup, args.reps)
    res.update({'threads': args.threads, 'torch': torch.__version__, 'batch': args.batch, 'tokens': args.tokens,
                'codes': args.codes, 'dim': args.dim, 'layers': args.layers, 'heads': args.heads})
    print(json.dumps(res))


def main():
    def bench_args(b):
        b.add_argument('--tokens', type=int, default=12)
        b.add_argument('--codes', type=int, default=512)
        b.add_argument('--dim', type=int, default=128)
        b.add_argument('--layers', type=int, default=2)
        b.add_argument('--heads', type=int, default=4)
        b.add_argument('--batch', type=int, default=256)
        b.add_argument('--dropout', type=float, default=0.1)

    twin_main(__doc__, golden, bench, bench_args, reps=5, warmup=2)


if __name__ == '__main__':
    main()
