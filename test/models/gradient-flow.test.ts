/**
 * Which parameters receive gradient from which task's loss — checked exactly (zero vs non-zero) with
 * grad(taskLoss, params, { allowUnused, retainGraph }), on the js backend.
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { ModelName } from '../../src/models/index.js';
import { makeInput, makeLabels, makeModel, type AnyModel } from './helpers.js';

const B = 16;

/** For each named loss, whether each parameter group's gradient is non-zero. */
function reach(model: AnyModel, name: ModelName, groups: Record<string, Tensor[]>, lossKeys?: string[]): Record<string, Record<string, boolean>> {
  return mt.tidy(() => {
    mt.manualSeed(17);
    const input = makeInput(name, B);
    const out = model.forward(input);
    const losses = model.taskLosses(out, makeLabels(model, B));
    const res: Record<string, Record<string, boolean>> = {};
    for (const key of lossKeys ?? Object.keys(losses)) {
      res[key] = {};
      for (const [g, params] of Object.entries(groups)) {
        const grads = mt.grad(losses[key], params, { allowUnused: true, retainGraph: true });
        res[key][g] = grads.some((t) => t.dataSync().some((v) => v !== 0));
      }
    }
    return res;
  });
}

describe('gradient flow', () => {
  it('mmoe: a task gate and tower get gradient only from their task; the experts from both', () => {
    mt.manualSeed(1);
    const m = makeModel('mmoe');
    const r = reach(m, 'mmoe', {
      experts: m.experts.parameters(), gateA: m.gates.get('a').parameters(), gateB: m.gates.get('b').parameters(),
      towerA: m.towers.get('a').parameters(), towerB: m.towers.get('b').parameters(),
    });
    expect(r).toEqual({
      a: { experts: true, gateA: true, gateB: false, towerA: true, towerB: false },
      b: { experts: true, gateA: false, gateB: true, towerA: false, towerB: true },
    });
  });

  it('omoe: the one gate gets gradient from every task', () => {
    mt.manualSeed(1);
    const m = makeModel('omoe');
    const r = reach(m, 'omoe', { gate: m.gate.parameters(), towerA: m.towers.get('a').parameters() });
    expect(r).toEqual({ a: { gate: true, towerA: true }, b: { gate: true, towerA: false } });
  });

  it('sharedBottom and singleTask: shared bottom from both; nothing crosses between single-task networks', () => {
    mt.manualSeed(1);
    const sb = makeModel('sharedBottom');
    expect(reach(sb, 'sharedBottom', { bottom: sb.bottom.parameters(), towerB: sb.towers.get('b').parameters() }))
      .toEqual({ a: { bottom: true, towerB: false }, b: { bottom: true, towerB: true } });
    const st = makeModel('singleTask');
    const g = st.paramGroups();
    expect(g.shared).toEqual([]);
    expect(reach(st, 'singleTask', { netA: g.tasks.a, netB: g.tasks.b })).toEqual({ a: { netA: true, netB: false }, b: { netA: false, netB: true } });
  });

  it('cgc: task-specific experts and gates only from their task, shared experts from both', () => {
    mt.manualSeed(1);
    const m = makeModel('cgc');
    const l = m.levels.at(0);
    expect(l.sharedGate).toBeNull();
    const r = reach(m, 'cgc', {
      expertsA: l.taskExperts.get('a').parameters(), expertsB: l.taskExperts.get('b').parameters(),
      shared: l.sharedExperts.parameters(), gateA: l.taskGates.get('a').parameters(),
    });
    expect(r).toEqual({
      a: { expertsA: true, expertsB: false, shared: true, gateA: true },
      b: { expertsA: false, expertsB: true, shared: true, gateA: false },
    });
  });

  it('ple: last-level task experts only from their task; lower levels reach every task through the shared gate', () => {
    mt.manualSeed(1);
    const m = makeModel('ple', { levels: 3 });
    const [l1, l2, l3] = [m.levels.at(0), m.levels.at(1), m.levels.at(2)];
    expect(l3.sharedGate).toBeNull();
    const r = reach(m, 'ple', {
      topExpertsA: l3.taskExperts.get('a').parameters(), topGateA: l3.taskGates.get('a').parameters(),
      midExpertsA: l2.taskExperts.get('a').parameters(), lowExpertsA: l1.taskExperts.get('a').parameters(),
      lowSharedGate: l1.sharedGate!.parameters(), topShared: l3.sharedExperts.parameters(),
    });
    expect(r).toEqual({
      a: { topExpertsA: true, topGateA: true, midExpertsA: true, lowExpertsA: true, lowSharedGate: true, topShared: true },
      b: { topExpertsA: false, topGateA: false, midExpertsA: true, lowExpertsA: true, lowSharedGate: true, topShared: true },
    });
  });

  it.each([false, true])('esmm (stopGradientCtrInCtcvr %s): the CTCVR loss reaches the CTR tower unless stopped; there is no CVR loss', (stop) => {
    mt.manualSeed(1);
    const m = makeModel('esmm', { stopGradientCtrInCtcvr: stop });
    const r = reach(m, 'esmm', { ctrTower: m.ctrTower.parameters(), cvrTower: m.cvrTower.parameters() });
    expect(Object.keys(r)).toEqual(['ctr', 'ctcvr']);
    expect(r).toEqual({ ctr: { ctrTower: true, cvrTower: false }, ctcvr: { ctrTower: !stop, cvrTower: true } });
  });

  it.each([false, true])('aitm (stopGradientTransfer %s): a later task reaches earlier towers only through the transfer, unless stopped', (stop) => {
    mt.manualSeed(1);
    const m = makeModel('aitm', { stopGradientTransfer: stop });
    const [click, buy, repeat] = ['click', 'buy', 'repeat'].map((k) => m.perTask.get(k));
    const r = reach(m, 'aitm', {
      clickTower: click.tower.parameters(), clickHead: click.head.parameters(), buyTower: buy.tower.parameters(),
      buyTransfer: buy.transfer!.parameters(), buyAit: buy.ait!.parameters(), repeatTransfer: repeat.transfer!.parameters(),
    }, ['click', 'repeat']);
    expect(r).toEqual({
      click: { clickTower: true, clickHead: true, buyTower: false, buyTransfer: false, buyAit: false, repeatTransfer: false },
      repeat: { clickTower: !stop, clickHead: false, buyTower: !stop, buyTransfer: !stop, buyAit: !stop, repeatTransfer: true },
    });
  });

  it('rnr: the ranking loss never reaches the rating-only parameters; the rating loss reaches the shared embeddings', () => {
    mt.manualSeed(1);
    const m = makeModel('rnr');
    const g = m.paramGroups();
    const r = reach(m, 'rnr', { shared: g.shared, ratingOnly: g.tasks.rating });
    expect(r).toEqual({ rank: { shared: true, ratingOnly: false }, rating: { shared: true, ratingOnly: true } });
  });

  it('mran: towers only from their task; the attention modules from both', () => {
    mt.manualSeed(1);
    const m = makeModel('mran');
    const r = reach(m, 'mran', { towerA: m.towers.get('a').parameters(), taskTask: m.taskTask.parameters(), featureFeature: m.featureFeature.parameters() });
    expect(r).toEqual({ a: { towerA: true, taskTask: true, featureFeature: true }, b: { towerA: false, taskTask: true, featureFeature: true } });
  });
});
