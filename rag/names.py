"""Names across scripts: is "Aliyev" in «علييف» ... «إلهام علييف»? Is "Sousse" in a passage that says صفاقس?

A name keeps its consonants when it is transliterated; vowels come and go (Arabic writes few,
English guesses them). Both spellings are reduced to a skeleton of consonant classes — letters a
transliteration confuses share a class (p/b, v/f, the Arabic emphatics and their plain letters,
z/s/ذ, g/j/ج/غ, h/ح/ه/خ), vowels, w and y and the Arabic long vowels, hamza and ع drop out, runs
collapse — and two names match when their skeletons are equal (or one letter apart, for long ones).
Names that are translated rather than transliterated (Egypt/مصر, Germany/ألمانيا) come from a
short table of countries and cities.

    >>> same_name("Aliyev", "علييف"), same_name("Pashinyan", "باشينيان"), same_name("Michel", "ميشيل")
    (True, True, True)
    >>> same_name("Sousse", "صفاقس"), same_name("Egypt", "مصر")
    (False, True)
"""

from __future__ import annotations

import re
from functools import lru_cache

from .arabic import normalize, terms, written_words

_LATIN_RULES = (("sch", "S"), ("tch", "S"), ("sh", "S"), ("ch", "S"), ("zh", "G"), ("dj", "G"), ("kh", "H"),
                ("gh", "G"), ("ph", "F"), ("th", "T"), ("dh", "Z"), ("ck", "K"), ("ng", "N"), ("x", "KZ"),
                ("ce", "Ze"), ("ci", "Zi"), ("cy", "Zy"), ("c", "K"), ("q", "K"), ("k", "K"), ("j", "G"),
                ("g", "G"), ("p", "B"), ("b", "B"), ("v", "F"), ("f", "F"), ("t", "T"), ("d", "D"), ("s", "Z"),
                ("z", "Z"), ("h", "H"), ("l", "L"), ("m", "M"), ("n", "N"), ("r", "R"))
_ARABIC = {"ب": "B", "پ": "B", "ف": "F", "ڤ": "F", "ت": "T", "ط": "T", "ث": "T", "د": "D", "ض": "D",
           "ذ": "Z", "ظ": "Z", "ز": "Z", "س": "Z", "ص": "Z", "ش": "S", "ج": "G", "غ": "G", "گ": "G",
           "ق": "K", "ك": "K", "ح": "H", "ه": "H", "خ": "H", "ل": "L", "م": "M", "ن": "N", "ر": "R"}
_PREFIXES = ("وبال", "ولل", "وال", "بال", "فال", "لل", "ال", "وب", "ول", "و", "ب", "ل")

