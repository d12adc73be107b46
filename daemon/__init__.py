"""The daemon: the composition root that builds and runs sensors, governance, the kernel and
Venom. Its modules, by what they are about (rooms: cli/, eval/, live/, serve/; their own
`__init__` maps them). tests/test_layering.py holds the rooms and top-level modules to
imports one way only.

The service and its ops:
- service.py: start-up, run, drain, shutdown; op_handle.py: the service state and the op
  handles (a leaf everything that reads ops imports); recovery.py: what a killed daemon
  left; instance.py: one daemon per state dir; phase_deps.py: what every op's phases get.
- sensor_set.py, sensor_tasks.py: the sensors built and run; suite_profile.py and
  ledger_archiver.py: the background learner and the ledger's retention.

Configuration: config.py assembles the sections of config_*.py (base, provider, routes,
health, state, serve, eval); locate.py finds a state dir without the heavy imports;
init_config.py writes `ouroboros init`'s file; doctor.py checks what the daemon needs.

Brains, from one place: providers.py builds the configured provider (the embedded kernel,
HTTP brains, replay); brain_start.py starts it (or the failback chain) at start-up;
brains.py gives each route its brain list; discover.py finds the brains a user has;
embedded_brain.py says what the embedded model can do; probe.py is `kernel probe`. The
chain and its failover are governance/brains/; the kernel and its HTTP brains, kernel/.

The host: host_gate.py (heavy work waits while the machine is its human's), host_health.py
(what Linux says), host_yield.py (a running op waits at its next model call or test run),
hosts.py (is a host this machine), priority.py (nice and I/O class); state_gate.py (new ops
wait while the state dir is full or read-only).

Control and status: control.py (the socket), control_request.py (its requests), verbs.py
(the verbs' table), client.py (the blocking client); status_model.py (the typed `status`),
status_view.py (built from the daemon); heartbeat.py, sd_notify.py, reviews.py,
logs.py and console.py (what the human sees); errors.py (what ends a command, said plainly).
"""
