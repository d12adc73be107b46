"""Every sensor emits a source named in governance.schemas.Source, and the tables keyed by
source (intake priority, route, intent, commit type) name only those."""

from __future__ import annotations

import importlib

import pytest

from governance.phases import autocommit
from governance.proof import rules
from governance.routes import routing
from governance.schemas import Source
from sensors import router

SENSORS = {"sensors.todo": Source.TODO, "sensors.failure_streaks": Source.TEST_FAILURE,
           "sensors.backlog": Source.BACKLOG, "sensors.perf_regression": Source.PERF_REGRESSION,
           "sensors.opportunity": Source.OPPORTUNITY, "sensors.doc_staleness": Source.DOC_STALENESS,
           "sensors.scheduled": Source.SCHEDULED, "sensors.github_webhook": Source.GITHUB_ISSUE,
           "sensors.human": Source.HUMAN}


@pytest.mark.parametrize(("module", "source"), SENSORS.items())
def test_each_sensor_emits_its_source(module, source):
    assert importlib.import_module(module).SOURCE is source


@pytest.mark.parametrize("table", [router.BASE, rules.INTENT_BY_SOURCE, autocommit.COMMIT_TYPES,
                                   routing.IMMEDIATE_SOURCES, routing.BACKGROUND_SOURCES,
                                   routing.SPECULATIVE_SOURCES])
def test_source_tables_name_only_sources(table):
    assert all(isinstance(key, Source) for key in table)


def test_a_plain_string_finds_its_row():
    """The envelope holds a plain str (the ledger's and the WAL's text): tables still match."""
    assert router.BASE["todo_scanner"] == router.BASE[Source.TODO]
    assert rules.intent_of("test_failure") is rules.Intent.REPAIR
