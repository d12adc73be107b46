"""The live view room: what the daemon is doing, as events, to whoever watches.

- events.py: the typed events and the bus that fans them out to bounded buffers, one per
  watcher (the oldest dropped when full, then a fresh snapshot).
- sources.py: where the events come from: LiveLedger (a Ledger that publishes what it
  recorded) and snapshot_of, the picture a new watcher starts from.
- socket_stream.py: `subscribe` on the control socket: the connection becomes a stream.
- http.py: the same stream as Server-Sent Events on 127.0.0.1:`daemon.live_port`, with the
  page and a snapshot, behind a token and the hostile-client rules.
- page.py: that page, one self-contained HTML document.

The stream's terminal client is daemon/cli/watch.py (`ouroboros watch`, the REPL).
"""
