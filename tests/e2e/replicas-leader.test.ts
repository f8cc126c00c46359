// Issue 9 "Done when", last clause: two opsbot processes on one PostgreSQL with DingTalk in Stream mode;
// exactly one holds the Stream connection (PostgreSQL advisory-lock leader, src/store/leader.ts), and
// SIGKILLing it moves the stream to the other within seconds; the new leader answers pushed messages.
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDingtalk, type FakeDingtalk } from '../helpers/fake-dingtalk-api.ts';
import { usePostgres } from '../helpers/pg.ts';
import { useReplicas, type Replica } from '../helpers/replicas.ts';

const pgc = usePostgres();
const replicas = useReplicas();
let dingtalk: FakeDingtalk | undefined;
afterEach(async () => {
  await dingtalk?.close();
  dingtalk = undefined;
});

const YAML = `
people:
  alice: { name: Alice, dingtalk: zhangsan, roles: [admin] }
`;

/** The replica's own view of the stream: `opsbot_dingtalk{counter="streamConnected"}` on its /metrics. */
const streamConnected = (r: Replica) => r.metric('opsbot_dingtalk', { counter: 'streamConnected' }).catch(() => undefined);

/** Pushes `/help` on the live socket and waits for the answer through the message's sessionWebhook. */
async function roundTrip(dt: FakeDingtalk, id: string): Promise<void> {
  dt.pushRobotMessage({ messageId: id, text: ' /help' });
  await expect.poll(() => dt.api.sentTo(id, 'session').length, { timeout: 10_000, interval: 50 }).toBeGreaterThanOrEqual(1);
}

describe('two replicas on one PostgreSQL (processes): DingTalk Stream leader', () => {
  it('exactly one replica holds the Stream; SIGKILL moves it to the other, which answers messages', async () => {
    const dt = (dingtalk = await startFakeDingtalk());
    const all = await replicas.start(2, { databaseUrl: await pgc.current.freshDatabase(), chat: dt.chatYaml(), yaml: YAML, console: false });

    // One open socket at the gateway, and exactly one replica reports it as its own.
    await expect.poll(async () => (await Promise.all(all.map(streamConnected))).join(','), { timeout: 15_000, interval: 100 }).toMatch(/^(1,0|0,1)$/);
    expect(dt.live()).toHaveLength(1);
    const states = await Promise.all(all.map(streamConnected));
    const leader = all[states.indexOf(1)]!;
    const standby = all[states.indexOf(0)]!;
    expect(leader.stdout() + leader.stderr()).toContain('leader: elected');
    await roundTrip(dt, 'before-kill');
    // The standby keeps contending without opening a second connection.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(dt.live()).toHaveLength(1);
    expect(dt.gateway.state.upgrades).toHaveLength(1);

    const upgradesBefore = dt.gateway.state.upgrades.length;
    const killedAt = Date.now();
    await leader.kill('SIGKILL');
    await expect.poll(() => dt.gateway.state.upgrades.length > upgradesBefore && dt.live().length === 1, { timeout: 15_000, interval: 20 }).toBe(true);
    const takeoverMs = dt.gateway.state.upgrades[upgradesBefore]!.at - killedAt;
    console.log('takeover ms', takeoverMs);
    expect(takeoverMs).toBeLessThan(10_000);
    expect(await streamConnected(standby)).toBe(1);
    expect(standby.stdout() + standby.stderr()).toContain('leader: elected');

    // The new leader answers a message pushed on its socket.
    await roundTrip(dt, 'after-kill');
    expect(dt.live()).toHaveLength(1);
    expect(standby.alive()).toBe(true);
  }, 60_000);

  it('three replicas: after the leader is killed exactly one of the other two takes the Stream', async () => {
    const dt = (dingtalk = await startFakeDingtalk());
    const all = await replicas.start(3, { databaseUrl: await pgc.current.freshDatabase(), chat: dt.chatYaml(), yaml: YAML, console: false });
    const connectedCount = async (rs: Replica[]) => (await Promise.all(rs.map(streamConnected))).filter((v) => v === 1).length;
    await expect.poll(() => connectedCount(all), { timeout: 15_000, interval: 100 }).toBe(1);
    const states = await Promise.all(all.map(streamConnected));
    const leader = all[states.indexOf(1)]!;
    const rest = all.filter((r) => r !== leader);

    const killedAt = Date.now();
    await leader.kill('SIGKILL');
    await expect.poll(() => connectedCount(rest), { timeout: 15_000, interval: 20 }).toBe(1);
    console.log('takeover ms (3 replicas, until /metrics shows it)', Date.now() - killedAt);
    // Both survivors keep contending for a few retry rounds (2 s): still one stream, one extra upgrade.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await connectedCount(rest)).toBe(1);
    expect(dt.live()).toHaveLength(1);
    expect(dt.gateway.state.upgrades).toHaveLength(2);
    await roundTrip(dt, 'three-replicas');
  }, 60_000);

  it('SIGTERM: the leader exits 0 and hands the Stream over; the console chat of each replica answers', async () => {
    const dt = (dingtalk = await startFakeDingtalk());
    const all = await replicas.start(2, { databaseUrl: await pgc.current.freshDatabase(), chat: dt.chatYaml(), yaml: YAML, console: true });
    await expect.poll(async () => (await Promise.all(all.map(streamConnected))).join(','), { timeout: 15_000, interval: 100 }).toMatch(/^(1,0|0,1)$/);
    for (const r of all) {
      r.type('/whoami');
      await r.waitFor(/admin/, { stream: 'stdout' }); // the console speaks as the local admin (stdout carries the chat)
    }
    const states = await Promise.all(all.map(streamConnected));
    const leader = all[states.indexOf(1)]!;
    const standby = all[states.indexOf(0)]!;
    const t0 = Date.now();
    expect(await leader.stop()).toBe(0);
    await expect.poll(() => streamConnected(standby), { timeout: 15_000, interval: 20 }).toBe(1);
    console.log('handover ms after SIGTERM (including the drain)', Date.now() - t0);
    await roundTrip(dt, 'after-sigterm');
  }, 60_000);
});
