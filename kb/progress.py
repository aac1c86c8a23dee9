"""A one-line progress bar for management commands (generate_synthetic, import_source, embed_texts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO


class Progress:
    """A one-line progress bar per phase on a stream (stderr); on a non-terminal only the final line."""

    WIDTH = 30

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self.label, self.total, self.done, self.shown = "", 0, 0, -1

    def start(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.shown = label, max(total, 1), 0, -1
        self._draw()

    def advance(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        self._draw()

    def finish(self) -> None:
        self.done = self.total
        self._draw(final=True)

    def _draw(self, final: bool = False) -> None:
        if self.stream is None:
            return
        percent = self.done * 100 // self.total
        if not final and (not self.tty or percent == self.shown):
            return
        self.shown = percent
        filled = self.WIDTH * self.done // self.total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        line = f"{self.label:<14} [{bar}] {percent:3d}% {self.done:,}/{self.total:,}"
        self.stream.write(("\r" + line + ("\n" if final else "")) if self.tty else line + "\n")
        self.stream.flush()

    def callback(self, label: str) -> Callable[[int, int], None]:
        """A ``(done, total)`` function drawing this bar under ``label``, for code that reports progress that way
        (the importer's services); the bar ends its line when ``done`` reaches ``total``."""

        def report(done: int, total: int) -> None:
            if self.label != label or self.total != max(total, 1):
                self.start(label, total)
            if done >= total:
                self.finish()
            else:
                self.done = done
                self._draw()

        return report
