"""Named request examples for Swagger UI: the tutorial's every example, and a few more.

Each is a working request: a test sends every example of the OpenAPI document.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

_ONES_2x2 = {"factory": "ones", "shape": [2, 2]}

EVALUATE_EXAMPLES: dict[str, dict[str, Any]] = {
    "tutorial_gradient": {
        "summary": "Tutorial: y = 5(x+1)², o = ½·sum(y), o.backward() → x.grad = [10, 10]",
        "value": {
            "tensors": {"x": {"data": [1, 1], "requires_grad": True}},
            "nodes": [
                {"id": "y", "expr": "5 * (x + 1) ** 2"},
                {"id": "o", "op": "mul", "args": [0.5, {"op": "sum", "args": ["y"]}]},
            ],
            "backward": [{"output": "o"}],
        },
    },
    "tensor_with_gradients": {
        "summary": "Tutorial: a = torch.ones((2, 2), requires_grad=True)",
        "value": {"tensors": {"a": {**_ONES_2x2, "requires_grad": True}}},
    },
    "requires_grad_method": {
        "summary": "Tutorial: a = torch.ones((2, 2)); a.requires_grad_() — the flag on the leaf",
        "description": "`requires_grad_()` on a fresh leaf is the same as creating it with `requires_grad: true`.",
        "value": {"tensors": {"a": {**_ONES_2x2, "requires_grad": True}}, "outputs": ["a"]},
    },
    "tensor_without_gradients": {
        "summary": "Tutorial: no_gradient = torch.ones(2, 2) → requires_grad False",
        "value": {"tensors": {"no_gradient": _ONES_2x2}},
    },
    "addition": {
        "summary": "Tutorial: a + b and torch.add(a, b)",
        "value": {
            "tensors": {"a": {**_ONES_2x2, "requires_grad": True}, "b": {**_ONES_2x2, "requires_grad": True}},
            "nodes": [{"id": "sum_op", "expr": "a + b"}, {"id": "sum_fn", "expr": "torch.add(a, b)"}],
        },
    },
    "multiplication": {
        "summary": "Tutorial: a * b and torch.mul(a, b)",
        "value": {
            "tensors": {"a": {**_ONES_2x2, "requires_grad": True}, "b": {**_ONES_2x2, "requires_grad": True}},
            "nodes": [{"id": "prod_op", "expr": "a * b"}, {"id": "prod_fn", "op": "mul", "args": ["a", "b"]}],
        },
    },
    "softmax_cross_entropy": {
        "summary": "Softmax and cross-entropy of logits against class targets",
        "value": {
            "tensors": {
                "logits": {"data": [[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], "requires_grad": True},
                "target": {"data": [0, 1], "dtype": "int64"},
            },
            "nodes": [
                {"id": "probs", "expr": "softmax(logits, dim=1)"},
                {"id": "loss", "op": "cross_entropy", "args": ["logits", "target"]},
            ],
            "backward": [{"output": "loss"}],
        },
    },
    "mlp_layer": {
        "summary": "One tanh layer and a mean-squared-error loss",
        "value": {
            "tensors": {
                "X": {"factory": "randn", "shape": [4, 3], "seed": 0},
                "W": {"factory": "randn", "shape": [3, 2], "seed": 1, "requires_grad": True},
                "b": {"factory": "zeros", "shape": [2], "requires_grad": True},
                "Y": {"factory": "ones", "shape": [4, 2]},
            },
            "nodes": [
                {"id": "H", "expr": "torch.tanh(X @ W + b)"},
                {"id": "loss", "op": "mse_loss", "args": ["H", "Y"]},
            ],
            "backward": [{"output": "loss"}],
            "outputs": ["W", "b", "loss"],
        },
    },
    "second_derivative": {
        "summary": "d²/dx² of x³ with the grad op (create_graph)",
        "value": {
            "tensors": {"x": {"data": 2.0, "requires_grad": True}},
            "nodes": [
                {"id": "y", "expr": "x ** 3"},
                {"id": "dy", "op": "grad", "args": ["y", "x"], "kwargs": {"create_graph": True}},
                {"id": "d2y", "op": "grad", "args": ["dy", "x"]},
            ],
        },
    },
    "b64_tensors": {
        "summary": "Tensors in and out as base64 of raw little-endian bytes",
        "value": {
            "tensors": {
                "x": {
                    "b64": base64.b64encode(np.arange(4, dtype="<f4").tobytes()).decode(),
                    "shape": [2, 2],
                    "requires_grad": True,
                }
            },
            "nodes": [{"id": "s", "expr": "(x * x).sum()"}],
            "backward": [{"output": "s"}],
            "encoding": "b64",
        },
    },
}

EVALUATE_EXAMPLES["verify_gradients"] = {
    "summary": "The tutorial with \"verify\": its gradient checked against finite differences (float64)",
    "description": "`verify` checks the output of the first backward step (else the last node) with respect to "
    "every leaf that requires grad; `order: 2` adds the second-derivative check.",
    "value": {**EVALUATE_EXAMPLES["tutorial_gradient"]["value"], "verify": True},
}

_TANH_LAYER = {
    "tensors": {
        "x": {"data": [0.5, -1.0, 2.0], "requires_grad": True},
        "W": {"factory": "randn", "shape": [2, 3], "seed": 0, "requires_grad": True},
    },
    "nodes": [{"id": "y", "expr": "torch.tanh(W @ x)"}],
}
_QUADRATIC = {
    "tensors": {
        "x": {"data": [1.0, 2.0], "requires_grad": True},
        "A": {"data": [[2.0, 1.0], [1.0, 3.0]]},
    },
    "nodes": [{"id": "f", "expr": "x @ A @ x + torch.sum(x ** 3)"}],
}

FUNCTIONAL_EXAMPLES: dict[str, dict[str, dict[str, Any]]] = {
    "jacobian": {
        "jacobian_tanh_layer": {
            "summary": "Jacobian of tanh(W @ x) w.r.t. x and W (blocks [2, 3] and [2, 2, 3])",
            "value": {**_TANH_LAYER, "output": "y", "inputs": ["x", "W"]},
        },
        "jacobian_softmax": {
            "summary": "Jacobian of softmax(z): diag(p) - p pᵀ",
            "value": {"tensors": {"z": {"data": [1.0, 2.0, 3.0]}},
                      "nodes": [{"id": "p", "op": "softmax", "args": ["z"], "kwargs": {"dim": 0}}],
                      "output": "p", "inputs": ["z"]},
        },
    },
    "hessian": {
        "hessian_quadratic_plus_cubes": {
            "summary": "Hessian of xᵀAx + Σx³: A + Aᵀ + diag(6x)",
            "value": {**_QUADRATIC, "output": "f", "inputs": ["x"]},
        },
    },
    "vjp": {
        "vjp_tanh_layer": {
            "summary": "vᵀJ of tanh(W @ x), v = [1, 0]",
            "value": {**_TANH_LAYER, "output": "y", "inputs": ["x", "W"], "v": {"data": [1.0, 0.0]}},
        },
    },
    "jvp": {
        "jvp_tanh_layer": {
            "summary": "J v of tanh(W @ x) along x = [1, 0, 0] (and no change of W)",
            "value": {**_TANH_LAYER, "output": "y", "inputs": ["x", "W"],
                      "v": {"x": {"data": [1.0, 0.0, 0.0]}, "W": {"factory": "zeros", "shape": [2, 3]}}},
        },
    },
    "hvp": {
        "hvp_quadratic_plus_cubes": {
            "summary": "H v of xᵀAx + Σx³ for v = [1, 1]",
            "value": {**_QUADRATIC, "output": "f", "inputs": ["x"], "v": {"x": {"data": [1.0, 1.0]}}},
        },
    },
}

GRADCHECK_EXAMPLES: dict[str, dict[str, Any]] = {
    "gradcheck_mlp_loss": {
        "summary": "gradcheck of an MSE loss of a tanh layer w.r.t. W and b",
        "value": {**{k: v for k, v in EVALUATE_EXAMPLES["mlp_layer"]["value"].items() if k in ("tensors", "nodes")},
                  "output": "loss"},
    },
    "gradgradcheck_cubic": {
        "summary": "gradgradcheck (order 2) of sum(x³ · sin(x))",
        "value": {"tensors": {"x": {"data": [0.5, -1.0, 2.0], "requires_grad": True}},
                  "nodes": [{"id": "s", "expr": "torch.sum(x ** 3 * torch.sin(x))"}],
                  "output": "s", "order": 2},
    },
}