# Translated, not transliterated: English name -> its Arabic forms (normalised when used).
_EXONYMS = {
    "egypt": "مصر", "egyptian": "مصر مصري مصريه", "germany": "المانيا", "german": "الماني المانيا",
    "greece": "اليونان", "jordan": "الاردن", "morocco": "المغرب", "moroccan": "المغرب مغربي",
    "algeria": "الجزائر", "algiers": "الجزائر", "algerian": "الجزائر جزائري", "syria": "سوريا سوريه",
    "iraq": "العراق", "saudi": "السعوديه سعودي", "emirates": "الامارات", "uae": "الامارات", "kuwait": "الكويت",
    "bahrain": "البحرين", "oman": "عمان", "yemen": "اليمن", "palestine": "فلسطين", "palestinian": "فلسطيني",
    "israel": "اسرائيل", "israeli": "اسرائيلي", "sudan": "السودان", "libya": "ليبيا", "tunisia": "تونس",
    "tunisian": "تونسي", "turkey": "تركيا", "turkish": "تركي تركيا", "iran": "ايران", "china": "الصين",
    "chinese": "الصين صيني", "japan": "اليابان", "india": "الهند", "indian": "الهند هندي", "france": "فرنسا",
    "french": "فرنسي فرنسا", "britain": "بريطانيا", "british": "بريطاني بريطانيا", "uk": "بريطانيا المتحده",
    "america": "امريكا اميركا الامريكيه", "american": "امريكي اميركي", "us": "الولايات امريكا", "usa": "الولايات",
    "spain": "اسبانيا", "italy": "ايطاليا", "netherlands": "هولندا", "sweden": "السويد", "switzerland": "سويسرا",
    "austria": "النمسا", "belgium": "بلجيكا", "russia": "روسيا", "russian": "روسي روسيا", "ukraine": "اوكرانيا",
    "europe": "اوروبا", "european": "اوروبي الاوروبي", "armenia": "ارمينيا",
    "armenian": "ارميني الارميني ارمني الارمني ارمينيا",
    "azerbaijan": "اذربيجان", "azerbaijani": "اذربيجاني الاذربيجاني اذري الاذري اذربيجان", "cairo": "القاهره",
    "riyadh": "الرياض", "mecca": "مكه", "medina": "المنوره", "jerusalem": "القدس", "damascus": "دمشق",
    "baghdad": "بغداد", "beirut": "بيروت", "rabat": "الرباط", "tunis": "تونس", "gaza": "غزه",
    "jeddah": "جده", "aleppo": "حلب", "mosul": "الموصل", "basra": "البصره", "alexandria": "الاسكندريه",
    "africa": "افريقيا", "african": "افريقي افارقه الافارقه افريقيا",
    "asia": "اسيا", "arab": "العربيه عربي",
    "gulf": "الخليج", "lebanon": "لبنان", "lebanese": "لبناني", "qatar": "قطر", "qatari": "قطري",
    "white": "البيت", "house": "البيت", "united": "المتحده", "nations": "الامم", "kingdom": "المملكه",
    "states": "الولايات", "west": "الغربيه الغرب", "bank": "الضفه البنك", "red": "الاحمر", "cross": "الصليب",
    "crescent": "الهلال", "korean": "الكوري كوريا الكوريه", "korea": "كوريا", "syrian": "السوري سوريا",
    "iraqi": "العراقي", "iranian": "الايراني ايران", "yemeni": "اليمني اليمن", "libyan": "الليبي ليبيا",
    "malian": "مالي", "mali": "مالي", "italian": "الايطالي ايطاليا", "spanish": "الاسباني اسبانيا",
    "muslim": "المسلمين مسلم", "brotherhood": "الاخوان", "islamic": "الاسلامي", "state": "الدوله",
    # World cities news names most (one word of each name; "Los Angeles" is found by "Angeles"):
    # written as Arabic writes them, so that a claim's city is a place an Arabic passage must name.
    "london": "لندن", "paris": "باريس", "madrid": "مدريد", "barcelona": "برشلونه", "berlin": "برلين",
    "munich": "ميونيخ ميونخ", "rome": "روما", "milan": "ميلانو ميلان", "moscow": "موسكو", "kiev": "كييف",
    "kyiv": "كييف", "washington": "واشنطن", "york": "نيويورك", "angeles": "انجلوس انجليس انجلس",
    "chicago": "شيكاغو", "tokyo": "طوكيو", "beijing": "بكين", "shanghai": "شنغهاي", "delhi": "دلهي",
    "istanbul": "اسطنبول", "ankara": "انقره", "tehran": "طهران", "kabul": "كابول",
    "karachi": "كراتشي", "geneva": "جنيف", "brussels": "بروكسل", "vienna": "فيينا", "athens": "اثينا",
    "lisbon": "لشبونه", "amsterdam": "امستردام", "stockholm": "ستوكهولم", "manchester": "مانشستر",
    "liverpool": "ليفربول", "doha": "الدوحه", "dubai": "دبي", "dhabi": "ظبي", "muscat": "مسقط",
    "sanaa": "صنعاء", "aden": "عدن", "hodeidah": "الحديده", "khartoum": "الخرطوم", "tripoli": "طرابلس",
    "benghazi": "بنغازي", "amman": "عمان", "homs": "حمص", "idlib": "ادلب", "raqqa": "الرقه", "afrin": "عفرين",
    "ghouta": "الغوطه", "kirkuk": "كركوك", "erbil": "اربيل", "najaf": "النجف", "fallujah": "الفلوجه",
    "sfax": "صفاقس", "sousse": "سوسه", "oran": "وهران", "marrakesh": "مراكش", "fez": "فاس", "tangier": "طنجه",
    "niger": "النيجر", "nigeria": "نيجيريا", "chad": "تشاد", "somalia": "الصومال", "ethiopia": "اثيوبيا",
    "kenya": "كينيا", "pakistan": "باكستان", "afghanistan": "افغانستان", "indonesia": "اندونيسيا",
    "canada": "كندا", "mexico": "المكسيك", "brazil": "البرازيل", "argentina": "الارجنتين", "portugal": "البرتغال",
    "poland": "بولندا", "venezuela": "فنزويلا", "australia": "استراليا", "vegas": "فيغاس فيجاس",
    "nouakchott": "نواكشوط", "mogadishu": "مقديشو", "nairobi": "نيروبي", "lagos": "لاغوس", "johannesburg": "جوهانسبرغ",
    "swiss": "سويسري السويسري سويسرا", "yerevan": "يريفان", "baku": "باكو",
}
# The rest of the world's countries and peoples, regions in the news, and more capitals and cities, each
# in the one-word Arabic forms news sites use. Left out where an Arabic form is also a common word once
# normalised and stripped as `place_forms` strips ("المجر" / "مجرى", "سيول" floods, "الطائف" / "الطائفة",
# "بنين" sons, "صور" pictures, "جنين" foetus, "مشهد" scene, "الخبر" the news, "حماة" / "حماه").
_EXONYMS.update({
    "georgia": "جورجيا", "georgian": "الجورجي جورجيا", "kazakhstan": "كازاخستان قازاقستان",
    "kazakh": "الكازاخي كازاخستان",
    "uzbekistan": "اوزبكستان ازبكستان", "uzbek": "الاوزبكي اوزبكستان", "turkmenistan": "تركمانستان",
    "kyrgyzstan": "قرغيزستان قيرغيزستان", "tajikistan": "طاجيكستان", "mongolia": "منغوليا", "mongolian": "المنغولي",
    "belarus": "بيلاروسيا بيلاروس", "belarusian": "البيلاروسي بيلاروسيا", "moldova": "مولدوفا مولدافيا",
    "lithuania": "ليتوانيا", "latvia": "لاتفيا", "estonia": "استونيا", "romania": "رومانيا", "romanian": "رومانيا",
    "bulgaria": "بلغاريا", "bulgarian": "البلغاري بلغاريا", "hungary": "هنغاريا", "czech": "التشيك تشيكيا التشيكي",
    "slovakia": "سلوفاكيا", "slovenia": "سلوفينيا", "croatia": "كرواتيا", "croatian": "الكرواتي كرواتيا",
    "serbia": "صربيا", "serbian": "الصربي صربيا", "bosnia": "البوسنه", "bosnian": "البوسني البوسنه",
    "albania": "البانيا", "albanian": "الالباني البانيا", "kosovo": "كوسوفو", "macedonia": "مقدونيا",
    "denmark": "الدنمارك الدانمارك", "danish": "الدنماركي الدنمارك", "norway": "النرويج",
    "norwegian": "النرويجي النرويج",
    "finland": "فنلندا", "finnish": "الفنلندي فنلندا", "iceland": "ايسلندا", "ireland": "ايرلندا",
    "irish": "الايرلندي ايرلندا",
    "scotland": "اسكتلندا", "scottish": "الاسكتلندي اسكتلندا", "luxembourg": "لوكسمبورغ", "malta": "مالطا",
    "cyprus": "قبرص", "cypriot": "القبرصي قبرص", "greek": "اليوناني اليونان", "polish": "البولندي بولندا",
    "dutch": "الهولندي هولندا", "swedish": "السويدي السويد", "ukrainian": "الاوكراني اوكرانيا",
    "belgian": "البلجيكي بلجيكا", "austrian": "النمساوي النمسا", "portuguese": "البرتغالي البرتغال",
    "bangladesh": "بنغلاديش", "bangladeshi": "البنغالي بنغلاديش", "lanka": "سريلانكا", "nepal": "نيبال",
    "myanmar": "ميانمار", "burma": "بورما", "thailand": "تايلاند", "thai": "التايلاندي تايلاند",
    "vietnam": "فيتنام", "vietnamese": "الفيتنامي فيتنام", "cambodia": "كمبوديا", "laos": "لاوس",
    "malaysia": "ماليزيا", "malaysian": "الماليزي ماليزيا", "singapore": "سنغافوره", "philippines": "الفلبين",
    "filipino": "الفلبيني الفلبين", "taiwan": "تايوان", "taiwanese": "التايواني تايوان", "zealand": "نيوزيلندا",
    "japanese": "الياباني اليابان", "pakistani": "الباكستاني باكستان", "afghan": "الافغاني افغانستان",
    "indonesian": "الاندونيسي اندونيسيا", "australian": "الاسترالي استراليا", "canadian": "الكندي كندا",
    "eritrea": "اريتريا", "eritrean": "الاريتري اريتريا", "djibouti": "جيبوتي", "uganda": "اوغندا", "rwanda": "رواندا",
    "tanzania": "تنزانيا", "mozambique": "موزمبيق", "zimbabwe": "زيمبابوي", "zambia": "زامبيا", "angola": "انغولا",
    "congo": "الكونغو", "congolese": "الكونغولي الكونغو", "cameroon": "الكاميرون", "ghana": "غانا",
    "senegal": "السنغال",
    "senegalese": "السنغالي السنغال", "mauritania": "موريتانيا", "mauritanian": "الموريتاني موريتانيا",
    "guinea": "غينيا", "burkina": "بوركينا", "madagascar": "مدغشقر", "namibia": "ناميبيا", "botswana": "بوتسوانا",
    "liberia": "ليبيريا", "leone": "سيراليون", "gabon": "الغابون", "togo": "توغو", "malawi": "مالاوي",
    "burundi": "بوروندي", "gambia": "غامبيا", "nigerian": "النيجيري نيجيريا", "kenyan": "الكيني كينيا",
    "ethiopian": "الاثيوبي اثيوبيا", "somali": "الصومالي الصومال", "sudanese": "السوداني السودان",
    "chadian": "التشادي تشاد", "cuba": "كوبا", "cuban": "الكوبي كوبا", "colombia": "كولومبيا",
    "colombian": "الكولومبي كولومبيا",
    "peru": "البيرو بيرو", "chile": "تشيلي التشيلي", "ecuador": "الاكوادور", "bolivia": "بوليفيا",
    "paraguay": "باراغواي",
    "uruguay": "الاوروغواي اوروغواي", "panama": "بنما", "nicaragua": "نيكاراغوا", "honduras": "هندوراس",
    "guatemala": "غواتيمالا", "salvador": "السلفادور", "haiti": "هايتي", "jamaica": "جامايكا",
    "dominican": "الدومينيكان", "mexican": "المكسيكي المكسيك", "brazilian": "البرازيلي البرازيل",
    "argentine": "الارجنتيني الارجنتين", "argentinian": "الارجنتيني الارجنتين", "venezuelan": "الفنزويلي فنزويلا",
    "bahraini": "البحريني البحرين", "kuwaiti": "الكويتي الكويت", "emirati": "الاماراتي الامارات",
    "omani": "العماني عمان",
    "jordanian": "الاردني الاردن",
    "nagorno": "ناغورنو", "karabakh": "كاراباخ كاراباغ", "crimea": "القرم", "kashmir": "كشمير",
    "darfur": "دارفور", "sinai": "سيناء", "kurdistan": "كردستان", "catalonia": "كتالونيا", "xinjiang": "شينجيانغ",
})
# More capitals and cities, in the same forms: each is a city (`_CITY_KEYS`).
_MORE_CITIES = {
    "tbilisi": "تبليسي", "astana": "استانا", "almaty": "الماتي", "tashkent": "طشقند", "minsk": "مينسك",
    "warsaw": "وارسو", "prague": "براغ", "budapest": "بودابست", "bucharest": "بوخارست", "belgrade": "بلغراد",
    "zagreb": "زغرب", "sarajevo": "سراييفو", "tirana": "تيرانا", "oslo": "اوسلو", "copenhagen": "كوبنهاغن كوبنهاجن",
    "helsinki": "هلسنكي", "dublin": "دبلن", "ottawa": "اوتاوا", "canberra": "كانبيرا", "brasilia": "برازيليا",
    "santiago": "سانتياغو", "lima": "ليما", "bogota": "بوغوتا", "caracas": "كراكاس", "havana": "هافانا",
    "hanoi": "هانوي", "bangkok": "بانكوك", "manila": "مانيلا", "jakarta": "جاكرتا", "dhaka": "دكا",
    "colombo": "كولومبو",
    "kathmandu": "كاتماندو", "kampala": "كمبالا", "kigali": "كيغالي", "harare": "هراري", "lusaka": "لوساكا",
    "luanda": "لواندا", "kinshasa": "كينشاسا", "accra": "اكرا", "dakar": "داكار", "bamako": "باماكو", "niamey": "نيامي",
    "abuja": "ابوجا", "addis": "اديس", "ababa": "ابابا", "manama": "المنامه", "taipei": "تايبيه",
    "nablus": "نابلس", "haifa": "حيفا", "jaffa": "يافا", "rafah": "رفح", "latakia": "اللاذقيه", "tartus": "طرطوس",
    "daraa": "درعا", "marib": "مارب", "mukalla": "المكلا", "misrata": "مصراته", "derna": "درنه", "agadir": "اغادير",
    "meknes": "مكناس", "annaba": "عنابه", "tlemcen": "تلمسان", "kairouan": "القيروان", "bizerte": "بنزرت",
    "gabes": "قابس", "monastir": "المنستير", "suez": "السويس", "aswan": "اسوان", "tanta": "طنطا", "asyut": "اسيوط",
    "hurghada": "الغردقه", "tabuk": "تبوك", "dammam": "الدمام", "sharjah": "الشارقه", "ajman": "عجمان",
    "fujairah": "الفجيره", "salalah": "صلاله", "karbala": "كربلاء", "tikrit": "تكريت", "samarra": "سامراء",
    "sulaymaniyah": "السليمانيه", "duhok": "دهوك", "baalbek": "بعلبك", "sidon": "صيدا",
    "toronto": "تورونتو", "montreal": "مونتريال", "boston": "بوسطن", "miami": "ميامي", "houston": "هيوستن",
    "dallas": "دالاس", "atlanta": "اتلانتا", "seattle": "سياتل", "sydney": "سيدني", "melbourne": "ملبورن",
    "mumbai": "مومباي", "bombay": "بومباي", "hamburg": "هامبورغ", "frankfurt": "فرانكفورت", "zurich": "زيورخ",
    "marseille": "مرسيليا", "naples": "نابولي", "turin": "تورينو", "florence": "فلورنسا", "petersburg": "بطرسبرغ",
    "sochi": "سوتشي", "kazan": "قازان", "odessa": "اوديسا", "kharkiv": "خاركيف", "donetsk": "دونيتسك",
    "osaka": "اوساكا", "kandahar": "قندهار", "herat": "هرات", "peshawar": "بيشاور", "lahore": "لاهور",
    "izmir": "ازمير", "antalya": "انطاليا", "isfahan": "اصفهان", "tabriz": "تبريز", "shiraz": "شيراز",
}
_EXONYMS.update(_MORE_CITIES)


