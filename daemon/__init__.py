"""The daemon: the composition root that builds and runs sensors, governance, the kernel and
Venom. Its rooms each have a map in their own `__init__`; tests/test_layering.py holds the
rooms and top-level modules to imports one way only.

Rooms:
- config/: `ouroboros.toml` as typed sections, and where a state dir is.
- host/: the machine it shares: the host gate, a running op's pause, priorities, the
  state-dir gate.
- brains/: which brains exist and how they start; its map tells the whole brain story.
- control/: the control socket, its verbs and requests, the blocking client.
- status/: the typed `status`, the heartbeat, systemd's notifications.
- live/: the live stream and its page; cli/: the `ouroboros` command and the REPL;
  serve/: `ouroboros serve`, the embedded model as an HTTP server; eval/: `ouroboros eval`.

The service and its ops (top level):
- service.py: start-up, run, drain, shutdown; op_handle.py: the service state and the op
  handles (a leaf everything that reads ops imports); recovery.py: what a killed daemon
  left; instance.py: one daemon per state dir; phase_deps.py: what every op's phases get.
- sensor_set.py, sensor_tasks.py: the sensors built and run; suite_profile.py and
  ledger_archiver.py: the background learner and the ledger's retention; start_failures.py:
  the learner's runs handed to the test_failure sensor (failing tests found at start);
  quiet_point.py: dispatch's pauses that give retention a place to cut; heap.py: freed
  memory handed back to the system after each op.
- reviews.py: the review verbs and the prune (below control and status, which both use it);
  init_config.py: `ouroboros init`; doctor.py: what the daemon needs, checked.
- logs.py, console.py: what the human sees; errors.py: what ends a command, said plainly.
"""
