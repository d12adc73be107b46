"""The in-process model: Ouro and plain models, decoding, the canary, the CPU and GPU
forwards; `kernel.http` holds the brains over HTTP. Importing the package loads nothing:
`kernel.defaults` and `kernel.precision` stay torch-free for the CLI."""
