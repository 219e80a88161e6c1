"""Country, region and postcode rules for customer addresses.

Countries are ISO 3166-1 alpha-2 codes. Regions are the ISO 3166-2 subdivision code without the
country prefix (CA for California, ON for Ontario), which is what tax zones match on; they are
required and checked against the list where tax and carriers need them (US, CA, AU). Postcodes are
required except where the country has no postcode system, and their format is checked for a few
countries whose carriers reject anything else.
"""

from __future__ import annotations

import re

_COUNTRY_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
    BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
    GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
    KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
    MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
    TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
    ZW
"""
COUNTRIES = frozenset(_COUNTRY_CODES.split())

_REGION_CODES = {
    "US": """
        AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH
        NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI UM AA AE AP
    """,
    "CA": "AB BC MB NB NL NS NT NU ON PE QC SK YT",
    "AU": "ACT NSW NT QLD SA TAS VIC WA",
}
REGIONS: dict[str, frozenset[str]] = {
    country: frozenset(codes.split()) for country, codes in _REGION_CODES.items()
}

# Countries without a postcode system (or where it is not used for mail): postcode optional.
_NO_POSTCODE_CODES = """
    AE AG AO AW BF BI BJ BO BS BW BZ CD CF CG CI CK CM DJ DM ER FJ GA GD GH GM GQ GY HK IE KI KM
    KN KP LY ML MO MR MW NR NU QA RW SB SC SL SR ST SY TD TG TK TL TO TV UG VU YE ZW
"""
NO_POSTCODE = frozenset(_NO_POSTCODE_CODES.split())

POSTCODE_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "US": (re.compile(r"[0-9]{5}(-[0-9]{4})?"), "must be 5 digits, or ZIP+4 (12345-6789)"),
    "CA": (re.compile(r"[A-Z][0-9][A-Z] ?[0-9][A-Z][0-9]"), "must look like K1A 0B1"),
    "GB": (
        re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}"),
        "must be a UK postcode such as SW1A 1AA",
    ),
    "DE": (re.compile(r"[0-9]{5}"), "must be 5 digits"),
    "FR": (re.compile(r"[0-9]{5}"), "must be 5 digits"),
    "ES": (re.compile(r"[0-9]{5}"), "must be 5 digits"),
    "IT": (re.compile(r"[0-9]{5}"), "must be 5 digits"),
    "NL": (re.compile(r"[0-9]{4} ?[A-Z]{2}"), "must look like 1234 AB"),
    "AU": (re.compile(r"[0-9]{4}"), "must be 4 digits"),
}
GENERIC_POSTCODE = re.compile(r"[A-Z0-9][A-Z0-9 -]{1,14}")
PHONE = re.compile(r"\+?[0-9 ().-]{6,31}")


def country_problem(value: str) -> str | None:
    """What is wrong with `value` as a country code (already upper-cased), or None."""
    if value not in COUNTRIES:
        return "must be an ISO 3166-1 alpha-2 country code, such as DE or US"
    return None


def region_problem(country: str, value: str | None) -> str | None:
    """What is wrong with `value` as a region of `country`, or None."""
    known = REGIONS.get(country)
    if not value:
        return "is required for this country" if known else None
    if known is not None and value not in known:
        return f"must be one of {country}'s region codes ({', '.join(sorted(known))})"
    if not re.fullmatch(r"[A-Z0-9]{1,3}", value):
        return "must be a region code of 1 to 3 letters or digits"
    return None


def postcode_problem(country: str, value: str | None) -> str | None:
    """What is wrong with `value` as a postcode in `country` (already upper-cased), or None."""
    if not value:
        return None if country in NO_POSTCODE else "is required for this country"
    pattern, problem = POSTCODE_FORMATS.get(
        country, (GENERIC_POSTCODE, "must be 2 to 15 letters, digits, spaces or hyphens")
    )
    return None if pattern.fullmatch(value) else problem


def phone_problem(value: str) -> str | None:
    """What is wrong with `value` as a phone number, or None (digits, spaces, + ( ) . -)."""
    if not PHONE.fullmatch(value) or sum(c.isdigit() for c in value) < 6:
        return "must be a phone number of at least 6 digits, such as +49 30 1234567"
    return None
