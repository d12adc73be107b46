"""ExplorationLedger: did the model look before it leapt?

Exploration calls are scored by category; a repeated call (same tool, same arguments)
earns nothing, and a failed call earns score but no category coverage (so flooding
failing calls cannot fake breadth). The gate compares the result with a floor per
complexity; trivial ops bypass it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

CATEGORY_OF = {"read_file": "comprehension", "list_symbols": "comprehension",
               "search_code": "discovery", "glob_files": "discovery", "list_dir": "discovery",
               "get_callers": "call_graph", "git_log": "history", "git_diff": "history",
               "git_blame": "history"}
CREDIT = {"comprehension": 1.0, "discovery": 1.0, "call_graph": 2.0, "history": 1.5}
# complexity -> (min score, min categories, required categories)
FLOORS: dict[str, tuple[float, int, frozenset[str]]] = {
    "trivial": (0.0, 0, frozenset()),
    "simple": (4.0, 2, frozenset()),
    "moderate": (8.0, 3, frozenset()),
    "complex": (8.0, 3, frozenset()),
    "architectural": (14.0, 4, frozenset({"call_graph", "history"})),
}


@dataclass
class ExplorationLedger:
    min_calls: int = 2  # exploration calls every non-trivial op makes, besides the floors
    score: float = 0.0
    categories: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    calls: int = 0

    def record(self, tool: str, arguments: dict[str, Any], ok: bool) -> float:
        """Credit one call; return the credit it earned."""
        category = CATEGORY_OF.get(tool)
        if category is None:
            return 0.0
        key = hashlib.sha256(json.dumps([tool, arguments], sort_keys=True,
                                        default=str).encode()).hexdigest()
        if key in self.seen:
            return 0.0
        self.seen.add(key)
        self.calls += 1
        credit = CREDIT[category]
        self.score += credit
        if ok:
            self.categories.add(category)
        return credit

    def verdict(self, complexity: str) -> tuple[bool, str]:
        """(passes, feedback naming what is missing)."""
        min_score, min_cats, required = FLOORS.get(complexity, FLOORS["simple"])
        missing = []
        if complexity != "trivial" and self.calls < self.min_calls:
            missing.append(f"{self.calls} exploration call(s) < {self.min_calls}")
        if self.score < min_score:
            missing.append(f"exploration score {self.score:.1f} < {min_score:.1f}")
        if len(self.categories) < min_cats:
            missing.append(f"{len(self.categories)} categories explored < {min_cats} "
                           f"(have: {', '.join(sorted(self.categories)) or 'none'})")
        lacking = required - self.categories
        if lacking:
            missing.append(f"required categories not explored: {', '.join(sorted(lacking))}")
        if not missing:
            return True, f"score {self.score:.1f}, categories {sorted(self.categories)}"
        hint = ("explore before editing: read_file/list_symbols (comprehension), "
                "search_code/glob_files/list_dir (discovery), get_callers (call graph), "
                "git_log/git_blame (history)")
        return False, "; ".join(missing) + f". {hint}"

    def summary(self) -> dict[str, Any]:
        return {"score": self.score, "categories": sorted(self.categories), "calls": self.calls}
