// A small JSON Schema (draft 2020-12) validator for the subset status-schema.json uses; it refuses any other keyword.

/** A schema node: an object with keywords, or a boolean schema. */
export type Schema = boolean | { readonly [keyword: string]: unknown };

/** Keywords that only annotate. */
const ANNOTATIONS = new Set(["$schema", "$id", "$comment", "title", "description", "$defs", "examples", "default"]);
/** Keywords this validator asserts. */
const ASSERTIONS = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "enum",
  "const",
  "minimum",
  "maximum",
  "minItems",
  "maxItems",
  "$ref",
  "oneOf",
  "format",
]);

/**
 * Validates `value` against `schema` and returns every failure as `path: message` (empty =
 * valid). Supports type (with integer), properties, required, additionalProperties, items,
 * enum, const, minimum, maximum, minItems, maxItems, oneOf, local `$ref` (`#/$defs/name`) and
 * `format: date-time`. Throws on any other keyword, so the schema cannot silently use
 * something this code does not check.
 */
export function validateJsonSchema(schema: Schema, value: unknown): string[] {
  const errors: string[] = [];
  check(schema, value, "$", schema, errors);
  return errors;
}

function check(schema: Schema, value: unknown, path: string, root: Schema, errors: string[]): void {
  if (schema === true) return;
  if (schema === false) {
    errors.push(`${path}: no value is allowed here`);
    return;
  }
  for (const k of Object.keys(schema)) {
    if (!ANNOTATIONS.has(k) && !ASSERTIONS.has(k)) throw new Error(`json-schema-subset: keyword "${k}" at ${path} is not supported`);
  }
  if (typeof schema.$ref === "string") {
    check(resolveRef(root, schema.$ref), value, path, root, errors);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => isType(value, t))) {
      errors.push(`${path}: expected ${types.join(" or ")}, got ${describe(value)}`);
      return;
    }
  }
  if (schema.const !== undefined && !deepEqual(schema.const, value)) errors.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => deepEqual(e, value)))
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) errors.push(`${path}: ${value} < minimum ${schema.minimum}`);
    if (typeof schema.maximum === "number" && value > schema.maximum) errors.push(`${path}: ${value} > maximum ${schema.maximum}`);
  }
  if (schema.format === "date-time" && typeof value === "string" && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    errors.push(`${path}: "${value}" is not an RFC 3339 date-time`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
    if (schema.items !== undefined) value.forEach((v, i) => check(schema.items as Schema, v, `${path}[${i}]`, root, errors));
  }
  if (isPlainObject(value)) {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required as string[] | undefined) ?? []) {
      if (!Object.prototype.hasOwnProperty.call(value, r)) errors.push(`${path}: missing required property "${r}"`);
    }
    for (const [k, v] of Object.entries(value)) {
      if (Object.prototype.hasOwnProperty.call(props, k)) check(props[k]!, v, `${path}.${k}`, root, errors);
      else if (schema.additionalProperties !== undefined) check(schema.additionalProperties as Schema, v, `${path}.${k}`, root, errors);
    }
  }
  if (Array.isArray(schema.oneOf)) {
    const passing = (schema.oneOf as Schema[]).filter((s) => {
      const sub: string[] = [];
      check(s, value, path, root, sub);
      return sub.length === 0;
    }).length;
    if (passing !== 1) errors.push(`${path}: matches ${passing} of the oneOf schemas, not exactly one`);
  }
}

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith("#/")) throw new Error(`json-schema-subset: only local $ref is supported, got ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  if (node === undefined) throw new Error(`json-schema-subset: $ref ${ref} does not resolve`);
  return node as Schema;
}

function isType(v: unknown, t: string): boolean {
  switch (t) {
    case "null":
      return v === null;
    case "boolean":
      return typeof v === "boolean";
    case "string":
      return typeof v === "string";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "array":
      return Array.isArray(v);
    case "object":
      return isPlainObject(v);
    default:
      throw new Error(`json-schema-subset: unknown type "${t}"`);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
