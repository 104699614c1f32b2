"""Photos from citizens and contractors: stored and served without EXIF/GPS/XMP/comments (re-encoded, upright),
refused above the pixel limit before decoding, never public until staff publish them, and published under an
unguessable token per file that only works for its own case."""
from __future__ import annotations

import html
import io
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from engine.db import db
from engine.models import Case, CaseEvent, CaseFile
from handlers.files import open_file, store_file
from handlers.photos import PhotoRefused, clean_image
from intake.mail_files import store_mail_file

from .helpers import Browser, with_password
from .images import LEAKS, huge_png, metadata_of, open_image, phone_jpeg, png
from .test_contractor_portal import ContractorPhone, order_work, portal_path
from .test_public_form import VALID, post

BASE = "https://meldpunt.stad.example"


def assert_clean(content: bytes) -> None:
    """Nothing but pixels: no EXIF (camera, owner, GPS), XMP, comment or text chunk, in the bytes or for Pillow."""
    for leak in LEAKS:
        assert leak not in content, leak
    assert metadata_of(content) == {"exif": {}, "gps": {}, "info": []}


def the_case() -> Case:
    db.session.expire_all()
    return db.session.scalar(select(Case).order_by(Case.id.desc()))


def files_of(case: Case) -> list[CaseFile]:
    return list(db.session.scalars(select(CaseFile).where(CaseFile.case_id == case.id).order_by(CaseFile.id)))


def stored_bytes(stored: CaseFile) -> bytes:
    with open_file(stored) as handle:
        return handle.read()


def tracking_path(case: Case) -> str:
    return f"/volg/{case.tracking_token}"


def photo_urls(client, case: Case) -> list[str]:
    html = client.get(tracking_path(case)).get_data(as_text=True)
    return re.findall(r'<img src="([^"]+)"', html)


def handler(app, staff) -> Browser:
    """Bart, a handler of Onderhoud openbaar domein, logged in on the staff pages."""
    with_password(staff.ood.user)
    return Browser(app, "bart", "correct-horse-battery")


def dispatched_form_melding(client, staff, photos) -> Case:
    """A melding from the public form with photos, dispatched to Onderhoud openbaar domein."""
    response = post(client, VALID, photos=photos)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    case = the_case()
    staff.meldkamer.complete(case.reference, "triage", {"decision": "dispatch"})
    return case


def publish(browser: Browser, case: Case, stored: CaseFile, public: bool = True):
    return browser.post(f"/werk/dossier/{case.reference}/bestand/{stored.id}/publiek",
                        {"publiek": "1" if public else "0"}, page=f"/werk/dossier/{case.reference}")


# -- re-encoding ---------------------------------------------------------------------------------------------


def test_form_photo_is_stored_and_served_without_exif_gps_xmp_or_comment(app, client, staff):
    original = phone_jpeg(60, 40, orientation=6)  # taken holding the phone upright: display turned 90°
    assert b"Fairphone" in original and metadata_of(original)["gps"]
    case = dispatched_form_melding(client, staff, [(original, "IMG_2041.jpg")])
    [stored] = files_of(case)
    content = stored_bytes(stored)
    assert_clean(content)
    assert stored.content_type == "image/jpeg" and stored.size == len(content) and stored.stripped
    upright = open_image(content)
    assert upright.size == (40, 60)  # the orientation was applied before the EXIF went
    red_top = upright.getpixel((20, 5))
    assert red_top[0] > 150 and red_top[1] < 100, red_top  # the red half is on top after turning 90° clockwise

    assert publish(handler(app, staff), case, stored).status_code == 302
    [url] = photo_urls(client, case)
    served = client.get(url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert_clean(served.data)
    [item] = client.get(f"/open311/v2/requests/{case.reference}.json").get_json()
    media = client.get(urlsplit(item["media_url"]).path)
    assert media.status_code == 200 and media.data == served.data


def test_png_text_chunks_are_gone_too(app):
    cleaned = clean_image(png(text="Els Peeters, Bruul 12"))
    assert cleaned.content_type == "image/png" and b"Els Peeters" not in cleaned.content
    assert_clean(cleaned.content)


def test_contractor_photo_is_stored_without_metadata(app, staff):
    ref = order_work(staff)
    phone = ContractorPhone(app, portal_path(ref))
    assert phone.done("Lamp vervangen", photos=[(phone_jpeg(), "na.jpg")]).status_code == 303
    case = db.session.scalar(select(Case).where(Case.reference == ref))
    [stored] = files_of(case)
    assert stored.source == "aannemer" and not stored.public
    assert_clean(stored_bytes(stored))


# -- the pixel limit -----------------------------------------------------------------------------------------


def test_form_refuses_a_20000_by_20000_png_in_dutch_and_keeps_the_typed_text(app, client):
    bomb = huge_png()
    assert len(bomb) < 64 * 1024  # small on the wire, 400 MB once decoded
    response = post(client, VALID, photos=[(bomb, "kaart.png")])
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "kaart.png: de foto heeft te veel pixels (20000 x 20000)" in html
    assert "maximaal 40 megapixel" in html
    for typed in (VALID["description"], VALID["name"], VALID["email"], VALID["address"]):
        assert typed in html
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_pixel_limit_is_a_setting_and_is_checked_before_decoding(app, monkeypatch):
    app.config["MELDPUNT_PHOTO_MAX_PIXELS"] = 2000

    def no_decoding(*_args, **_kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_decoding)
    with pytest.raises(PhotoRefused) as refused:
        clean_image(phone_jpeg(60, 40))
    assert refused.value.reason == "pixels" and (refused.value.width, refused.value.height) == (60, 40)


def test_a_damaged_photo_is_refused_in_dutch(app, client):
    broken = phone_jpeg()[:300]  # cut off mid-way, as an interrupted upload
    response = post(client, VALID, photos=[(broken, "kapot.jpg")])
    assert response.status_code == 422
    assert "kapot.jpg: deze foto kan niet gelezen worden" in response.get_data(as_text=True)


# -- public only when staff decide, under an unguessable token ----------------------------------------------


def test_form_photo_is_not_public_until_staff_mark_it(app, client, staff):
    case = dispatched_form_melding(client, staff, [(png(), "tegel.png")])
    [stored] = files_of(case)
    assert not stored.public
    assert photo_urls(client, case) == []
    assert "media_url" not in client.get(f"/open311/v2/requests/{case.reference}.json").get_json()[0]

    bart = handler(app, staff)
    assert publish(bart, case, stored).status_code == 302
    [url] = photo_urls(client, case)
    assert client.get(url).status_code == 200
    [item] = client.get(f"/open311/v2/requests/{case.reference}.json").get_json()
    assert item["media_url"].startswith(f"{BASE}/open311/v2/requests/{case.reference}/media/")
    page = bart.get(f"/werk/dossier/{case.reference}").get_data(as_text=True)
    assert "Foto tegel.png publiek gemaakt" in page

    assert publish(bart, case, stored, public=False).status_code == 302
    assert photo_urls(client, case) == []
    assert client.get(url).status_code == 404
    assert client.get(urlsplit(item["media_url"]).path).status_code == 404
    events = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id,
                                                             CaseEvent.kind.like("photo_%"))).all()
    assert events == ["photo_published", "photo_unpublished"]


