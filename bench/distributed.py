"""The overhead of training through NATS (issue 14); run by distributed.sh.

The same sweep of about one-second trials runs locally (sweep run
--workers 2) and through `--nats embedded` with two `sweep worker`
processes on this machine, at 8 and 24 trials, alternating, ROUNDS times.
The extra cost of 16 more trials is each mode's cost per trial with the
fixed costs (process start, data, server start and shutdown) cancelled
out, in wall time and in CPU time (user + system of every process), and
the workers' own accounting of the time they spend on a trial besides
training it. On a busy machine the wall figures carry the other load's
noise; CPU time less so, the workers' accounting least.
"""
import datetime, json, os, re, resource, socket, statistics, subprocess, sys, time

sweep, work, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
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


def local(n):
    clean("local.db")
    c0, t0 = cpu(), time.perf_counter()
    subprocess.run([sweep, "run", f"c{n}.yaml", "--db", "local.db", "--workers", "2"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, cpu() - c0


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
    handling.append(worker_overhead(n))
    return wall, cpu() - c0


def worker_overhead(n):
    """The workers' own accounting, per trial: the time from taking a
    segment to acking it, less train.Train's seconds (fetching the
    checkpoint, storing checkpoints and the result, publishing), plus the
    gap before the next segment; from the workers' logs."""
    seconds = {r["id"]: r["seconds"] for r in json.loads(subprocess.run(
        [sweep, "report", "--db", "nats.db", "--format", "json"], check=True, capture_output=True, text=True).stdout)}
    total, count = 0.0, 0
    for i in range(2):
        start, last_done = {}, None
        for line in open(f"w{i}.log"):
            m = re.search(r"(\d\d:\d\d:\d\d\.\d+) \S+: trial (\w+) (.*)", line)
            if not m:
                continue
            t = datetime.datetime.strptime(m.group(1), "%H:%M:%S.%f").timestamp()
            if m.group(3).startswith("of sweep"):
                start[m.group(2)] = t
                if last_done is not None:
                    total += t - last_done
            elif m.group(2) in start and m.group(2) in seconds:
                total += t - start[m.group(2)] - seconds[m.group(2)]
                count += 1
                last_done = t
    if count != n:
        sys.exit(f"the worker logs show {count} trials, want {n}")
    return total / count


def results(db):
    out = subprocess.run([sweep, "report", "--db", db, "--format", "json"], check=True, capture_output=True, text=True).stdout
    rows = json.loads(out)
    keep = ("id", "status", "val_accuracy", "val_cost", "val_loss", "train_accuracy", "test_accuracy", "cycles_trained")
    return sorted(tuple(str(r.get(k)) for k in keep) for r in rows), rows


handling = []
times = {}
same = True
for i in range(rounds):
    for n in (8, 24):
        for mode, fn in (("local", local), ("nats", nats)):
            times.setdefault((mode, n), []).append(fn(n))
        same = same and results("local.db")[0] == results("nats.db")[0]
trial = statistics.mean(r["seconds"] for r in results("local.db")[1])
for (mode, n), v in sorted(times.items()):
    print(f"{mode:5} {n:2} trials: wall " + ", ".join(f"{w:.2f}" for w, _ in v) + " s; cpu " + ", ".join(f"{c:.2f}" for _, c in v) + " s")
print(f"same results in both modes: {same}")
print(f"mean trial training time (local, 24 trials): {trial:.2f} s")
print(f"worker handling per trial (median over runs): {1000 * statistics.median(handling):.1f} ms ="
      f" {100 * statistics.median(handling):.2f}% of a one-second trial (target < 3%); runs: " + ", ".join(f"{1000 * h:.1f}" for h in handling) + " ms")
for k, name in ((0, "wall"), (1, "cpu")):
    for stat in (statistics.median, min):
        v = {key: stat(x[k] for x in val) for key, val in times.items()}
        per = {m: (v[(m, 24)] - v[(m, 8)]) / 16 for m in ("local", "nats")}
        # Wall time per extra trial is for 2 workers at once: x2 per trial.
        scale = 2 if k == 0 else 1
        over = (per["nats"] - per["local"]) * scale
        fixed = {m: v[(m, 8)] - 8 * per[m] for m in ("local", "nats")}
        print(f"{name} ({stat.__name__}): per extra trial local {per['local'] * scale:.3f} s, nats {per['nats'] * scale:.3f} s,"
              f" ratio {per['nats'] / per['local']:.3f}; overhead per trial {over * 1000:+.0f} ms ="
              f" {100 * over:+.1f}% of a one-second trial; fixed: local {fixed['local']:.2f} s, nats {fixed['nats']:.2f} s")
