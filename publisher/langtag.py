"""Language codes as Jekyll sites write them (`zh_cn`, `pt_BR`, `en-us`, `EN`) → BCP 47 (`zh-CN`,
`pt-BR`, `en-US`, `en`), with the `langcodes` library (IANA registry data). A code that cannot be
made a valid tag is reported by the caller, and the paper's language is then `und` (undetermined).
"""
from __future__ import annotations

import re
from functools import lru_cache

UNDETERMINED = "und"


# The common case, a two-letter language with or without a two-letter region (`en`, `pt_BR`,
# `en-us`), is answered from these tables without importing langcodes (a tenth of a second of every
# build's start-up): the ISO 639-1 codes and the region codes that langcodes keeps as they are and
# finds valid. tests/test_langtag.py checks every pair against langcodes.
LANGUAGES = frozenset((
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da "
    "de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz "
    "ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln "
    "lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi "
    "pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti "
    "tk tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"
).split())
REGIONS = frozenset((
    "AA AC AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CP CR CU CV CW CX CY CZ DE DG DJ DK DM "
    "DO DZ EA EC EE EG EH ER ES ET EU EZ FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR "
    "GS GT GU GW GY HK HM HN HR HT HU IC ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS "
    "MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT "
    "PW PY QA QM QN QO QP QQ QR QS QT QV QW QX QY QZ RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL "
    "SM SN SO SR SS ST SV SX SY SZ TA TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM UN US "
    "UY UZ VA VC VE VG VI VN VU WF WS XA XB XC XD XE XF XG XH XI XJ XK XL XM XN XO XP XQ XR XS XT XU "
    "XV XW XX XY XZ YE YT ZA ZM ZW ZZ"
).split())


@lru_cache(maxsize=256)
def normalise(code: str) -> str | None:
    """CODE as a valid BCP 47 tag, or None when it cannot be one ('' gives None)."""
    text = str(code or "").strip().replace("_", "-")
    if not text or not re.fullmatch(r"[A-Za-z0-9-]{1,64}", text):
        return None
    lang, dash, region = text.partition("-")
    if lang.lower() in LANGUAGES and (not dash or region.upper() in REGIONS):
        return lang.lower() + ("-" + region.upper() if region else "")
    import langcodes

    try:
        tag = langcodes.standardize_tag(text)
    except (ValueError, langcodes.tag_parser.LanguageTagError):
        return None
    return tag if langcodes.tag_is_valid(tag) else None
