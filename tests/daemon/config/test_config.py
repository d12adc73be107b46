from __future__ import annotations

import pytest

from daemon.config.settings import ConfigError, load_settings


def test_defaults_are_the_design_numbers(tmp_path):
    s = load_settings(tmp_path, environ={})
    assert s.tools.max_rounds == 5
    assert (s.governance.l2_max_iters, s.governance.l2_timebox_s) == (5, 120.0)
    assert s.governance.notify_apply_delay_s == 5.0
    assert (s.proof.full_suite_budget_s, s.proof.review_branch_prefix) == (30.0, "ouroboros/")
    assert not s.proof.autocommit_new_behaviour and s.proof.max_new_files == 2
    assert s.intake.coalesce_window_s == 30.0
    assert s.intake.file_lock_ttl_s == 300.0
    assert s.intake.queue_capacity == 16
    assert s.governance.max_validate_retries == 2
    assert s.tools.output_cap_bytes == 4096
    assert s.state_path(tmp_path) == tmp_path / ".ouroboros"


def test_file_then_environment(tmp_path):
    (tmp_path / "ouroboros.toml").write_text('[governance]\nnotify_apply_delay_s = 1.5\n'
                                             '[provider]\nname = "replay"\n')
    s = load_settings(tmp_path, environ={"OUROBOROS_GOVERNANCE__NOTIFY_APPLY_DELAY_S": "9",
                                         "OUROBOROS_GOVERNANCE__APPROVAL_GLOBS": '["a/*"]',
                                         "OUROBOROS_UNRELATED": "x"})
    assert s.governance.notify_apply_delay_s == 9.0
    assert s.governance.approval_globs == ["a/*"]
    assert s.provider.name == "replay"


@pytest.mark.parametrize("toml,env,expected", [
    ("[governance]\nnotify_apply_delay_s = \"soon\"\n", {},
     "governance.notify_apply_delay_s = 'soon': Input should be a valid number"),
    ("[daemon]\nworkers = 0\n", {}, "daemon.workers = 0: Input should be greater than"),
    ("[daemon]\nwrokers = 2\n", {}, "daemon.wrokers: unknown key (value 2)"),
    ("[provider]\nname = \"gpt\"\n", {}, "provider.name = 'gpt': Input should be"),
    ("[governance\n", {}, "invalid TOML"),
    ("", {"OUROBOROS_TOOLS__MAX_ROUNDS": "many"}, "tools.max_rounds = 'many'"),
    ("", {"OUROBOROS_COMMIT__AUTHOR_EMAIL": "not an email"}, "commit.author_email"),
    ("governance = 3\n", {}, "governance = 3"),
    ("[provider]\ncontext_tokens = 100\n", {}, "provider.context_tokens = 100: Input should "
     "be greater than or equal to 512"),
    ("[governance]\nreground_spook = 0.5\n[provider]\ncanary_threshold = 0.4\n", {},
     "governance.reground_spook (0.5) must be below provider.canary_threshold (0.4)"),
])
def test_malformed_config_names_key_value_and_expectation(tmp_path, toml, env, expected):
    (tmp_path / "ouroboros.toml").write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path, environ=env)
    assert expected in str(err.value)


def test_non_utf8_and_missing_explicit_file(tmp_path):
    (tmp_path / "ouroboros.toml").write_bytes(b"[daemon]\nlog_level = \"\xff\"\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(tmp_path, environ={})
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path, tmp_path / "nope.toml", environ={})


def test_the_configuration_doc_sample_is_valid_and_shows_the_defaults(tmp_path):
    """docs/configuration.md holds one ```toml block: every key at its default."""
    import re
    from pathlib import Path

    doc = (Path(__file__).parents[3] / "docs" / "configuration.md").read_text()
    [block] = re.findall(r"```toml\n(.*?)```", doc, re.DOTALL)
    (tmp_path / "ouroboros.toml").write_text(block)
    from_doc = load_settings(tmp_path, environ={})
    defaults = load_settings(tmp_path / "nowhere", environ={})
    # Empty strings in the sample stand for "unset".
    for key in ("replay_script", "model", "lora", "cache_dir"):
        assert getattr(from_doc.provider, key) in ("", None)
        setattr(from_doc.provider, key, None)
    assert from_doc == defaults


@pytest.mark.slow
async def test_jail_limits_come_from_the_settings(repo):
    """One source of truth: [tools] reaches the executor the daemon's test runs use."""
    from daemon.phase_deps import deps_for
    from tests.helpers import running_daemon, settings_for

    settings = settings_for(None, tools={"max_procs": 32, "file_mb": 8, "cpu_s": 7})
    async with running_daemon(repo, settings) as daemon:
        limits = deps_for(daemon).validate_runner.executor.limits
    assert (limits.max_procs, limits.file_bytes, limits.cpu_s) == (32, 8 << 20, 7)


def test_repetition_penalties_unset_are_the_models_own(tmp_path):
    """A .gguf coder model decodes without the seeds' repetition penalty and n-gram ban (an
    edit's search text is a verbatim copy, which repeats n-grams: under 1.3 and 3 the 1.5B
    model mangled every copy); the embedded and other models keep the seeds' 1.3 and 3;
    a value set is the value used."""
    from daemon.brains.providers import engine_config
    from daemon.config.provider import ProviderSection

    def gen(**section):
        return engine_config(ProviderSection(**section), tmp_path).generation

    embedded, coder = gen(), gen(model="/m/qwen2.5-coder-1.5b-q4_k_m.GGUF")
    assert (embedded.repetition_penalty, embedded.no_repeat_ngram) == (1.3, 3)
    assert (gen(model="/m/ouro").repetition_penalty, gen(model="/m/ouro").no_repeat_ngram) \
        == (1.3, 3)
    assert (coder.repetition_penalty, coder.no_repeat_ngram) == (1.0, 0)
    set_ = gen(model="/m/q.gguf", repetition_penalty=1.1, no_repeat_ngram=4)
    assert (set_.repetition_penalty, set_.no_repeat_ngram) == (1.1, 4)
    with pytest.raises(ValueError):
        ProviderSection(repetition_penalty=0.5)
