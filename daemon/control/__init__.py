"""The control room: the Unix socket the CLI, the REPL and scripts talk to the daemon over.

- verbs.py: the verbs, one table (the socket, the CLI and the REPL all read it).
- request.py: a request line and its total parser.
- server.py: the socket itself (mode 0600, peer uid checked, one reply a line).
- client.py: the blocking client the CLI verbs and the REPL use.
- stop.py: `stop`, the drain SIGTERM starts, asked over the socket (refused under systemd).

The review verbs are daemon/reviews.py (status lists the reviews too, so they sit below both).
"""
