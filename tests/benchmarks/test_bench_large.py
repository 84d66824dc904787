"""The large-library benchmark runs end to end on 300 photos (its figures are for 100,000: see its docstring)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from benchmarks.bench_large import DATE_TAG, EXIF_IFD, FOLDERS, MARKER, generate, main


def test_generated_photos_are_small_varied_dated_jpegs_in_100_nested_folders(tmp_path: Path) -> None:
    assert generate(tmp_path, 250) is not None
    photos = sorted((tmp_path / "photos").rglob("*.jpg"))
    folders = {p.parent for p in photos}
    assert len(photos) == 250 and len(folders) == FOLDERS
    assert all(f.parent.parent == tmp_path / "photos" for f in folders)  # photos/<year>/<month place>/
    dates, pixels = set(), set()
    for photo in photos[::10]:
        with Image.open(photo) as image:
            assert image.format == "JPEG" and image.size == (160, 120)
            dates.add(image.getexif().get_ifd(EXIF_IFD)[DATE_TAG])
            pixels.add(image.resize((4, 4)).tobytes())
    assert len(dates) == len(pixels) == len(photos[::10])
    assert max(p.stat().st_size for p in photos) < 20_000
    newest = max(folders, key=lambda f: f.stat().st_mtime)
    assert newest.parent.name == "2024"  # folders dated like their photos: newer years newer
    assert max(p.stat().st_mtime for p in photos) < photos[0].stat().st_ctime  # in the past: nothing to settle


def test_a_generated_set_is_reused_and_a_foreign_folder_refused(tmp_path: Path) -> None:
    generate(tmp_path / "set", 120)
    first = (tmp_path / "set" / "photos").rglob("*.jpg").__next__()
    first.write_bytes(b"kept")
    assert generate(tmp_path / "set", 120) is None and first.read_bytes() == b"kept"
    assert generate(tmp_path / "set", 100) is not None  # another size: made again, the extra photos gone
    assert len(list((tmp_path / "set" / "photos").rglob("*.jpg"))) == 100
    assert json.loads((tmp_path / "set" / MARKER).read_text())["photos"] == 100
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "holiday.jpg").write_bytes(b"")
    with pytest.raises(SystemExit, match="holds other files"):
        generate(tmp_path / "mine", 100)


@pytest.mark.slow
def test_the_benchmark_measures_every_figure_on_300_photos(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--photos", "300", "--model", str(tiny_model_dir), "--precision", "fp32", "--keep", str(tmp_path / "set")]
    figures = main([*argv, "--timeout", "240"])
    assert figures["registered"] == 300 and figures["add_s"] > 0  # type: ignore[operator]
    opened, scanned = figures["open"], figures["scan"]
    assert opened["problem"] == scanned["problem"] == ""  # type: ignore[index]
    assert 0 < opened["imported_s"] < opened["shown_s"] <= opened["first_rows_s"]  # type: ignore[index]
    assert opened["rows"] == 300 and opened["pages"] > 0 and opened["paging_s"] > 0  # type: ignore[index]
    assert 0 < opened["rss_mb"] <= opened["peak_rss_mb"]  # type: ignore[index]
    for lateness in (opened["paging_lateness_ms"], scanned["scan_lateness_ms"]):  # type: ignore[index]
        assert 0 <= lateness[0] <= lateness[1]
    assert scanned["registered"] == 300 and scanned["registered_s"] > 0  # type: ignore[index]
    assert scanned["first_caption_s"] > 0 and scanned["close_s"] is not None  # type: ignore[index]
    table = capsys.readouterr().out
    assert "| 300 (100)" in table and "first caption" in table and "RSS before paging, after (peak)" in table
    assert "None" not in table
