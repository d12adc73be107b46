"""The phases room: the pipeline that carries an op through its phases to one terminal.

The runner and its tables:
- orchestrator.py: the loop: run a phase, check the transition, write the ledger row.
- fsm.py: the phase transition table, as data; state_table.py: the checks every state
  table passes at import (the phase table's and L2's).
- pipeline.py: which phase function runs in which phase.
- deps.py: PhaseDeps, what every phase function receives.

The phase functions:
- decide.py: CLASSIFY, ROUTE, CONTEXT_EXPANSION.
- plan.py: PLAN.
- generate.py: GENERATE, GENERATE_RETRY.
- review.py: GENERATE for an accept op (the accepted review branch is the candidate).
- validate.py: VALIDATE, VALIDATE_RETRY.
- repair.py: L2_REPAIR; l2.py its state table, l2_repair.py its engine.
- land.py: GATE, APPROVE, APPLY.
- verify.py: VERIFY on the live tree; a failure the human's concurrent work causes is not the op's.
- samples.py: best of N, the samples of one attempt judged in turn.
- repeats.py: a candidate the op refused, given again: refused at once, the next attempt
  asked otherwise, and a brain that keeps repeating itself ends the op.
- propose.py: APPROVE's other way out, the review branch (PROPOSED).
- missing_test_step.py: after PROPOSED, the missing test asked of the brain, one bounded
  model step per cause, checked by the proof room (governance.proof.missing_test_runs).

What the phases read of an op (PhaseDeps) to reach the other rooms:
- route_brains.py: the route's view of the brains, and each model step's deadline.
- autocommit.py: COMPLETE's auto-commit (message, trailers, signing).
"""
