/**
 * A small XML well-formedness check for the SVG and XHTML-style pages this package writes (Deno
 * has no DOMParser): tags balanced and properly nested, one root element, attributes named and
 * quoted, no duplicate attributes, no stray `<` or `&`, entity references known or numeric.
 * Comments, `<!DOCTYPE>` and processing instructions are skipped. It is not a validator.
 *
 * @module
 */

/** One problem, with the 1-based line it was found on. */
export interface XmlProblem {
  line: number;
  message: string;
}

/** Summary of a well-formed document: the root and a count of elements per tag name. */
export interface XmlSummary {
  root: string;
  elements: Map<string, number>;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
const ENTITY = /^&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/;

/** Throws an Error naming the first problem and its line; returns a summary otherwise. */
export function assertWellFormed(doc: string): XmlSummary {
  const r = checkXml(doc);
  if ("problem" in r) throw new Error(`not well-formed XML, line ${r.problem.line}: ${r.problem.message}`);
  return r;
}

/** Checks `doc`; returns the summary or the first problem. */
export function checkXml(doc: string): XmlSummary | { problem: XmlProblem } {
  const stack: string[] = [];
  const elements = new Map<string, number>();
  let root = "";
  let i = 0;
  const lineAt = (pos: number) => doc.slice(0, pos).split("\n").length;
  const fail = (pos: number, message: string) => ({ problem: { line: lineAt(pos), message } });

  while (i < doc.length) {
    const lt = doc.indexOf("<", i);
    const textEnd = lt < 0 ? doc.length : lt;
    // Text: every & must start an entity reference; text outside the root must be blank.
    for (let a = doc.indexOf("&", i); a >= 0 && a < textEnd; a = doc.indexOf("&", a + 1)) {
      if (!ENTITY.test(doc.slice(a, a + 12))) return fail(a, "'&' not starting an entity reference");
    }
    if (!stack.length && doc.slice(i, textEnd).trim()) return fail(i, "text outside the root element");
    if (lt < 0) break;
    i = lt;
    if (doc.startsWith("<!--", i)) {
      const end = doc.indexOf("-->", i + 4);
      if (end < 0) return fail(i, "unterminated comment");
      i = end + 3;
      continue;
    }
    if (doc.startsWith("<![CDATA[", i)) {
      const end = doc.indexOf("]]>", i);
      if (end < 0 || !stack.length) return fail(i, "CDATA outside an element or unterminated");
      i = end + 3;
      continue;
    }
    if (doc.startsWith("<!", i) || doc.startsWith("<?", i)) {
      if (stack.length && doc[i + 1] === "!") return fail(i, "declaration inside an element");
      const end = doc.indexOf(">", i);
      if (end < 0) return fail(i, "unterminated declaration");
      i = end + 1;
      continue;
    }
    if (doc[i + 1] === "/") {
      const m = NAME.exec(doc.slice(i + 2));
      if (!m) return fail(i, "end tag without a name");
      let j = i + 2 + m[0].length;
      while (/\s/.test(doc[j] ?? "")) j++;
      if (doc[j] !== ">") return fail(i, `malformed end tag </${m[0]}`);
      const open = stack.pop();
      if (open !== m[0]) return fail(i, `</${m[0]}> closes ${open ? `<${open}>` : "nothing"}`);
      i = j + 1;
      continue;
    }
    const m = NAME.exec(doc.slice(i + 1));
    if (!m) return fail(i, "'<' not starting a tag");
    const name = m[0];
    if (!stack.length) {
      if (root) return fail(i, `second root element <${name}>`);
      root = name;
    }
    elements.set(name, (elements.get(name) ?? 0) + 1);
    let j = i + 1 + name.length;
    const seen = new Set<string>();
    for (;;) {
      const ws = j;
      while (/\s/.test(doc[j] ?? "")) j++;
      if (doc.startsWith("/>", j)) {
        j += 2;
        break;
      }
      if (doc[j] === ">") {
        stack.push(name);
        j += 1;
        break;
      }
      if (j >= doc.length) return fail(i, `unterminated tag <${name}`);
      if (j === ws) return fail(j, `no space before an attribute in <${name}>`);
      const a = NAME.exec(doc.slice(j));
      if (!a) return fail(j, `bad attribute in <${name}>`);
      if (seen.has(a[0])) return fail(j, `duplicate attribute ${a[0]} in <${name}>`);
      seen.add(a[0]);
      j += a[0].length;
      while (/\s/.test(doc[j] ?? "")) j++;
      if (doc[j] !== "=") return fail(j, `attribute ${a[0]} in <${name}> has no value`);
      j++;
      while (/\s/.test(doc[j] ?? "")) j++;
      const q = doc[j];
      if (q !== '"' && q !== "'") return fail(j, `attribute ${a[0]} in <${name}> is not quoted`);
      const end = doc.indexOf(q, j + 1);
      if (end < 0) return fail(j, `unterminated value of ${a[0]} in <${name}>`);
      const value = doc.slice(j + 1, end);
      if (value.includes("<")) return fail(j, `'<' in the value of ${a[0]}`);
      for (let k = value.indexOf("&"); k >= 0; k = value.indexOf("&", k + 1)) {
        if (!ENTITY.test(value.slice(k, k + 12))) return fail(j, `'&' in the value of ${a[0]}`);
      }
      j = end + 1;
    }
    i = j;
  }
  if (stack.length) return fail(doc.length, `<${stack[stack.length - 1]}> is never closed`);
  if (!root) return fail(0, "no root element");
  return { root, elements };
}
