"""The engine against PyTorch on the same machine: medians and ratios.

    .venv/bin/python benchmarks/engine_bench.py           # the full run (about a minute)
    .venv/bin/python benchmarks/engine_bench.py --quick   # a smoke run (seconds)

Three workloads, each timed with ``time.perf_counter`` over many repetitions per
round, rounds alternating between the engine and PyTorch (the MLP: in blocks, see
``median_seconds``), the garbage collector off while a round runs (as ``timeit``
does); the median round is reported:

1. the tutorial graph: ``x = ones(2, requires_grad=True)``, ``y = 5*(x+1)**2``,
   ``o = 0.5*sum(y)``, ``o.backward()`` — µs per whole iteration;
2. a chain of 200 add/mul/tanh ops on 4 elements, forward and backward — µs per op;
3. a 2-layer tanh MLP, ``X`` 512×1024 (no grad), ``W1`` and ``W2`` 1024×1024:
   ``(tanh(X @ W1) @ W2).sum().backward()`` — ms. The sum's gradient is a broadcast, and
   the engine computes the two products that read it as a reduction and a vector-matrix
   product (``engine/ops/linalg.py``, ``_broadcast_product``); PyTorch computes all five.
   So the same MLP is also timed with a dense output gradient, ``out.backward(G)``: five
   full products (two forward, three backward) in every library, and its achieved GFLOP/s
   beside a bare NumPy 1024×1024 matmul's is the throughput figure.

Each line says the ratio engine/PyTorch and whether it meets its target. Workloads 1 and 3
are also timed written out by hand in bare NumPy, the same array work with no engine around
it (the floor any NumPy engine stands on): the engine's ratio to it is its own overhead, and
the floor's ratio to PyTorch says what NumPy itself allows.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine  # noqa: E402

try:
    import torch
except ImportError:  # the engine alone still runs
    torch = None

TARGETS = {"tutorial": 0.4, "chain": 0.8, "mlp": 1.1}
MIN_MATMUL_SHARE = 0.8  # of bare NumPy matmul GFLOP/s


def median_seconds(fns: list[Callable[[], Any]], reps: int, rounds: int, blocks: int = 0) -> list[float]:
    """Median seconds per call of each of ``fns`` over ``rounds`` rounds of ``reps`` calls.

    Rounds alternate between the functions, so that drift in the machine's load hits all
    alike. Multi-threaded work runs in ``blocks`` instead: each function's rounds back to back,
    after a pause, the functions in turn, ``blocks`` times over. A library's BLAS/OpenMP threads
    keep spinning for a while after it returns, and would steal the next library's cores.
    """
    def one_round(f: Callable[[], Any]) -> float:
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            for _ in range(reps):
                f()
            return (time.perf_counter() - t0) / reps
        finally:
            gc.enable()

    times: list[list[float]] = [[] for _ in fns]
    if not blocks:
        for f in fns:
            f()  # warm up
        for _ in range(rounds):
            for f, acc in zip(fns, times, strict=True):
                acc.append(one_round(f))
    else:
        per_block = -(-rounds // blocks)
        for _ in range(blocks):
            for f, acc in zip(fns, times, strict=True):
                time.sleep(0.5)  # let the previous library's threads go idle
                f()
                acc.extend(one_round(f) for _ in range(per_block))
    return [statistics.median(t) for t in times]


def _pair(mine: Callable[[], Any], theirs: Callable[[], Any] | None, floor: Callable[[], Any], reps: int,
          rounds: int) -> tuple[float, float | None, float]:
    """Median seconds of the engine, PyTorch (None when not installed) and the bare-NumPy floor."""
    result = median_seconds([mine, floor] if theirs is None else [mine, floor, theirs], reps, rounds)
    return result[0], (result[2] if theirs is not None else None), result[1]


# -- the workloads: each takes the library and returns one iteration ---------------------------

def tutorial(lib: Any) -> Callable[[], Any]:
    def step() -> Any:
        x = lib.ones(2, requires_grad=True)
        y = 5 * (x + 1) ** 2
        o = 0.5 * lib.sum(y)
        o.backward()
        return x.grad

    return step


def tutorial_numpy() -> Callable[[], Any]:
    """The tutorial graph's forward and backward written out in NumPy: no graph, no tensors."""
    def step() -> Any:
        x = np.ones(2, np.float32)
        a = x + np.float32(1)
        y = np.float32(5) * a**2
        o = np.float32(0.5) * y.sum()
        g_y = np.empty_like(y)  # o = 0.5 * sum(y), backward from an implicit 1
        g_y.fill(np.float32(0.5) * np.ones((), np.float32))
        g_x = (np.float32(5) * g_y) * (np.float32(2) * a)  # y = 5 * a**2, a = x + 1
        return o, g_x

    return step


CHAIN = 200


def chain(lib: Any) -> Callable[[], Any]:
    def step() -> Any:
        x = lib.ones(4, requires_grad=True)
        h = x
        for i in range(CHAIN):
            k = i % 3
            h = h + 0.5 if k == 0 else h * 0.9 if k == 1 else lib.tanh(h)
        h.sum().backward()
        return x.grad

    return step


def _mlp_arrays(n: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d)).astype(np.float32)
    w1 = (rng.standard_normal((d, d)) / np.sqrt(d)).astype(np.float32)
    w2 = (rng.standard_normal((d, d)) / np.sqrt(d)).astype(np.float32)
    return x, w1, w2, rng.standard_normal((n, d)).astype(np.float32)


def mlp(lib: Any, n: int, d: int, dense: bool = False) -> Callable[[], Any]:
    """One step of the MLP; ``dense``: backward from a random output gradient, not a sum's."""
    x, w1, w2, g = (lib.tensor(a) for a in _mlp_arrays(n, d))
    w1.requires_grad_()
    w2.requires_grad_()

    def step() -> Any:
        w1.grad = None
        w2.grad = None
        out = lib.tanh(x @ w1) @ w2
        if dense:
            out.backward(g)
        else:
            out.sum().backward()
        return w1.grad

    return step


