"""Helpers the PyTorch twins share: JSON export of a tensor, the median, and median timing."""
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
