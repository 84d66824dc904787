"""The grid's orders (SortOrder): date taken and file name, checked against the dates and names the test wrote."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from photoscribe.ingest import register_files
from photoscribe.library import Library, PhotoStatus, SortOrder

# file name -> DateTimeOriginal written into it (None: no date); registered in this order (ids ascending)
SHOOT = {
    "b_beach.jpg": "2021:07:14 10:00:00",
    "A_alps.jpg": None,
    "c_city.jpg": "2019:01:02 08:30:00",
    "a_autumn.jpg": "2021:07:14 10:00:00",  # the same second as b_beach: the newer added comes first
    "D_dunes.jpg": None,
    "e_eagle.jpg": "2023:03:03 03:03:03",
}


def shoot(folder: Path) -> list[Path]:
    folder.mkdir()
    paths = []
    for name, taken in SHOOT.items():
        exif = Image.Exif()
        if taken is not None:
            exif.get_ifd(0x8769)[0x9003] = taken  # Exif IFD: DateTimeOriginal
        Image.new("RGB", (32, 24), (120, 80, 40)).save(folder / name, exif=exif.tobytes())
        paths.append(folder / name)
    return paths


def test_photos_in_date_taken_and_name_order(tmp_path: Path) -> None:
    paths = shoot(tmp_path / "shoot")
    with Library(tmp_path / "library.sqlite3") as library:
        for path in paths:  # one at a time: ids follow SHOOT's order
            register_files(library, [path])
        id_of = {Path(library.photo(p).path).name: library.photo(p).id for p in paths}
        name_of = {pid: name for name, pid in id_of.items()}
        added = library.photo_ids()
        assert [name_of[i] for i in added] == list(reversed(SHOOT))

        dated = sorted((n for n in SHOOT if SHOOT[n]), key=lambda n: (SHOOT[n], id_of[n]), reverse=True)
        undated = [n for n in reversed(SHOOT) if SHOOT[n] is None]
        assert [name_of[i] for i in library.photo_ids(order=SortOrder.TAKEN)] == dated + undated
        assert dated == ["e_eagle.jpg", "a_autumn.jpg", "b_beach.jpg", "c_city.jpg"]

        by_name = sorted(SHOOT, key=lambda n: (n.casefold(), -id_of[n]))
        assert [name_of[i] for i in library.photo_ids(order=SortOrder.NAME)] == by_name
        assert by_name == ["A_alps.jpg", "a_autumn.jpg", "b_beach.jpg", "c_city.jpg", "D_dunes.jpg", "e_eagle.jpg"]

        # filters and searches are sorted too; a search under ADDED keeps its best-match order
        pending = library.photo_ids(status=PhotoStatus.PENDING, order=SortOrder.NAME)
        assert [name_of[i] for i in pending] == by_name
        hits = library.photo_ids("jpg -alps -dunes", order=SortOrder.TAKEN)
        assert [name_of[i] for i in hits] == dated
        assert set(library.photo_ids("jpg -alps -dunes")) == {id_of[n] for n in dated}
