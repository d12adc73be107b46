"""The tests' own calls compared between the base's and the candidate's traced runs (step 2 of
the differential check, governance.proof.differential_check): each call's entry and answer
digests as the call probe recorded them (governance.oracle.call_probe), the k-th call with
the same arguments in the same test being the same call in both runs.
"""

from __future__ import annotations

from governance.oracle.differential import Counterexample


def trace_of(run: object, index: int, by_test: bool = True) \
        -> dict[tuple[str, str, int], str] | None:
    """One function's trace from a capture run's result (governance.oracle.call_probe):
    (test, entry digest, occurrence) -> answer digest; None when the run recorded none.
    The k-th call with the same arguments in the same test is the same call in both runs,
    whatever else either run called in between; without `by_test` (the runs' test ids
    differ: made from a set's order, a time), the k-th in the whole session."""
    functions = run.get("functions") if isinstance(run, dict) else None
    tests = run.get("tests") if isinstance(run, dict) else None
    if not isinstance(functions, list) or index >= len(functions) \
            or not isinstance(tests, list) or not isinstance(functions[index], dict):
        return None
    trace = functions[index].get("trace")
    rows = trace.get("records") if isinstance(trace, dict) else None
    if not isinstance(rows, list):
        return None
    out: dict[tuple[str, str, int], str] = {}
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        if not (isinstance(row, list) and len(row) == 3 and isinstance(row[0], int)
                and all(isinstance(x, str) for x in row[1:])):
            continue
        test = str(tests[row[0]]) if by_test and 0 <= row[0] < len(tests) else ""
        k = seen[(test, row[1])] = seen.get((test, row[1]), -1) + 1
        out[(test, row[1], k)] = row[2]
    return out


def trace_texts(run: object, index: int) -> dict[str, str]:
    try:
        texts = run["functions"][index]["trace"]["texts"]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        return {}
    return {str(k): str(v) for k, v in texts.items()} if isinstance(texts, dict) else {}


def compare_traces(name: str, base: dict, cand: dict, texts: dict[str, str],
                   again: dict | None = None) -> tuple[int, list[Counterexample]]:
    """(calls both runs reached alike, counterexamples): a call whose answer differs, unless
    a second base run (`again`) answered it otherwise too (time, randomness: no evidence)."""
    found = []
    same = [key for key in base if key in cand]
    for key in same:
        if base[key] == cand[key] or (again is not None and again.get(key) != base[key]):
            continue
        test, entry, _ = key
        shown = (texts.get(base[key], "?"), texts.get(cand[key], "?"))
        if shown[0] == shown[1]:
            shown = (f"{shown[0]}, arguments left one way",
                     f"{shown[1]}, arguments left another way")
        where = f" as {test} calls it" if test else " as the tests call it"
        found.append(Counterexample(name, texts.get(entry, "?"), *shown, context=where))
    return len(same), found


def same_tests(*runs: object) -> bool:
    """Whether capture runs ran the same test ids (their traces align test by test)."""
    ids = [sorted(map(str, r["tests"])) if isinstance(r, dict)
           and isinstance(r.get("tests"), list) else None for r in runs]
    return all(i is not None and i == ids[0] for i in ids)
