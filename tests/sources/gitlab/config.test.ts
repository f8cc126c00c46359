import { describe, expect, it } from 'vitest';
import { gitlabConfigSchema, releasesFromTagsSchema } from '../../../src/sources/gitlab/config.ts';
import { configSchema } from '../../../src/config/schema.ts';
import { refWatched, watchedRefs, matchProject } from '../../../src/sources/gitlab/routing.ts';
import { testConfig } from './harness.ts';

describe('gitlab config', () => {
  it('contract keys with defaults', () => {
    const c = gitlabConfigSchema.parse({ url: 'https://gitlab.example.com', token: 'glpat-x', webhookSecret: 's' });
    expect(c).toMatchObject({ pipelinesListSize: 5, signatureToleranceSeconds: 300, fetchTimeoutMs: 10_000 });
    expect(c.watchedRefs).toBeUndefined();
  });

  it('rejects typos, missing secrets and malformed signing tokens', () => {
    expect(gitlabConfigSchema.safeParse({ url: 'https://g', token: 't', webhookSecret: 's', webhookSecert: 'x' }).success).toBe(false);
    const none = gitlabConfigSchema.safeParse({ url: 'https://g', token: 't' });
    expect(none.success).toBe(false);
    expect(none.error!.issues[0]!.message).toMatch(/webhookSecret/);
    expect(gitlabConfigSchema.safeParse({ url: 'https://g', token: 't', signingToken: 'not-whsec' }).success).toBe(false);
    expect(gitlabConfigSchema.safeParse({ url: 'https://g', token: 't', signingToken: 'whsec_SjWX2eW24MQ0tMrn2byzpmdYqjNvupOQE/TdYy64qys=' }).success).toBe(true);
    expect(gitlabConfigSchema.safeParse({ url: 'not a url', token: 't', webhookSecret: 's' }).success).toBe(false);
  });

  it('is the gitlab section of the whole config, and releasesFromTags is a product key', () => {
    const c = configSchema.parse({ gitlab: { url: 'https://g.example.com', token: 't', webhookSecret: 's' } });
    expect(c.gitlab?.pipelinesListSize).toBe(5);
    expect(releasesFromTagsSchema.parse({})).toEqual({ pattern: '^v?\\d+\\.\\d+\\.\\d+' });
    expect(releasesFromTagsSchema.safeParse({ pattern: '(' }).success).toBe(false);
    expect(() => testConfig({ releasesFromTags: { component: 'component-a' } })).not.toThrow();
  });

  it('routing helpers', () => {
    expect(watchedRefs(undefined, 'develop')).toEqual(['develop']);
    expect(watchedRefs(undefined, undefined)).toEqual(['main', 'master']);
    expect(watchedRefs(['release/*'], 'main')).toEqual(['release/*']);
    expect(refWatched('release/1.2', ['release/*'])).toBe(true);
    expect(refWatched('release.1', ['release'])).toBe(false);
    const cfg = testConfig({ componentProjects: { 'component-a': 'group/comp-a' } });
    expect(matchProject(cfg, 'GROUP/Comp-A')).toEqual([{ product: 'demo', component: 'component-a', configuredPath: 'group/comp-a' }]);
    expect(matchProject(cfg, 'gitlab-org/gitlab-test')).toEqual([{ product: 'demo', configuredPath: 'gitlab-org/gitlab-test' }]);
    expect(matchProject(cfg, undefined)).toEqual([]);
  });
});
