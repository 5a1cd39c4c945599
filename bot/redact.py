"""Redaction: personal data in users' questions replaced by placeholders before storage.

What is caught, in any of the bot's languages (en, zh, ru, ar, fr, es):

* e-mail addresses -> [email]
* phone numbers -> [phone]: international (+ or ＋), and the local formats of China, Russia,
  the US, the UK, France, Spain, Saudi Arabia, the Emirates and Egypt, as `phonenumbers`
  (Google's libphonenumber) validates them, with spaces, dots, dashes, brackets, full-width
  or Arabic-Indic digits; plus our own rules for the common forms it misses
* Chinese resident ID numbers (also with spaces or dashes), US SSNs, Russian SNILS, Emirates
  IDs, Spanish DNI/NIE (checked by `python-stdnum`), French social security numbers, Hong
  Kong IDs, and any number written after an identity-document word -> [id-number]
* passport numbers (letters and digits, or any number after a passport word in six
  languages) and machine-readable zones (MRZ) of passports and ID cards -> [passport] / [mrz]
* IBANs (checksum verified with `python-stdnum`, spaced or not) -> [iban]; card numbers -> [card]
* WeChat and QQ ids after the words that introduce them -> [wechat] / [qq]

Ordinary numbers stay: amounts, dates, times, years, percentages, article and law numbers,
postcodes, order counts (tests/test_redact.py holds both corpora). `redact` repeats until
nothing changes, so `redact(redact(t)) == redact(t)`; placeholders hold no digit and no `@`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.es import dni as stdnum_dni
from stdnum.es import nie as stdnum_nie

PHONE_REGIONS = ("CN", "RU", "US", "GB", "FR", "ES", "SA", "AE", "EG")

_SEP = r"[ \u3000.\-–()（）]"  # what people put between digit groups, full-width included
_PLUS = "[+＋]"

_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+[@＠][A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_MRZ = re.compile(r"(?<![A-Z0-9<])(?=[A-Z0-9<]{30,44}(?![A-Z0-9<]))[A-Z0-9]*<[A-Z0-9<]*")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_ID_NUMBER = re.compile(
    r"(?<![\dA-Za-z])\d{6}[ \-]?\d{8}[ \-]?\d{3}[\dXx](?![\dA-Za-z])"  # China, 18 characters
    r"|(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])"  # US SSN
    r"|(?<![\d-])\d{3}-\d{3}-\d{3}[ -]\d{2}(?!\d)"  # Russian SNILS
    r"|(?<!\d)784-?\d{4}-?\d{7}-?\d(?!\d)"  # Emirates ID
    r"|(?<!\d)[12] \d{2} \d{2} (?:\d{2}|2[AB]) \d{3} \d{3}(?: \d{2})?(?!\d)"  # French NIR
    r"|(?<![A-Za-z\d])[A-Z]{1,2}\d{6}\([\dA]\)"  # Hong Kong ID
)
_DNI = re.compile(r"(?<![A-Za-z\d])(?:[XYZ]-?\d{7}|\d{8})-?[A-Z](?![A-Za-z\d])")
_PHONE = re.compile(
    rf"(?<![\w+＋]){_PLUS}\d(?:{_SEP}{{0,2}}\d){{6,14}}(?!\d)"  # international
    rf"|(?<!\d)1[3-9]\d{_SEP}?\d{{4}}{_SEP}?\d{{4}}(?!\d)"  # Chinese mobile
    r"|(?<![\d-])(?:\(0\d{2,3}\)|0\d{2,3})[ -]?\d{7,8}(?![\d-])"  # Chinese landline
    r"|(?<![\d.-])8[ -]?\(?9\d{2}\)?[ -]?\d{3}[ -]?\d{2}[ -]?\d{2}(?![\d.-])"  # Russian mobile
)
_CARD = re.compile(
    r"(?<!\d)(?:\d{13,19}"  # a bare run of 13-19 digits
    r"|\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{1,3})?"  # 4-4-4-4, up to 19 digits
    r"|\d{4}[ -]\d{6}[ -]\d{5})(?!\d)"  # 4-6-5 (American Express)
)
_PASSPORT = re.compile(r"(?<![\dA-Za-z])[A-Za-z]{1,2}\d{7,9}(?![\dA-Za-z])")

# A number after a word that names a document: "passport no. 123456789", "паспорт 45 12
# 345678", "رقم الهوية 1012345678". Up to 20 characters of filler ("number", ":", "是").
_PASSPORT_WORDS = (
    r"passports?|passeport|pasaporte|паспорт[а-я]*|загранпаспорт[а-я]*|护照(?:号码?)?|"
    r"通行证(?:号码?)?|台胞证(?:号码?)?|جواز(?: السفر)?"
)
_ID_WORDS = (
    r"ID(?: card)?|identity card|national id|身份证(?:号码?)?|证件号码?|ИНН|СНИЛС|"
    r"удостоверени[а-я]*|carte d'identité|CNI|cédula|DNI|NIE|NIF|SSN|iqama|إقامة|"
    r"(?:رقم )?الهوية(?: الوطنية| الإماراتية)?|هوية"
)
_FILLER = (
    r"number|numbers|no|nr|num|numéro|numero|número|n°|nº|#|is|are|my|est|es|el|de|del|du|"
    r"mon|ma|mi|номер|серия|и|мой|моя|رقم|是|为|號|号|号码|card|carte"
)
_AFTER_WORD = (
    r"(?P<lead>(?<![A-Za-z])(?:{words})(?![A-Za-z])"
    rf"(?:[^\w\n]{{{{0,3}}}}(?:{_FILLER})(?![A-Za-z])){{{{0,3}}}}[^\w\n]{{{{0,3}}}})"
    r"(?P<value>[A-Za-z]{{0,3}}\d[A-Za-z0-9]*(?:[ -][A-Za-z]?\d[A-Za-z0-9]*){{0,4}})"
    r"(?![A-Za-z0-9])"
)
_PASSPORT_AFTER = re.compile(_AFTER_WORD.format(words=_PASSPORT_WORDS), re.IGNORECASE)
_ID_AFTER = re.compile(_AFTER_WORD.format(words=_ID_WORDS))

# WeChat / QQ ids: only after the words that introduce them.
_WECHAT = re.compile(
    r"(?P<lead>(?<![A-Za-z])(?:微信|威信|WeChat|Weixin|wx|vx|V信)(?:[ \t]*(?:号码|号|ID|账号))?"
    r"(?:[ \t]*(?P<sep>[:：]|是|is)?[ \t]*))"
    r"(?P<value>(?:wxid_)?[A-Za-z][-_A-Za-z0-9]{5,19})(?![-_A-Za-z0-9])",
    re.IGNORECASE,
)
_QQ = re.compile(
    r"(?P<lead>QQ(?:号码?|号| number| no\.?)?[ \t]*(?:[:：]|是|is)?[ \t]*)"
    r"(?P<value>[1-9]\d{4,11})(?!\d)"
)

_ROUND = re.compile(r"\d{1,3}0{5,}")  # 900 000 000: an amount, not a phone
_MONEY = re.compile(r"(?:RMB|CNY|USD|EUR|HK\$|US\$|[$¥€£₽]|руб|euros?|yuan|元|万|درهم|ريال)", re.I)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _sub_valid(pattern: re.Pattern, placeholder: str, valid: Callable[[str], bool]):
    def apply(text: str) -> str:
        return pattern.sub(lambda m: placeholder if valid(m[0]) else m[0], text)

    return apply


_YEARS = re.compile(r"(?:19|20)\d\d(?:[-–](?:19|20)?\d\d)?")


def _after_word(pattern: re.Pattern, placeholder: str, min_digits: int):
    def apply(text: str) -> str:
        def replace(m: re.Match) -> str:
            if len(_digits(m["value"])) < min_digits or _YEARS.fullmatch(m["value"]):
                return m[0]
            return m["lead"] + placeholder

        return pattern.sub(replace, text)

    return apply


def _wechat(text: str) -> str:
    def replace(m: re.Match) -> str:
        value, sep = m["value"], (m["sep"] or "").lower()
        plain_word = not re.search(r"[\d_]", value)
        if plain_word and sep in ("", "is"):
            return m[0]  # "WeChat account", "WeChat is popular": words, not ids
        return m["lead"] + "[wechat]"

    return _WECHAT.sub(replace, text)


def _phones(text: str) -> str:
    """Numbers libphonenumber finds valid in one of the bot's regions."""
    if sum(c.isdigit() for c in text) < 7:
        return text
    spans: list[tuple[int, int]] = []
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, phonenumbers.Leniency.VALID):
            digits = _digits(match.raw_string)
            before = text[max(0, match.start - 6) : match.start]
            after = text[match.end : match.end + 8]
            if len(digits) < 7 or _ROUND.fullmatch(digits) or "/" in match.raw_string:
                continue
            if _MONEY.search(before) or _MONEY.match(after.strip()):
                continue
            spans.append((match.start, match.end))
    for start, end in sorted(_merge(spans), reverse=True):
        text = text[:start] + "[phone]" + text[end:]
    return text


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _iban_ok(value: str) -> bool:
    return stdnum_iban.is_valid(value)


