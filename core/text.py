"""Vietnamese text helpers: folding for search without diacritics."""
import functools
import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower-case, strip diacritics and collapse spaces: "Tam Đường" -> "tam duong"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


def clean_name(text: str | None) -> str:
    """NFC-normalise and collapse spaces, as names are stored."""
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(text))).strip()


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@functools.lru_cache(maxsize=8192)  # a lesson folds tens of thousands of characters drawn from a few hundred
def _fold_char(ch: str) -> str:
    if ch.isspace():
        return " "
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    base = "d" if base in ("đ", "Đ") else base.lower()
    return base if len(base) == 1 else ch.lower()[:1] or " "


def fold_aligned(text: str | None) -> str:
    """Like `fold` but one character out for each character in, so a match found in the
    folded text can be highlighted at the same place in the original."""
    return "".join(_fold_char(ch) for ch in unicodedata.normalize("NFC", text or ""))
