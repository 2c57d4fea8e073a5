"""A dependency-free progress bar that management commands draw in place on stderr."""

from types import TracebackType

from django.core.management.base import OutputWrapper


def plain(text: str) -> str:
    """Return `text` unstyled (OutputWrapper paints stderr red on a terminal otherwise)."""
    return text


class ProgressBar:
    """Draw `[#####     ] 12,000/100,000` in place; pass it as a `progress(done, total)` hook.

    A total of 0 means "unknown" and draws only the count. Use it as a context manager so the
    line is ended when the work is done (or fails).
    """

    def __init__(self, stream: OutputWrapper, *, enabled: bool = True, width: int = 30) -> None:
        self.stream = stream
        self.enabled = enabled
        self.width = width
        self._last = ""

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if total > 0:
            filled = self.width * min(done, total) // total
            line = f"\r[{'#' * filled}{' ' * (self.width - filled)}] {done:,}/{total:,}"
        else:
            line = f"\r{done:,}"
        if line != self._last:
            self.stream.write(line, style_func=plain, ending="")
            self.stream.flush()
            self._last = line

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._last:
            self.stream.write("", style_func=plain)  # end the line
            self._last = ""
