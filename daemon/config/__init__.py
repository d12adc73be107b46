"""The configuration room: `ouroboros.toml` plus `OUROBOROS_*` overrides, as typed sections.

- settings.py: Settings, the one pydantic model, assembled from the sections below; where
  the file is looked for and how an override is read.
- base.py: what every section shares (unknown keys are errors, assignments validated).
- provider.py ([provider]: the kernel's knobs, [[provider.http]], list prices),
  routes.py ([routes]), health.py ([health]: when the daemon yields the machine),
  state.py ([ledger], [storage]), serve.py ([serve]), eval.py ([eval]).
- locate.py: which state dir a repository's daemon uses, found without the heavy imports
  (the CLI's light commands read only this).

`ouroboros init` writes a file (daemon/init_config.py); `doctor` checks one (daemon/doctor.py).
"""
