"""governance.brains: TODO map."""