def arabic_place(word: str) -> bool:
    """Is this Arabic word a country, city or people of the exonym table ("القطرية", "اللبناني")?"""
    return bool(place_forms(word))


def place_kinds(word: str) -> frozenset[str]:
    """"city", "country" (a country or its people), both (تونس) or neither, for an Arabic word."""
    forms = place_forms(word)
    return frozenset(k for k, known in (("city", _ARABIC_CITIES), ("country", _ARABIC_COUNTRIES)) if forms & known)


def place_forms(word: str) -> frozenset[str]:
    """The exonym table's forms this Arabic word is ("القطرية" -> {"قطر"}); empty when it is no place.
    Two words name the same place when their forms meet ("مصرية" and "مصر")."""
    w = normalize(word)
    if any(w.startswith(p) and w[len(p):] in _COMMON_WITH_AL for p in ("ال", "وال", "بال", "لل")):
        return frozenset()  # "المالي", "المالية": financial, not Malian
    forms = {w} | {w[len(p):] for p in _PREFIXES if w.startswith(p) and len(w) - len(p) >= 3}
    if forms & _COMMON_WORDS:
        return frozenset()
    forms |= {f[:-2] for f in list(forms) if f.endswith(("يين", "يون")) and len(f) >= 6}  # "الأمريكيين"
    forms |= {f[:-len(x)] for f in list(forms) for x in ("يه", "ي", "ه") if f.endswith(x) and len(f) - len(x) >= 3}
    # A people's adjective in -ي is its country's name in -يا or -ا: "الليبي" Libya, "الأمريكي" America.
    forms |= {v for f in list(forms) if f.endswith("ي") and len(f) >= 4 for v in (f + "ا", f[:-1] + "ا")}
    return frozenset(forms & _ARABIC_PLACES)


