"""``engine.nn.functional``: filled from the op registry (entries with namespace "functional")."""
