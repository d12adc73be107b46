"""LiteLLM's proxy (`litellm --config`, PyPI `litellm[proxy]`) in front of llama.cpp's server
(tests/llamacpp_server.py): a real third-party gateway that speaks both the OpenAI and the
Anthropic format (`/v1/chat/completions`, `/v1/messages`) to one OpenAI-compatible backend.

LiteLLM's dependencies would pin much of the project's environment, so it is never installed
into it: LITELLM_BIN names a `litellm` executable from a virtual environment of its own
(`python -m venv /tmp/litellm && /tmp/litellm/bin/pip install 'litellm[proxy]'`), else one
on PATH is used, else the tests that need it are skipped with that reason.

What it does with its backend down, as measured (litellm 1.108): the first request answers
500 ("Connection error"), the next ones 429 ("All deployments for selected model are in
cooldown", for 5 s), and `/v1/models` keeps answering 200, listing the model: a client's
health check passes while nothing behind the gateway can answer.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.llamacpp_server import ALIAS, LlamaServer
from tests.server_process import ServerProcess

KEY_ENV = "OB_LITELLM_KEY"  # the variable the daemon's entry names (api_key_env)


def executable() -> str | None:
    return os.environ.get("LITELLM_BIN") or shutil.which("litellm")


def missing() -> str | None:
    """Why LiteLLM's proxy cannot run here (None: it can)."""
    if executable() is None:
        return ("LiteLLM's proxy is not installed: set LITELLM_BIN to the `litellm` of a "
                "separate venv with `litellm[proxy]` (never in the project's)")
    return None


class LiteLLMProxy(ServerProcess):
    """One `litellm --config` on `port` routing model ALIAS to `backend`, with a master key
    (the proxy refuses to start without one); its output appended to `log`."""

    name = "LiteLLM's proxy"

    def __init__(self, backend: LlamaServer, port: int, log: Path, key: str):
        super().__init__(port, log, ALIAS)
        self.backend, self.key = backend, key

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180.0) -> float:
        """Start the proxy and wait until it lists the model; seconds that took."""
        exe = executable()
        assert exe is not None, missing()
        config = self.log.with_suffix(".yaml")
        config.write_text(
            "model_list:\n"
            f"  - model_name: {ALIAS}\n"
            "    litellm_params:\n"
            f"      model: openai/{ALIAS}\n"
            f"      api_base: {self.backend.base_url}\n"
            "      api_key: none\n")
        env = {**os.environ, "LITELLM_MASTER_KEY": self.key,
               "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no fetch from GitHub at start
               # /v1/messages through the backend's chat completions, not the Responses
               # API that llama.cpp's server does not have (404)
               "LITELLM_USE_CHAT_COMPLETIONS_URL_FOR_ANTHROPIC_MESSAGES": "true"}
        return self.launch([exe, "--config", str(config), "--host", "127.0.0.1", "--port",
                            str(self.port)], timeout, env)

    def models_url(self) -> str:
        return f"{self.base_url}/v1/models"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}
