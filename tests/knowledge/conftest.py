from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from medaudit.settings import get_settings


@pytest.fixture
def reference_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Clear the cached settings so MEDAUDIT_REFERENCE_DATA set by a test takes effect, and after."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def empty_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference_env: None) -> Path:
    ref = tmp_path / "empty-ref"
    ref.mkdir()
    monkeypatch.setenv("MEDAUDIT_REFERENCE_DATA", str(ref))
    get_settings.cache_clear()
    return ref


def write_pack(folder: Path, *, name: str, layer: str, files: dict[str, str], version: str = "1",
               extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.yaml").write_text(
        f"name: {name}\nversion: '{version}'\nregion: '440000'\nlayer: {layer}\n{extra}", encoding="utf-8")
    for fname, text in files.items():
        (folder / fname).write_text(text, encoding="utf-8")
    return folder