# With the article, these are common adjectives rather than a people ("الدعم المالي": financial support).
_COMMON_WITH_AL = frozenset({"مالي", "ماليه"})
# Common words that a place's adjective ending would otherwise make one: sport, sporting ("الرياضة" is no Riyadh).
_COMMON_WORDS = frozenset({"رياضه", "رياضي", "رياضيه", "رياضيين", "رياضيون"})


def is_place(word: str) -> bool:
    """A country, city or people the exonym table knows ("Egypt", "Lebanese"), or a word of one ("States")."""
    return word.lower() in _EXONYMS


def names_a_place(word: str) -> bool:
    """A word that is itself a country, city or people ("Angeles", "Qatari"; not "United" or "States")."""
    return word.lower() in _PLACE_KEYS


_PLACE_KEYS = tuple(k for k in _EXONYMS if k not in {"white", "house", "united", "nations", "kingdom", "states", "west",
                                                "bank", "red", "cross", "crescent", "muslim", "brotherhood",
                                                "islamic", "state", "middle", "arab"})
_PLACE_KEY_SET = frozenset(_PLACE_KEYS)
_CITY_KEYS = frozenset({
    "algiers", "cairo", "riyadh", "mecca", "medina", "jerusalem", "damascus", "baghdad", "beirut", "rabat", "tunis",
    "gaza", "jeddah", "aleppo", "mosul", "basra", "alexandria", "london", "paris", "madrid",
    "barcelona", "berlin", "munich", "rome", "milan", "moscow", "kiev", "kyiv", "washington", "york", "angeles",
    "chicago", "tokyo", "beijing", "shanghai", "delhi", "istanbul", "ankara", "tehran", "kabul", "karachi",
    "geneva", "brussels", "vienna", "athens", "lisbon", "amsterdam", "stockholm", "manchester", "liverpool", "doha",
    "dubai", "dhabi", "muscat", "sanaa", "aden", "hodeidah", "khartoum", "tripoli", "benghazi", "amman", "homs",
    "idlib", "raqqa", "afrin", "ghouta", "kirkuk", "erbil", "najaf", "fallujah", "sfax", "sousse", "oran",
    "marrakesh", "fez", "tangier", "nouakchott", "mogadishu", "nairobi", "lagos", "johannesburg", "vegas",
    "yerevan", "baku"} | _MORE_CITIES.keys())


