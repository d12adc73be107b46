"""The built-in tools' arguments: one pydantic model per tool, unknown keys refused. The
manifest (tools.builtin) pairs each with its handler; the policy and the grammar read them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tools.sandbox_files import MAX_FILE_BYTES


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReadFile(Args):
    path: str
    start_line: int = Field(default=1, ge=1)
    max_lines: int = Field(default=400, ge=1, le=2000)


class SearchCode(Args):
    pattern: str = Field(min_length=1, max_length=200)
    path: str = "."
    regex: bool = False
    max_results: int = Field(default=50, ge=1, le=500)


class PathArg(Args):
    path: str = "."


class GlobFiles(Args):
    pattern: str = Field(min_length=1, max_length=200)


class GetCallers(Args):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    path: str = "."


class GitLog(Args):
    path: str | None = None
    max_count: int = Field(default=10, ge=1, le=100)


class GitDiff(Args):
    path: str | None = None


class GitBlame(Args):
    path: str
    start_line: int = Field(default=1, ge=1)
    end_line: int | None = Field(default=None, ge=1)


class EditFile(Args):
    path: str
    old: str = Field(min_length=1)
    new: str


class WriteFile(Args):
    path: str
    content: str = Field(max_length=MAX_FILE_BYTES)


class DeleteFile(Args):
    path: str


class Bash(Args):
    command: str = Field(min_length=1, max_length=4096)


class RunTests(Args):
    paths: list[str] = Field(default_factory=list, max_length=50)


class WebFetch(Args):
    url: str = Field(pattern=r"^https://[^\s]+$", max_length=2000)


class AskHuman(Args):
    question: str = Field(min_length=1, max_length=2000)

