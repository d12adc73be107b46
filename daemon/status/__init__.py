"""The status room: what the daemon tells whoever asks how it is doing.

- model.py: the typed `status` (pydantic only, so the CLI's `status` stays light).
- view.py: that answer built from the daemon's parts.
- heartbeat.py: "still working" lines while an op sits in one long phase.
- sd_notify.py: systemd's READY, STATUS, STOPPING and watchdog keep-alive.

The live stream of the same is daemon/live/.
"""