# A capital stands for its government in news ("الدوحة تعتزم" for Qatar): the same place as its country.
_CAPITAL_OF = {"cairo": "egypt", "riyadh": "saudi", "baghdad": "iraq", "damascus": "syria", "beirut": "lebanon",
               "rabat": "morocco", "algiers": "algeria", "doha": "qatar", "tehran": "iran", "ankara": "turkey",
               "moscow": "russia", "washington": "america", "london": "britain", "paris": "france",
               "berlin": "germany", "madrid": "spain", "rome": "italy", "beijing": "china", "tokyo": "japan",
               "delhi": "india", "kabul": "afghanistan", "sanaa": "yemen", "khartoum": "sudan", "tripoli": "libya",
               "amman": "jordan", "muscat": "oman", "kiev": "ukraine", "kyiv": "ukraine", "athens": "greece",
               "lisbon": "portugal", "brussels": "belgium", "vienna": "austria", "stockholm": "sweden",
               "mogadishu": "somalia", "nairobi": "kenya",
               "yerevan": "armenia", "baku": "azerbaijan", "tunis": "tunisia", "dhabi": "emirates",
               "amsterdam": "netherlands", "nouakchott": "mauritania", "tbilisi": "georgia", "astana": "kazakhstan",
               "tashkent": "uzbekistan", "minsk": "belarus", "warsaw": "poland", "prague": "czech",
               "budapest": "hungary", "bucharest": "romania", "belgrade": "serbia", "zagreb": "croatia",
               "sarajevo": "bosnia", "tirana": "albania", "oslo": "norway", "copenhagen": "denmark",
               "helsinki": "finland", "dublin": "ireland", "ottawa": "canada", "canberra": "australia",
               "brasilia": "brazil", "santiago": "chile", "lima": "peru", "bogota": "colombia",
               "caracas": "venezuela", "havana": "cuba", "hanoi": "vietnam", "bangkok": "thailand",
               "manila": "philippines", "jakarta": "indonesia", "dhaka": "bangladesh", "kathmandu": "nepal",
               "kampala": "uganda", "kigali": "rwanda", "harare": "zimbabwe", "lusaka": "zambia",
               "luanda": "angola", "kinshasa": "congo", "accra": "ghana", "dakar": "senegal", "bamako": "mali",
               "niamey": "niger", "abuja": "nigeria", "addis": "ethiopia", "ababa": "ethiopia",
               "manama": "bahrain", "taipei": "taiwan"}


