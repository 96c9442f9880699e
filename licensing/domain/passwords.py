"""What makes a password acceptable for a person's account: long enough, not a common one, not
their own name or address, and hard to guess by the estimate of zxcvbn (Dropbox's strength
estimator, which tries what crackers try first: common passwords, words and names, repeats,
sequences, keyboard patterns, dates). A password it scores below `MIN_SCORE` is refused, with the
reason its weakest part gives, in words of our own that the catalogues translate."""

from __future__ import annotations

import gzip
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

from zxcvbn import zxcvbn
from zxcvbn.matching import RANKED_DICTIONARIES, add_frequency_lists

# The 20,000 most common passwords (the list Django ships, from Royce Williams' compilation of
# breached passwords), lowercased; a password on it is refused whatever its length.
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")
MAX_LENGTH = 256  # Argon2 takes any length; this bounds the work one request can ask for

TOO_SHORT = "Use at least {minimum} characters."
TOO_LONG = "Use at most {maximum} characters."
TOO_COMMON = "This password is too common; choose another."
TOO_PERSONAL = "The password must not contain your name or e-mail address."
# zxcvbn scores 0 (guessed at once) to 4 (very hard); 3 stands against an offline attack on a
# slow hash such as ours, and is what its authors call safely unguessable
MIN_SCORE = 3
ESTIMATED_LENGTH = 100  # zxcvbn's work grows with the length; the start tells enough
TOO_REPETITIVE = "Repeated letters or words (like “aaaa” or “abcabc”) are easy to guess."
TOO_SEQUENTIAL = "Runs like “abcd” or “6543” are easy to guess."
TOO_KEYBOARD = "Rows and patterns of neighbouring keys (like “qwerty”) are easy to guess."
TOO_DATED = "Dates and years are easy to guess."
TOO_WORDY = "A single word or name, even with a few digits, is easy to guess."
TOO_GUESSABLE = "This password is easy to guess: use a few unrelated words."
# The reason a weak password's longest part gives, by zxcvbn's kind of match
_REASONS = {
    "repeat": TOO_REPETITIVE,
    "sequence": TOO_SEQUENTIAL,
    "spatial": TOO_KEYBOARD,
    "date": TOO_DATED,
    "regex": TOO_DATED,  # its only pattern: recent years
}
_DICTIONARIES = {"passwords": TOO_COMMON, "user_inputs": TOO_PERSONAL}
# zxcvbn knows English words only: the ones a person of this registry would try first, in Kazakh
# and Russian, in Cyrillic and in Latin letters (the Kazakh Latin alphabet and transliterations),
# most likely first: password, login, admin, licence, registry, mining and their neighbours
REGISTRY_WORDS = (
    "құпиясөз", "пароль", "kupiyasoz", "qupiyasoz", "qupiiasoz", "kupiyasöz", "parol", "parol'",
    "құпия", "kupiya", "qupiya", "qupia", "секрет", "sekret", "кілтсөз", "kiltsoz", "кілт",
    "kilt", "логин", "login", "кіру", "kiru", "вход", "vhod", "vkhod", "әкімші", "akimshi",
    "äkimşi", "akimshy", "админ", "admin", "администратор", "administrator", "басшы", "basshy",
    "лицензия", "litsenziya", "licenziya", "litsenziia", "licenzija", "litsenzia", "лицензиат",
    "litsenziat", "тізілім", "tizilim", "tızılım", "реестр", "reestr", "тізбе", "tizbe",
    "майнинг", "mayning", "maining", "majning", "өндіру", "ondiru", "öndiru", "добыча",
    "dobycha", "цифрлық", "tsifrlyk", "cifrlyq", "цифровой", "tsifrovoy", "cifrovoj", "қазақстан",
    "казахстан", "qazaqstan", "kazakhstan", "kazahstan", "астана", "astana", "алматы", "almaty",
    "сәлем", "salem", "привет", "privet",
)  # fmt: skip


def normalised(password: str) -> str:
    """The form a password is judged, hashed and checked in: NFKC. The same password reaches us
    in different code points from different keyboards and systems (й and ё typed precomposed or
    as a letter and a combining mark; full-width Latin letters; ligatures), and a person should
    not be refused for the way their keyboard spells it. NIST SP 800-63B (5.1.1.2) asks for NFKC
    or NFKD; NFKC rather than NFC because it also folds these compatibility forms, which look
    the same to the person typing, and so stand for no secret of theirs."""
    return unicodedata.normalize("NFKC", password)


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().casefold() for line in handle if line.strip())


def password_problems(password: str, *, minimum: int, name: str, email: str) -> list[str]:
    """Why `password` is refused for the person called `name` with `email`; [] when it is fine.
    Messages are templates to format with `minimum` and `maximum`."""
    problems = []
    if len(password) < minimum:
        problems.append(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        problems.append(TOO_LONG)
    folded = password.casefold()
    if folded in common_passwords() or folded.strip("0123456789!?.") in common_passwords():
        problems.append(TOO_COMMON)
    personal = [name.casefold(), email.casefold(), email.casefold().partition("@")[0]]
    personal += [part for part in name.casefold().split() if len(part) >= 4]
    if any(len(word) >= 3 and word in folded for word in personal):
        problems.append(TOO_PERSONAL)
    if not problems:
        problems += guessable(password, personal)
    return problems


def guessable(password: str, personal: list[str]) -> list[str]:
    """Why zxcvbn finds `password` easy to guess, knowing the person's `personal` words; []
    when it scores `MIN_SCORE` or more."""
    if "registry" not in RANKED_DICTIONARIES:
        add_frequency_lists({"registry": list(REGISTRY_WORDS)})  # a word of it reads TOO_WORDY
    estimate = zxcvbn(password[:ESTIMATED_LENGTH], user_inputs=[w for w in personal if w])
    if estimate["score"] >= MIN_SCORE:
        return []
    return [reason(estimate["sequence"])]


def reason(sequence: list[dict[str, Any]]) -> str:
    """Our message for the longest part zxcvbn found guessable (as its own feedback chooses)."""
    parts = [m for m in sequence if m.get("pattern") != "bruteforce"]
    if not parts:
        return TOO_GUESSABLE
    longest = max(parts, key=lambda m: len(m.get("token", "")))
    if longest["pattern"] == "dictionary":
        return _DICTIONARIES.get(longest.get("dictionary_name", ""), TOO_WORDY)
    return _REASONS.get(longest["pattern"], TOO_GUESSABLE)
