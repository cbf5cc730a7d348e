"""Settings, from environment variables prefixed ``GRADIENT_SERVICE_`` (e.g. ``GRADIENT_SERVICE_PORT``)."""

from __future__ import annotations

import dataclasses
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

    # The per-request limits: defaults live once, on Limits.
    max_rank: int = Limits.max_rank
    max_dim_size: int = Limits.max_dim_size
    max_tensor_elements: int = Limits.max_tensor_elements
    max_total_elements: int = Limits.max_total_elements
    max_response_elements: int = Limits.max_response_elements
    max_nodes: int = Limits.max_nodes
    max_backward_steps: int = Limits.max_backward_steps
    max_expr_length: int = Limits.max_expr_length
    max_expr_tokens: int = Limits.max_expr_tokens
    max_expr_depth: int = Limits.max_expr_depth
    max_inline_depth: int = Limits.max_inline_depth
    max_flops: float = Limits.max_flops
    gpu_min_elements: int = Field(Limits.gpu_min_elements,
                                  description="Under device auto, plans this big run on the GPU.")

    def limits(self) -> Limits:
        """The per-request limits the planner checks (every Limits field, from these settings)."""
        return Limits(**{f.name: getattr(self, f.name) for f in dataclasses.fields(Limits)})


@functools.cache
def get_settings() -> Settings:
    """The process's settings (read once)."""
    return Settings()
