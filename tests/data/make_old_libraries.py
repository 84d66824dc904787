"""How the old library files in this folder were made (kept so they can be made again; not run by the tests).

Each file was written by PhotoScribe's own code at an old commit, never by hand:

    git worktree add /tmp/old1 6884c5f   # schema 1 (the first library)
    git worktree add /tmp/old 57df7fd    # schema 4 (file captions), the last version before leases
    PYTHONPATH=/tmp/old1/desktop .venv/bin/python tests/data/make_old_libraries.py v1 tests/data/library-v1.sqlite3
    PYTHONPATH=/tmp/old/desktop .venv/bin/python tests/data/make_old_libraries.py v4 tests/data/library-v4.sqlite3

The photos live under ``PHOTOS`` while the file is made and are deleted after, so the stored paths name files
that no longer exist (the tests only read what the library kept).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PIL import Image

PHOTOS = Path("/tmp/photoscribe-fixture/photos")

XMP = """<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Eiffel tower at night</rdf:li></rdf:Alt></dc:description>
<dc:subject><rdf:Bag><rdf:li>Paris</rdf:li><rdf:li>John Smith</rdf:li></rdf:Bag></dc:subject>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end='w'?>"""


def photo(name: str, colour: tuple[int, int, int], xmp: str | None = None) -> Path:
    path = PHOTOS / name
    options = {"xmp": xmp.encode()} if xmp else {}
    Image.new("RGB", (32, 24), colour).save(path, **options)
    return path


def main(version: str, target: Path) -> None:
    from photoscribe.library import CaptionResult, Library

    shutil.rmtree(PHOTOS.parent, ignore_errors=True)
    PHOTOS.mkdir(parents=True)
    target.unlink(missing_ok=True)
    names = {"wall.jpg": (200, 30, 30), "barn.jpg": (30, 200, 30), "café.jpg": (30, 30, 200)}
    names |= {"running.jpg": (90, 90, 90), "zz-queued.jpg": (9, 9, 9)}
    paths = {name: photo(name, colour) for name, colour in names.items()}
    captions = {"barn.jpg": "a green barn", "café.jpg": "a blue cup", "wall.jpg": "a red wall"}
    if version == "v4":
        paths["paris.jpg"] = photo("paris.jpg", (120, 120, 0), XMP)
        captions["paris.jpg"] = "a tall tower"
    library = Library(target)
    folder_id = library.add_folder(PHOTOS)
    library.register_files(sorted(paths.values()), folder_id)
    claimed = library.claim_batch(10)
    library.save_results(
        [
            CaptionResult(c.id, captions[c.path.name], captions[c.path.name].split()[-2:], "old-model")
            for c in claimed
            if c.path.name in captions
        ]
    )
    library.release([c.id for c in claimed])
    library.set_user_caption(paths["barn.jpg"], "Grandma's barn")
    (running,) = library.claim_batch(1)  # left running, as a killed worker leaves it
    assert running.path.name == "running.jpg"
    library.close()
    shutil.rmtree(PHOTOS.parent)


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
