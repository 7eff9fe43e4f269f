"""WordNet 3.0 for NLTK, offline, from Debian's ``wordnet-base`` and ``wordnet-sense-index``.

``nltk.download()`` is not an option (no network at run time). NLTK's WordNet reader works on
Debian's files once they sit in a real directory ``<nltk_data>/corpora/wordnet`` on
``nltk.data.path`` (NLTK refuses symlinks that point elsewhere) together with a ``lexnames``
file, which Debian does not ship: it is WordNet's fixed table of the 45 lexicographer files,
documented in the ``lexnames(5WN)`` manual page and reproduced in :data:`LEXNAMES`.

Loading WordNet this way takes seconds; :mod:`recognize.inference.wordnet_table` therefore
precomputes what classification needs once and caches it as JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recognize.errors import ModelError
from recognize.inference import cache_files
from recognize.log import get_logger

log = get_logger(__name__)

DEBIAN_WORDNET = Path("/usr/share/wordnet")
APT_PACKAGES = ("wordnet-base", "wordnet-sense-index")

# lexnames(5WN): file number, lexicographer file, syntactic category
# (1 noun, 2 verb, 3 adjective, 4 adverb).
LEXNAMES = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event",
    "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object",
    "noun.person", "noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
    "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
    "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition",
    "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",
    "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather",
    "adj.ppl",
)
_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}

# The database files NLTK's reader opens (index.sense comes from wordnet-sense-index).
_POS = ("noun", "verb", "adj", "adv")
WORDNET_FILES = (
    *(f"data.{p}" for p in _POS),
    *(f"index.{p}" for p in _POS),
    *(f"{p}.exc" for p in _POS),
    "index.sense",
    "cntlist.rev",
)


def lexnames_text() -> str:
    """The ``lexnames`` file: ``NN<TAB>name<TAB>category`` per line, 45 lines."""
    return "".join(
        f"{i:02d}\t{name}\t{_CATEGORY[name.split('.')[0]]}\n" for i, name in enumerate(LEXNAMES)
    )


def prepare_wordnet(data_dir: Path, source: Path = DEBIAN_WORDNET) -> Path:
    """Copy WordNet into ``<data_dir>/nltk_data/corpora/wordnet`` once; return ``nltk_data``.

    Files are copied (not linked) because NLTK rejects symlinks leaving its data roots.
    A copy whose size differs from the source is refreshed.
    """
    missing = [f for f in WORDNET_FILES if not (source / f).is_file()]
    if missing:
        raise ModelError(
            f"WordNet 3.0 is missing from {source} ({', '.join(missing[:3])}…); "
            f"install the Debian packages: apt-get install {' '.join(APT_PACKAGES)}"
        )
    nltk_data = Path(data_dir) / "nltk_data"
    target = nltk_data / "corpora" / "wordnet"
    target.mkdir(parents=True, exist_ok=True)
    for name in WORDNET_FILES:
        src, dst = source / name, target / name
        if dst.is_symlink():
            dst.unlink()
        if not dst.is_file() or dst.stat().st_size != src.stat().st_size:
            cache_files.copy_file(src, dst)
    lexnames = target / "lexnames"
    if not lexnames.is_file() or lexnames.read_text() != lexnames_text():
        cache_files.write_text(lexnames, lexnames_text())
    return nltk_data


def open_wordnet(data_dir: Path, source: Path = DEBIAN_WORDNET) -> Any:
    """Return NLTK's WordNet reader over the prepared copy (slow: seconds)."""
    import warnings

    import nltk
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    nltk_data = prepare_wordnet(data_dir, source)
    if str(nltk_data) not in nltk.data.path:
        nltk.data.path.insert(0, str(nltk_data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "multilingual functions are not available"
        return WordNetCorpusReader(nltk.data.find("corpora/wordnet"), None)
