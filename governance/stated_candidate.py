"""candidate.1 as a model may state it: Candidate's shapes (governance.schemas), and for
a file, exact search/replace edits in place of its whole content. governance.candidate_edits
turns a reply in this shape into the whole-file Candidate everything after GENERATE judges;
nothing downstream ever sees an edit.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_EDITS = 64  # per file


class Edit(BaseModel):
    """One exact replacement: `search` occurs once in the file, `replace` takes its place."""

    model_config = ConfigDict(extra="forbid")

    search: str = Field(min_length=1)
    replace: str


class StatedFile(BaseModel):
    """One file of a reply: whole content, edits, or a deletion."""

    model_config = ConfigDict(extra="forbid")

    file_path: str = Field(min_length=1)
    full_content: str | None = None
    edits: list[Edit] | None = Field(default=None, min_length=1, max_length=MAX_EDITS)
    action: Literal["write", "delete"] = "write"
    rationale: str = ""

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
    file_path: str | None = None
    full_content: str | None = None
    edits: list[Edit] | None = Field(default=None, min_length=1, max_length=MAX_EDITS)
    files: list[StatedFile] | None = None
    no_op: bool = False
    rationale: str = ""

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
