"""The brains room, and where the whole brain story starts.

In this room (the daemon's side: which brains exist and how they start):
- providers.py: builds the configured provider: the embedded kernel, HTTP brains, replay.
- start.py: starts it (or the failback chain) at start-up, with its health, the MCP servers
  and the jail probe.
- routes.py: each route's brain list, resolved against the brains built at start.
- discover.py: the brains a user already has (local servers, API keys), for `init`/`doctor`.
- embedded.py: what the embedded model can and cannot do, said once.
- pinned.py: the coder models `brain fetch` can fetch (hub, revision, size, sha256), as data;
  fetch.py: that fetch, verified and put in place in one step (only when a user asks).
- probe.py: `ouroboros kernel probe`.

Elsewhere: the chain, its failover and the one contract governance asks through
(`CandidateProvider`) are governance/brains/; which brain a phase asks and with what prompt,
governance/phases/route_brains.py; the in-process model and the HTTP clients, kernel/
(kernel/provider.py, kernel/http/).
"""
