"""Staff views: packages (filled in by the fulfilment work)."""
