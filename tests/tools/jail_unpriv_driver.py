"""Run jail attacks as whatever user this process is (the unprivileged-uid jail test runs it
as uid 65534 under the system Python) and print the results as one JSON object.

usage: python jail_unpriv_driver.py WORLD_JSON ATTACK_ID...
"""

from __future__ import annotations

import asyncio
import json
import os
import sys


async def _main(world: dict, attacks: list[str]) -> dict:
    from tests.tools.jail_attacks import run_attack
    from tools.jail import bwrap_available
    from tools.proclimit import limiter

    report: dict = {"uid": os.getuid(), "bwrap": bwrap_available(),
                    "limit": limiter(48).kind, "results": {}}
    if report["bwrap"] is None:
        for attack in attacks:
            r = await run_attack(world, attack)
            report["results"][attack] = {"exit_code": r.exit_code, "output": r.output,
                                         "timed_out": r.timed_out, "truncated": r.truncated,
                                         "duration_s": r.duration_s}
    return report


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_main(json.loads(sys.argv[1]), sys.argv[2:]))))
