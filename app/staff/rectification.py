"""Staff views: rectification (filled in by the fulfilment work)."""
