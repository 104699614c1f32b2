"""Reading the text of a scanned letter, page by page: the text layer where a page has one, else Tesseract.

This module runs in a child process of the worker (`python -m handlers.ocr_pages SETTINGS_JSON`, the PDF on
standard input), so a PDF that makes PDFium or Tesseract crash, hang or eat memory ends the child, never the
worker. It knows nothing of the database: handlers/letter_ocr.py starts it, bounds its time and stores what it
printed. It prints one JSON object per line, so what was read before a time-out is kept:

    {"pages": 200}                                           the scan's number of pages
    {"page": 1, "source": "text"|"ocr"|"none"|"unread", "text": "...", "rotated": 90}
    {"stopped": "pages"|"time"}                              the bound that ended the reading early
    {"error": "unreadable", "detail": "..."}                 the PDF could not be opened or rendered
    {"end": true}                                            everything up to the bound was read

A page counts as having a text layer when PDFium finds at least TEXT_LAYER_MIN letters or digits on it (a scan
with a stamped page number is still a scan). Other pages are rendered at DPI (grey, at most MAX_PIXELS) and read
by `tesseract --psm 1` (page segmentation with orientation detection, so a page scanned sideways is turned
first); when that finds nothing or reads with low confidence, the three other orientations are tried and the best
kept.
Without Tesseract such a page is "unread". The language data is Tesseract's (`nld` from Debian's
tesseract-ocr-nld); the orientation detection needs `osd` (tesseract-ocr-osd, which tesseract-ocr pulls in).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, TextIO

DPI = 300
MAX_PIXELS = 35_000_000  # a page larger than ~A2 at 300 dpi is rendered smaller
TEXT_LAYER_MIN = 20
LOW_CONFIDENCE = 60.0  # mean word confidence (0-100) under which the other orientations are tried
MEMORY_LIMIT = 2 * 1024 ** 3  # bytes of address space for the child and the Tesseract it starts


@dataclass(frozen=True)
class Options:
    """What the worker asks of one reading."""

    max_pages: int = 30
    seconds: float = 300.0
    language: str = "nld"
    tesseract: Optional[str] = "tesseract"  # None: not available, pages without a text layer stay unread

    @classmethod
    def from_json(cls, text: str) -> Options:
        values = json.loads(text)
        return cls(max_pages=int(values["max_pages"]), seconds=float(values["seconds"]),
                   language=str(values["language"]), tesseract=values.get("tesseract"))

    def to_json(self) -> str:
        return json.dumps({"max_pages": self.max_pages, "seconds": self.seconds, "language": self.language,
                           "tesseract": self.tesseract})


@dataclass
class Recognised:
    """Tesseract's reading of one image: the text, its mean word confidence and how many words."""

    text: str
    confidence: float
    words: int


class OutOfTime(Exception):
    """The reading's time ran out while Tesseract was busy."""


def parse_tsv(tsv: str) -> Recognised:
    """Tesseract's TSV output as text (lines of words, a blank line between paragraphs) with its confidence."""
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences: list[float] = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5":  # level 5: a word
            continue
        word = cells[11].strip()
        if not word:
            continue
        try:
            confidence = float(cells[10])
        except ValueError:
            continue
        key = (int(cells[2]), int(cells[3]), int(cells[4]))  # block, paragraph, line
        lines.setdefault(key, []).append(word)
        if confidence >= 0:
            confidences.append(confidence)
    out: list[str] = []
    previous: Optional[tuple[int, int]] = None
    for (block, paragraph, _line), words in sorted(lines.items()):
        if previous is not None and previous != (block, paragraph):
            out.append("")
        out.append(" ".join(words))
        previous = (block, paragraph)
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return Recognised(text="\n".join(out), confidence=mean, words=len(confidences))


