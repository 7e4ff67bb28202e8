/**
 * "Expected X for Y but received Z" (errors.ts's `expected`) where Z is already a description
 * ("an empty file", "a list of 2 items") and must not be quoted as a value.
 */
export function found(what: string, forWhat: string, description: string): string {
  return `Expected ${what} for ${forWhat} but received ${description}`;
}
