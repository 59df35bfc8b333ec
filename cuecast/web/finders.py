"""plotly.js from the installed plotly wheel, as a static file: no CDN, no copy in the repository.

The wheel bundles the minified library (`plotly/package_data/plotly.min.js`). This finder offers
that one file at `vendor/plotly-<version>/plotly.min.js`, so `{% static %}` links it,
WhiteNoise serves it (and `collectstatic` copies it) like Cuecast's own files, and a new plotly
version gets a new address that no browser has cached.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, overload

import plotly  # type: ignore[import-untyped]
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage

FILE_NAME = "plotly.min.js"
PREFIX = f"vendor/plotly-{plotly.__version__}"
STATIC_PATH = f"{PREFIX}/{FILE_NAME}"  # what templates pass to {% static %}


def package_data() -> Path:
    return Path(plotly.__file__).resolve().parent / "package_data"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(package_data()))
        self.storage.prefix = PREFIX  # type: ignore[attr-defined]  # collectstatic and WhiteNoise read it

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        if (package_data() / FILE_NAME).is_file():
            return []
        return [Error(f"{FILE_NAME} is missing from the plotly package.", id="cuecast.E001")]

    @overload
    def find(self, path: str, find_all: Literal[False] = False) -> str | None: ...

    @overload
    def find(self, path: str, find_all: Literal[True]) -> list[str]: ...

    def find(self, path: str, find_all: bool = False) -> str | list[str] | None:
        found = str(package_data() / FILE_NAME) if path == STATIC_PATH else None
        if find_all:
            return [found] if found else []
        return found

    def list(self, ignore_patterns: Any) -> Any:
        yield FILE_NAME, self.storage
