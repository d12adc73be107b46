"""The brains room: how governance reaches a model, and what it asks of one.

- provider.py: the CandidateProvider protocol, the only way governance reaches a model.
- provider_chain.py: an ordered chain of providers behind that one face.
- failback.py: the chain's failback state machine (which provider, when to try again).
- model_gate.py: one op's generation at a time on the model, first come first served.
- reflex.py: the re-ground reflex's rules over a reply's collapse proximity.
- prompts.py: the model-facing prompts and the output contract the parser enforces.
- approval.py: answers to the questions a model asks with ask_human.
"""
