/** The JSON body of a verified webhook: parsed only after verification, and only as an object (else 400). */
import { BadRequestError } from '../core/errors.ts';

export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new BadRequestError(`malformed JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BadRequestError('body is not a JSON object');
  return parsed as Record<string, unknown>;
}
