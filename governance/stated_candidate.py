"""candidate.1 as a model may state it: Candidate's shapes (governance.schemas), and for
a file, exact search/replace edits in place of its whole content. governance.candidate_edits
turns a reply in this shape into the whole-file Candidate everything after GENERATE judges;
nothing downstream ever sees an edit.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

MAX_EDITS = 64  # per file
# The names small models give the fields beside the contract's own (each first): Qwen2.5-
# Coder-1.5B answered sqlparse's b72a8ff42f53 with a `file` key (issue 50, stop 72). Read
# as the same structure, judged by the same rules; any other key is still refused.
_PATH = AliasChoices("file_path", "file", "path", "filename")
_CONTENT = AliasChoices("full_content", "content")
_SEARCH = AliasChoices("search", "old", "find", "original")
_REPLACE = AliasChoices("replace", "new", "replacement", "updated")


def _one_edit(data: object) -> object:
    """A file's single edit written flat beside its path (`{"file": P, "search": S,
    "replace": R}`) as the contract's one-edit list."""
    if not isinstance(data, dict) or "edits" in data:
        return data
    search = next((k for k in _SEARCH.choices if k in data), None)
    replace = next((k for k in _REPLACE.choices if k in data), None)
    if search is None or replace is None:
        return data
    flat = {k: v for k, v in data.items() if k not in (search, replace)}
    return {**flat, "edits": [{"search": data[search], "replace": data[replace]}]}


class Edit(BaseModel):
    """One exact replacement: `search` occurs once in the file, `replace` takes its place."""

    model_config = ConfigDict(extra="forbid")

    search: str = Field(min_length=1, validation_alias=_SEARCH)
    replace: str = Field(validation_alias=_REPLACE)


class StatedFile(BaseModel):
    """One file of a reply: whole content, edits, or a deletion."""

    model_config = ConfigDict(extra="forbid")

    file_path: str = Field(min_length=1, validation_alias=_PATH)
    full_content: str | None = Field(default=None, validation_alias=_CONTENT)
    edits: list[Edit] | None = Field(default=None, min_length=1, max_length=MAX_EDITS)
    action: Literal["write", "delete"] = "write"
    rationale: str = ""

    _flat = model_validator(mode="before")(_one_edit)

    @model_validator(mode="after")
    def _one_form(self) -> StatedFile:
        forms = (self.full_content is not None) + (self.edits is not None)
        if self.action == "delete" and forms:
            raise ValueError(f"{self.file_path}: action 'delete' takes no content or edits")
        if self.action == "write" and forms != 1:
            raise ValueError(f"{self.file_path}: give exactly one of full_content, edits")
        return self


class StatedCandidate(BaseModel):
    """candidate.1 as a model may state it: Candidate's shapes, and edits for a file."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal["candidate.1"] = Field(default="candidate.1", alias="schema")
    file_path: str | None = Field(default=None, validation_alias=_PATH)
    full_content: str | None = Field(default=None, validation_alias=_CONTENT)
    edits: list[Edit] | None = Field(default=None, min_length=1, max_length=MAX_EDITS)
    files: list[StatedFile] | None = None
    no_op: bool = False
    rationale: str = ""

    _flat = model_validator(mode="before")(_one_edit)

    @model_validator(mode="after")
    def _one_shape(self) -> StatedCandidate:
        single, multi = self.file_path is not None, self.files is not None
        if single + multi + self.no_op != 1:
            raise ValueError("a candidate is exactly one of: file_path with full_content or "
                             "edits, files, no_op")
        if single and (self.full_content is None) == (self.edits is None):
            raise ValueError("a single-file candidate needs exactly one of full_content, edits")
        if not single and (self.full_content is not None or self.edits is not None):
            raise ValueError("full_content and edits belong to a file_path")
        if multi and not self.files:
            raise ValueError("'files' must list at least one file")
        return self

    def stated_files(self) -> list[StatedFile]:
        if self.files is not None:
            return list(self.files)
        if self.file_path is None:
            return []
        return [StatedFile(file_path=self.file_path, full_content=self.full_content,
                           edits=self.edits, rationale=self.rationale)]
