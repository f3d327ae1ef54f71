#!/usr/bin/env python3
"""Scale-out benchmark: job wall time with 1, 2 and 3 traderd workers on one
PostgreSQL store (docs/scaling.md).

    bench/workers.py [--workers 1,2,3] [--models 12] [--days 10] [--latency 0.5]
                     [--threads 4]

Starts a throwaway PostgreSQL cluster (tests/pgcluster.sh), a stack on it
(scripts/stack up --database-url: nginx, trader-api and the first traderd),
and the extra workers as further traderd processes, each with a data
directory of its own and the same database (as further hosts would). Every
worker runs --threads model-days at once, so with --models larger than
--threads one worker is the bottleneck and more workers share the job's
model-days. The models are served by tests/llm_server.py with --latency
seconds per call, one call per model-day. For each worker count one job of
--models x --days runs; printed: its wall time (total_duration_seconds, from
claim to finish), the ideal (model-days x latency / (workers x threads),
LLM time only), the speed-up over one worker, and how many model-days each
worker ran (job_details.worker). Python standard library only.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine import ROOT, cpu_name, find_bin, free_port, http  # noqa: E402


def psql(url, sql):
    out = subprocess.run(["psql", "-X", "-A", "-t", "-d", url, "-c", sql], check=True,
                         capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", default="1,2,3")
    ap.add_argument("--models", type=int, default=12)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    counts = [int(x) for x in args.workers.split(",")]
    ctl, traderd = find_bin("traderctl", "daemon"), find_bin("traderd", "daemon")
    tmp = tempfile.mkdtemp(prefix="trader-bench-workers-")
    os.chmod(tmp, 0o711)  # the cluster runs as nobody when we are root
    cluster = os.path.join(tmp, "pg")
    pgcluster = os.path.join(ROOT, "tests", "pgcluster.sh")
    url = subprocess.run([pgcluster, "start", cluster], check=True, capture_output=True,
                         text=True).stdout.strip()
    home, configs = os.path.join(tmp, "home"), os.path.join(tmp, "configs")
    os.makedirs(configs)
    env = dict(os.environ, TRADER_CONFIGS_DIR=configs, TRADER_DATABASE_URL=url,
               TRADER_THREADS=str(args.threads))
    env.pop("TRADER_DB_PATH", None)
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    stack = os.path.join(ROOT, "scripts", "stack")
    llm, extra = None, []
    try:
        script = {"*": [{"fault": "latency", "seconds": args.latency,
                         "content": "Holding. <FINISH_SIGNAL>"}]}
        with open(os.path.join(tmp, "llm.json"), "w") as f:
            json.dump(script, f)
        portfile = os.path.join(tmp, "llm.port")
        llm = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "llm_server.py"),
                                "--script", os.path.join(tmp, "llm.json"),
                                "--port-file", portfile, "--log", os.devnull])
        for _ in range(100):
            if os.path.exists(portfile):
                break
            time.sleep(0.1)
        llm_port = int(open(portfile).read())
        subprocess.run([stack, "up", "--home", home, "--port", str(port), "--database-url", url],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([ctl, "--home", home, "prices", "synth", "--days", str(args.days + 10)],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        days = psql(url, "SELECT DISTINCT date FROM prices WHERE date > '2025-01-02'"
                         " ORDER BY date LIMIT %d" % args.days)
        print("machine: %d cores, %s; load average %.1f" % (os.cpu_count(), cpu_name(),
                                                           os.getloadavg()[0]))
        print("job: %d models x %d days, one LLM call of %.2f s per model-day; %d threads per"
              " worker; PostgreSQL 15 on the same machine"
              % (args.models, args.days, args.latency, args.threads))
        print("%-8s %8s %8s %9s  %s" % ("workers", "wall s", "ideal s", "speed-up",
                                        "model-days per worker"))
        first = None
        for k, n in enumerate(counts):
            while len(extra) < n - 1:
                wh = os.path.join(tmp, "worker%d" % (len(extra) + 2))
                os.makedirs(wh)
                extra.append(subprocess.Popen([traderd, "--home", wh, "--poll", "0.2"], env=env,
                                              stdout=subprocess.DEVNULL,
                                              stderr=open(wh + ".log", "w")))
            time.sleep(1)  # every worker has written its first heartbeat
            name = "job%d" % k
            cfg = {"date_range": {"init_date": "2025-01-02"},
                   "stock_symbols": ["AAPL", "MSFT", "NVDA"],
                   "agent_config": {"max_steps": 1, "max_retries": 0, "base_delay": 0.05},
                   "models": [{"signature": "m%d-%d" % (i, k), "basemodel": "m",
                               "provider": "openai", "timeout_seconds": 60,
                               "openai_base_url": "http://127.0.0.1:%d/v1" % llm_port,
                               "openai_api_key": "sk-bench"} for i in range(args.models)]}
            with open(os.path.join(configs, name + ".json"), "w") as f:
                json.dump(cfg, f)
            job = http(base, "POST", "/simulate/trigger",
                       {"config_path": "configs/%s.json" % name, "date_range": days})["job_id"]
            while True:
                st = http(base, "GET", "/simulate/status/%s?details=none" % job)
                if st["status"] not in ("pending", "running"):
                    break
                time.sleep(0.1)
            wall = st["total_duration_seconds"]
            ideal = args.models * args.days * args.latency / (n * args.threads)
            first = first or wall
            shares = psql(url, "SELECT count(*) FROM job_details WHERE job_id = '%s'"
                               " GROUP BY worker ORDER BY 1 DESC" % job)
            print("%-8d %8.2f %8.2f %8.2fx  %s  (%s)" % (n, wall, ideal, first / wall,
                                                        " ".join(shares), st["status"]))
            sys.stdout.flush()
    finally:
        for p in extra:
            p.terminate()
            p.wait()
        subprocess.run([stack, "down", "--home", home], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        if llm:
            llm.terminate()
            llm.wait()
        subprocess.run([pgcluster, "stop", cluster], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
