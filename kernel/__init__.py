"""The in-process model: Ouro and plain models, decoding, the canary, the CPU and GPU
forwards; `kernel.http` holds the brains over HTTP. Importing the package loads nothing:
`kernel.defaults` and `kernel.precision` stay torch-free for the CLI.

It sets one default, before torch is imported and loads libgomp (which native.c shares, and
which reads its settings once): GOMP_SPINCOUNT, how long an idle OpenMP thread spins before
it sleeps, unless the environment names one. libgomp's 300,000 pauses (~6 ms on the 2-core
Zen 3 EPYC) kept the native step's second thread spinning through the whole of the next
token's choice, so best-of-N's samples, choosing on two threads, shared one core: 2.38x the
tokens/s of sequential decodes against 2.69x at 10,000 (kernel/samples.py). A single decode
measured the same either way (63-68 tokens/s, three runs each), and an idle thread now gives
its core back to the machine 0.2 ms after its work ends.
"""

import os

os.environ.setdefault("GOMP_SPINCOUNT", "10000")
