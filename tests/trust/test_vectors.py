"""The committed conformance vectors are exactly what the server's signing code makes now."""

from __future__ import annotations

from updatesrv.trust import vectors


def test_committed_vectors_are_current():
    committed = vectors.VECTORS_FILE.read_text(encoding="utf-8")
    assert committed == vectors.render(), (
        "spec/vectors/check-answers.json is stale: run `make vectors` and commit it")


def test_vectors_cover_every_verdict():
    data = vectors.vectors()
    names = [v["name"] for v in data["vectors"]]
    assert len(names) == len(set(names))
    verdicts = {(v["expect"]["verdict"], v["expect"].get("error")) for v in data["vectors"]}
    assert verdicts == {("accepted", None), ("rejected", "SignatureError"),
                        ("rejected", "StaleAnswerError"), ("rejected", "ServerError")}
