"""Staff views: erasure (filled in by the fulfilment work)."""
