"""Brains over HTTP (Ollama, OpenAI, Anthropic), not the in-process kernel: the clients, the
three APIs' request and reply shapes, and their native tool calls. They share governance's
provider contract with kernel.provider.KernelProvider, nothing else."""
