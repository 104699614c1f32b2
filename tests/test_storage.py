"""Every file through one storage: the folder (embedded default) or an S3-compatible bucket (a local moto server
spoken to over HTTP). Each file test runs on both: a photo from the public form, a scan registered by the
postkamer, a published photo's public link, a quarterly report mailed from its stored document, staff
downloads. A storage that cannot be used refuses uploads with a clear Dutch message and nothing half-written;
`meldpunt files move-to-s3` copies the folder to the bucket, each checksum verified, resumable."""
from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from engine.db import db
from engine.models import Case, CaseFile
from handlers.post_models import PostLetter
from handlers.storage import storage, storage_status
from intake.mail_files import store_mail_file
from notifications.sender import send_due
from reports.delivery import Delivery, record_and_queue
from reports.models import ReportRun
from reports.periods import days_period, parse_quarter
from reports.quarterly import DOCX_TYPE
from reports.scheduled import send_quarterly
from web.cli import main

from .helpers import Browser, with_password
from .images import phone_jpeg
from .test_photo_privacy import assert_clean, dispatched_form_melding, handler, photo_urls, publish
from .test_post_support import form as letter_form
from .test_post_support import pdf_bytes, postkamer_user
from .test_public_form import JPEG, VALID, post

PREFIX = "stad-mechelen"


@dataclass
class Kept:
    """Where this test's files go, and everything kept there (key -> bytes), for the test to look into."""

    kind: str
    everything: Callable[[], dict[str, bytes]]
    folder: Path


