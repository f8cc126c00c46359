import { describe, expect, it } from 'vitest';
import { compareVersions, componentEnvName, DeployModel } from '../../src/deploy/model.ts';
import { computeChanges } from '../../src/deploy/plan.ts';
import { ReleaseRegistry, type DeploymentRecord } from '../../src/deploy/releases.ts';
import { createDeployService } from '../../src/deploy/service.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { demoProducts, harness } from './helpers.ts';

const rec = (release: string, at: number): DeploymentRecord => ({ release, components: {}, at, by: 'Alice', taskId: String(at), kind: 'deploy' });

function registry(store = new MemoryStore()) {
  return new ReleaseRegistry(new DeployModel(demoProducts(), 'en'), store, 'en', 5);
}

describe('versions', () => {
  it('sorts semver-ish, numerically, pre-releases first', () => {
    const vs = ['v1.9.0', 'v1.10.0', 'v1.2.0', 'v1.10.0-rc1', 'v2.0.0', '1.0.0'];
    expect([...vs].sort(compareVersions)).toEqual(['1.0.0', 'v1.2.0', 'v1.9.0', 'v1.10.0-rc1', 'v1.10.0', 'v2.0.0']);
  });
  it('names component variables in upper snake case', () => {
    expect(componentEnvName('component-a')).toBe('COMPONENT_A');
    expect(componentEnvName('web.api')).toBe('WEB_API');
  });
});

describe('releases', () => {
  it('creates a release inheriting unnamed components from the latest one, stored in the store', async () => {
    const store = new MemoryStore();
    const r = registry(store);
    const created = await r.create('demo', 'v1.2.0', { 'component-b': 'v1.2.0' }, 'Alice', 1);
    expect(created.components).toEqual({ 'component-a': 'v1.1.0', 'component-b': 'v1.2.0' });
    // a new registry over the same store (restart) still knows it, newest first
    const again = registry(store);
    expect((await again.list('demo')).map((x) => x.version)).toEqual(['v1.2.0', 'v1.1.0', 'v1.0.0']);
    expect((await again.latest('demo'))?.version).toBe('v1.2.0');
    const next = await again.create('demo', 'v1.3.0', { 'component-a': 'v1.3.0' }, 'Bob', 2);
    expect(next.components).toEqual({ 'component-a': 'v1.3.0', 'component-b': 'v1.2.0' });
  });

  it('refuses duplicates, unknown components and unsafe version strings', async () => {
    const r = registry();
    await expect(r.create('demo', 'v1.1.0', {}, 'A', 1)).rejects.toThrow(/already has release v1.1.0/);
    await expect(r.create('demo', 'v2', { nope: 'v1' }, 'A', 1)).rejects.toThrow(/Valid components: component-a, component-b/);
    await expect(r.create('demo', 'v1;rm -rf /', {}, 'A', 1)).rejects.toThrow(/Invalid version/);
    await expect(r.create('demo', 'v2', { 'component-a': '$(id)' }, 'A', 1)).rejects.toThrow(/Invalid version/);
    await expect(r.create('other', 'v2', {}, 'A', 1)).rejects.toThrow(/Valid products: demo/);
  });

  it('picks the release that ran before the current one as the rollback target', async () => {
    const r = registry();
    expect(await r.rollbackTarget('demo', 'env-1')).toBeUndefined();
    await r.record('demo', 'env-1', rec('v1.0.0', 1));
    expect(await r.rollbackTarget('demo', 'env-1')).toBeUndefined(); // nothing older exists
    await r.record('demo', 'env-2', rec('v1.1.0', 1));
    // only v1.1.0 was ever deployed by opsbot there: the release below it is the previous one
    expect(await r.rollbackTarget('demo', 'env-2')).toBe('v1.0.0');
    await r.record('demo', 'env-1', rec('v1.1.0', 2));
    await r.record('demo', 'env-1', rec('v1.1.0', 3)); // a redeploy of the same release is skipped
    expect(await r.rollbackTarget('demo', 'env-1')).toBe('v1.0.0');
    await r.record('demo', 'env-1', rec('v1.2.0', 4));
    expect(await r.rollbackTarget('demo', 'env-1')).toBe('v1.1.0');
    expect(await r.rollbackTarget('demo', 'env-3')).toBeUndefined();
    // history is capped
    for (let i = 5; i < 15; i++) await r.record('demo', 'env-1', rec(`v${i}`, i));
    expect(await r.history('demo', 'env-1')).toHaveLength(5);
  });
});

describe('plan (dry run)', () => {
  it('lists the component versions that change against what runs now', async () => {
    expect(computeChanges(['a', 'b'], { a: 'v2', b: 'v1' }, { a: 'v1', b: 'v1' })).toEqual([
      { component: 'a', from: 'v1', to: 'v2' },
      { component: 'b', from: 'v1', to: 'v1' },
    ]);
    const h = harness();
    const d = createDeployService(h.services);
    await d.releases.record('demo', 'env-1', { ...rec('v1.0.0', 1), components: { 'component-a': 'v1.0.0', 'component-b': 'v1.0.0' } });
    const plan = await d.plan('demo', 'v1.1.0', 'env-1');
    expect(plan).toMatchObject({ currentRelease: 'v1.0.0', protected: false, engine: 'command' });
    expect(plan.changes.filter((c) => c.from !== c.to)).toEqual([{ component: 'component-a', from: 'v1.0.0', to: 'v1.1.0' }]);
    expect((await d.plan('demo', 'v1.1.0', 'prod')).protected).toBe(true);
    expect(await d.list()).toHaveLength(0); // nothing ran
  });
});