def place_said(word: str, text: str) -> bool:
    """Does `text` name the place this word names — an Arabic word in any of its forms ("ألمانيا" /
    "الألماني"), an English one as the table writes it in Arabic (a people by its country too: "Tunisian"
    by "تونس") or as it is in an English text — or the country of a capital or a capital of the country
    ("الدوحة" is said by "قطر", "Ankara" by "تركيا")? False for a word that is no place."""
    keys = place_ids(word)
    if not keys:
        return False
    return any(keys & place_keys(w) if not w.isascii() else w.lower() in keys for w in written_words(text))


@lru_cache(maxsize=50_000)
def place_ids(word: str) -> frozenset[str]:
    """The table's entries a word of either script names — an English word by its key and those of its
    Arabic forms ("Tunisian": تونس), an Arabic one by `place_keys` — with the country of a capital and the
    capital of a country ("Baku" and "أذربيجان" meet). Empty for a word that is no place."""
    if re.search(r"[A-Za-z]", word):
        keys = {_english_key(word)} & _PLACE_KEY_SET
        keys |= {k for key in keys for f in _EXONYMS[key].split() for k in place_keys(f)}
    else:
        keys = set(place_keys(word))
    if keys:
        keys |= {country for city, country in _CAPITAL_OF.items() if city in keys}
        keys |= {city for city, country in _CAPITAL_OF.items() if country in keys}
    return frozenset(keys)


