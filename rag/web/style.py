"""The page's look: its CSS, its scripts and the Arabic fonts it serves itself (no CDN)."""

from __future__ import annotations

from pathlib import Path

ASSETS = Path(__file__).with_name("assets")
FONT_DIR = Path("/usr/share/fonts/truetype/noto")
# (CSS family, weight, file): Naskh for reading text, Kufi for headings. Served by the app itself:
# the page must look right offline and on machines without these fonts, so no CDN.
FONTS = [
    ("Isnad Naskh", 400, "NotoNaskhArabic-Regular.ttf"),
    ("Isnad Naskh", 700, "NotoNaskhArabic-Bold.ttf"),
    ("Isnad Kufi", 400, "NotoKufiArabic-Regular.ttf"),
    ("Isnad Kufi", 700, "NotoKufiArabic-Bold.ttf"),
]
_LOCAL_NAMES = {"Isnad Naskh": "Noto Naskh Arabic", "Isnad Kufi": "Noto Kufi Arabic"}
# Only Arabic-script code points use these faces; Latin text keeps the theme's font.
_ARABIC_RANGE = "U+0600-06FF, U+0750-077F, U+0870-08FF, U+FB50-FDFF, U+FE70-FEFF, U+200C-200F, U+2E41, U+061F"


def font_files() -> list[Path]:
    """The font files that exist here; missing ones are skipped and the CSS falls back."""
    return [FONT_DIR / name for _, _, name in FONTS if (FONT_DIR / name).is_file()]


def font_css() -> str:
    rules = []
    for family, weight, name in FONTS:
        path = FONT_DIR / name
        # A relative URL keeps working when the app is served under a path prefix.
        sources = [f'url("gradio_api/file={path}") format("truetype")'] if path.is_file() else []
        sources.append(f'local("{_LOCAL_NAMES[family]}")')
        rules.append(f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-style: normal; '
                     f'font-display: swap; src: {", ".join(sources)}; unicode-range: {_ARABIC_RANGE}; }}')
    return "\n".join(rules)


def asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def page_css() -> str:
    return font_css() + "\n" + asset("style.css")
