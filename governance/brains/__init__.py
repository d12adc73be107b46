"""The brains room: how governance reaches a model, and what it asks of one.

- provider.py: the CandidateProvider protocol, the only way governance reaches a model.
- provider_chain.py: an ordered chain of providers behind that one face.
- failback.py: the chain's failback state machine (which provider, when to try again).
- model_gate.py: one op's generation at a time on the model, first come first served.
- reflex.py: the re-ground reflex's rules over a reply's collapse proximity.
- prompts.py: the model-facing prompts and the output contract the parser enforces.
- files_shown.py: the repository's files as a prompt shows them (nofollow, never protected).
- failure_shown.py, reached_code.py: how a failing test fails, and the code it reached.
- called_code.py: what a failing test's own call ran, for a failure asserted in the test.
- reply_opening.py: the opening a candidate's reply is begun with (a prefill).
- window.py: how much of a brain's context window a step's prompt may take.
- outage.py: a brain outage is a wait, not the work's failure.
- brain_names.py: who a provider asks first and its model's family (the forms it is told).
- approval.py: answers to the questions a model asks with ask_human.
"""
