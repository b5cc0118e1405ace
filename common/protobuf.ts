// Decoded protobuf messages (ts-proto keeps fields it does not know in `_unknownFields`,
// keyed by tag) checked for fields the schema does not define.

export interface UnknownField {
  /** Where in the message, e.g. `plan.relations[0].root`. */
  path: string;
  /** The field number. */
  field: number;
}

export function findUnknownField(message: unknown, path: string): UnknownField | undefined {
  // Messages are checked on every receipt: look without building paths, name the path only when there is one.
  return hasUnknownField(message) ? locate(message, path) : undefined;
}

function hasUnknownField(message: unknown): boolean {
  if (typeof message !== "object" || message === null || ArrayBuffer.isView(message)) return false;
  if (Array.isArray(message)) {
    for (const item of message) if (hasUnknownField(item)) return true;
    return false;
  }
  const record = message as Record<string, unknown>;
  for (const key in record) {
    const value = record[key];
    if (key === "_unknownFields") {
      if (value && Object.keys(value).length > 0) return true;
    } else if (typeof value === "object" && value !== null && hasUnknownField(value)) return true;
  }
  return false;
}

function locate(message: unknown, path: string): UnknownField | undefined {
  if (typeof message !== "object" || message === null || message instanceof Uint8Array) return undefined;
  if (Array.isArray(message)) {
    for (let i = 0; i < message.length; i++) {
      const found = locate(message[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, value] of Object.entries(message)) {
    if (key === "_unknownFields") {
      // ts-proto keys unknown fields by their tag: field number << 3 | wire type.
      const tags = Object.keys(value as object);
      if (tags.length > 0) return { path, field: Number(tags[0]) >>> 3 };
      continue;
    }
    const found = locate(value, `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}
