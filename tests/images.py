"""Real images for tests, made with Pillow: a phone photo with GPS EXIF, XMP and a comment; plain PNGs;
a PNG whose header claims a huge size (a decompression bomb)."""
from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image

# What a phone writes into a photo, and what must never reach the city's storage or the public.
CAMERA = "Fairphone"
OWNER = "Els Peeters"
COMMENT = "Els Peeters 0470 12 34 56"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description GPSLatitude="51,1.66N"/></x:xmpmeta>'
LEAKS = [CAMERA.encode(), OWNER.encode(), COMMENT.encode(), b"GPSLatitude", b"xmpmeta", b"Exif"]


def phone_jpeg(width: int = 60, height: int = 40, orientation: int = 1, color=(200, 30, 30)) -> bytes:
    """A JPEG as a phone makes it: EXIF with camera, owner, orientation and a GPS position, XMP and a comment.

    The left half is `color`, the right half white, so a test can see which way up the stored photo is.
    """
    image = Image.new("RGB", (width, height), (255, 255, 255))
    image.paste(color, (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    exif[ExifTags.Base.Model] = "FP5"
    exif[ExifTags.Base.Artist] = OWNER
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 1.0, 39.6)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 28.0, 40.1)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=COMMENT.encode(), xmp=XMP, quality=95)
    return out.getvalue()


def png(width: int = 30, height: int = 20, color=(20, 120, 200), text: str | None = None) -> bytes:
    """A plain PNG (with a tEXt chunk when `text` is given)."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    if text:
        info.add_text("Author", text)
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png(width: int = 20000, height: int = 20000, rows: int = 2400) -> bytes:
    """A PNG of about 48 KB whose header claims width x height pixels (8-bit grey): a decoder allocates
    width x height bytes (400 MB) before it finds that only the first `rows` rows are there."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    deflate = zlib.compressobj(9)
    row = b"\x00" + b"\x80" * width
    data = b"".join(deflate.compress(row) for _ in range(rows)) + deflate.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def open_image(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def metadata_of(content: bytes) -> dict:
    """What Pillow finds besides the pixels: EXIF tags, GPS, and the info keys (xmp, comment, icc_profile...)."""
    image = Image.open(io.BytesIO(content))
    exif = image.getexif()
    return {"exif": dict(exif), "gps": dict(exif.get_ifd(ExifTags.IFD.GPSInfo)),
            "info": sorted(k for k in image.info if k not in ("jfif", "jfif_version", "jfif_unit", "jfif_density",
                                                              "dpi", "progressive", "progression"))}
