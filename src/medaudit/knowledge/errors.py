"""Knowledge-pack problems, reported all at once with their exact location."""

from __future__ import annotations

from dataclasses import dataclass

from medaudit.errors import MedauditError


@dataclass(frozen=True)
class Problem:
    """One bad entry. ``line`` is the 1-based physical line of the CSV record (header = 1)."""

    file: str
    line: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.column:
            where += f" ({self.column})"
        return f"{where}: {self.reason}"


class KnowledgeError(MedauditError):
    """A pack or code table is invalid; ``problems`` lists every bad entry, not just the first."""

    def __init__(self, problems: list[Problem], title: str = "知识库校验失败 / knowledge validation failed") -> None:
        self.problems = list(problems)
        shown = self.problems[:50]
        more = len(self.problems) - len(shown)
        lines = [f"{title}: {len(self.problems)} 个问题 / problems"] + [f"  - {p}" for p in shown]
        if more:
            lines.append(f"  … 另有 {more} 个问题 / {more} more")
        super().__init__("\n".join(lines))
