"""Property-based fuzzing of the HTTP API from its own OpenAPI document (schemathesis).

Bounded: a fixed number of examples per operation. Every response, errors included, must
be documented and match its schema, and none may be a 500.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from app.config import Settings
from app.main import create_app

app = create_app(Settings(max_tensor_elements=100_000, max_total_elements=1_000_000, time_limit_s=5.0))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms(case: schemathesis.Case) -> None:
    # A schema-valid request may still be wrong (unknown names, shapes that do not broadcast):
    # the schema cannot say that, so "valid means accepted" is not one of our checks.
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])
