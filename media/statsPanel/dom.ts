// Small DOM helpers of the stats panel's page. Every value goes in through textContent or an
// attribute, never as markup: file names and reasons come from builds.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An element of the static page (extension/statsPanelHtml.ts); a missing id is a bug there. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`stats panel: the page has no #${id}`);
  return node as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

/** Sets the text of #id only when it changed (no needless layout while nothing moves). */
export function setText(id: string, text: string): void {
  const node = byId(id);
  if (node.textContent !== text) node.textContent = text;
}

/** A fresh, empty tbody in place of the table's first one. */
export function replaceBody(tableId: string): HTMLTableSectionElement {
  const table = byId<HTMLTableElement>(tableId);
  const tbody = document.createElement('tbody');
  table.replaceChild(tbody, table.tBodies[0]!);
  return tbody;
}

/** One row spanning the table, saying why it is empty. */
export function emptyRow(tbody: HTMLTableSectionElement, columns: number, text: string): void {
  const row = el('tr', 'empty');
  const cell = el('td', undefined, text);
  cell.colSpan = columns;
  row.appendChild(cell);
  tbody.appendChild(row);
}
