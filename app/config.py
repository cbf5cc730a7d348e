"""Settings, from environment variables prefixed ``GRADIENT_SERVICE_`` (e.g. ``GRADIENT_SERVICE_PORT``)."""

from __future__ import annotations

import functools
import os
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .service.limits import Limits


class Settings(BaseSettings):
    """Every knob of the service; defaults suit a 2-core, 4 GiB container."""

    model_config = SettingsConfigDict(env_prefix="GRADIENT_SERVICE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    default_device: Literal["auto", "cpu", "cuda"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"

    max_body_bytes: int = Field(64 * 1024 * 1024, description="Largest request body accepted.")
    max_json_depth: int = Field(32, description="Deepest JSON nesting accepted.")
    gzip_min_bytes: int = Field(
        65536, description="Responses at least this large are gzipped when the client accepts it."
    )
    time_limit_s: float = Field(30.0, description="Wall time one computation may take.")
    max_concurrency: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1),
                                 description="Computations running at once (per worker).")
    max_queue: int = Field(8, description="Requests waiting for a computation slot before 503s.")
    queue_wait_s: float = Field(2.0, description="Longest wait for a slot before 503.")
    inline_elements: int = Field(4096, description="Plans holding fewer elements run on the event loop.")
    inline_body_bytes: int = Field(65536, description="Bodies up to this size are parsed on the event loop.")
    blas_threads: int = Field(1, description="BLAS/OpenMP threads per computation (set before NumPy loads).")
    max_requests: int = Field(0, description="Recycle a worker after this many requests (0: never).")
    max_requests_jitter: int = Field(0, description="Random extra requests before recycling, per worker.")

    max_rank: int = 8
    max_dim_size: int = 10_000_000
    max_tensor_elements: int = 10_000_000
    max_total_elements: int = 50_000_000
    max_response_elements: int = 20_000_000
    max_nodes: int = 1_000
    max_backward_steps: int = 64
    max_expr_length: int = 10_000
    max_expr_tokens: int = 2_000
    max_expr_depth: int = 64
    max_inline_depth: int = 32
    max_flops: float = 2e10
    gpu_min_elements: int = Field(1_000_000, description="Under device auto, plans this big run on the GPU.")

    def limits(self) -> Limits:
        """The per-request limits the planner checks."""
        return Limits(
            max_rank=self.max_rank,
            max_dim_size=self.max_dim_size,
            max_tensor_elements=self.max_tensor_elements,
            max_total_elements=self.max_total_elements,
            max_response_elements=self.max_response_elements,
            max_nodes=self.max_nodes,
            max_backward_steps=self.max_backward_steps,
            max_expr_length=self.max_expr_length,
            max_expr_tokens=self.max_expr_tokens,
            max_expr_depth=self.max_expr_depth,
            max_inline_depth=self.max_inline_depth,
            max_flops=self.max_flops,
            default_device=self.default_device,
            gpu_min_elements=self.gpu_min_elements,
        )


@functools.cache
def get_settings() -> Settings:
    """The process's settings (read once)."""
    return Settings()
