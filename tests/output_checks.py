"""Checks of written files shared by the chart, report and demo tests."""

from __future__ import annotations

import csv
import struct
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
from matplotlib import image


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.links += [value for name, value in attrs if name in ("href", "src")]


def html_links(path: Path) -> list[str]:
    """Every href and src in an HTML file, in order."""
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.links


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def assert_not_blank(path: Path) -> None:
    pixels = image.imread(path)
    assert pixels.ndim == 3 and float(np.var(pixels[..., :3])) > 0.001, f"{path} is blank"
    colours = {tuple(p) for p in (pixels[::7, ::7, :3] * 255).astype(int).reshape(-1, 3)}
    assert len(colours) > 10, f"{path} has almost no colours"
