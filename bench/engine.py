#!/usr/bin/env python3
"""Engine overhead benchmark: how close a job comes to the critical path of
its LLM calls.

    bench/engine.py [--models 6,12,48] [--days 20] [--latency 0.3] [--spread 0.1,0.6]
                    [--profiles fixed,varied] [--lockstep] [--workers 2]

Starts its own stack (scripts/stack, binaries found as scripts/stack finds
them: TRADER_BUILDDIR, ...) in a temporary data directory on a free port,
generates synthetic prices, and serves the models from tests/llm_server.py
with injected latency. Each model makes one chat completion per model-day
(it answers "<FINISH_SIGNAL>" at once), so a model's LLM time is the sum of
its calls' latencies, known in advance from the script. For each model
count it runs two jobs of --days trading days:

  fixed   every call of every model takes --latency seconds
  varied  model i's calls take between the --spread bounds: each model has
          its own base latency and every call its own jitter (deterministic)

The critical path of a pipelined job is the largest per-model sum of its
calls' durations; with --lockstep it also runs the varied job with
"schedule": "lockstep", whose critical path is the sum over dates of the
slowest model's call. A call's duration is what the LLM server measured
(arrival to answer: the injected latency plus the Python server's own
time, which is not the engine's); the nominal path (injected latencies
only) is printed beside it. Per job: the wall time (the job's
total_duration_seconds, from claim to finish), the critical path, the
overhead ratio wall / critical - 1, traderd's resident memory (peak
while the job ran minus the idle daemon's before the first job, per model
in flight: an upper bound, as memory freed by earlier jobs stays with the
process), and the CPU time
per model-day of traderd and of the LLM server (on a machine with fewer
cores than models in flight, the model-days that end at the same moment
queue for the CPU: that is most of the overhead of the fixed profile).
Python standard library only.
"""

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def find_bin(name, sub):
    for d in (os.environ.get("TRADER_BUILDDIR"), os.environ.get("TOP_BUILDDIR"), ROOT,
              os.path.join(ROOT, "build")):
        if d and os.access(os.path.join(d, sub, name), os.X_OK):
            return os.path.join(d, sub, name)
    sys.exit("bench: %s not found (set TRADER_BUILDDIR)" % name)


