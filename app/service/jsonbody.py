"""Request bodies → Python objects, strictly: no duplicate keys, bounded nesting.

orjson parses (and refuses bare NaN/Infinity and numbers that overflow to infinity);
this module adds what orjson lets through. Duplicate keys are ruled out without a second
parse in the usual case: every key in JSON text is followed by one ':' outside strings, so
in a text without escapes the ':' count equals the keys kept plus the ':' inside the strings
walked exactly when no key was dropped and no unwalked string holds a ':'. Bulk ``data``
arrays are not walked (they hold no keys), which keeps this cheap for big tensors. Anything
else (an escape such as ``\u003a``, a ':' in a string of a ``data`` array, a real duplicate)
takes a second, exact parse that sees every key.
"""

from __future__ import annotations

import json
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
    if b"\\" in body or body.count(b":") != keys + colons:
        json.loads(body, object_pairs_hook=_refuse_duplicates)  # (orjson accepted it: so does json)
    return doc


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> None:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise BadJSON("body has duplicate keys in an object")


def _walk(doc: Any, max_depth: int) -> tuple[int, int, int]:
    """Count kept keys and ':' inside strings, and measure nesting (stops past ``max_depth``)."""
    counts = [0, 0, 0]  # keys, colons in strings, deepest level

    def visit(node: Any, depth: int) -> None:
        if depth > counts[2]:
            counts[2] = depth
            if depth > max_depth:
                return
        if type(node) is dict:
            counts[0] += len(node)
            for k, v in node.items():
                if ":" in k:
                    counts[1] += k.count(":")
                t = type(v)
                if t is str:
                    if ":" in v:
                        counts[1] += v.count(":")
                elif t is list:
                    if k == "data":
                        d = depth + _list_depth(v)
                        if d > counts[2]:
                            counts[2] = d
                    else:
                        visit(v, depth + 1)
                elif t is dict:
                    visit(v, depth + 1)
        else:  # a list
            for v in node:
                t = type(v)
                if t is str:
                    if ":" in v:
                        counts[1] += v.count(":")
                elif t is list or t is dict:
                    visit(v, depth + 1)

    if type(doc) in (dict, list):
        visit(doc, 1)
    else:
        counts[2] = 1
    return counts[0], counts[1], counts[2]


def _list_depth(v: Any) -> int:
    depth = 0
    while isinstance(v, list):
        depth += 1
        v = v[0] if v else None
    return depth
