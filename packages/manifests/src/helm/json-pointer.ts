/** RFC 6901 JSON pointers over plain JSON values. */

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw new Error(`"${pointer}" is not a JSON pointer (it must start with "/")`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

function parentOf(doc: unknown, pointer: string): { parent: Container; key: string } {
  const parts = parsePointer(pointer);
  if (parts.length === 0) throw new Error('the root cannot be bound');
  let cur: unknown = doc;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur !== 'object' || cur === null) throw new Error(`${pointer}: no such field`);
    cur = (cur as Record<string, unknown>)[p];
  }
  if (typeof cur !== 'object' || cur === null) throw new Error(`${pointer}: no such field`);
  return { parent: cur as Container, key: parts[parts.length - 1]! };
}

export function hasPointer(doc: unknown, pointer: string): boolean {
  try {
    const { parent, key } = parentOf(doc, pointer);
    return Object.prototype.hasOwnProperty.call(parent, key);
  } catch {
    return false;
  }
}

export function getPointer(doc: unknown, pointer: string): unknown {
  const { parent, key } = parentOf(doc, pointer);
  if (!Object.prototype.hasOwnProperty.call(parent, key))
    throw new Error(`${pointer}: no such field`);
  return (parent as Record<string, unknown>)[key];
}

export function setPointer(doc: unknown, pointer: string, value: unknown): void {
  const { parent, key } = parentOf(doc, pointer);
  if (!Object.prototype.hasOwnProperty.call(parent, key))
    throw new Error(`${pointer}: no such field`);
  (parent as Record<string, unknown>)[key] = value;
}

export function removePointer(doc: unknown, pointer: string): void {
  const { parent, key } = parentOf(doc, pointer);
  if (Array.isArray(parent))
    throw new Error(`${pointer}: list items cannot be removed conditionally`);
  delete parent[key];
}

/** Renames a map key in place, keeping its position (so the YAML keeps its order). */
export function renameKey(doc: unknown, pointer: string, newKey: string): void {
  const { parent, key } = parentOf(doc, pointer);
  if (Array.isArray(parent)) throw new Error(`${pointer}: a list item is not a field`);
  if (!(key in parent)) throw new Error(`${pointer}: no such field`);
  const entries = Object.entries(parent);
  for (const k of Object.keys(parent)) delete parent[k];
  for (const [k, v] of entries) parent[k === key ? newKey : k] = v;
}
