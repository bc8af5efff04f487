"""Plotly figure -> PNG bytes, with kaleido 1.x driving the system Chromium (Debian `chromium`).

Starting Chromium and loading plotly.js into a tab costs seconds; one image then costs a few
tenths. So a `Renderer` starts the browser once (in the background, while the caller builds
its slides) and renders every chart of a deck through it, several tabs at a time.

Nothing comes from the internet: MathJax is off and plotly.js is the copy shipped with the
plotly package (kaleido's default when plotly is installed).

Kaleido is asynchronous; a Renderer runs its own event loop in a daemon thread, so it works the
same from a script, the CLI, pytest or a Streamlit script thread (which has no loop of its own).
"""
from __future__ import annotations

import asyncio
import os
import shutil
import threading
from concurrent.futures import Future
from pathlib import Path

CHROMIUM_ENV = "INDICATORS_CHROMIUM"   # an explicit browser path (tests point it at nothing)
CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_FALLBACK = "/usr/bin/chromium"
START_TIMEOUT_S = 60
RENDER_TIMEOUT_S = 60
# One tab: each extra tab costs another load of plotly.js (2–3 s on a 2-core machine), more than
# rendering a deck's charts in parallel saves there.
DEFAULT_TABS = 1
# kaleido reloads its page (and so re-runs plotly.js) after every image; measured here that is
# 0.35 s of the 0.6 s an image takes. plotly.js's toImage draws each figure in its own hidden
# div and purges it, so a reload between images is not needed for correctness; the page is
# still reloaded every RELOAD_EVERY images so a long run cannot accumulate state.
RELOAD_EVERY = 25


class RenderError(RuntimeError):
    """An image could not be made; the message is one Vietnamese sentence for a person."""


class ChromiumMissing(RenderError):
    """No Chromium to draw with: exports say so and name the Debian package."""

    def __init__(self, looked_at: str | None = None):
        where = f" (đã tìm: {looked_at})" if looked_at else ""
        super().__init__(
            "Không tìm thấy trình duyệt Chromium để xuất ảnh biểu đồ" + where +
            "; hãy cài gói Debian `chromium` (apt-get install chromium).")


def find_chromium(path: str | os.PathLike | None = None) -> str:
    """The Chromium executable: `path`, else $INDICATORS_CHROMIUM, else `chromium` on PATH,
    else /usr/bin/chromium. An explicit path (argument or variable) is not second-guessed:
    if it is not an executable file, ChromiumMissing is raised naming it."""
    explicit = path or os.environ.get(CHROMIUM_ENV)
    if explicit:
        p = Path(explicit)
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
        raise ChromiumMissing(str(p))
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    if os.access(CHROMIUM_FALLBACK, os.X_OK):
        return CHROMIUM_FALLBACK
    raise ChromiumMissing()


def chromium_available(path: str | os.PathLike | None = None) -> bool:
    """True when exports can draw images (for a page to enable or explain its buttons)."""
    try:
        find_chromium(path)
    except ChromiumMissing:
        return False
    return True


def _kaleido_class():
    """kaleido.Kaleido, reloading its tab only every RELOAD_EVERY images (see RELOAD_EVERY).

    `_return_kaleido_tab` is kaleido 1.5's private hook for giving a tab back after an image
    (requirements.txt pins kaleido; tests/test_deck.py checks the hook is still there). Should
    it disappear, this subclass changes nothing and kaleido's own behaviour applies."""
    import kaleido

    class QuickKaleido(kaleido.Kaleido):
        _images = 0

        async def _return_kaleido_tab(self, tab):
            self._images += 1
            if self._images % RELOAD_EVERY == 0:
                return await super()._return_kaleido_tab(tab)
            await self.tabs_ready.put(tab)

    return QuickKaleido


class Renderer:
    """One Chromium (through kaleido) for many images. Use as a context manager:

        with Renderer() as r:          # starts Chromium in the background
            ...build slides...
            pngs = r.pngs(figs, width=1100, height=400, scale=2)

    `pngs` renders concurrently over the renderer's tabs and returns bytes in input order.
    """

    def __init__(self, chromium: str | os.PathLike | None = None, *, tabs: int = DEFAULT_TABS):
        self.chromium = find_chromium(chromium)   # fail fast, before any thread is started
        self.tabs = max(1, int(tabs))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido = None
        self._opened: Future | None = None

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> "Renderer":
        """Launch Chromium without waiting for it; the first render waits. Idempotent."""
        if self._loop is not None:
            return self
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="chart-renderer",
                                        daemon=True)
        self._thread.start()

        async def open_browser():
            k = _kaleido_class()(n=self.tabs, path=self.chromium, mathjax=False,
                                 timeout=RENDER_TIMEOUT_S)
            await k.open()
            self._kaleido = k

        self._opened = asyncio.run_coroutine_threadsafe(open_browser(), self._loop)
        return self

    def _wait_open(self) -> None:
        self.start()
        try:
            self._opened.result(START_TIMEOUT_S)
        except Exception as exc:
            raise RenderError(
                f"Không khởi động được Chromium ({self.chromium}) để xuất ảnh biểu đồ: {exc}") from exc

    def close(self) -> None:
        """Quit Chromium and stop the loop thread (safe to call twice, or after a failed start)."""
        if self._loop is None:
            return
        loop, self._loop = self._loop, None
        try:
            if self._opened is not None:
                try:
                    self._opened.result(START_TIMEOUT_S)
                except Exception:  # noqa: BLE001 - a failed start leaves nothing to close
                    pass
            if self._kaleido is not None:
                asyncio.run_coroutine_threadsafe(self._kaleido.close(), loop).result(START_TIMEOUT_S)
        finally:
            self._kaleido = None
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(START_TIMEOUT_S)
            loop.close()

    def __enter__(self) -> "Renderer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- rendering --------------------------------------------------------------------------
    def pngs(self, figs: list, *, width: int, height: int, scale: float = 2) -> list[bytes]:
        """PNG bytes of every figure at width×height CSS pixels times `scale`, in input order."""
        if not figs:
            return []
        self._wait_open()
        opts = {"format": "png", "width": width, "height": height, "scale": scale}
        k = self._kaleido

        async def render_all():
            # calc_fig takes a free tab from kaleido's queue, so gather runs `tabs` at a time.
            return await asyncio.gather(*(k.calc_fig(f, opts=opts) for f in figs))

        try:
            return list(asyncio.run_coroutine_threadsafe(render_all(), self._loop)
                        .result(RENDER_TIMEOUT_S * len(figs)))
        except Exception as exc:
            raise RenderError(f"Không xuất được ảnh biểu đồ bằng Chromium: {exc}") from exc

    def png(self, fig, *, width: int, height: int, scale: float = 2) -> bytes:
        return self.pngs([fig], width=width, height=height, scale=scale)[0]


def figure_png(fig, *, width: int = 1100, height: int = 450, scale: float = 2,
               chromium: str | os.PathLike | None = None) -> bytes:
    """One chart as a PNG (e.g. a download button): starts and stops a Chromium for it."""
    with Renderer(chromium) as r:
        return r.png(fig, width=width, height=height, scale=scale)
