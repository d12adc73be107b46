"""The embedded SmolLM2 model, the ChatML tokenizer and the plain decode loop."""

from __future__ import annotations

import asyncio

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from kernel.canary import CanaryConfig
from kernel.decode import GenerationConfig, generate, stream
from kernel.engine import Engine, EngineConfig
from kernel.errors import ModelLoadError
from kernel.plain import embedded_model_path, load_plain
from kernel.steppers import Plain
from kernel.tokenizer import ChatTokenizer

MESSAGES = [{"role": "system", "content": "You are terse."},
            {"role": "user", "content": "What is the capital of France?"}]
GREEDY = GenerationConfig(max_new_tokens=24, repetition_penalty=1.0, no_repeat_ngram=0,
                          canary=CanaryConfig(mode="observe"))


@pytest.fixture(scope="module")
def plain(smollm2_dir) -> tuple[torch.nn.Module, ChatTokenizer]:
    """The embedded model and its tokenizer, loaded once: decoding only reads them."""
    model, _ = load_plain(smollm2_dir)
    return model, ChatTokenizer.from_file(smollm2_dir / "tokenizer.json")


@pytest.mark.slow
def test_chatml_matches_the_models_own_template(smollm2_dir):
    ours = ChatTokenizer.from_file(smollm2_dir / "tokenizer.json")
    hf = AutoTokenizer.from_pretrained(str(smollm2_dir))
    want = hf.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=True,
                                  return_dict=True)["input_ids"]
    assert ours.chat(MESSAGES) == list(want)
    assert ours.decode(ours.encode("def f(x):\n    return x")) == "def f(x):\n    return x"


def test_tokenizer_with_wrong_specials_is_refused(tmp_path):
    from tokenizers import Tokenizer, models

    tok = Tokenizer(models.WordLevel({"a": 0, "<|im_start|>": 5, "<|im_end|>": 6,
                                      "<|endoftext|>": 7}, unk_token="a"))
    tok.save(str(tmp_path / "tokenizer.json"))
    with pytest.raises(ModelLoadError, match="expected 0"):
        ChatTokenizer.from_file(tmp_path / "tokenizer.json")


@pytest.mark.slow
def test_embedded_model_answers_a_short_prompt(embedded_engine):
    engine = embedded_engine(EngineConfig(generation=GREEDY))
    gen = engine.chat(MESSAGES)
    assert engine.kind == "plain" and gen.exit_reason in ("stop", "length")
    assert "Paris" in gen.text
    assert gen.canary is not None and gen.canary.max_proximity < 0.7


@pytest.mark.slow
def test_decode_loop_matches_transformers_generate(plain):
    model, tok = plain
    prompt = tok.chat(MESSAGES)
    ours = generate(Plain(model), tok, prompt, GenerationConfig(
        max_new_tokens=40, repetition_penalty=1.0, no_repeat_ngram=0, stop_ids=(2,),
        canary=CanaryConfig(mode="off")))
    with torch.inference_mode():
        ref = model.generate(torch.tensor([prompt]), max_new_tokens=40, do_sample=False,
                             eos_token_id=2, pad_token_id=0)[0, len(prompt):].tolist()
    if ref and ref[-1] == 2:
        ref = ref[:-1]  # generate() keeps the stop token; the decode loop does not
    assert len(ours.token_ids) > 3 and ours.token_ids == ref


@pytest.mark.slow
def test_stream_stop_strings_and_plain_deep_mode(plain):
    model, tok = plain
    prompt = tok.chat(MESSAGES)
    full = generate(Plain(model), tok, prompt, GREEDY)

    async def collect() -> str:
        return "".join([piece async for piece in stream(Plain(model), tok, prompt, GREEDY)])

    assert asyncio.run(collect()) == full.text
    word = full.text.split()[1]
    cut = generate(Plain(model), tok, prompt, GenerationConfig(
        max_new_tokens=24, repetition_penalty=1.0, no_repeat_ngram=0, stop_strings=(word,)))
    assert cut.exit_reason == "stop_string" and word not in cut.text
    with pytest.raises(ModelLoadError, match="deep mode needs an Ouro"):
        Engine(model, tok, "plain", "smol", EngineConfig(mode="deep"))


@pytest.mark.slow
def test_reprompt_loop_reports_loops_and_confidence(embedded_engine):
    engine = embedded_engine(EngineConfig(reprompt_loops=4, generation=GREEDY))
    answer = engine.looped_chat(MESSAGES)
    assert answer is not None and 1 <= answer.loops <= 4
    assert answer.exit_reason in ("threshold_met", "converged", "max_loops")
    assert len(answer.history) == answer.loops and 0 < answer.confidence <= 1


@pytest.mark.slow
def test_plain_model_loads_via_automodel_too(smollm2_dir):
    model = AutoModelForCausalLM.from_pretrained(str(smollm2_dir), local_files_only=True)
    assert model.config.vocab_size == 49152


def test_the_libraries_bars_are_switched_off_where_the_loaders_draw_them(capfd):
    """CI's share of the test below (19 s of a 2-core suite: it dequantizes the whole
    embedded model): transformers' switch is off and its GGUF reader's own tqdm is the
    switched one, so a bar drawn through either writes nothing."""
    from transformers import modeling_gguf_pytorch_utils as gguf_utils
    from transformers.utils import logging as hf_logging

    from kernel.plain import no_library_bars

    no_library_bars()
    assert not hf_logging.is_progress_bar_enabled()
    for step in gguf_utils.tqdm(range(3), desc="de-quantizing"):
        assert step < 3
    for step in hf_logging.tqdm(range(3), desc="Loading weights"):
        assert step < 3
    out, err = capfd.readouterr()
    assert "de-quantizing" not in err + out and "Loading weights" not in err + out


@pytest.mark.slow
@pytest.mark.full  # the whole first load; the switch itself is checked above in every run
def test_loading_draws_no_library_progress_bars_into_the_log_stream(tmp_path, capfd):
    """stderr is the daemon's log stream: the first load dequantizes the GGUF (transformers'
    GGUF reader draws a tqdm bar of its own) and loads the weights (transformers' bar);
    neither reaches stderr, nor stdout."""
    model, model_dir = load_plain(embedded_model_path(), tmp_path / "cache")  # dequantizes
    assert (model_dir / "model.safetensors").is_file() and model is not None
    load_plain(model_dir)  # the plain transformers path, from the cache
    out, err = capfd.readouterr()
    for bar in ("de-quantizing", "Loading weights", "it/s]", "%|"):
        assert bar not in err and bar not in out, err[-400:]
