"""The kernel: model providers. Today the replay provider; the in-process Ouro kernel next."""