def test_public_photo_urls_are_unguessable_and_only_work_for_their_own_case(app, client, staff):
    case = dispatched_form_melding(client, staff, [(png(), "a.png")])
    other = dispatched_form_melding(client, staff, [(png(color=(0, 0, 0)), "b.png")])
    bart = handler(app, staff)
    [mine], [theirs] = files_of(case), files_of(other)
    publish(bart, case, mine)
    publish(bart, other, theirs)

    [url] = photo_urls(client, case)
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 32 and re.fullmatch(r"[A-Za-z0-9_-]+", token) and str(mine.id) != token
    assert client.get(f"{tracking_path(case)}/foto/{mine.id}").status_code == 404  # the sequential id is no key
    other_token = photo_urls(client, other)[0].rsplit("/", 1)[1]
    assert client.get(f"{tracking_path(case)}/foto/{other_token}").status_code == 404
    assert client.get(f"/open311/v2/requests/{case.reference}/media/{other_token}").status_code == 404
    assert client.get(f"/open311/v2/requests/{case.reference}/media/{mine.id}").status_code == 404
    assert client.get(f"/open311/v2/requests/{case.reference}/media/{token}").status_code == 200


def test_an_image_kept_with_its_metadata_is_re_encoded_when_published(app, client, staff):
    """Mail attachments (and files from before this change) are kept as they came; publishing cleans them."""
    case = dispatched_form_melding(client, staff, [])
    original = phone_jpeg()
    attachment = store_mail_file(case, original, "foto.jpg", "image/jpeg")
    db.session.commit()
    assert not attachment.stripped and stored_bytes(attachment) == original

    assert publish(handler(app, staff), case, attachment).status_code == 302
    db.session.expire_all()
    attachment = db.session.get(CaseFile, attachment.id)
    assert attachment.public and attachment.stripped
    assert_clean(stored_bytes(attachment))
    [url] = photo_urls(client, case)
    assert_clean(client.get(url).data)


def test_a_file_that_is_no_readable_image_cannot_be_published(app, client, staff):
    case = dispatched_form_melding(client, staff, [])
    pdf = store_file(case, b"%PDF-1.4\n%%EOF\n", "brief.pdf", source="medewerker", uploaded_by="test",
                     allowed=("application/pdf",))
    fake = store_mail_file(case, b"\x89PNG\r\n\x1a\n" + bytes(64), "stuk.png", "image/png")
    db.session.commit()
    bart = handler(app, staff)
    for stored, message in ((pdf, "Alleen foto's kunnen publiek gemaakt worden."),
                            (fake, "Deze foto kan niet gelezen worden")):
        response = publish(bart, case, stored)
        assert response.status_code == 302
        page = html.unescape(bart.get(f"/werk/dossier/{case.reference}").get_data(as_text=True))
        assert message in page
    db.session.expire_all()
    assert not any(f.public for f in files_of(case))


def test_only_staff_who_may_handle_the_case_publish_its_photos(app, client, staff):
    case = dispatched_form_melding(client, staff, [(png(), "a.png")])
    [stored] = files_of(case)
    with_password(staff.netheid.user)
    other_group = Browser(app, "dina", "correct-horse-battery")
    assert other_group.post(f"/werk/dossier/{case.reference}/bestand/{stored.id}/publiek", {"publiek": "1"},
                            page="/werk/wachtrij/openbare-netheid").status_code == 403
    db.session.expire_all()
    assert not db.session.get(CaseFile, stored.id).public


def test_stored_photo_keeps_quality_and_size_sensible(app):
    """Re-encoding at JPEG quality 85 keeps a photo recognisably the same and does not blow it up."""
    source = io.BytesIO()
    from PIL import Image

    gradient = Image.linear_gradient("L").resize((400, 300)).convert("RGB")
    gradient.save(source, "JPEG", quality=95)
    cleaned = clean_image(source.getvalue())
    assert cleaned.content_type == "image/jpeg" and len(cleaned.content) <= len(source.getvalue())
    before, after = open_image(source.getvalue()), open_image(cleaned.content)
    assert abs(before.getpixel((200, 150))[0] - after.getpixel((200, 150))[0]) <= 4
