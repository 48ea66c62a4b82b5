"""Staff views: objection (filled in by the fulfilment work)."""
