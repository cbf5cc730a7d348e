"""The service's pipeline, free of HTTP: request → plan → engine → response."""
