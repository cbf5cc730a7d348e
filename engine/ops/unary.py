"""unary ops (entries added by their owners)."""

from __future__ import annotations
