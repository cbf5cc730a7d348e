"""The 2-layer tanh MLP (X 512x1024, W1/W2 1024x1024, forward+backward) on the GPU beside the CPU,
and the element count from which a GPU run beats the CPU (for GRADIENT_SERVICE_GPU_MIN_ELEMENTS)."""

from __future__ import annotations

import statistics
import time

import engine


def mlp(device: str, n: int = 512, d: int = 1024, repeats: int = 10) -> float:
    engine.manual_seed(0)
    x = engine.randn(n, d, device=device)
    w1 = engine.randn(d, d, device=device, requires_grad=True)
    w2 = engine.randn(d, d, device=device, requires_grad=True)
    times = []
    for _ in range(repeats + 2):
        t0 = time.perf_counter()
        loss = engine.tanh(engine.tanh(x @ w1) @ w2).sum()
        loss.backward()
        float(loss.item())  # synchronises the device
        times.append(time.perf_counter() - t0)
        w1.grad = w2.grad = None
    return statistics.median(times[2:]) * 1e3


def crossover() -> None:
    print("elements  cpu ms  gpu ms (elementwise chain with a copy to and from the device)")
    for n in (10_000, 100_000, 1_000_000, 10_000_000):
        res = {}
        for device in ("cpu", "cuda"):
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                x = engine.randn(n).to(device).requires_grad_()
                y = (engine.tanh(x) * x + x.exp()).sum()
                y.backward()
                x.grad.cpu().numpy()
                times.append(time.perf_counter() - t0)
            res[device] = statistics.median(times) * 1e3
        print(f"{n:>9}  {res['cpu']:6.2f}  {res['cuda']:6.2f}")


if __name__ == "__main__":
    cpu = mlp("cpu", repeats=3)
    print(f"MLP fwd+bwd: cpu {cpu:.1f} ms", flush=True)
    if engine.cuda.is_available():
        gpu = mlp("cuda")
        print(f"MLP fwd+bwd: cuda {gpu:.2f} ms ({cpu / gpu:.1f}x faster)")
        crossover()
    else:
        print("no usable GPU: CPU only")
