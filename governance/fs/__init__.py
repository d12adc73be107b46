"""The file system room: every path check and every file access the pipeline makes.

- protected.py: the path rules (no `..`, no look-alikes, no `~`/`-` components) and the
  table of protected names; `live_path_problem` looks at the disk.
- nofollow.py: resolving and reading beneath a root, one component at a time, never
  through a symlink.
- nofollow_write.py: atomic writes, removals and scratch-tree deletes built on nofollow.
- atomic.py: atomic writes of the daemon's own files (snapshots, manifests).
- rollback.py: APPLY's rollback snapshots on disk, and restoring them.
"""
