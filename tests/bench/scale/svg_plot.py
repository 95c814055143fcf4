"""A small SVG line-chart writer (no plotting library on the machine): panels in a grid, each with its own axes
(linear, or log10 where a value grows by decades; a 0 on a log axis sits one decade left of the smallest value)."""
import math
from html import escape

WIDTH, HEIGHT, MARGIN = 420, 300, (58, 20, 40, 46)  # panel size; margins left, right, top, bottom
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f"]
DASHES = ["", "6,3", "2,2", "8,3,2,3"]


class Axis:
    def __init__(self, values, log, start, end):
        self.log = log
        positive = [v for v in values if v > 0]
        if log and positive:
            self.zero = min(positive) / 10 if any(v <= 0 for v in values) else None
            low, high = math.log10(self.zero or min(positive)), math.log10(max(positive))
        else:
            self.zero = None
            low, high = min([0.0] + list(values)), max([1e-9] + list(values))
        if high <= low:
            high = low + 1
        self.low, self.high, self.start, self.end = low, high, start, end

    def at(self, value):
        if self.log:
            value = math.log10(value if value > 0 else (self.zero or 1e-9))
        return self.start + (value - self.low) / (self.high - self.low) * (self.end - self.start)

    def ticks(self):
        if self.log:
            ticks = [10 ** e for e in range(math.ceil(self.low), math.floor(self.high) + 1)]
            return ([0.0] if self.zero else []) + ticks
        step = nice_step((self.high - self.low) / 5)
        first = math.ceil(self.low / step) * step
        return [first + i * step for i in range(int((self.high - first) / step) + 1)]


def nice_step(raw):
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def label(value):
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value / 1000:g}k" if value < 1e6 else f"{value / 1e6:g}M"
    return f"{value:g}"


def panel(x0, y0, title, xlabel, ylabel, series, xlog=False, ylog=False):
    """SVG elements of one panel at (x0, y0); series: [(name, [(x, y), …])] (points with y None are skipped)."""
    left, right, top, bottom = MARGIN
    points = [(x, y) for _, pts in series for x, y in pts if y is not None]
    if not points:
        return [f'<text x="{x0 + 20}" y="{y0 + 40}" font-size="12">{escape(title)}: no data</text>']
    xs = Axis([p[0] for p in points], xlog, x0 + left, x0 + WIDTH - right)
    ys = Axis([p[1] for p in points], ylog, y0 + HEIGHT - bottom, y0 + top)
    out = [f'<text x="{x0 + WIDTH / 2}" y="{y0 + 16}" text-anchor="middle" font-size="13" font-weight="bold">{escape(title)}</text>',
           f'<rect x="{xs.start}" y="{ys.end}" width="{xs.end - xs.start}" height="{ys.start - ys.end}" fill="none" stroke="#999"/>']
    for tick in xs.ticks():
        x = xs.at(tick)
        out.append(f'<line x1="{x:.1f}" y1="{ys.start}" x2="{x:.1f}" y2="{ys.end}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{ys.start + 14}" text-anchor="middle" font-size="10">{label(tick)}</text>')
    for tick in ys.ticks():
        y = ys.at(tick)
        out.append(f'<line x1="{xs.start}" y1="{y:.1f}" x2="{xs.end}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{xs.start - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="10">{label(tick)}</text>')
    out.append(f'<text x="{x0 + WIDTH / 2}" y="{y0 + HEIGHT - 10}" text-anchor="middle" font-size="11">{escape(xlabel)}</text>')
    out.append(f'<text x="{x0 + 14}" y="{y0 + HEIGHT / 2}" text-anchor="middle" font-size="11" '
               f'transform="rotate(-90 {x0 + 14} {y0 + HEIGHT / 2})">{escape(ylabel)}</text>')
    for i, (name, pts) in enumerate(series):
        pts = sorted((x, y) for x, y in pts if y is not None)
        if not pts:
            continue
        color, dash = COLORS[i % len(COLORS)], DASHES[(i // 2) % len(DASHES)]
        path = " ".join(f"{'M' if j == 0 else 'L'}{xs.at(x):.1f},{ys.at(y):.1f}" for j, (x, y) in enumerate(pts))
        out.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="1.8" stroke-dasharray="{dash}"/>')
        out.extend(f'<circle cx="{xs.at(x):.1f}" cy="{ys.at(y):.1f}" r="2.5" fill="{color}"/>' for x, y in pts)
        ly = ys.end + 12 + 12 * i
        out.append(f'<line x1="{xs.start + 6}" y1="{ly - 3}" x2="{xs.start + 22}" y2="{ly - 3}" stroke="{color}" stroke-width="2" stroke-dasharray="{dash}"/>')
        out.append(f'<text x="{xs.start + 26}" y="{ly}" font-size="10">{escape(name)}</text>')
    return out


def write(path, panels, columns=3, heading=""):
    """panels: [dict(title=, xlabel=, ylabel=, series=, xlog=, ylog=)] laid out `columns` per row."""
    rows = math.ceil(len(panels) / columns)
    head = 24 if heading else 0
    body = [f'<text x="10" y="17" font-size="14">{escape(heading)}</text>'] if heading else []
    for i, spec in enumerate(panels):
        body += panel((i % columns) * WIDTH, head + (i // columns) * HEIGHT, **spec)
    width, height = columns * WIDTH, head + rows * HEIGHT
    path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
                    f'font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(body) + "\n</svg>\n")
