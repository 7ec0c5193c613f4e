"""What a file attached to a task may be, told by its content (never by its name or the type the
browser claims): a photo (JPEG, PNG or WebP, which Pillow must open) or a PDF (``%PDF-``), at most
``WUYE_ATTACHMENT_MAX_MB`` (10 MB) as uploaded.

A photo is re-encoded: what is stored is the picture turned upright, with no EXIF except the time it
was taken (DateTimeOriginal kept, so a before/after photo still says when; GPS and the phone's other
tags dropped: where the owner lives is personal data), plus a 320-pixel JPEG thumbnail. A PDF is
kept as uploaded."""
from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from engine.environment import positive_number
from engine.errors import BadInput

MAX_BYTES = int(positive_number("WUYE_ATTACHMENT_MAX_MB", 10) * 1024 * 1024)
MAX_PIXELS = 50_000_000          # a 50-megapixel photo; more is refused, not decoded (a decompression bomb)
THUMB = (320, 320)
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/jpeg"}   # WebP is stored as JPEG
PDF = "application/pdf"


@dataclass(frozen=True)
class PreparedFile:
    content_type: str
    content: bytes                  # what is stored
    thumbnail: bytes | None
    width: int | None = None
    height: int | None = None
    taken_at: str | None = None     # EXIF DateTimeOriginal as the camera wrote it (2026:11:20 09:14:03)


def _refuse(message: str, key: str) -> BadInput:
    return BadInput(message, fields={"file": {"key": key, "message": message}})


def prepare_file(content: bytes, *, max_bytes: int = MAX_BYTES) -> PreparedFile:
    """The file as it will be stored, or BadInput naming ``file`` (type or size refused)."""
    if not content:
        raise _refuse("请选择要上传的照片或 PDF 文件 (no file)", "attachment.empty")
    if len(content) > max_bytes:
        raise _refuse(f"文件太大：{len(content) / 1048576:.1f} MB，最大 {max_bytes / 1048576:.0f} MB "
                      f"(file too large)", "attachment.size")
    if content.startswith(b"%PDF-"):
        return PreparedFile(PDF, content, None)
    try:
        with Image.open(io.BytesIO(content)) as probe:
            fmt = probe.format or ""
            if fmt not in IMAGE_FORMATS:
                raise _refuse(f"不支持的文件类型 {fmt or '未知'}：只能上传照片（JPEG、PNG、WebP）或 PDF "
                              f"(only photos and PDFs)", "attachment.type")
            if probe.width * probe.height > MAX_PIXELS:
                raise _refuse("照片像素过多，无法处理 (image too large)", "attachment.pixels")
            probe.verify()
        return _photo(content, fmt)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse("只能上传照片（JPEG、PNG、WebP）或 PDF；此文件不是有效的照片或 PDF "
                      "(only photos and PDFs: this file is neither)", "attachment.type") from None


def _photo(content: bytes, fmt: str) -> PreparedFile:
    with Image.open(io.BytesIO(content)) as img:
        taken = img.getexif().get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal)
        upright = ImageOps.exif_transpose(img)
        kept = Image.Exif()
        if isinstance(taken, str) and taken.strip():
            kept[ExifTags.Base.DateTime] = taken
            kept.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken
        out = io.BytesIO()
        if IMAGE_FORMATS[fmt] == "image/png":
            upright.save(out, "PNG", exif=kept.tobytes(), optimize=False)
        else:
            upright.convert("RGB").save(out, "JPEG", quality=85, exif=kept.tobytes())
        thumb = upright.convert("RGB")
        thumb.thumbnail(THUMB)
        small = io.BytesIO()
        thumb.save(small, "JPEG", quality=75)
        return PreparedFile(IMAGE_FORMATS[fmt], out.getvalue(), small.getvalue(), upright.width, upright.height,
                            taken.strip() if isinstance(taken, str) and taken.strip() else None)
