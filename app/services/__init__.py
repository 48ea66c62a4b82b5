"""Use cases. Each takes a ``Session`` (and ``now``), flushes, and never commits."""
