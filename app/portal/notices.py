"""Portal views: notices (filled in by the fulfilment work)."""