def any_place_kinds(word: str) -> frozenset[str]:
    """`place_kinds` for a word of either script ("Baku": city, "Armenian": country)."""
    if not re.search(r"[A-Za-z]", word):
        return place_kinds(word)
    key = _english_key(word)
    return frozenset() if key not in _PLACE_KEY_SET else frozenset({"city" if key in _CITY_KEYS else "country"})


def _english_key(word: str) -> str:
    """The table's key of an English word, a people in the plural by its singular ("Qataris")."""
    key = word.lower()
    return key[:-1] if key not in _PLACE_KEY_SET and key.endswith("s") and key[:-1] in _PLACE_KEY_SET else key


def places_named(text: str) -> list[str]:
    """The words of `text` that name a country, city or people of the table by themselves: an Arabic
    word in any of its forms, a capitalised English one ("Derna", "Lanka"); not a part of a longer name
    ("United", "States", "الولايات", "المتحدة": "ولايات الهند" are India's states)."""
    return list(dict.fromkeys(w for w in written_words(text) if (
        (names_a_place(w) and w[:1].isupper()) if w.isascii()
        else arabic_place(w) and not place_forms(w) <= _PART_FORMS)))


_PART_FORMS = frozenset({"ولايات", "الولايات", "متحده", "المتحده"})


def place_mentioned(word: str, text: str) -> bool:
    """`place_said`, or for an English word also its letters in the text's script ("Jordan" in "مايكل
    جوردان" is the player, whom the table's "الأردن" would miss)."""
    return place_said(word, text) or (word.isascii() and name_in(word, text))


@lru_cache(maxsize=50_000)
def place_keys(word: str) -> frozenset[str]:
    """The exonym table's entries an Arabic word is a form of, and those sharing a form with them
    ("الأرمينية" -> {"armenian", "armenia"}: the people's entry also holds the country's name)."""
    keys = {k for f in place_forms(word) for k in _KEYS_OF_FORM.get(f, ())}
    return frozenset(other for k in keys for f in _FORMS_OF_KEY[k] for other in _KEYS_OF_FORM[f])


def _forms(keys: object) -> frozenset[str]:
    """The Arabic forms of the table's entries `keys`, normalised as the words they are compared with
    ("الجزائر" and "إسرائيل" are "الجزاير" and "اسراييل" there)."""
    return frozenset(normalize(f2) for k in _PLACE_KEYS if k in keys  # type: ignore[operator]
                     for f in _EXONYMS[k].split() for f2 in (f, f[2:] if f.startswith("ال") else f) if len(f2) >= 3)


_ARABIC_CITIES = _forms(_CITY_KEYS)
_ARABIC_COUNTRIES = _forms(_PLACE_KEY_SET - _CITY_KEYS)
_ARABIC_PLACES = _ARABIC_CITIES | _ARABIC_COUNTRIES
_FORMS_OF_KEY = {key: _forms(frozenset({key})) for key in _PLACE_KEYS}
_KEYS_OF_FORM: dict[str, set[str]] = {}
for _key, _key_forms in _FORMS_OF_KEY.items():
    for _form in _key_forms:
        _KEYS_OF_FORM.setdefault(_form, set()).add(_key)


