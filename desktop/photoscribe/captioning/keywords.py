"""Keywords from a caption: the meaningful words, as written, each once, without stop words.

"two dogs running on a beach" gives ``["dogs", "running", "beach"]``. Counting words, articles, prepositions and
the filler BLIP likes ("a picture of", "there is") are dropped. Words are compared through :func:`fold`
(lower-case, plural folded to the singular), so "dogs" and "dog" count once, but the keyword keeps the form the
caption wrote: folding is for matching only, and it would mangle names ("James" -> "jame", "Texas" -> "texa").
A trailing possessive is not part of the keyword ("Grandma's barn" gives "Grandma", "barn").
"""

from __future__ import annotations

import re

STOP_WORDS = frozenset(
    """
    a an the and or but nor of in on at to for from by with without into onto upon over under above below
    near next beside behind between among around through across along against off out up down about as
    than then there here this that these those it its it's is are was were be been being am has have had
    do does did doing some any each every all both few many much more most other another such own same so
    very too just only also not no while who whom whose which what where when why how one two three four
    five six seven eight nine ten eleven twelve several lot lots group couple pair bunch front top side
    back close view photo photos photograph photography picture pictures image images shot closeup
    i me my we our you your he him his she her they them their arafed araffe
    """.split()
)

# Words that end in -s but are not plurals (or whose plural folding would mislead).
NOT_PLURAL = frozenset(
    """
    glass grass dress bus gas lens class cross mass moss boss chess kiss press tennis cactus octopus
    walrus bonus circus virus campus status canvas atlas iris analysis basis oasis axis species series
    news jeans pants shorts scissors glasses sunglasses clothes stairs headphones trousers goggles
    always perhaps various famous delicious gorgeous is was has this its ocean sas
    """.split()
)

IRREGULAR_PLURALS = {
    "men": "man",
    "women": "woman",
    "children": "child",
    "people": "people",
    "feet": "foot",
    "teeth": "tooth",
    "mice": "mouse",
    "geese": "goose",
    "oxen": "ox",
    "leaves": "leaf",
    "knives": "knife",
    "wolves": "wolf",
    "shelves": "shelf",
    "loaves": "loaf",
    "halves": "half",
    "wives": "wife",
    "lives": "life",
    "calves": "calf",
    "sheep": "sheep",
    "fish": "fish",
    "deer": "deer",
    "cattle": "cattle",
}

WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)


def singular(word: str) -> str:
    """Fold an English plural to its singular form ("puppies" -> "puppy", "boxes" -> "box").

    Words with non-ASCII letters are left alone: the rules are English ones ("près" is not a plural).
    """
    if word.endswith(("'s", "’s")):  # possessive: "grandma's" -> "grandma"
        word = word[:-2]
    if word in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[word]
    if (
        not word.isascii()
        or word in NOT_PLURAL
        or len(word) <= 3
        or not word.endswith("s")
        or word.endswith(("ss", "us", "is"))
    ):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "zzes", "sses")):
        return word[:-2]
    if word.endswith("oes") and word[:-2] in {"tomato", "potato", "hero", "echo", "volcano", "mango"}:
        return word[:-2]
    return word[:-1]


def fold(word: str) -> str:
    """The form two keywords are compared in: lower-case and singular ("Dogs" -> "dog").

    For matching and de-duplication only; never show or store it ("James" folds to "jame").
    """
    return singular(word.lower())


def _without_possessive(word: str) -> str:
    return word[:-2] if word.lower().endswith(("'s", "’s")) else word


def keywords_from_caption(caption: str, ignore: str = "") -> list[str]:
    """Keywords of ``caption`` as written, in order of first appearance, each once (compared through ``fold``).

    Words of ``ignore`` (typically the conditional prompt the caption continues) are left out too.
    """
    ignored = {fold(w) for w in WORD.findall(ignore)}
    seen: dict[str, str] = {}
    for raw in WORD.findall(caption):
        key = fold(raw)
        if raw.lower() in STOP_WORDS or key in STOP_WORDS or key in ignored or len(raw) < 2:
            continue
        seen.setdefault(key, _without_possessive(raw))
    return list(seen.values())