def http(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_s(pid):
    """CPU seconds (user + system) the process has used."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def latencies(profile, nmodels, ndays, fixed, spread):
    """Per model, the latency of each of its ndays calls."""
    if profile == "fixed":
        return [[fixed] * ndays for _ in range(nmodels)]
    rnd = random.Random(42)
    lo, hi = spread
    out = []
    for i in range(nmodels):
        base = lo + (hi - lo) * (i + 0.5) / nmodels
        out.append([round(max(0.01, base * rnd.uniform(0.5, 1.5)), 3) for _ in range(ndays)])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="6,12,48")
    ap.add_argument("--days", type=int, default=20)
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--spread", default="0.2,1.0")
    ap.add_argument("--profiles", default="fixed,varied")
    ap.add_argument("--lockstep", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    sizes = [int(x) for x in args.models.split(",")]
    spread = tuple(float(x) for x in args.spread.split(","))
    ctl = find_bin("traderctl", "daemon")
    tmp = tempfile.mkdtemp(prefix="trader-bench-")
    home, configs = os.path.join(tmp, "home"), os.path.join(tmp, "configs")
    os.makedirs(configs)
    env = dict(os.environ, TRADER_CONFIGS_DIR=configs)
    env.pop("TRADER_THREADS", None)
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    stack = os.path.join(ROOT, "scripts", "stack")
    llm = None
    try:
        # The LLM server's script holds every job's calls: model m<N>-<job>.
        jobs = []
        for n in sizes:
            for profile in args.profiles.split(","):
                jobs.append((n, profile, False))
            if args.lockstep:
                jobs.append((n, "varied", True))
        script = {}
        for k, (n, profile, lock) in enumerate(jobs):
            lat = latencies(profile, n, args.days, args.latency, spread)
            for i in range(n):
                script["m%d-%d" % (i, k)] = [
                    {"fault": "latency", "seconds": s, "content": "Holding. <FINISH_SIGNAL>"}
                    for s in lat[i]]
            jobs[k] = (n, profile, lock, lat)
        with open(os.path.join(tmp, "llm.json"), "w") as f:
            json.dump(script, f)
        portfile = os.path.join(tmp, "llm.port")
        llm = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "llm_server.py"),
                                "--script", os.path.join(tmp, "llm.json"),
                                "--port-file", portfile, "--log", os.path.join(tmp, "llm.log")])
        for _ in range(100):
            if os.path.exists(portfile):
                break
            time.sleep(0.1)
        llm_port = int(open(portfile).read())
        subprocess.run([stack, "up", "--home", home, "--port", str(port), "--workers",
                        str(args.workers)], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([ctl, "--home", home, "prices", "synth", "--days",
                        str(args.days + 10)], env=env, check=True, stdout=subprocess.DEVNULL)
        pid = int(open(os.path.join(home, "run", "traderd.pid")).read())
        idle = rss_kb(pid)
        print("machine: %d cores, %s" % (os.cpu_count(), cpu_name()))
        print("days per job: %d; one LLM call per model-day; fixed latency %.3f s; varied %s s;"
              " idle traderd %d KB; load average %.1f"
              % (args.days, args.latency, args.spread, idle, os.getloadavg()[0]))
        print("%-7s %-7s %-9s %8s %9s %9s %9s %9s %8s %8s" % (
            "models", "profile", "schedule", "wall s", "critical", "overhead", "nominal",
            "KB/model", "cpu ms", "llm ms"))
        for k, (n, profile, lock, lat) in enumerate(jobs):
            name = "job%d" % k
            cfg = {"date_range": {"init_date": "2025-01-02"},
                   "stock_symbols": ["AAPL", "MSFT", "NVDA"],
                   "agent_config": {"max_steps": 1, "max_retries": 0, "base_delay": 0.05},
                   "models": [{"signature": "m%d-%d" % (i, k), "basemodel": "m%d-%d" % (i, k),
                               "provider": "openai", "timeout_seconds": 60,
                               "openai_base_url": "http://127.0.0.1:%d/v1" % llm_port,
                               "openai_api_key": "sk-bench"} for i in range(n)]}
            if lock:
                cfg["schedule"] = "lockstep"
            with open(os.path.join(configs, name + ".json"), "w") as f:
                json.dump(cfg, f)
            ans = http(base, "POST", "/simulate/trigger",
                       {"config_path": "configs/%s.json" % name,
                        "date_range": trading_days(home, args.days)})
            job = ans["job_id"]
            peak = rss_kb(pid)
            cpu0, llm0 = cpu_s(pid), cpu_s(llm.pid)
            while True:
                st = http(base, "GET", "/simulate/status/%s?details=none" % job)
                peak = max(peak, rss_kb(pid))
                if st["status"] not in ("pending", "running"):
                    break
                time.sleep(0.05)
            wall = st["total_duration_seconds"]
            days = n * args.days
            cpu = (cpu_s(pid) - cpu0) * 1000 / days
            llm_cpu = (cpu_s(llm.pid) - llm0) * 1000 / days
            calls = measured(os.path.join(tmp, "llm.log"), k, n)
            critical, nominal = path(calls, lock), path(lat, lock)
            print("%-7d %-7s %-9s %8.3f %9.3f %8.2f%% %9.3f %9.0f %8.1f %8.1f  (%s)" % (
                n, profile, "lockstep" if lock else "pipelined", wall, critical,
                (wall / critical - 1) * 100, nominal, (peak - idle) / n, cpu, llm_cpu,
                st["status"]))
            sys.stdout.flush()
    finally:
        subprocess.run([stack, "down", "--home", home], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        if llm:
            llm.terminate()
            llm.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def measured(log, k, n):
    """Per model of job k, the durations of its calls as the server saw them."""
    calls = [[] for _ in range(n)]
    with open(log) as f:
        for line in f:
            r = json.loads(line)
            model = r.get("model") or ""
            if model.endswith("-%d" % k) and r.get("started"):
                calls[int(model[1:model.index("-")])].append(r["time"] - r["started"])
    return calls


def path(calls, lockstep):
    """The critical path: the slowest model's total (pipelined), or the sum
    over dates of each date's slowest call (lockstep)."""
    if lockstep:
        return sum(max(c[d] for c in calls) for d in range(min(len(c) for c in calls)))
    return max(sum(c) for c in calls)


def trading_days(home, n):
    """The first n synthetic trading days after the init date."""
    import sqlite3
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(home, "trader.db"), uri=True)
    rows = con.execute("SELECT DISTINCT date FROM prices WHERE date > '2025-01-02' ORDER BY date"
                       " LIMIT ?", (n,)).fetchall()
    return [r[0] for r in rows]


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


if __name__ == "__main__":
    main()
