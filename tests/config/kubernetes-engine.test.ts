import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { configErrorOf } from '../helpers/config-errors.ts';

const yaml = (engine: string) => `
people: { alice: { name: Alice, roles: [deployer] } }
teams: { payments: { members: [alice], chats: ["console"] } }
products:
  demo:
    team: payments
    components: [component-a, component-b]
    environments:
      k8s: { engine: ${engine} }
`;
// The shape contract.md ("Added with the second wave") fixes.
const good =
  '{ type: kubernetes, kubeconfig: /path/to/kubeconfig, namespace: demo, image: "registry.local/demo/{component}:{version}", workloads: { component-a: { kind: Deployment, name: component-a, container: app } } }';

describe('engine: { type: kubernetes } in the config', () => {
  it('validates the contract’s example; kubeconfig may be left out (in-cluster)', () => {
    const { config } = loadConfig({ file: 'ok.yaml', text: yaml(good), env: {} });
    expect(config.products.demo!.environments.k8s!.engine).toMatchObject({ type: 'kubernetes', namespace: 'demo', workloads: { 'component-a': { kind: 'Deployment', name: 'component-a', container: 'app' } } });
    const inCluster = loadConfig({ file: 'ok.yaml', text: yaml(good.replace('kubeconfig: /path/to/kubeconfig, ', '')), env: {} });
    expect(inCluster.config.products.demo!.environments.k8s!.engine).not.toHaveProperty('kubeconfig');
  });

  it('a wrong key names engine.<key> and the kubernetes engine’s own keys', () => {
    const m = configErrorOf(yaml(good.replace('namespace:', 'namespce:')));
    expect(m).toContain('products.demo.environments.k8s.engine: unknown key "namespce" (did you mean "namespace"?). valid keys here: type, kubeconfig, context, namespace, image, workloads, dashboardUrl');
    expect(m).toContain('products.demo.environments.k8s.engine.namespace: missing');
  });

  it('names bad values by their key', () => {
    expect(configErrorOf(yaml(good.replace('kind: Deployment', 'kind: DaemonSet')))).toContain('engine.workloads.component-a.kind: "DaemonSet" is not valid. write one of: Deployment, StatefulSet');
    expect(configErrorOf(yaml(good.replace('name: component-a', 'name: Component_A')))).toMatch(/engine\.workloads\.component-a\.name: .*a Kubernetes object name/);
    expect(configErrorOf(yaml(good.replace('container: app', 'containr: app')))).toMatch(/engine\.workloads\.component-a: unknown key "containr"/);
    expect(configErrorOf(yaml(good.replace('namespace: demo', 'namespace: Demo')))).toMatch(/engine\.namespace: .*a namespace name/);
    expect(configErrorOf(yaml(good.replace(/workloads: \{.*\} \}$/, 'workloads: {} }')))).toMatch(/engine\.workloads: .*list at least one component/);
  });

  it('checks the image template and the workloads against the product', () => {
    const m = configErrorOf(yaml(good.replace('{version}', '{tag}').replace('component-a: {', 'component-x: {')));
    expect(m).toMatch(/engine\.image: unknown placeholder \{tag\}/);
    expect(m).toMatch(/engine\.workloads\.component-x: component-x is not a component of the product/);
  });
});
