"""Draw ilabdesk's icon set with Pillow: the app icon and the .md/.pdf document icons.

Run once after changing the design and commit the output; builds never draw
icons. Every platform gets its native container from one drawing:
Linux PNGs (16-1024, the hicolor sizes Briefcase installs), a macOS .icns and
a Windows .ico. File names follow Briefcase's `icon = "resources/icons/NAME"`
convention: NAME-<size>.png, NAME.icns, NAME.ico.

    python installers/make_icons.py [OUTPUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

PNG_SIZES = (16, 32, 64, 128, 256, 512, 1024)
ICO_SIZES = [(s, s) for s in (16, 24, 32, 48, 64, 128, 256)]
CANVAS = 1024
SUPERSAMPLE = 2  # draw at 2x and downscale: anti-aliased edges without an SVG renderer

TOP = (38, 166, 154)  # teal
BOTTOM = (48, 63, 159)  # indigo
WHITE = (255, 255, 255, 255)


def _gradient(size: int) -> Image.Image:
    """A vertical teal-to-indigo gradient, the app's colour."""
    column = Image.new("RGBA", (1, size))
    for y in range(size):
        t = y / (size - 1)
        column.putpixel((0, y), tuple(round(a + (b - a) * t) for a, b in zip(TOP, BOTTOM)) + (255,))
    return column.resize((size, size))


def app_icon() -> Image.Image:
    """A rounded square with a taxonomy tree (root, two branches, three leaves) and a spark:
    the loop of teaching a model from a tree of examples."""
    s = CANVAS * SUPERSAMPLE
    mask = Image.new("L", (s, s), 0)
    margin = s * 0.06
    ImageDraw.Draw(mask).rounded_rectangle((margin, margin, s - margin, s - margin), radius=s * 0.2, fill=255)
    image = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    image.paste(_gradient(s), (0, 0), mask)
    draw = ImageDraw.Draw(image)

    def node(x: float, y: float, r: float) -> None:
        draw.ellipse((x * s - r * s, y * s - r * s, x * s + r * s, y * s + r * s), fill=WHITE)

    width = round(s * 0.045)
    root, mid_l, mid_r = (0.5, 0.30), (0.32, 0.55), (0.68, 0.55)
    leaves = [(0.24, 0.78), (0.42, 0.78), (0.68, 0.78)]
    for a, b in [(root, mid_l), (root, mid_r), (mid_l, leaves[0]), (mid_l, leaves[1]), (mid_r, leaves[2])]:
        draw.line((a[0] * s, a[1] * s, b[0] * s, b[1] * s), fill=WHITE, width=width)
    node(*root, 0.085)
    node(*mid_l, 0.06)
    node(*mid_r, 0.06)
    for leaf in leaves:
        node(*leaf, 0.05)
    # The spark: a four-pointed star by the root, "the model learned something".
    cx, cy, r = 0.77 * s, 0.24 * s, 0.11 * s
    star = [(cx, cy - r), (cx + r * 0.25, cy - r * 0.25), (cx + r, cy), (cx + r * 0.25, cy + r * 0.25),
            (cx, cy + r), (cx - r * 0.25, cy + r * 0.25), (cx - r, cy), (cx - r * 0.25, cy - r * 0.25)]
    draw.polygon(star, fill=(255, 214, 102, 255))
    return image.resize((CANVAS, CANVAS), Image.LANCZOS)


def document_icon(label: str, colour: tuple[int, int, int]) -> Image.Image:
    """A white page with a folded corner and a coloured band naming the file type."""
    s = CANVAS * SUPERSAMPLE
    image = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    left, top, right, bottom, fold = 0.18 * s, 0.06 * s, 0.82 * s, 0.94 * s, 0.2 * s
    page = [(left, top), (right - fold, top), (right, top + fold), (right, bottom), (left, bottom)]
    draw.polygon(page, fill=(250, 250, 250, 255), outline=(120, 120, 120, 255), width=round(s * 0.012))
    draw.polygon([(right - fold, top), (right - fold, top + fold), (right, top + fold)], fill=(210, 210, 210, 255))
    draw.rectangle((left, 0.58 * s, right, 0.8 * s), fill=colour + (255,))
    font = ImageFont.load_default(size=round(s * 0.15))
    box = draw.textbbox((0, 0), label, font=font)
    draw.text(((s - (box[2] - box[0])) / 2 - box[0], 0.69 * s - (box[3] + box[1]) / 2), label, font=font, fill=WHITE)
    # The app's tree mark, small, so the file is recognisably ilabdesk's.
    mark = app_icon().resize((round(0.3 * s), round(0.3 * s)), Image.LANCZOS)
    image.alpha_composite(mark, (round(0.35 * s), round(0.2 * s)))
    return image.resize((CANVAS, CANVAS), Image.LANCZOS)


def save_set(image: Image.Image, name: str, folder: Path) -> list[Path]:
    """Write NAME-<size>.png for every size, NAME.icns and NAME.ico."""
    written = []
    for size in PNG_SIZES:
        path = folder / f"{name}-{size}.png"
        image.resize((size, size), Image.LANCZOS).save(path, optimize=True)
        written.append(path)
    image.save(folder / f"{name}.icns")
    image.save(folder / f"{name}.ico", sizes=ICO_SIZES)
    written += [folder / f"{name}.icns", folder / f"{name}.ico"]
    return written


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "resources" / "icons"
    folder.mkdir(parents=True, exist_ok=True)
    written = save_set(app_icon(), "ilabdesk", folder)
    written += save_set(document_icon("MD", (48, 63, 159)), "document-md", folder)
    written += save_set(document_icon("PDF", (198, 40, 40)), "document-pdf", folder)
    print(f"wrote {len(written)} icon files to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
