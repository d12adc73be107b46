"""The host room: the daemon shares a developer's machine and behaves like a guest on it.

- health.py: what Linux says (the load average, the battery, the temperatures).
- gate.py: the host gate: new ops and sensor runs wait while the machine is its human's.
- verdict.py: the gate's verdict from one reading: the load less the daemon's own, the
  battery, the heat.
- overdue.py: the gate's bound: after health.max_wait_s of waiting for the load, one op
  runs at idle priority anyway, unless memory is short.
- pause.py: a running op waits at its next model call or jailed test run, its deadline
  paused, not spent.
- priority.py: nice and the I/O class, as the systemd unit gives the service.
- state_gate.py: new ops wait while the state dir is full or read-only.
- loopback.py: is a host this machine (a brain's price, `serve`'s peers).
"""
