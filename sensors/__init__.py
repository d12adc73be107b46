"""Sensors notice work and emit SignalEnvelopes; the intake queue orders and dedups them."""
