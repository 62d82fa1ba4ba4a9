// Several vendor actions share one route and are told apart by values in the body (the spec's
// `x-qzz-actions[].select`). A caller passes the body without them; the action fills them in.
import { isObject } from './json.js';

/** The body values that select an action on its route: leaves, or nested objects of them. */
export type SelectValues = { readonly [key: string]: string | number | boolean | SelectValues };

/** A request type without the fields `select` fills in (deeply): what a caller passes. */
export type Unselected<T, Select> =
  Select extends Record<string, never>
    ? T
    : {
        [K in keyof T as K extends keyof Select ? (Select[K] extends Record<string, unknown> ? K : never) : K]: K extends keyof Select
          ? Unselected<T[K], Select[K]>
          : T[K];
      };

/** `Input` with `Select`'s values in place: what `withSelect` returns, checked against the route's body type. */
export type Selected<Input, Select> = Omit<Input, keyof Select> & {
  -readonly [K in keyof Select]: Select[K] extends SelectValues
    ? Selected<K extends keyof Input ? NonNullable<Input[K]> : object, Select[K]>
    : Select[K];
};

/** `input` with the action's selecting values filled in, deeply, without changing `input`. */
export function withSelect<Input extends object, const Select extends SelectValues>(select: Select, input: Input): Selected<Input, Select> {
  const out: Record<string, unknown> = isObject(input) ? { ...input } : {};
  for (const [key, value] of Object.entries(select)) {
    const inner = out[key];
    out[key] = typeof value === 'object' ? withSelect(value, isObject(inner) ? inner : {}) : value;
  }
  // What the loop above built, key by key; TypeScript cannot follow a loop over keys to this type.
  return out as Selected<Input, Select>;
}