def mlp_numpy(n: int, d: int, dense: bool = False) -> Callable[[], Any]:
    """The MLP's forward and backward written out in NumPy: five full products and the same steps."""
    x, w1, w2, g_out = _mlp_arrays(n, d)

    def step() -> Any:
        h = np.tanh(x @ w1)
        out = h @ w2
        out.sum()
        g = g_out if dense else np.ones_like(out)  # the sum's gradient, written out
        g_w2 = h.T @ g
        g_pre = (g @ w2.T) * (1 - h * h)  # tanh's derivative from its output
        g_w1 = x.T @ g_pre
        return g_w1, g_w2

    return step


def mlp_flops(n: int, d: int) -> float:
    return 5 * 2.0 * n * d * d


# -- the run ----------------------------------------------------------------------------------------

def _floor_line(unit: str, scale: float, mine: float, theirs: float | None, floor: float) -> None:
    line = f"   the same by hand in bare NumPy   {floor * scale:10.2f} {unit:<3} engine at {mine / floor:4.2f}x it"
    if theirs is not None:
        line += f"; bare NumPy at {floor / theirs:4.2f}x PyTorch"
    print(line)


def _line(name: str, unit: str, scale: float, mine: float, theirs: float | None, target: float | None) -> bool:
    """Print the engine beside PyTorch; whether the ratio meets ``target`` (None: no target, informative)."""
    if theirs is None:
        print(f"{name:<34} engine {mine * scale:10.2f} {unit:<3} (PyTorch not installed)")
        return True
    ratio = mine / theirs
    ok = target is None or ratio <= target
    verdict = "(no target)" if target is None else f"target <= {target:.1f}  {'ok' if ok else 'MISSED'}"
    print(f"{name:<34} engine {mine * scale:10.2f} {unit:<3} torch {theirs * scale:10.2f} {unit:<3} "
          f"ratio {ratio:5.2f}  {verdict}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: few repetitions, a small MLP")
    args = parser.parse_args(argv)
    quick = args.quick
    rounds = 3 if quick else 7
    n, d = (64, 128) if quick else (512, 1024)

    threads = f", torch threads {torch.get_num_threads()}" if torch is not None else ""
    built = engine.build_info()
    n_compiled, n_listed = len(built["compiled"]), len(built["compiled"]) + len(built["pure"])
    stale = f", {len(built['stale'])} STALE" if built["stale"] else ""
    print(f"engine {engine.__version__} ({n_compiled} of {n_listed} hot modules compiled{stale}), "
          f"numpy {np.__version__}"
          f"{', torch ' + torch.__version__ if torch is not None else ''}{threads}; median of {rounds} rounds")
    results = []

    mine, theirs, floor = _pair(tutorial(engine), tutorial(torch) if torch is not None else None, tutorial_numpy(),
                                20 if quick else 2000, rounds)
    results.append(_line("1. tutorial graph (per iteration)", "us", 1e6, mine, theirs, TARGETS["tutorial"]))
    _floor_line("us", 1e6, mine, theirs, floor)

    timed = median_seconds([chain(engine)] + ([chain(torch)] if torch is not None else []), 2 if quick else 60, rounds)
    mine, theirs = timed[0], (timed[1] if torch is not None else None)
    results.append(_line(f"2. {CHAIN}-op chain, fwd+bwd (per op)", "us", 1e6 / CHAIN, mine, theirs, TARGETS["chain"]))

    a = np.random.default_rng(1).standard_normal((d, d)).astype(np.float32)
    fns = [mlp(engine, n, d), mlp_numpy(n, d), mlp(engine, n, d, dense=True), mlp_numpy(n, d, dense=True),
           lambda: a @ a]
    if torch is not None:
        fns += [mlp(torch, n, d), mlp(torch, n, d, dense=True)]
    timed = median_seconds(fns, 1 if quick else 3, rounds, blocks=1 if quick else 2)
    (mine, floor, mine_dense, floor_dense, bare), theirs_both = timed[:5], timed[5:]
    theirs, theirs_dense = (theirs_both[0], theirs_both[1]) if torch is not None else (None, None)
    results.append(_line(f"3. tanh MLP {n}x{d}, fwd+bwd", "ms", 1e3, mine, theirs, TARGETS["mlp"]))
    _floor_line("ms", 1e3, mine, theirs, floor)
    print("   (the floor does five full products; the engine two of them as a reduction and a vector product)")
    _line("   the same, dense output gradient", "ms", 1e3, mine_dense, theirs_dense, None)
    _floor_line("ms", 1e3, mine_dense, theirs_dense, floor_dense)
    bare_gflops = 2.0 * d**3 / bare / 1e9
    gflops = mlp_flops(n, d) / mine_dense / 1e9
    share = gflops / bare_gflops
    line = f"   dense: engine {gflops:7.1f} GFLOP/s"
    if theirs_dense is not None:
        line += f", torch {mlp_flops(n, d) / theirs_dense / 1e9:7.1f} GFLOP/s"
    ok = share >= MIN_MATMUL_SHARE
    floor_share = mlp_flops(n, d) / floor_dense / 1e9 / bare_gflops
    print(f"{line}; bare NumPy {d}x{d} matmul {bare_gflops:7.1f} GFLOP/s: engine at {share:4.0%} "
          f"(target >= {MIN_MATMUL_SHARE:.0%})  {'ok' if ok else 'MISSED'}; the same by hand at {floor_share:4.0%}")
    results.append(ok)
    print("all targets met" if all(results) else "some targets missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
