"""Vietnamese text helpers: folding for search without diacritics, the one canonical form of every
identifier a person types or a file carries (phone, card, code, citizen id), and numbers as written."""
import functools
import re
import unicodedata

_SPACES = re.compile(r"\s+")


def number_vn(value: int) -> str:
    """1250000 -> "1.250.000": thousands grouped with dots, as Vietnamese readers write them."""
    return f"{value:,}".replace(",", ".")


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


_PHONE_SEPARATORS = re.compile(r"[.()/\-\u2010-\u2015\u2212]")
_PHONE = re.compile(r"0[35789][0-9]{8}")


def identifier(text: str | None) -> str:
    """An identifier as it is checked and stored: NFKC (full-width letters and digits become
    ASCII), every script's decimal digits as ASCII digits ("٠٩٨" -> "098"), no spaces or
    invisible characters, upper case. Member cards and unit codes are this; phone numbers
    and citizen ids start from it."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    kept = (str(unicodedata.decimal(ch)) if ch.isdecimal() else ch
            for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")
    return "".join(kept).upper()


def normalise_phone(text: str | None) -> str | None:
    """A Vietnamese mobile number as 0xxxxxxxxx, however typed (+84, 84, spaces, dots,
    dashes, other digit scripts), or None when it is not one."""
    digits = _PHONE_SEPARATORS.sub("", identifier(text))
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    elif len(digits) == 9 and digits[0] in "35789":
        digits = "0" + digits  # Excel drops the leading zero of a number typed as a number
    return digits if _PHONE.fullmatch(digits) else None


def citizen_id_digits(text: str | None) -> str:
    """The digits of a citizen id (CCCD/CMND), as ASCII, separators dropped."""
    return "".join(ch for ch in identifier(text) if "0" <= ch <= "9")