def _latin_skeleton(word: str) -> str:
    w = word.lower()
    out, i = [], 0
    while i < len(w):
        for src, dst in _LATIN_RULES:
            if w.startswith(src, i):
                out.append(dst.rstrip("aeiouy"))
                i += len(src) - (1 if dst[-1:].islower() else 0)
                break
        else:
            i += 1  # a vowel, w, y, an apostrophe
    return _collapse("".join(out))


def _arabic_skeleton(word: str) -> str:
    if len(word) > 1 and word.endswith("ه"):  # ة, or a final ه that writes a vowel ("خوسيه")
        word = word[:-1]
    return _collapse("".join(_ARABIC.get(ch, "") for ch in word))


def _collapse(s: str) -> str:
    return re.sub(r"(.)\1+", r"\1", s)


@lru_cache(maxsize=65536)
def skeletons(word: str) -> frozenset[str]:
    """The consonant skeletons a written word may stand for (an Arabic word with and without its
    attached prefixes: "وميشيل" is "ميشيل")."""
    if re.search(r"[A-Za-z]", word):
        skeleton = _latin_skeleton(word)
        plural = {skeleton[:-1]} if word.lower().endswith("s") and len(skeleton) > 2 else set()
        # a final "ng" is written نغ or نج ("Turing", "تورنغ"); inside a word it is a plain n ("Washington")
        final_g = {skeleton + "G"} if word.lower().endswith("ng") else set()
        # an h after a vowel and before no vowel is often silent: "John" is جون, "Sarah" سارة
        silent_h = re.sub(r"(?<=[aeiou])h(?![aeiouy])", "", word.lower())
        silent = {_latin_skeleton(silent_h)} if silent_h != word.lower() else set()
        # "ch" is ش as often as تش: "Michel" ميشيل, "Lachin" لاتشين, "Chad" تشاد
        tsh = {_latin_skeleton(word.lower().replace("ch", "tsh"))} if "ch" in word.lower() else set()
        return frozenset({skeleton} | plural | final_g | silent | tsh - {""})
    w = normalize(word)
    forms = {w} | {w[len(p):] for p in _PREFIXES if w.startswith(p) and len(w) - len(p) >= 2}
    # "الحوثيين" is the Houthis, "الأمريكية" America's: the plural and adjective endings go too
    forms |= {f[:-len(x)] for f in list(forms) for x in ("يين", "ين", "ون", "ات", "يه", "ي")
              if f.endswith(x) and len(f) - len(x) >= 3}
    return frozenset({_arabic_skeleton(f) for f in forms} - {""})


def _close(a: str, b: str) -> bool:
    if len(a) > 2 and len(b) > 2:  # a final h is a vowel as often as not: Abdullah / عبدالل(ه)
        a, b = a.removesuffix("H"), b.removesuffix("H")
    if a == b:
        return True
    if min(len(a), len(b)) < 4 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def same_name(latin: str, other: str) -> bool:
    """Could `other` (a word in any script) be the name `latin` written another way?"""
    exonym = _EXONYMS.get(latin.lower())
    if exonym and not re.search(r"[A-Za-z]", other):
        w = normalize(other)
        forms = {w} | {w[len(p):] for p in _PREFIXES if w.startswith(p)}
        for ex in normalize(exonym).split():  # "مصري" and "المصرية" are Egypt's too; "الماني" is Germany's
            if any(f == ex or (len(f) >= 3 and len(ex) >= 3 and (f.startswith(ex) or ex.startswith(f)))
                   for f in forms):
                return True
        if arabic_place(other):  # a place of the table is the places it is a form of, not a look-alike:
            return latin.lower() in place_keys(other)  # "الأرمينية" is Armenia's, and no "Germany"
    return any(_close(a, b) for a in skeletons(latin) for b in skeletons(other))


def name_in(latin: str, text: str) -> bool:
    """Does `text` (any script) contain the name `latin`, as written or transliterated?"""
    if latin.lower() in text.lower():
        return True
    # A function word ("وقال" is K-L, like "Kelly") is never a name.
    return any(same_name(latin, w) for w in written_words(text) if terms(w))
