// The JSON the vendor and the gateway answer, read without trusting its shape.

/** A JSON object: not null, not an array. */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The answer's text: openapi-fetch hands 2xx bodies over as text and parses error bodies that are JSON. */
export function answerText({ data, error }: { data?: unknown; error?: unknown }): string {
  const value = data ?? error ?? '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The answer's JSON object, or undefined when it is not one. */
export function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
