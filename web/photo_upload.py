"""Checking a photo someone uploads (public form, contractor portal) and saying in Dutch what is wrong.

The photo is re-encoded here already (handlers/photos.py), before anything is created, so a refused photo
comes back on the form with everything the person typed, and the clean image is what gets stored.
"""
from __future__ import annotations

from typing import Union

from flask import request

from handlers.files import MAX_BYTES, sniff
from handlers.photos import CleanImage, PhotoRefused, clean_image, max_pixels

from .i18n import translate

PHOTO_TYPES = ("image/jpeg", "image/png")
MAX_PHOTOS = 3  # per form: the report form, the answer on the tracking page


def read_photos(errors: dict[str, list[str]], field: str = "photos",
                max_photos: int = MAX_PHOTOS) -> list[tuple[CleanImage, str]]:
    """The photos chosen in the form's `field`, checked by their content, size and pixels and re-encoded without
    metadata; what is wrong goes into `errors[field]`, by file name."""
    photos: list[tuple[CleanImage, str]] = []
    problems: list[str] = []
    uploads = [u for u in request.files.getlist(field) if u.filename]  # a browser sends an empty part
    if len(uploads) > max_photos:
        problems.append(translate("U kunt maximaal {count} foto's meesturen.", count=max_photos))
    for upload in uploads[:max_photos]:
        name = upload.filename or "foto"
        photo = checked_photo(upload.read(MAX_BYTES + 1), name)
        if isinstance(photo, str):
            problems.append(photo)
        else:
            photos.append((photo, name))
    if problems:
        errors[field] = problems
    return photos


def photos_sent(field: str = "photos") -> bool:
    """Whether the form carried photos (they cannot be given back when it is shown again)."""
    return any(u.filename for u in request.files.getlist(field))


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
