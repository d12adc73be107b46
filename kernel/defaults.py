"""The in-process kernel's defaults, in one place: the kernel's config dataclasses
(GenerationConfig, CanaryConfig, EngineConfig) and the daemon's `[provider]` settings
(daemon/config/settings.py) both read them. Torch-free, so the CLI can import it.
"""

from __future__ import annotations

# Decoding (kernel.decode.GenerationConfig)
MAX_NEW_TOKENS = 1024
TEMPERATURE = 0.0  # greedy
TOP_P = 1.0
REPETITION_PENALTY = 1.3  # the seeds' (Ouro's loop, the embedded 135M model: both loop)
NO_REPEAT_NGRAM = 3
# A coder model's own (a .gguf: Qwen2.5-Coder), where `[provider]` leaves them unset: an edit's
# search text is a verbatim copy of the file, and a copy repeats n-grams. Under 1.3 and 3
# Qwen2.5-Coder-1.5B wrote `returncls(self._ major, self _ minor + 2)` and `>>>.ver` for the
# lines it was shown, and its replies were not JSON; under 1.0 and 0, on the same prompts
# (stop 60, docs/brains.md), every copy was exact and every reply parsed.
CODER_REPETITION_PENALTY = 1.0
CODER_NO_REPEAT_NGRAM = 0
# The daemon's brain ends a reply whose last 3 lines are one line as a collapse (kernel.decode):
# with no penalty the same model wrote one tool call 24 times in 978 tokens, each line as
# confident as the first, and the canary, its baseline used to a JSON line's own echo, stayed
# below its threshold. `serve` leaves it off: a client asked for what it asked for.
LOOP_LINES = 3
# Best-of-N samples (kernel.provider.KernelProvider.complete_samples) under a greedy
# configuration: N greedy samples would be one reply N times.
SAMPLE_TEMPERATURE = 0.8
SAMPLE_TOP_P = 0.95

# The decode canary (kernel.canary.CanaryConfig)
CANARY_MODE = "observe"  # off | observe | adapt
CANARY_THRESHOLD = 0.7
CANARY_PATIENCE = 8

# The engine (kernel.engine.EngineConfig)
MODE = "fast"  # fast | deep (deep needs an Ouro model)
EXIT_POLICY = "qexit"
Q = 0.5
EPS = 0.05
PATIENCE = 1
REPROMPT_LOOPS = 4  # plain models: the looped re-prompt approximation (1 = a single pass)

# What the in-process kernel charges per million tokens, prompt and reply
# (kernel.provider.KernelProvider; the daemon's provider.usd_per_mtok).
USD_PER_MTOK = 0.10

# An HTTP brain's context window, in tokens: what a config entry may set and what a
# server's answer is believed (kernel.http.apis)
MIN_WINDOW = 512
MAX_WINDOW = 10_000_000
