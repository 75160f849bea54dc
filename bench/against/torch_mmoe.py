"""The MMoE of bench/e2e-mmoe.ts in PyTorch, for `npm run bench -- e2e-mmoe --against torch`.

argv[1]: JSON {inputDim, experts, expertDim, towerDim, batch, steps, threads}. Prints one JSON line:
{"version", "train": samples/s (forward + backward + Adam, median step), "infer": samples/s (no_grad forward + sigmoid)}.
Same structure as mtgrad's MMoE: experts Linear+ReLU (stacked into one GEMM), one softmax gate per task, towers
Linear+ReLU+Linear, BCE-with-logits per task summed; Adam lr 1e-3; 2 tasks.
"""
import json
import sys
import time

import torch

spec = json.loads(sys.argv[1])
torch.set_num_threads(spec.get("threads", 2))
torch.manual_seed(0)
D, E, H, T, B = spec["inputDim"], spec["experts"], spec["expertDim"], spec["towerDim"], spec["batch"]
TASKS = 2


class MMoE(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.experts = torch.nn.Linear(D, E * H)
        self.gates = torch.nn.ModuleList([torch.nn.Linear(D, E) for _ in range(TASKS)])
        self.towers = torch.nn.ModuleList(
            [torch.nn.Sequential(torch.nn.Linear(H, T), torch.nn.ReLU(), torch.nn.Linear(T, 1)) for _ in range(TASKS)])

    def forward(self, x):
        ex = torch.relu(self.experts(x)).view(-1, E, H)
        outs = []
        for gate, tower in zip(self.gates, self.towers):
            w = torch.softmax(gate(x), dim=1).unsqueeze(1)
            outs.append(tower(torch.bmm(w, ex).squeeze(1)).squeeze(1))
        return outs


model = MMoE()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(B, D)
ys = [torch.randint(0, 2, (B,)).float() for _ in range(TASKS)]
loss_fn = torch.nn.BCEWithLogitsLoss()


def step():
    opt.zero_grad()
    outs = model(x)
    loss = sum(loss_fn(o, y) for o, y in zip(outs, ys))
    loss.backward()
    opt.step()
    return loss.item()


def infer():
    with torch.no_grad():
        return [torch.sigmoid(o) for o in model(x)][0][0].item()


def median_seconds(fn, steps):
    for _ in range(3):
        fn()
    ts = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    return ts[len(ts) // 2]


train = B / median_seconds(step, spec["steps"])
inf = B / median_seconds(infer, spec["steps"] * 3)
print(json.dumps({"version": torch.__version__, "train": train, "infer": inf}))
