"""Tests of chinabrief.pipeline.products: a deleted or edited product marks its run out of date."""

from __future__ import annotations

import os

from chinabrief.config import Paths
from chinabrief.pipeline import products


def published(tmp_path, key: str = "prepare", **files: str) -> Paths:
    """A made-up published set: ``files`` (name → text) below data/processed, and its manifest."""
    paths = Paths(tmp_path)
    written = {}
    for name, text in files.items():
        path = tmp_path / "data/processed" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written[f"data/processed/{name}"] = path
    manifest = products.manifest_path(paths, key)
    products.write(manifest, key, written)
    return paths


def test_untouched_products_leave_the_manifest_alone(tmp_path):
    paths = published(tmp_path, a="1", b="2")
    before = products.manifest_path(paths, "prepare").stat().st_mtime
    assert products.check(paths) == []
    assert products.manifest_path(paths, "prepare").stat().st_mtime == before


def test_a_deleted_product_marks_its_run_out_of_date(tmp_path):
    paths = published(tmp_path, a="1", b="2")
    (tmp_path / "data/processed/b").unlink()
    stale = products.check(paths)
    assert stale == [products.Stale("prepare", "data/processed/b is missing")]
    assert products.manifest_path(paths, "prepare").stat().st_mtime == 0
    assert products.check(paths) == []  # already marked: not checked again


def test_an_edited_product_is_noticed_even_with_its_old_size_and_time(tmp_path):
    paths = published(tmp_path, a="1")
    target = tmp_path / "data/processed/a"
    stat = target.stat()
    target.write_text("2")  # same size
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the old time
    assert products.check(paths) == []  # same size and time is taken as unchanged ...
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    stale = products.check(paths)  # ... a new time makes it read the bytes
    assert [s.key for s in stale] == ["prepare"] and "differs" in stale[0].reason


def test_a_product_rewritten_with_the_same_bytes_is_not_out_of_date(tmp_path):
    paths = published(tmp_path, a="1")
    target = tmp_path / "data/processed/a"
    target.write_text("1")
    os.utime(target, (1, 1))
    assert products.check(paths) == []


def test_only_the_run_whose_product_changed_is_marked(tmp_path):
    paths = published(tmp_path, "prepare", a="1")
    published(tmp_path, "mining_share", b="2")
    (tmp_path / "data/processed/b").unlink()
    assert [s.key for s in products.check(paths)] == ["mining_share"]
    assert products.manifest_path(paths, "prepare").stat().st_mtime > 0


def test_an_unreadable_manifest_is_out_of_date(tmp_path):
    paths = Paths(tmp_path)
    manifest = products.manifest_path(paths, "ingest")
    manifest.parent.mkdir(parents=True)
    manifest.write_text("{")
    assert products.check(paths) == [products.Stale("ingest", "build/products/ingest.json is unreadable")]


def test_invalidate_without_a_manifest_says_so(tmp_path):
    assert products.invalidate(Paths(tmp_path), "prepare") is False
