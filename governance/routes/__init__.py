"""The routes room: which route an op takes, and how long its model steps may take.

- routing.py: ROUTE's table from (source, urgency, file count) to a route, and each
  route's contract (its brains, its step bounds).
- throughput.py: how fast each brain is (prefill and decode), measured from its calls.
- deadlines.py: a model step's deadline, sized to the brain within the route's bounds.

Policy (governance.policy) holds the route table and the work shape; the brains room and
the phases read them.
"""
