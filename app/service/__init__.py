"""The service's pipeline, free of HTTP: request → plan → engine → response."""

from engine._compiled import warn_if_stale

from .._compiled import APP_COMPILED

warn_if_stale(APP_COMPILED)
