"""Photos as the city keeps them: decoded and encoded again, so nothing but the pixels survives.

A phone photo carries EXIF (GPS position, camera, time, sometimes the owner's name), XMP and comments.
Citizens and contractors do not know that, and the city must not keep or publish it, so every image
upload is re-encoded with Pillow from its pixels alone: the EXIF orientation is applied first (the photo
stays upright), then the image is saved without any metadata (no EXIF, XMP, IPTC, ICC profile, comments
or PNG text chunks).

Before any pixel is decoded the image's header is read and checked against a pixel limit
(MELDPUNT_PHOTO_MAX_PIXELS, 40 megapixels by default): a 48 KB PNG can claim 20000 x 20000 pixels and
would need 1.2 GB of memory to decode. Pillow's own decompression-bomb guard is made an error as well.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Optional, cast

from PIL import Image, ImageOps, JpegImagePlugin, PngImagePlugin

from engine.errors import InvalidInput
from engine.settings import settings

JPEG_QUALITY = 85  # visually the same as a phone's own JPEG at about half its size
# Pillow's format name -> (content type, extension) of the types the city accepts as photos.
FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png")}
PNG_MODES = ("1", "L", "LA", "P", "RGB", "RGBA")


@dataclass(frozen=True)
class CleanImage:
    """An image re-encoded without metadata: what is stored, never the uploaded bytes."""

    content: bytes
    content_type: str
    ext: str
    width: int
    height: int


class PhotoRefused(InvalidInput):
    """An image the city does not take: `reason` is 'pixels' (too many) or 'unreadable'."""

    def __init__(self, reason: str, message: str, *, width: int = 0, height: int = 0, max_pixels: int = 0,
                 field: str = "file") -> None:
        super().__init__(message, {field: [message]})
        self.reason = reason
        self.width, self.height, self.max_pixels = width, height, max_pixels


def max_pixels() -> int:
    """The configured pixel limit (MELDPUNT_PHOTO_MAX_PIXELS)."""
    return settings().photo_max_pixels


def _header_size(content: bytes) -> tuple[int, int]:
    """Width and height from the header alone, past Pillow's own bomb check (to say how large it is)."""
    for plugin in (PngImagePlugin.PngImageFile, JpegImagePlugin.JpegImageFile):
        try:
            return plugin(io.BytesIO(content)).size
        except Exception:  # noqa: BLE001 - not this format
            continue
    return 0, 0


def _too_many(width: int, height: int, limit: int, field: str) -> PhotoRefused:
    return PhotoRefused("pixels", f"the image has {width} x {height} pixels, more than {limit}",
                        width=width, height=height, max_pixels=limit, field=field)


def _open_checked(content: bytes, limit: int, field: str) -> Image.Image:
    """Open (header only) and check format and size; no pixel is decoded here."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content), formats=tuple(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many(*_header_size(content), limit, field) from None
    except Exception:  # noqa: BLE001 - whatever a malformed upload makes the parser raise, it is unreadable
        raise PhotoRefused("unreadable", "the image cannot be read", field=field) from None
    width, height = image.size
    if image.format not in FORMATS:
        raise PhotoRefused("unreadable", f"not a JPEG or PNG image ({image.format})", field=field)
    if width * height > limit:
        raise _too_many(width, height, limit, field)
    if width <= 0 or height <= 0:
        raise PhotoRefused("unreadable", "the image has no pixels", field=field)
    return image


def _pixels_only(image: Image.Image) -> tuple[Image.Image, dict]:
    """The upright image in a mode its format can store, and the save options that carry no metadata."""
    fmt = image.format
    transparency = image.info.get("transparency") if fmt == "PNG" else None
    ImageOps.exif_transpose(image, in_place=True)  # decodes the pixels, turns them upright; no second copy
    upright = image
    if fmt == "JPEG":
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")  # CMYK, YCCK and the like
        return upright, {"format": "JPEG", "quality": JPEG_QUALITY}
    if upright.mode not in PNG_MODES:
        upright = upright.convert("RGBA")  # 16-bit and other exotic modes
    options: dict = {"format": "PNG"}
    if upright.mode in ("P", "L", "RGB") and transparency is not None:
        options["transparency"] = transparency  # a property of the pixels, not metadata
    return upright, options


def clean_image(content: bytes, *, limit: Optional[int] = None, field: str = "file") -> CleanImage:
    """Decode a JPEG or PNG and encode its pixels again without metadata; PhotoRefused when it is too large
    in pixels (checked on the header, before decoding) or cannot be read."""
    limit = limit or max_pixels()
    image = _open_checked(content, limit, field)
    content_type, ext = FORMATS[cast(str, image.format)]  # _open_checked refused any other format
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            warnings.simplefilter("ignore", UserWarning)  # "Corrupt EXIF data": it is dropped anyway
            pixels, options = _pixels_only(image)
            pixels.info = {}  # Pillow writes some of these (comment, XMP, ICC profile) unless told otherwise
            out = io.BytesIO()
            pixels.save(out, **options)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many(*image.size, limit, field) from None
    except Exception:  # noqa: BLE001 - truncated data, a broken stream, a parser's own bug: unreadable
        raise PhotoRefused("unreadable", "the image cannot be read (damaged or incomplete)", field=field) from None
    finally:
        image.close()
    return CleanImage(out.getvalue(), content_type, ext, pixels.width, pixels.height)
