# fragment.py: a program that fragments its heap, for the replay fidelity
# measurements (docs/replay.md). Four phases each build a large dict and a
# list, keep every 50th string and drop the rest: the survivors pin pages
# the allocator cannot give back.
import time

keep = []
for phase in range(4):
    d = {i: "x" * (i % 200) for i in range(200000)}
    l = [bytes(1000) for _ in range(20000)]
    keep.append(list(d.values())[::50])
    del d, l
time.sleep(0.2)