def _dni_ok(value: str) -> bool:
    return stdnum_dni.is_valid(value) or stdnum_nie.is_valid(value)


_STEPS: tuple[Callable[[str], str], ...] = (
    lambda t: _EMAIL.sub("[email]", t),
    lambda t: _MRZ.sub("[mrz]", t),
    _sub_valid(_IBAN, "[iban]", _iban_ok),
    _wechat,
    _after_word(_QQ, "[qq]", 5),
    _after_word(_PASSPORT_AFTER, "[passport]", 5),
    _after_word(_ID_AFTER, "[id-number]", 5),
    lambda t: _ID_NUMBER.sub("[id-number]", t),
    _sub_valid(_DNI, "[id-number]", _dni_ok),
    lambda t: _PHONE.sub("[phone]", t),
    lambda t: _CARD.sub("[card]", t),
    _phones,
    lambda t: _PASSPORT.sub("[passport]", t),
)


def redact(text: str) -> str:
    """Replace personal data (see the module docstring) with placeholders.

    Repeats until nothing changes, so `redact(redact(t)) == redact(t)`: a replacement can
    uncover a neighbour (`4111111111111111+1234567` -> `[card]+1234567` -> `[card][phone]`).
    Every replacement removes an `@`, a `<` or digits and adds none, so the loop ends.
    """
    while True:
        before = text
        for step in _STEPS:
            text = step(text)
        if text == before:
            return text
