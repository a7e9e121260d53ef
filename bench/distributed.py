"""The overhead of training through NATS (issue 14); run by distributed.sh.

The same sweep of one-second trials runs locally (sweep run --workers 2)
and through `--nats embedded` with two `sweep worker` processes on this
machine, at SMALL and LARGE trials. Each round runs the four in an order
that alternates between rounds (local small, nats small, nats large,
local large; then the reverse), so that a drift in the machine's speed
falls on both modes alike.

Within a round, each mode's cost of one more trial is
(time at LARGE - time at SMALL) / (LARGE - SMALL): process start, data
loading and the server's start and shutdown cancel out. The overhead per
trial is the NATS cost less the local one, in wall time (two trials train
at once, so a trial's share of the wall time is doubled) and in CPU time
(user + system of every process). The median over rounds is the figure;
the spread is printed beside it. The workers' own accounting (the time
from taking a segment to acking it, less its training seconds, plus the
gap before the next) and each mode's mean training seconds are printed
too: the training itself must not be slower through NATS.
"""
import datetime, json, os, re, resource, socket, statistics, subprocess, sys, time

sweep, work, rounds, small, large = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
modes = ["local", "nats"] + (["split"] if sys.argv[6:] == ["split"] else [])
os.chdir(work)
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
token = os.urandom(16).hex()
url = f"nats://127.0.0.1:{port}"


def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def clean(prefix):
    for f in os.listdir("."):
        if f.startswith(prefix):
            subprocess.run(["rm", "-rf", f], check=True)


def report(db):
    return json.loads(subprocess.run([sweep, "report", "--db", db, "--format", "json"],
                                     check=True, capture_output=True, text=True).stdout)


def local(n):
    clean("local.db")
    c0, t0 = cpu(), time.perf_counter()
    subprocess.run([sweep, "run", f"c{n}.yaml", "--db", "local.db", "--workers", "2"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall, cpus = time.perf_counter() - t0, cpu() - c0
    return wall, cpus, report("local.db")


def split(n):
    """Two plain local processes of one worker each, on halves of the
    trials (sweeps of their own): what two processes on this machine cost
    without NATS, each with its own copy of the data."""
    for db in ("a.db", "b.db"):
        clean(db)
    c0, t0 = cpu(), time.perf_counter()
    procs = [subprocess.Popen([sweep, "run", f"c{n}{h}.yaml", "--db", f"{h}.db", "--workers", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for h in ("a", "b")]
    if any(p.wait() != 0 for p in procs):
        sys.exit("a split run failed")
    wall, cpus = time.perf_counter() - t0, cpu() - c0
    return wall, cpus, report("a.db") + report("b.db")


def nats(n):
    clean("nats.db")
    c0, t0 = cpu(), time.perf_counter()
    coord = subprocess.Popen([sweep, "run", f"c{n}.yaml", "--db", "nats.db", "--nats", f"embedded:127.0.0.1:{port}",
                              "--nats-token", token], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    logs = [open(f"w{i}.log", "w") for i in range(2)]
    workers = [subprocess.Popen([sweep, "worker", "--nats", url, "--nats-token", token],
                                stdout=subprocess.DEVNULL, stderr=log) for log in logs]
    if coord.wait() != 0:
        sys.exit("the coordinator failed")
    wall = time.perf_counter() - t0
    for w in workers:
        w.terminate()
        w.wait()
    for log in logs:
        log.close()
    cpus = cpu() - c0  # before the report's own CPU time
    rows = report("nats.db")
    handling.append(worker_overhead(n, rows))
    return wall, cpus, rows


def worker_overhead(n, rows):
    """The workers' own accounting, per trial: the time from a segment's
    start to the next one's on the same worker (to the last one's result
    sent, for the last), less the segment's training seconds. It counts
    fetching the start checkpoint, storing checkpoints, whatever of
    sending the result and pulling the next segment the worker waits for,
    and train.Train's setup; from the workers' logs."""
    seconds = {r["id"]: r["seconds"] for r in rows}
    total, count = 0.0, 0
    for i in range(2):
        starts, done = [], {}
        for line in open(f"w{i}.log"):
            m = re.search(r"(\d\d:\d\d:\d\d\.\d+) \S+: trial (\w+) (.*)", line)
            if not m or m.group(2) not in seconds:
                continue
            t = datetime.datetime.strptime(m.group(1), "%H:%M:%S.%f").timestamp()
            if m.group(3).startswith("of sweep"):
                starts.append((t, m.group(2)))
            else:
                done[m.group(2)] = t
        for k, (t, trial) in enumerate(starts):
            end = starts[k + 1][0] if k + 1 < len(starts) else done[trial]
            total += end - t - seconds[trial]
            count += 1
    if count != n:
        sys.exit(f"the worker logs show {count} trials, want {n}")
    return total / count


def key(rows):
    keep = ("id", "status", "val_accuracy", "val_cost", "val_loss", "train_accuracy", "test_accuracy", "cycles_trained")
    return sorted(tuple(str(r.get(k)) for k in keep) for r in rows)


def spread(xs, unit=1000, fmt="{:+.0f}"):
    return f"median {fmt.format(unit * statistics.median(xs))}, range {fmt.format(unit * min(xs))} to {fmt.format(unit * max(xs))}"


handling, same = [], True
trained = {m: [] for m in modes}
over = {(m, k): [] for m in modes[1:] for k in ("wall", "cpu")}
per = {(m, k): [] for m in modes for k in ("wall", "cpu")}
run = {"local": local, "nats": nats, "split": split}
for i in range(rounds):
    order = [(m, small) for m in modes] + [(m, large) for m in reversed(modes)]
    if i % 2:
        order.reverse()
    got, rows = {}, {}
    for mode, n in order:
        wall, cpus, rows[(mode, n)] = run[mode](n)
        got[(mode, n)] = (wall, cpus)
        trained[mode] += [r["seconds"] for r in rows[(mode, n)]]
    same = same and all(key(rows[("local", n)]) == key(rows[("nats", n)]) for n in (small, large))
    for k, idx, scale in (("wall", 0, 2), ("cpu", 1, 1)):
        cost = {m: scale * (got[(m, large)][idx] - got[(m, small)][idx]) / (large - small) for m in modes}
        for m in cost:
            per[(m, k)].append(cost[m])
        for m in modes[1:]:
            over[(m, k)].append(cost[m] - cost["local"])
    print(f"round {i + 1}: " + "; ".join(f"{m} {n}: {w:.2f} s wall, {c:.2f} s cpu" for (m, n), (w, c) in sorted(got.items())), flush=True)

print(f"same results locally and through NATS: {same}")
print("mean training seconds per trial: " + ", ".join(f"{m} {statistics.mean(trained[m]):.3f}" for m in modes))
print(f"worker handling per trial: {spread(handling, fmt='{:.1f}')} ms over {len(handling)} runs (of a one-second trial: target < 30 ms)")
for k in ("wall", "cpu"):
    print(f"{k} per extra trial: " + ", ".join(f"{m} {statistics.median(per[(m, k)]):.3f} s" for m in modes))
    print(f"  nats overhead per trial: {spread(over[('nats', k)])} ms over {rounds} rounds (target < 30 ms, 3% of a one-second trial)")
    if "split" in modes:
        print(f"  two plain processes' overhead per trial: {spread(over[('split', k)])} ms")
