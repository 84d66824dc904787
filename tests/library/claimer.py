"""A worker process for the queue tests: claims photos from a library and stores a caption for each.

    python claimer.py LIBRARY hold   # claim one batch, print it, wait for a line on stdin, then work the queue
    python claimer.py LIBRARY work   # take back dead claims (as every start does), say so, then work the queue
    python claimer.py LIBRARY sleep  # claim one batch, print it, then wait on stdin forever (to be SIGKILLed)

Every batch claimed is printed as one JSON list of photo ids. Runs against older PhotoScribe versions too (their
start-up call was ``requeue_running``), which is how the tests' claims about the old code were checked.
"""

from __future__ import annotations

import json
import sys

from photoscribe.library import CaptionResult, Library

BATCH = 4


def claim(library: Library) -> list[int]:
    ids = [photo.id for photo in library.claim_batch(BATCH)]
    print(json.dumps(ids), flush=True)
    return ids


def finish(library: Library, ids: list[int]) -> None:
    library.save_results([CaptionResult(i, f"a caption {i}", [], "claimer") for i in ids])


def main(path: str, role: str) -> None:
    library = Library(path)
    if role == "work":
        (getattr(library, "reclaim_expired", None) or library.requeue_running)()
        print("ready", flush=True)
    ids = claim(library) if role in ("hold", "sleep") else []
    if role in ("hold", "sleep"):
        sys.stdin.readline()
        if role == "sleep":
            sys.stdin.read()
    while True:
        if ids:
            finish(library, ids)
        ids = claim(library)
        if not ids:
            break
    library.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
