/**
 * The HMAC key of signed links: `web.secret` when configured, else generated once and persisted in the
 * store. `insertIfAbsent` is the store's dedupe primitive, so two replicas starting together agree on
 * one key (the loser reads the winner's).
 */
import { randomToken } from './signing.ts';
import type { Store } from '../store/types.ts';

export async function webSecret(store: Store, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const col = store.collection<{ secret: string }>('web.secret', { tier: 'hot' });
  await col.insertIfAbsent('hmac', { secret: randomToken(32) });
  const stored = await col.get('hmac');
  if (!stored) throw new Error('web: the generated link secret could not be read back from the store');
  return stored.secret;
}
