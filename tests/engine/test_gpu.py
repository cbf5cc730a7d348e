"""The same conformance cases on CuPy (device='cuda') as on NumPy: values and gradients agree.

Skipped, saying why, where no GPU is usable (no CuPy, or no working device): the CuPy path
is the same code with another array module, so this is where it is proven on a GPU host.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import engine

GPU = engine.cuda.is_available()
pytestmark = pytest.mark.skipif(not GPU, reason="no usable CUDA GPU here (CuPy not installed or no working device)")

F = engine.nn.functional
CASES: dict[str, tuple[Callable[..., Any], list[tuple[int, ...]]]] = {
    "add": (lambda a, b: a + b, [(3, 4), (4,)]),
    "mul": (lambda a, b: a * b, [(3, 4), (3, 1)]),
    "div": (lambda a, b: a / (b * b + 1), [(5,), (5,)]),
    "pow": (lambda a, b: (a * a + 1) ** b, [(4,), (4,)]),
    "exp_log": (lambda a: engine.log(engine.exp(a) + 1), [(2, 3)]),
    "tanh_sigmoid": (lambda a: engine.tanh(a) * engine.sigmoid(a), [(6,)]),
    "relu_abs": (lambda a: engine.relu(a) + a.abs(), [(7,)]),
    "matmul": (lambda a, b: a @ b, [(3, 4), (4, 2)]),
    "bmm": (lambda a, b: engine.bmm(a, b), [(2, 3, 4), (2, 4, 5)]),
    "einsum": (lambda a, b: engine.einsum("ij,jk->ik", a, b), [(3, 4), (4, 2)]),
    "sum_mean": (lambda a: a.sum(dim=0) + a.mean(dim=0), [(3, 4)]),
    "var_std": (lambda a: a.var(dim=1) + a.std(dim=1), [(3, 5)]),
    "amax_logsumexp": (lambda a: a.amax(dim=1) + engine.logsumexp(a, dim=1), [(3, 5)]),
    "norm_prod": (lambda a: a.norm() + (a * 0.1 + 1).prod(), [(6,)]),
    "softmax_log_softmax": (lambda a: engine.softmax(a, dim=1) * F.log_softmax(a, dim=1), [(2, 5)]),
    "gelu_silu_elu": (lambda a: F.gelu(a) + F.silu(a) + F.elu(a), [(8,)]),
    "mse_l1": (lambda a, b: F.mse_loss(a, b) + F.l1_loss(a, b), [(4, 3), (4, 3)]),
    "linear": (lambda a, w: F.linear(a, w), [(2, 3), (4, 3)]),
    "reshape_permute": (lambda a: a.reshape(4, 3).permute(1, 0).flatten(), [(3, 4)]),
    "cat_stack": (lambda a, b: engine.cat([a, b]) + engine.stack([a, b]).sum(0).repeat(2), [(3,), (3,)]),
    "index": (lambda a: a[1:, ::2] * a[0, None, :2], [(3, 4)]),
    "where_clamp": (lambda a: engine.where(a > 0, a, a * 0.5).clamp(-0.5, 0.5), [(9,)]),
    "cumsum_flip": (lambda a: a.cumsum(0).flip(0), [(5,)]),
    "inplace": (lambda a, b: _inplace(a, b), [(4,), (4,)]),
}


def _inplace(a: Any, b: Any) -> Any:
    y = a * 2
    y += b
    y.mul_(b).exp_()
    return y


def _run(fn: Callable[..., Any], arrays: list[np.ndarray], device: str) -> tuple[np.ndarray, list[np.ndarray]]:
    xs = [engine.tensor(a, device=device, requires_grad=True) for a in arrays]
    out = fn(*xs)
    (out * out).sum().backward()
    return out.detach().cpu().numpy(), [x.grad.cpu().numpy() for x in xs]


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_numbers_on_cuda(name: str) -> None:
    fn, shapes = CASES[name]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    cpu_out, cpu_grads = _run(fn, arrays, "cpu")
    gpu_out, gpu_grads = _run(fn, arrays, "cuda")
    np.testing.assert_allclose(gpu_out, cpu_out, rtol=1e-9, atol=1e-12)
    for g_gpu, g_cpu in zip(gpu_grads, cpu_grads, strict=True):
        np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-9, atol=1e-12)


def test_devices_do_not_mix() -> None:
    a = engine.ones(2)
    b = engine.ones(2, device="cuda")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        a + b
    assert b.device.type == "cuda" and str(b.cpu().device) == "cpu"
