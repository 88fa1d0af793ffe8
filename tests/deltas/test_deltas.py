"""Server-made binary deltas (issue 27): built by the scheduler after publishing, offered
by the check only from a version they were built from, cleaned when a release is yanked
or its rows are removed; SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import threading
from pathlib import Path

import sqlalchemy as sa

from updatesrv import runtime
from updatesrv.db import db, utcnow, write_intent
from updatesrv.deltas.models import Delta
from updatesrv.deltas.patching import apply_patch
from updatesrv.deltas.services import DeltaSettings, claim_next, run_deltas
from updatesrv.releases.models import Release
from updatesrv.scheduling.jobs import remove_unreferenced_files
from updatesrv.scheduling.runner import build_deltas

from .helpers import build_bytes, publish_uploaded

CHECK = "/api/v1/products/ledgerly/check?platform=windows-x86_64&version="


def _three_releases(api, product) -> dict[str, bytes]:
    files = {f"1.{n}": build_bytes(n) for n in range(3)}
    for version, payload in files.items():
        publish_uploaded(api, product, version, payload)
    return files


def _rows(app) -> list[Delta]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Delta).order_by(Delta.id)))
        db.session.expunge_all()
        return rows


def test_patches_are_built_after_publishing_and_offered(app, api, product, tmp_path):
    files = _three_releases(api, product)
    before = api.client.get(CHECK + "1.0")
    assert "delta" not in before.json["update"]  # nothing built yet: the full file only
    done = build_deltas(app)
    # 1.1 from 1.0; 1.2 from 1.1 and 1.0.
    assert done["deltas_planned"] == 3 and done["deltas_built"] == 3
    assert {r.state for r in _rows(app)} == {"ready"}
    answer = api.client.get(CHECK + "1.0")
    assert answer.headers["ETag"] != before.headers["ETag"]
    update = answer.json["update"]
    delta = update["delta"]
    assert delta["from"] == "1.0" and delta["algorithm"] == "zstd-patch-from"
    assert delta["from_sha256"] == hashlib.sha256(files["1.0"]).hexdigest()
    assert delta["size"] < 0.1 * update["download"]["size"]
    patch = api.client.get(delta["url"].removeprefix("http://localhost"))
    assert patch.status_code == 200 and hashlib.sha256(patch.data).hexdigest() == delta["sha256"]
    (tmp_path / "base").write_bytes(files["1.0"])
    (tmp_path / "patch").write_bytes(patch.data)
    rebuilt = apply_patch(tmp_path / "base", tmp_path / "patch", tmp_path / "out")
    assert rebuilt == update["download"]["sha256"]
    assert (tmp_path / "out").read_bytes() == files["1.2"]
    # Range for resuming an interrupted delta download.
    part = api.client.get(delta["url"].removeprefix("http://localhost"),
                          headers={"Range": "bytes=10-"})
    assert part.status_code == 206 and part.data == patch.data[10:]
    # Another installed version gets its own patch; an unknown one none.
    assert api.client.get(CHECK + "1.1").json["update"]["delta"]["from"] == "1.1"
    assert "delta" not in api.client.get(CHECK + "0.9").json["update"]
    # A second pass finds nothing new to do.
    assert build_deltas(app) == {"deltas_cleaned": 0, "deltas_planned": 0, "deltas_built": 0}


def test_the_number_of_earlier_releases_is_configurable(app, api, product):
    _three_releases(api, product)
    app.config["DELTA_FROM_RELEASES"] = 1
    build_deltas(app)
    assert len(_rows(app)) == 2  # 1.1 from 1.0, 1.2 from 1.1
    assert "delta" not in api.client.get(CHECK + "1.0").json["update"]
    app.config["DELTA_FROM_RELEASES"] = 0
    assert build_deltas(app)["deltas_planned"] == 0


def test_a_patch_not_small_enough_is_not_offered(app, api, product):
    publish_uploaded(api, product, "1.0", build_bytes(0))
    publish_uploaded(api, product, "2.0", random.Random(99).randbytes(300_000))  # unrelated
    app.config["DELTA_MAX_SHARE"] = 0.5
    build_deltas(app)
    [row] = _rows(app)
    assert row.state == "skipped" and row.storage_path is None
    assert "delta" not in api.client.get(CHECK + "1.0").json["update"]


def test_a_missing_or_damaged_file_fails_the_build_not_the_check(app, api, product):
    publish_uploaded(api, product, "1.0", build_bytes(0))
    with app.app_context():
        key = db.session.scalar(sa.text("SELECT storage_path FROM artifacts"))
        path = runtime(app).store.path_for(key)
    path.write_bytes(b"not the uploaded bytes")
    publish_uploaded(api, product, "1.1", build_bytes(1))
    build_deltas(app)
    [row] = _rows(app)
    assert row.state == "failed" and "does not match" in (row.error or "")
    assert "delta" not in api.client.get(CHECK + "1.0").json["update"]


def test_yanking_removes_the_patches_to_a_release(app, api, product):
    _three_releases(api, product)
    build_deltas(app)
    store = runtime(app).store
    keys = {r.storage_path for r in _rows(app) if r.storage_path}
    assert all(store.exists(k) for k in keys)
    assert api.patch("/api/v1/products/ledgerly/releases/1.2",
                     json={"yanked": True, "yank_reason": "broken"}).status_code == 200
    done = build_deltas(app)
    assert done["deltas_cleaned"] >= 2
    left = _rows(app)
    assert [(r.state) for r in left] == ["ready"]  # 1.1 from 1.0 stays
    assert {k for k in keys if store.exists(k)} == {left[0].storage_path}
    assert api.client.get(CHECK + "1.0").json["update"]["delta"]["from"] == "1.0"


def test_removed_releases_leave_no_patch_behind(app, api, product):
    _three_releases(api, product)
    build_deltas(app)
    store = runtime(app).store
    keys = {r.storage_path for r in _rows(app) if r.storage_path}
    with app.app_context(), write_intent():
        db.session.execute(sa.delete(Release).where(Release.version == "1.2"))
        db.session.commit()
    remaining = {r.storage_path for r in _rows(app)}
    assert len(remaining) == 1
    maker = app.extensions["updatesrv.db"][1]
    # Housekeeping keeps every file a delta row names and removes the others after grace.
    later = utcnow() + dt.timedelta(days=1)
    remove_unreferenced_files(maker, store, later)
    assert {k for k in keys if store.exists(k)} == remaining


def test_two_schedulers_never_build_the_same_patch(app, api, product):
    _three_releases(api, product)
    maker = app.extensions["updatesrv.db"][1]
    settings = DeltaSettings.from_config(app.config)
    now = utcnow()
    with maker() as session, write_intent():
        from updatesrv.deltas.services import plan_deltas
        assert plan_deltas(session, settings, now) == 3
        session.commit()
    claimed: list[int] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        while (delta_id := claim_next(maker, now)) is not None:
            claimed.append(delta_id)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 3
    # A claim whose scheduler died is taken again after it expires.
    assert claim_next(maker, now) is None
    assert claim_next(maker, now + dt.timedelta(hours=2)) is not None


def test_deltas_on_a_bucket(seaweed, tmp_path, pg_schema, monkeypatch):
    """The same, with the files and patches in a real S3 bucket (SeaweedFS)."""
    from tests.conftest import Api, make_app, make_vendor

    for name, value in seaweed.credentials_env().items():
        monkeypatch.setenv(name, value)
    bucket = seaweed.new_bucket()
    app = make_app(tmp_path, pg_schema, ARTIFACT_STORAGE=f"s3://{bucket}/updates",
                   S3_ENDPOINT_URL=seaweed.endpoint, S3_REGION="us-east-1")
    _, token = make_vendor(app)
    api = Api(app.test_client(), token)
    assert api.post("/api/v1/products", json={"slug": "ledgerly", "name": "Ledgerly"}
                    ).status_code == 201
    files = _three_releases(api, "ledgerly")
    assert run_deltas(app.extensions["updatesrv.db"][1], runtime(app).store,
                      DeltaSettings(), utcnow())["deltas_built"] == 3
    delta = api.client.get(CHECK + "1.0").json["update"]["delta"]
    redirect = api.client.get(delta["url"].removeprefix("http://localhost"))
    assert redirect.status_code == 302
    import requests

    body = requests.get(redirect.headers["Location"], timeout=30).content
    # Housekeeping on the bucket: a patch no row names any more is removed, named ones stay.
    store = runtime(app).store
    keys = {k for k, _ in store.entries() if k.startswith("deltas/")}
    assert len(keys) == 3
    with app.app_context(), write_intent():
        db.session.execute(sa.delete(Release).where(Release.version == "1.2"))
        db.session.commit()
    remove_unreferenced_files(app.extensions["updatesrv.db"][1], store,
                              utcnow() + dt.timedelta(days=1))
    assert {k for k, _ in store.entries() if k.startswith("deltas/")} == {
        r.storage_path for r in _rows(app)}
    (tmp_path / "base").write_bytes(files["1.0"])
    (tmp_path / "patch").write_bytes(body)
    assert apply_patch(tmp_path / "base", tmp_path / "patch", Path(tmp_path / "out")) == \
        hashlib.sha256(files["1.2"]).hexdigest()


def test_storage_migrate_copies_the_patches_too(app, api, product, tmp_path):
    from updatesrv.storage import DirectoryStorage
    from updatesrv.storage.migrate import migrate_files

    _three_releases(api, product)
    build_deltas(app)
    source = runtime(app).store
    assert isinstance(source, DirectoryStorage)
    destination = DirectoryStorage(tmp_path / "elsewhere")
    with app.app_context():
        report = migrate_files(db.session, source, destination)
    keys = {r.storage_path for r in _rows(app)}
    assert report.copied == 3 + len(keys) and not report.problems
    assert all(destination.exists(k) for k in keys)
