"""Helpers the PyTorch twins share: JSON export of a tensor, the median, median timing, and the command line."""
import argparse
import time


def arr(t):
    """A tensor as the fixtures store it: {'shape': [...], 'data': flat list}."""
    return {'shape': list(t.shape), 'data': t.detach().reshape(-1).tolist()}


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2] if len(s) % 2 else 0.5 * (s[len(s) // 2 - 1] + s[len(s) // 2])


def median_seconds(fn, warmup, reps):
    """Median wall time of `reps` calls of `fn` after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return median(times)


def twin_main(doc, golden, bench, bench_args, reps=5, warmup=1):
    """A twin's command line: `golden --in F --out F` or `bench [its own flags] --threads --reps [--warmup]`.

    `bench_args(parser)` adds the twin's own bench flags; `warmup=None` omits `--warmup`.
    """
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    g = sub.add_parser('golden')
    g.add_argument('--in', dest='inp', required=True)
    g.add_argument('--out', required=True)
    b = sub.add_parser('bench')
    bench_args(b)
    b.add_argument('--threads', type=int, default=2)
    b.add_argument('--reps', type=int, default=reps)
    if warmup is not None:
        b.add_argument('--warmup', type=int, default=warmup)
    args = p.parse_args()
    (golden if args.cmd == 'golden' else bench)(args)
