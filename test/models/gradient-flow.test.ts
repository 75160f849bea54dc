/**
 * Which parameters receive gradient from which task's loss — checked exactly (zero vs non-zero) with
 * grad(taskLoss, params, { allowUnused, retainGraph }), on every available backend (float64 on js, float32 elsewhere).
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { ModelName } from '../../src/models/index.js';
import { availableBackends } from '../conformance/backends.js';
import { placementFor } from '../nn/placement.js';
import { makeInput, makeLabels, makeModel as makeModelOn, type AnyModel } from './helpers.js';

const B = 16;

describe.each(availableBackends)('gradient flow on %s', (backend) => {
  const { dtype } = placementFor(backend);
  const place = { backend, dtype } as const;
  const makeModel = <N extends ModelName>(name: N, overrides: Record<string, unknown> = {}) =>
    makeModelOn(name, overrides, place);

  /**
   * For each named loss, whether each parameter group's gradient is non-zero: max |g| over the group, exactly
   * compared with 0, all read back at once (outside tidy: webgpu reads asynchronously).
   */
  async function reach(
    model: AnyModel,
    name: ModelName,
    groups: Record<string, Tensor[]>,
    lossKeys?: string[],
  ): Promise<Record<string, Record<string, boolean>>> {
    const { keys, maxAbs } = mt.tidy(() => {
      mt.manualSeed(17);
      const input = makeInput(name, B, place);
      const out = model.forward(input);
      const losses = model.taskLosses(out, makeLabels(model, B, place));
      const keys = lossKeys ?? Object.keys(losses);
      const cells: Tensor[] = [];
      for (const key of keys) {
        for (const params of Object.values(groups)) {
          const grads = mt.grad(losses[key], params, { allowUnused: true, retainGraph: true });
          cells.push(
            mt.max(
              mt.abs(
                mt.concat(
                  grads.map((g) => mt.reshape(g, [g.size])),
                  0,
                ),
              ),
            ),
          );
        }
      }
      return { keys, maxAbs: mt.stack(cells) };
    });
    const v = await maxAbs.data();
    maxAbs.dispose();
    const names = Object.keys(groups);
    return Object.fromEntries(
      keys.map((key, i) => [key, Object.fromEntries(names.map((g, j) => [g, v[i * names.length + j] !== 0]))]),
    );
  }

  it('mmoe: a task gate and tower get gradient only from their task; the experts from both', async () => {
    mt.manualSeed(1);
    const m = makeModel('mmoe');
    const r = await reach(m, 'mmoe', {
      experts: m.experts.parameters(),
      gateA: m.gates.get('a').parameters(),
      gateB: m.gates.get('b').parameters(),
      towerA: m.towers.get('a').parameters(),
      towerB: m.towers.get('b').parameters(),
    });
    expect(r).toEqual({
      a: { experts: true, gateA: true, gateB: false, towerA: true, towerB: false },
      b: { experts: true, gateA: false, gateB: true, towerA: false, towerB: true },
    });
  });

  it('omoe: the one gate gets gradient from every task', async () => {
    mt.manualSeed(1);
    const m = makeModel('omoe');
    const r = await reach(m, 'omoe', { gate: m.gate.parameters(), towerA: m.towers.get('a').parameters() });
    expect(r).toEqual({ a: { gate: true, towerA: true }, b: { gate: true, towerA: false } });
  });

  it('sharedBottom and singleTask: shared bottom from both; nothing crosses between single-task networks', async () => {
    mt.manualSeed(1);
    const sb = makeModel('sharedBottom');
    expect(
      await reach(sb, 'sharedBottom', { bottom: sb.bottom.parameters(), towerB: sb.towers.get('b').parameters() }),
    ).toEqual({ a: { bottom: true, towerB: false }, b: { bottom: true, towerB: true } });
    const st = makeModel('singleTask');
    const g = st.paramGroups();
    expect(g.shared).toEqual([]);
    expect(await reach(st, 'singleTask', { netA: g.tasks.a, netB: g.tasks.b })).toEqual({
      a: { netA: true, netB: false },
      b: { netA: false, netB: true },
    });
  });

  it('cgc: task-specific experts and gates only from their task, shared experts from both', async () => {
    mt.manualSeed(1);
    const m = makeModel('cgc');
    const l = m.levels.at(0);
    expect(l.sharedGate).toBeNull();
    const r = await reach(m, 'cgc', {
      expertsA: l.taskExperts.get('a').parameters(),
      expertsB: l.taskExperts.get('b').parameters(),
      shared: l.sharedExperts.parameters(),
      gateA: l.taskGates.get('a').parameters(),
    });
    expect(r).toEqual({
      a: { expertsA: true, expertsB: false, shared: true, gateA: true },
      b: { expertsA: false, expertsB: true, shared: true, gateA: false },
    });
  });

  it('ple: last-level task experts only from their task; lower levels reach every task through the shared gate', async () => {
    mt.manualSeed(1);
    const m = makeModel('ple', { levels: 3 });
    const [l1, l2, l3] = [m.levels.at(0), m.levels.at(1), m.levels.at(2)];
    expect(l3.sharedGate).toBeNull();
    const r = await reach(m, 'ple', {
      topExpertsA: l3.taskExperts.get('a').parameters(),
      topGateA: l3.taskGates.get('a').parameters(),
      midExpertsA: l2.taskExperts.get('a').parameters(),
      lowExpertsA: l1.taskExperts.get('a').parameters(),
      lowSharedGate: l1.sharedGate!.parameters(),
      topShared: l3.sharedExperts.parameters(),
    });
    expect(r).toEqual({
      a: {
        topExpertsA: true,
        topGateA: true,
        midExpertsA: true,
        lowExpertsA: true,
        lowSharedGate: true,
        topShared: true,
      },
      b: {
        topExpertsA: false,
        topGateA: false,
        midExpertsA: true,
        lowExpertsA: true,
        lowSharedGate: true,
        topShared: true,
      },
    });
  });

  it.each([false, true])(
    'esmm (stopGradientCtrInCtcvr %s): the CTCVR loss reaches the CTR tower unless stopped; there is no CVR loss',
    async (stop) => {
      mt.manualSeed(1);
      const m = makeModel('esmm', { stopGradientCtrInCtcvr: stop });
      const r = await reach(m, 'esmm', { ctrTower: m.ctrTower.parameters(), cvrTower: m.cvrTower.parameters() });
      expect(Object.keys(r)).toEqual(['ctr', 'ctcvr']);
      expect(r).toEqual({ ctr: { ctrTower: true, cvrTower: false }, ctcvr: { ctrTower: !stop, cvrTower: true } });
    },
  );

  it.each([false, true])(
    'aitm (stopGradientTransfer %s): a later task reaches earlier towers only through the transfer, unless stopped',
    async (stop) => {
      mt.manualSeed(1);
      const m = makeModel('aitm', { stopGradientTransfer: stop });
      const [click, buy, repeat] = ['click', 'buy', 'repeat'].map((k) => m.perTask.get(k));
      const r = await reach(
        m,
        'aitm',
        {
          clickTower: click.tower.parameters(),
          clickHead: click.head.parameters(),
          buyTower: buy.tower.parameters(),
          buyTransfer: buy.transfer!.parameters(),
          buyAit: buy.ait!.parameters(),
          repeatTransfer: repeat.transfer!.parameters(),
        },
        ['click', 'repeat'],
      );
      expect(r).toEqual({
        click: {
          clickTower: true,
          clickHead: true,
          buyTower: false,
          buyTransfer: false,
          buyAit: false,
          repeatTransfer: false,
        },
        repeat: {
          clickTower: !stop,
          clickHead: false,
          buyTower: !stop,
          buyTransfer: !stop,
          buyAit: !stop,
          repeatTransfer: true,
        },
      });
    },
  );

  it('rnr: the ranking loss never reaches the rating-only parameters; the rating loss reaches the shared embeddings', async () => {
    mt.manualSeed(1);
    const m = makeModel('rnr');
    const g = m.paramGroups();
    const r = await reach(m, 'rnr', { shared: g.shared, ratingOnly: g.tasks.rating });
    expect(r).toEqual({ rank: { shared: true, ratingOnly: false }, rating: { shared: true, ratingOnly: true } });
  });

  it('mran: towers only from their task; the attention modules from both', async () => {
    mt.manualSeed(1);
    const m = makeModel('mran');
    const r = await reach(m, 'mran', {
      towerA: m.towers.get('a').parameters(),
      taskTask: m.taskTask.parameters(),
      featureFeature: m.featureFeature.parameters(),
    });
    expect(r).toEqual({
      a: { towerA: true, taskTask: true, featureFeature: true },
      b: { towerA: false, taskTask: true, featureFeature: true },
    });
  });
});