def folder_files(root: Path) -> dict[str, bytes]:
    """Every file under the folder, hidden ones included (a half-written upload would show here)."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(params=["folder", "s3"])
def kept(request, app) -> Kept:
    folder = Path(app.config["MELDPUNT_STORAGE_PATH"])
    if request.param == "folder":
        return Kept("folder", lambda: folder_files(folder), folder)
    server, bucket = request.getfixturevalue("s3_server"), request.getfixturevalue("s3_bucket")
    app.config.update(server.config(bucket, MELDPUNT_S3_PREFIX=PREFIX))

    def in_bucket() -> dict[str, bytes]:
        objects = server.objects(bucket)
        assert all(key.startswith(PREFIX + "/") for key in objects), objects.keys()
        return {key[len(PREFIX) + 1:]: content for key, content in objects.items()}
    return Kept("s3", in_bucket, folder)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def assert_only_in_the_storage(kept: Kept, expected: dict[str, bytes]) -> None:
    """The storage holds exactly these files; with the bucket, nothing was written to the folder."""
    assert kept.everything() == expected
    if kept.kind == "s3":
        assert folder_files(kept.folder) == {}


def desk(app, staff) -> Browser:
    """An, of the meldkamer, logged in on the staff pages (she may open every case's files)."""
    return Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


# -- each kind of file, in either storage ----------------------------------------------------------------------

def test_a_photo_from_the_public_form_is_kept_whole_and_staff_download_it(app, client, staff, kept):
    response = post(client, VALID, photos=[(JPEG, "paal12.jpg")])
    assert response.status_code == 303
    case = db.session.scalar(select(Case))
    photo = db.session.scalar(select(CaseFile).where(CaseFile.case_id == case.id))
    stored = kept.everything()
    assert list(stored) == [photo.storage_key] and photo.storage_key.startswith(f"{case.id}/")
    assert sha256(stored[photo.storage_key]) == photo.sha256 and len(stored[photo.storage_key]) == photo.size

    download = desk(app, staff).get(f"/werk/dossier/{case.reference}/bestand/{photo.id}")
    assert download.status_code == 200 and download.mimetype == "image/jpeg"
    assert download.get_data() == stored[photo.storage_key]
    assert_only_in_the_storage(kept, stored)


def test_a_scan_registered_by_the_postkamer_is_kept_and_downloaded(app, staff, kept):
    user, password = postkamer_user()
    eva = Browser(app, user.username, password)
    page = eva.get("/werk/post/nieuw")
    scan = pdf_bytes(3)
    response = eva._call(eva.client.post, "/werk/post/nieuw", content_type="multipart/form-data", data={
        **letter_form(), "csrf_token": eva.token(page), "scan": (io.BytesIO(scan), "brief.pdf")})
    assert response.status_code == 302
    letter = db.session.scalar(select(PostLetter))
    stored = db.session.get(CaseFile, letter.scan_file_id)
    assert_only_in_the_storage(kept, {stored.storage_key: scan})

    reference = db.session.scalar(select(Case.reference).where(Case.id == letter.case_id))
    download = desk(app, staff).get(f"/werk/dossier/{reference}/bestand/{stored.id}")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment") and download.get_data() == scan


def test_a_published_photo_is_served_by_its_public_link_and_the_original_is_removed(app, client, staff, kept):
    """A mail attachment is kept as it came; publishing stores a clean copy and deletes the original."""
    case = dispatched_form_melding(client, staff, [])
    original = phone_jpeg()
    attachment = store_mail_file(case, original, "foto.jpg", "image/jpeg")
    db.session.commit()
    first_key = attachment.storage_key
    assert kept.everything() == {first_key: original}

    assert publish(handler(app, staff), case, attachment).status_code == 302
    db.session.expire_all()
    attachment = db.session.get(CaseFile, attachment.id)
    assert attachment.public and attachment.storage_key != first_key
    stored = kept.everything()
    assert list(stored) == [attachment.storage_key]  # the original, with its metadata, is gone
    assert_clean(stored[attachment.storage_key])
    [url] = photo_urls(client, case)
    shown = client.get(url)
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg" and shown.data == stored[attachment.storage_key]


def test_the_quarterly_report_is_kept_in_the_storage_and_mailed_from_there(app, smtp_server, kept):
    app.config.update(smtp_server.config())
    app.config["MELDPUNT_REPORT_RECIPIENTS"] = "mteam@stad.example"
    delivery = send_quarterly(parse_quarter("2026Q4"))
    assert delivery.sent
    run = db.session.scalar(select(ReportRun))
    stored = kept.everything()
    assert list(stored) == [run.storage_key] and run.storage_key.startswith("reports/")
    assert run.content is None and run.sha256 == sha256(stored[run.storage_key])

    assert send_due().sent == 1
    [attachment] = list(smtp_server.messages[0].message.iter_attachments())
    assert attachment.get_filename() == "meldpunt-kwartaalrapport-2026Q4.docx"
    assert attachment.get_content_type() == DOCX_TYPE and attachment.get_content() == stored[run.storage_key]


def test_a_report_producer_that_loses_the_race_leaves_no_document_behind(app, kept):
    """Two workers make the same report: the loser's transaction rolls back, and its document goes with it."""
    period = days_period(date(2026, 12, 14), date(2026, 12, 27))
    data = {"quarter": "2026Q4", "quarter_name": "x", "filename": "x.docx"}
    documents = [("a.docx", DOCX_TYPE, b"PK first document"), ("b.docx", DOCX_TYPE, b"PK second document")]
    first = record_and_queue(Delivery("kwartaal", None, period), [("a@stad.example", "nl")], "rapport_kwartaal",
                             lambda _lang: data, "planning", documents[0])
    second = record_and_queue(Delivery("kwartaal", None, period), [("b@stad.example", "nl")], "rapport_kwartaal",
                              lambda _lang: data, "cli", documents[1])
    assert first.sent and not second.sent and second.already.id == first.run_id
    run = db.session.get(ReportRun, first.run_id)
    assert_only_in_the_storage(kept, {run.storage_key: b"PK first document"})


def test_a_failed_transaction_takes_its_files_with_it(app, client, staff, kept):
    case = dispatched_form_melding(client, staff, [])
    store_mail_file(case, b"eerste bijlage", "a.txt", "text/plain")
    store_mail_file(case, b"tweede bijlage", "b.txt", "text/plain")
    assert len(kept.everything()) == 2  # written before the commit, as they must be
    db.session.rollback()
    assert_only_in_the_storage(kept, {})
    assert db.session.scalar(select(func.count()).select_from(CaseFile)) == 0


def test_the_storage_status_says_where_the_files_are(app, kept):
    ok, reason = storage_status(write=True)
    assert ok
    assert (PREFIX in reason and "s3://" in reason) if kept.kind == "s3" else str(kept.folder) in reason
    assert_only_in_the_storage(kept, {})  # the probe was removed again
    result = invoke(app, "files", "status", "--write")
    assert result.exit_code == 0 and result.output.startswith("ok: ")


# -- a storage that cannot be used ---------------------------------------------------------------------------

@dataclass
class Broken:
    kept: Kept  # the storage as it was, before it was misconfigured
    named: str  # what the reason must say


@pytest.fixture(params=["folder is a file", "wrong bucket", "wrong secret key", "unknown access key"])
def broken(request, app, tmp_path) -> Broken:
    """The storage misconfigured in one of the ways an operator gets it wrong."""
    folder = Path(app.config["MELDPUNT_STORAGE_PATH"])
    if request.param == "folder is a file":
        blocker = tmp_path / "geen-map"
        blocker.write_text("dit is een bestand, geen map")
        app.config["MELDPUNT_STORAGE_PATH"] = str(blocker)
        return Broken(Kept("folder", lambda: folder_files(folder), folder), str(blocker))
    server, bucket = request.getfixturevalue("s3_server"), request.getfixturevalue("s3_bucket")
    app.config.update(server.config(bucket))
    kept = Kept("s3", lambda: server.objects(bucket), folder)
    if request.param == "wrong bucket":
        app.config["MELDPUNT_S3_BUCKET"] = "bestaat-niet"
        return Broken(kept, "bucket 'bestaat-niet' does not exist (MELDPUNT_S3_BUCKET)")
    if request.param == "wrong secret key":
        app.config["MELDPUNT_S3_SECRET_KEY"] = "fout-geheim"
    else:
        app.config["MELDPUNT_S3_ACCESS_KEY"] = "AKIAONBEKEND00000000"
    return Broken(kept, "check MELDPUNT_S3_ACCESS_KEY and MELDPUNT_S3_SECRET_KEY")


def test_the_public_form_with_a_photo_says_it_was_not_saved_and_keeps_what_was_typed(app, client, broken):
    response = post(client, VALID, photos=[(JPEG, "paal12.jpg")])
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Uw foto&#39;s konden nu niet bewaard worden; uw melding werd nog niet opgeslagen." in html
    assert VALID["description"] in html and 'value="Els Peeters"' in html
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    assert db.session.scalar(select(func.count()).select_from(CaseFile)) == 0
    assert_only_in_the_storage(broken.kept, {})


def test_the_postkamer_is_told_the_letter_was_not_registered(app, broken):
    user, password = postkamer_user()
    eva = Browser(app, user.username, password)
    page = eva.get("/werk/post/nieuw")
    response = eva._call(eva.client.post, "/werk/post/nieuw", content_type="multipart/form-data", data={
        **letter_form(), "csrf_token": eva.token(page), "scan": (io.BytesIO(pdf_bytes(1)), "brief.pdf")})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "De opslag voor bestanden is nu niet bereikbaar; er werd niets bewaard." in html
    assert "Kies de scan opnieuw" in html and "Vraag over de straatverlichting in de Bruul" in html
    assert db.session.scalar(select(func.count()).select_from(PostLetter)) == 0
    assert db.session.scalar(select(func.count()).select_from(CaseFile)) == 0
    assert_only_in_the_storage(broken.kept, {})


def test_the_status_names_what_is_wrong(app, broken):
    ok, reason = storage_status(write=True)
    assert not ok and broken.named in reason
    result = invoke(app, "files", "status")
    assert result.exit_code == 1 and result.output.startswith("NOT OK: ") and broken.named in result.output


def test_a_download_while_the_bucket_is_unreachable_says_so_in_dutch(app, client, staff, s3_server, s3_bucket):
    app.config.update(s3_server.config(s3_bucket))
    case = dispatched_form_melding(client, staff, [(JPEG, "paal12.jpg")])
    photo = db.session.scalar(select(CaseFile).where(CaseFile.case_id == case.id))
    an = desk(app, staff)
    assert an.get(f"/werk/dossier/{case.reference}/bestand/{photo.id}").status_code == 200
    app.config["MELDPUNT_S3_SECRET_KEY"] = "fout-geheim"
    response = an.get(f"/werk/dossier/{case.reference}/bestand/{photo.id}")
    assert response.status_code == 503
    assert "De opslag voor bestanden is nu niet bereikbaar. Probeer het later opnieuw." in response.get_data(
        as_text=True)


# -- meldpunt files move-to-s3 ---------------------------------------------------------------------------------

def files_in_the_folder(app, client, staff, smtp_server) -> dict[str, bytes]:
    """A photo from the form, a registered scan and a quarterly report, all in the folder storage."""
    app.config.update(smtp_server.config())
    assert post(client, VALID, photos=[(JPEG, "paal12.jpg")]).status_code == 303
    user, password = postkamer_user()
    eva = Browser(app, user.username, password)
    page = eva.get("/werk/post/nieuw")
    assert eva._call(eva.client.post, "/werk/post/nieuw", content_type="multipart/form-data", data={
        **letter_form(), "csrf_token": eva.token(page), "scan": (io.BytesIO(pdf_bytes(2)), "brief.pdf")}
    ).status_code == 302
    app.config["MELDPUNT_REPORT_RECIPIENTS"] = "mteam@stad.example"
    assert send_quarterly(parse_quarter("2026Q4")).sent
    return folder_files(Path(app.config["MELDPUNT_STORAGE_PATH"]))


def counts(output: str) -> dict[str, int]:
    return {name: int(number) for name, number in re.findall(r"^([^:\n]+): (\d+)\b", output, re.MULTILINE)}


def test_the_move_copies_every_file_verified_resumes_and_switches_nothing(app, client, staff, smtp_server,
                                                                          s3_server, s3_bucket):
    folder = files_in_the_folder(app, client, staff, smtp_server)
    assert len(folder) == 3
    (Path(app.config["MELDPUNT_STORAGE_PATH"]) / "9999").mkdir()
    (Path(app.config["MELDPUNT_STORAGE_PATH"]) / "9999" / "wees.bin").write_bytes(b"no row names me")
    app.config.update(s3_server.config(s3_bucket, MELDPUNT_STORAGE="folder"))

    dry = invoke(app, "files", "move-to-s3", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert counts(dry.output)["to copy"] == 3 and "nothing was written" in dry.output
    assert s3_server.objects(s3_bucket) == {}

    first = invoke(app, "files", "move-to-s3")
    assert first.exit_code == 0, first.output
    assert counts(first.output) == {"files named in the database": 3, "copied and verified": 3,
                                    "already in the bucket, verified": 0,
                                    "files in the folder that no case or report names (not copied)": 1}
    assert "Nothing was switched" in first.output and "set MELDPUNT_STORAGE=s3" in first.output
    assert s3_server.objects(s3_bucket) == folder
    assert storage().kind == "folder"  # still reading and writing the folder
    assert folder_files(Path(app.config["MELDPUNT_STORAGE_PATH"])) == {**folder, "9999/wees.bin": b"no row names me"}

    # Stopped halfway, or a copy damaged: run it again. What is there and right stays, the rest is copied.
    photo = db.session.scalar(select(CaseFile).where(CaseFile.content_type == "image/jpeg"))
    client_ = s3_server.client()
    client_.put_object(Bucket=s3_bucket, Key=photo.storage_key, Body=b"damaged")
    scan = db.session.scalar(select(CaseFile).where(CaseFile.content_type == "application/pdf"))
    client_.delete_object(Bucket=s3_bucket, Key=scan.storage_key)
    again = invoke(app, "files", "move-to-s3")
    assert again.exit_code == 0, again.output
    assert counts(again.output)["copied and verified"] == 2
    assert counts(again.output)["already in the bucket, verified"] == 1
    assert s3_server.objects(s3_bucket) == folder

    # Switched by the operator: the same files, now from the bucket.
    app.config["MELDPUNT_STORAGE"] = "s3"
    verified = invoke(app, "files", "verify")
    assert verified.exit_code == 0 and counts(verified.output)["verified"] == 3
    download = desk(app, staff).get(f"/werk/dossier/{db.session.get(Case, photo.case_id).reference}"
                                    f"/bestand/{photo.id}")
    assert download.status_code == 200 and download.get_data() == folder[photo.storage_key]


def test_the_move_reports_a_file_that_is_missing_or_damaged_in_the_folder(app, client, staff, smtp_server,
                                                                          s3_server, s3_bucket):
    folder = files_in_the_folder(app, client, staff, smtp_server)
    root = Path(app.config["MELDPUNT_STORAGE_PATH"])
    photo = db.session.scalar(select(CaseFile).where(CaseFile.content_type == "image/jpeg"))
    scan = db.session.scalar(select(CaseFile).where(CaseFile.content_type == "application/pdf"))
    (root / photo.storage_key).write_bytes(b"changed on disk")
    (root / scan.storage_key).unlink()
    app.config.update(s3_server.config(s3_bucket, MELDPUNT_STORAGE="folder"))

    result = invoke(app, "files", "move-to-s3")
    assert result.exit_code == 1
    assert counts(result.output)["copied and verified"] == 1 and counts(result.output)["failed"] == 2
    assert (f"file {photo.id} of case {photo.case_id} ({photo.storage_key}): the file in the folder has sha256 "
            f"{sha256(b'changed on disk')}, the database says {photo.sha256}; not copied") in result.output
    assert f"file {scan.id} of case {scan.case_id} ({scan.storage_key}): not in the folder {root}" in result.output
    assert "Not every file is in the bucket" in result.output and "Nothing was switched." in result.output
    report_key = db.session.scalar(select(ReportRun.storage_key))
    assert s3_server.objects(s3_bucket) == {report_key: folder[report_key]}


def test_the_move_to_a_bucket_it_cannot_use_stops_before_copying(app, client, staff, smtp_server, s3_server,
                                                                  s3_bucket):
    files_in_the_folder(app, client, staff, smtp_server)
    app.config.update(s3_server.config(s3_bucket, MELDPUNT_STORAGE="folder", MELDPUNT_S3_SECRET_KEY="fout"))
    result = invoke(app, "files", "move-to-s3")
    assert result.exit_code == 1
    assert "check MELDPUNT_S3_ACCESS_KEY and MELDPUNT_S3_SECRET_KEY" in result.stderr
    assert s3_server.objects(s3_bucket) == {}

    app.config["MELDPUNT_S3_BUCKET"] = ""
    result = invoke(app, "files", "move-to-s3")
    assert result.exit_code == 2 and "set MELDPUNT_S3_BUCKET" in result.stderr


def test_verify_lists_a_file_no_row_names_and_removes_it_once_it_is_an_hour_old(app, client, kept):
    """What a process killed between writing a file and committing its row leaves behind (the production test
    kills a worker mid-send): `verify` names it, `--remove-unreferenced` deletes it once it cannot belong to a
    transaction still running, and the files the database names stay."""
    from datetime import timedelta

    from freezegun import freeze_time

    from engine.clock import utcnow
    from handlers.storage import storage

    assert post(client, VALID, photos=[(JPEG, "paal12.jpg")]).status_code == 303
    named = kept.everything()
    storage().put("77/verweesd.jpg", b"written, then the process was killed")

    listed = invoke(app, "files", "verify")
    assert listed.exit_code == 0, listed.output
    assert counts(listed.output)["verified"] == 1
    assert counts(listed.output)["files in the storage that no case or report names"] == 1
    assert "77/verweesd.jpg (written " in listed.output and "--remove-unreferenced" in listed.output

    young = invoke(app, "files", "verify", "--remove-unreferenced")  # may belong to a transaction still running
    assert young.exit_code == 0 and counts(young.output)["removed (written more than 1 hour ago)"] == 0
    assert "77/verweesd.jpg" in kept.everything()
    with freeze_time(utcnow() + timedelta(hours=2), tick=True):
        old = invoke(app, "files", "verify", "--remove-unreferenced")
    assert old.exit_code == 0, old.output
    assert counts(old.output)["removed (written more than 1 hour ago)"] == 1
    assert kept.everything() == named
