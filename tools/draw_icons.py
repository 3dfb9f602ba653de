"""Draw the app's icons (static/icons/icon-<size>.png): an open book under a star, on the union blue.

    .venv/bin/python tools/draw_icons.py

The PNGs are committed; run this again after changing the drawing. Everything sits inside the
middle 80 % so that phones may cut the icon to a circle ("maskable")."""
from pathlib import Path

from PIL import Image, ImageDraw

BLUE, WHITE, GOLD, SHADE = (11, 79, 138), (255, 255, 255), (255, 205, 0), (198, 219, 238)
SIZES = (192, 512)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def draw(size: int) -> Image.Image:
    scale = 4  # drawn large, then reduced: smooth edges without anti-aliasing support in ImageDraw
    big = size * scale
    image = Image.new("RGB", (big, big), BLUE)
    pen = ImageDraw.Draw(image)

    def at(x: float, y: float) -> tuple[float, float]:  # coordinates on a 100 × 100 grid
        return x * big / 100, y * big / 100

    pen.polygon([at(20, 45), at(48, 52), at(48, 80), at(20, 73)], fill=WHITE)  # left page
    pen.polygon([at(80, 45), at(52, 52), at(52, 80), at(80, 73)], fill=WHITE)  # right page
    for y in (58, 64, 70):  # lines of text
        pen.line([at(25, y - 4), at(44, y + 1)], fill=SHADE, width=max(1, big // 60))
        pen.line([at(75, y - 4), at(56, y + 1)], fill=SHADE, width=max(1, big // 60))
    star = [(50, 18), (53.5, 28), (64, 28), (55.5, 34), (58.7, 44), (50, 38), (41.3, 44), (44.5, 34),
            (36, 28), (46.5, 28)]
    pen.polygon([at(x, y) for x, y in star], fill=GOLD)
    # A few colours are enough: a palette keeps the 192-px icon, which every page asks for, small.
    return image.resize((size, size), Image.Resampling.LANCZOS).quantize(32, dither=Image.Dither.NONE)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        draw(size).save(OUT / f"icon-{size}.png", optimize=True)
        print(OUT / f"icon-{size}.png")
