"""Portal views: downloads (filled in by the fulfilment work)."""
