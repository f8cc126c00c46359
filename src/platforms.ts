/**
 * The chat platforms opsbot knows, one line each: how people are known on it (identity, for config
 * checks, sender resolution and @mentions). Adding a platform: its adapter folder under src/adapters/,
 * its identity here, its feature in src/features.ts.
 */
import { captureIdentity } from './adapters/capture.ts';
import { consoleIdentity } from './adapters/console/identity.ts';
import { dingtalkIdentity } from './adapters/dingtalk/identity.ts';
import { wecomIdentity } from './adapters/wecom/identity.ts';
import type { PlatformIdentity } from './core/transport.ts';

export const PLATFORM_IDENTITIES: readonly PlatformIdentity[] = [consoleIdentity, dingtalkIdentity, wecomIdentity, captureIdentity];
