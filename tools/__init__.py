"""Venom: the tool loop, the built-in tools, the tool policy (Iron Gate) and the sandbox."""
