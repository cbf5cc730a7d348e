"""Request bodies → Python objects, strictly: no duplicate keys, bounded nesting.

orjson parses (and refuses bare NaN/Infinity and numbers that overflow to infinity);
this module adds what orjson lets through. Duplicate keys are found without a second
parse: every key in JSON text is followed by one ':' outside strings, so the text's
':' count must equal the keys kept plus the ':' inside strings. Bulk ``data`` arrays
are not walked (they cannot hold keys), which keeps this cheap for big tensors.
"""

from __future__ import annotations

from typing import Any

import orjson

from .errors import BadJSON, LimitExceeded


def parse_body(body: bytes, max_depth: int) -> Any:
    """Parse a request body; 400 for malformed JSON or duplicate keys, 413 for deep nesting."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        message = str(exc)
        if "depth limit" in message:
            raise LimitExceeded(f"JSON nests deeper than {max_depth} levels (limit max_json_depth)") from None
        raise BadJSON(f"body is not valid JSON: {message}"[:200]) from None
    keys, colons, depth = _walk(doc, max_depth)
    if depth > max_depth:
        raise LimitExceeded(f"JSON nests {depth} levels deep; the limit (max_json_depth) is {max_depth}")
    if body.count(b":") > keys + colons:
        raise BadJSON("body has duplicate keys in an object")
    return doc


def _walk(doc: Any, max_depth: int) -> tuple[int, int, int]:
    """Count kept keys and ':' inside strings, and measure nesting (iteratively)."""
    keys = colons = deepest = 0
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > max_depth:
                return keys, colons, deepest
        if isinstance(node, dict):
            keys += len(node)
            for k, v in node.items():
                colons += k.count(":")
                if k == "data" and isinstance(v, list):
                    deepest = max(deepest, depth + _list_depth(v))
                elif isinstance(v, (dict, list)):
                    stack.append((v, depth + 1))
                elif isinstance(v, str):
                    colons += v.count(":")
        elif isinstance(node, list):
            for v in node:
                if isinstance(v, (dict, list)):
                    stack.append((v, depth + 1))
                elif isinstance(v, str):
                    colons += v.count(":")
    return keys, colons, deepest


def _list_depth(v: Any) -> int:
    depth = 0
    while isinstance(v, list):
        depth += 1
        v = v[0] if v else None
    return depth
