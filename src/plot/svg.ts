/**
 * A minimal SVG writer: elements as strings, attributes escaped, numbers rounded.
 *
 * Plots are written as text (no DOM in Deno), so this is just careful string building: every
 * attribute value and text node goes through {@link escapeXml}, and coordinates are rounded to
 * two decimals so a plot of a long run stays small and its output is stable across platforms.
 *
 * @module
 */

/** Attribute values; `undefined` (and `false`) attributes are left out. */
export type Attrs = Record<string, string | number | boolean | undefined>;

/** Escapes text for use in XML text nodes and double-quoted attribute values. */
export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;",
  );
}

/** A coordinate or length as text: at most two decimals, no "-0", non-finite values as 0. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return "0";
  const r = Math.round(x * 100) / 100;
  return Object.is(r, -0) ? "0" : String(r);
}

function attrText(attrs: Attrs): string {
  let out = "";
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    const text = v === true ? k : typeof v === "number" ? num(v) : v;
    out += ` ${k}="${escapeXml(text)}"`;
  }
  return out;
}

/**
 * One element as markup. `children` is markup already (use {@link text} for plain text); an
 * element without children is self-closed.
 */
export function el(tag: string, attrs: Attrs = {}, children?: string | readonly string[]): string {
  const inner = children === undefined ? "" : typeof children === "string" ? children : children.join("");
  return inner ? `<${tag}${attrText(attrs)}>${inner}</${tag}>` : `<${tag}${attrText(attrs)}/>`;
}

/** Plain text as a child of {@link el} (escaped). */
export function text(s: string): string {
  return escapeXml(s);
}

/** A `<path d>` for a polyline through `points` (pixel coordinates), or "" for none. */
export function polylinePath(points: readonly (readonly [number, number])[]): string {
  return points.map(([x, y], i) => `${i ? "L" : "M"}${num(x)} ${num(y)}`).join("");
}

/** The standalone SVG document around `children`, with a white background. */
export function svgDocument(
  width: number,
  height: number,
  children: readonly string[],
  title?: string,
): string {
  const body = [
    ...(title ? [el("title", {}, text(title))] : []),
    el("rect", { x: 0, y: 0, width, height, fill: "#ffffff" }),
    ...children,
  ];
  return el("svg", {
    xmlns: "http://www.w3.org/2000/svg",
    width,
    height,
    viewBox: `0 0 ${num(width)} ${num(height)}`,
    "font-family": "Helvetica, Arial, sans-serif",
    "font-size": 12,
  }, body) + "\n";
}

/** Colour-blind-friendly categorical colours (Okabe-Ito order, then greys). */
export const PALETTE = [
  "#0072b2",
  "#d55e00",
  "#009e73",
  "#cc79a7",
  "#e69f00",
  "#56b4e9",
  "#f0e442",
  "#000000",
  "#888888",
] as const;
