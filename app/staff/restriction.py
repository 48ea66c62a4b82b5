"""Staff views: restriction (filled in by the fulfilment work)."""
