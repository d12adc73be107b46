"""One table of control verbs: the socket, the CLI and the REPL all follow it."""

from __future__ import annotations

import json

import pytest

from daemon.cli.commands import build_parser
from daemon.cli.repl import HELP
from daemon.control.request import Request, parse_request
from daemon.control.verbs import BY_NAME, FIELDS, VERBS, Text


@pytest.mark.parametrize("spec", VERBS, ids=[v.name for v in VERBS])
def test_the_cli_takes_each_verb_as_the_table_says(spec):
    named = spec.needs_op or spec.optional_op
    argv = [spec.name, *(["abc123"] if named else []),
            *(["because"] if spec.text is not Text.NONE else []),
            *(w for f in spec.fields if FIELDS[f].required for w in (FIELDS[f].flag, "x.py"))]
    args = build_parser().parse_args(argv)
    assert args.verb == spec.name
    assert getattr(args, "op", None) == ("abc123" if named else None)
    if spec.text is not Text.NONE:
        assert args.reason == "because"
    if spec.needs_op:
        with pytest.raises(SystemExit):
            build_parser().parse_args([spec.name])
    if spec.optional_op:
        assert build_parser().parse_args([spec.name]).op is None
    if spec.text is Text.ANSWER:
        with pytest.raises(SystemExit):
            build_parser().parse_args([spec.name, "abc123"])


@pytest.mark.parametrize("spec", VERBS, ids=[v.name for v in VERBS])
def test_the_socket_takes_each_verb_and_its_op_rule(spec):
    line = json.dumps({"cmd": spec.name, **({"op": "abc123"} if spec.needs_op else {}),
                       **{f: ["x.py"] if FIELDS[f].repeat else "x" for f in spec.fields
                          if FIELDS[f].required}})
    assert isinstance(parse_request(line.encode()), Request)
    if spec.needs_op:
        refused = parse_request(json.dumps({"cmd": spec.name}).encode())
        assert refused["ok"] is False and "needs an op id" in refused["error"]
    if spec.optional_op:
        assert isinstance(parse_request(json.dumps({"cmd": spec.name}).encode()), Request)
    assert spec.usage in HELP


def test_review_takes_an_optional_op_and_nothing_waits_for_approval_any_more(capsys):
    assert BY_NAME["review"].usage == "review [op]"
    assert BY_NAME["accept"].usage == "accept <op> [reason] [--tests]"
    assert BY_NAME["reject"].usage == "reject <op> [reason]"
    assert "approve" not in BY_NAME and "approve" not in HELP
    with pytest.raises(SystemExit):
        build_parser().parse_args(["approve", "abc123"])
    refused = parse_request(b'{"cmd": "approve", "op": "abc123"}\n')
    assert refused["ok"] is False and "unknown verb" in refused["error"]
    capsys.readouterr()
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    helped = capsys.readouterr().out
    assert "review" in helped and "accept" in helped and "approve" not in helped


@pytest.mark.parametrize("cmd", ["shutdown", "STATUS", "status ", "", "x" * 40])
def test_the_socket_refuses_a_verb_that_is_not_in_the_table(cmd):
    refused = parse_request(json.dumps({"cmd": cmd}).encode())
    assert refused["ok"] is False and "cmd" in refused["error"]
    assert cmd not in BY_NAME
