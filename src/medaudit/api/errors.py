"""Errors the API answers with: always 4xx with a precise Chinese and English message for bad input."""

from __future__ import annotations


class ApiError(Exception):
    """An error answered with ``status``; ``zh``/``en`` say exactly what is wrong and where."""

    def __init__(self, status: int, code: str, zh: str, en: str, path: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{zh} / {en}")
        self.status = status
        self.code = code
        self.zh = zh
        self.en = en
        self.path = path
        self.headers = headers

    @property
    def message(self) -> str:
        where = f"（{self.path}）" if self.path else ""
        where_en = f" (at {self.path})" if self.path else ""
        return f"{self.zh}{where} / {self.en}{where_en}"


def bad(path: str, zh: str, en: str) -> ApiError:
    return ApiError(400, "bad_request", zh, en, path)
