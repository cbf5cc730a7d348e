"""What a user would write instead: a FastAPI handler around PyTorch (the benchmark's peer)."""

import torch
from fastapi import FastAPI
from pydantic import BaseModel


class TensorSpec(BaseModel):
    data: list[float]
    requires_grad: bool = False


class Request(BaseModel):
    tensors: dict[str, TensorSpec]


app = FastAPI()


@app.post("/v1/evaluate")
def evaluate(req: Request) -> dict:
    x = torch.tensor(req.tensors["x"].data, requires_grad=req.tensors["x"].requires_grad)
    y = 5 * (x + 1) ** 2
    o = 0.5 * torch.sum(y)
    o.backward()
    out = {}
    for name, t in (("x", x), ("y", y), ("o", o)):
        out[name] = {"data": t.tolist(), "shape": list(t.shape), "dtype": "float32", "requires_grad": t.requires_grad,
                     "is_leaf": t.is_leaf, "grad_fn": t.grad_fn.name() if t.grad_fn else None,
                     "grad": t.grad.tolist() if t.is_leaf and t.grad is not None else None}
    return {"device": "cpu", "tensors": out}
