"""Checking a photo someone uploads (public form, contractor portal) and saying in Dutch what is wrong.

The photo is re-encoded here already (handlers/photos.py), before anything is created, so a refused photo
comes back on the form with everything the person typed, and the clean image is what gets stored.
"""
from __future__ import annotations

from typing import Union

from handlers.files import MAX_BYTES, sniff
from handlers.photos import CleanImage, PhotoRefused, clean_image, max_pixels

from .i18n import translate

PHOTO_TYPES = ("image/jpeg", "image/png")


def checked_photo(content: bytes, name: str) -> Union[CleanImage, str]:
    """The photo without metadata, or the Dutch (or English) sentence that says why it is refused."""
    if not content:
        return translate("{name}: het bestand is leeg.", name=name)
    if len(content) > MAX_BYTES:
        return translate("{name}: de foto is te groot (maximaal {megabytes} MB).", name=name,
                         megabytes=MAX_BYTES // (1024 * 1024))
    if (sniff(content) or ("",))[0] not in PHOTO_TYPES:
        return translate("{name}: dit is geen foto. Alleen JPEG of PNG is toegelaten.", name=name)
    try:
        return clean_image(content, field="photos")
    except PhotoRefused as refused:
        megapixels = f"{max_pixels() / 1_000_000:g}"
        if refused.reason == "pixels" and refused.width:
            return translate("{name}: de foto heeft te veel pixels ({width} x {height}), maximaal {megapixels} "
                             "megapixel. Verklein de foto of kies een andere.", name=name, width=refused.width,
                             height=refused.height, megapixels=megapixels)
        if refused.reason == "pixels":
            return translate("{name}: de foto heeft te veel pixels, maximaal {megapixels} megapixel. Verklein de "
                             "foto of kies een andere.", name=name, megapixels=megapixels)
        return translate("{name}: deze foto kan niet gelezen worden (beschadigd of onvolledig). Kies een andere "
                         "foto.", name=name)