def run_tesseract(image: Path, options: Options, psm: int, deadline: float) -> Recognised:
    """One Tesseract run on a PNG; OutOfTime when the reading's deadline comes first."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise OutOfTime()
    command = [str(options.tesseract), str(image), "stdout", "-l", options.language, "--psm", str(psm),
               "--dpi", str(DPI), "tsv"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=left, check=False)
    except subprocess.TimeoutExpired:
        raise OutOfTime() from None
    if done.returncode != 0:
        raise RuntimeError(f"tesseract exit {done.returncode}: {done.stderr.decode(errors='replace')[-300:]}")
    return parse_tsv(done.stdout.decode("utf-8", errors="replace"))


def read_image(picture: Any, folder: Path, options: Options, deadline: float) -> tuple[Recognised, int]:
    """Tesseract's best reading of a page image (PIL) and the rotation (degrees clockwise) that gave it."""
    path = folder / "page.png"
    picture.save(path, dpi=(DPI, DPI))
    best, rotated = run_tesseract(path, options, 1, deadline), 0
    if best.words and best.confidence >= LOW_CONFIDENCE:
        return best, rotated
    for degrees in (90, 270, 180):  # orientation detection needs enough text; try the other ways round
        picture.rotate(-degrees, expand=True).save(path, dpi=(DPI, DPI))
        candidate = run_tesseract(path, options, 3, deadline)
        if candidate.words and candidate.confidence * min(candidate.words, 20) > best.confidence * min(best.words, 20):
            best, rotated = candidate, degrees
    return best, rotated


def layer_text(page: Any) -> str:
    """The text layer of a PDFium page (empty when it has none)."""
    textpage = page.get_textpage()
    try:
        return str(textpage.get_text_range() or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    finally:
        textpage.close()


def render(page: Any) -> Any:
    """The page as a grey PIL image at DPI, smaller when that would be more than MAX_PIXELS."""
    width, height = page.get_size()
    scale = DPI / 72
    pixels = width * scale * height * scale
    if pixels > MAX_PIXELS:
        scale *= (MAX_PIXELS / pixels) ** 0.5
    return page.render(scale=scale, grayscale=True).to_pil()


def has_text_layer(text: str) -> bool:
    return sum(ch.isalnum() for ch in text) >= TEXT_LAYER_MIN


def read_pdf(content: bytes, options: Options, out: TextIO) -> None:
    """Read the pages of a PDF up to the bounds, printing one JSON line per fact (see the module's text)."""
    import pypdfium2 as pdfium

    def emit(**fact: Any) -> None:
        out.write(json.dumps(fact, ensure_ascii=False) + "\n")
        out.flush()

    deadline = time.monotonic() + options.seconds
    try:
        document = pdfium.PdfDocument(content)
        total = len(document)
    except Exception as err:  # PDFium's PdfiumError and friends: the file is not a PDF it can open
        emit(error="unreadable", detail=str(err)[:300])
        return
    emit(pages=total)
    with tempfile.TemporaryDirectory(prefix="meldpunt-ocr-") as folder:
        for number in range(min(total, options.max_pages)):
            if time.monotonic() >= deadline:
                emit(stopped="time")
                return
            try:
                page = document[number]
                text = layer_text(page)
                if has_text_layer(text):
                    emit(page=number + 1, source="text", text=text, rotated=0)
                    continue
                if not options.tesseract:
                    emit(page=number + 1, source="unread", text="", rotated=0)
                    continue
                picture = render(page)
                page.close()
                recognised, rotated = read_image(picture, Path(folder), options, deadline)
            except OutOfTime:
                emit(stopped="time")
                return
            except Exception as err:  # a page PDFium cannot render: the scan is damaged
                emit(error="unreadable", detail=f"page {number + 1}: {str(err)[:300]}")
                return
            emit(page=number + 1, source="ocr" if recognised.text else "none", text=recognised.text,
                 rotated=rotated)
    if total > options.max_pages:
        emit(stopped="pages")
    emit(end=True)


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):  # not on this platform: the worker's time limit still holds
        pass


def main(argv: list[str]) -> int:
    """The child process: options as JSON in argv[1], the PDF on standard input, facts on standard output."""
    _limit_memory()
    os.putenv("OMP_THREAD_LIMIT", "1")  # Tesseract on one thread: the worker shares the machine with the web app
    options = Options.from_json(argv[1])
    read_pdf(sys.stdin.buffer.read(), options, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
