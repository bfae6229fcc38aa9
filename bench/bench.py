#!/usr/bin/python3
"""fetchd benchmark driver (bench/run.sh builds what it needs, then runs this with Debian's /usr/bin/python3).

Starts the bench target on loopback (pinned to CPU 0), then per scenario runs, one after the other and each
pinned to CPU 1: the raw Vert.x client discarding bodies, the raw client writing files, the aiohttp crawler
(writing files), and a fresh fetchd from target/fetchd.jar (warm-up job, then the timed job, then an untimed
check of every item and stored file). S5 drives fetchd's API (and a bare Vert.x endpoint) with wrk; S6 runs
a 100,000-URL job under -Xmx256m. S7 crawls a real static site (Debian's debian-handbook package, served by Debian's
nginx) with wget2 and with one fetchd crawl job. Everything it starts is stopped on exit. Prints one table; writes
results.json, table.md and plot.png under BENCH_OUT (default bench/results).

Environment (all optional):
  BENCH_QUICK=1            scale every N by 0.1 (S6 by 0.2), wrk runs 3 s: a smoke run of about a minute
  BENCH_SCALE=F            scale N of S1-S4 by F (overrides the quick factor)
  BENCH_SCENARIOS=S1,S3    run only these scenarios (default S1,S2,S3,S4,S5,S6,S7); BENCH_ONLY is the same
  BENCH_S7_REPS=3          timed runs of each client in S7 (1 with BENCH_QUICK); the table shows the median
  BENCH_S7_SITE=DIR        the folder nginx serves in S7 (default /usr/share/doc/debian-handbook/html)
  BENCH_QUIET_WAIT=120     seconds to wait at most for a quiet machine before each measurement
  BENCH_MERGE=1            keep the rows of the scenarios not run now from the previous results.json
  BENCH_CLIENTS=raw,raw_files,aiohttp,fetchd   clients for S1-S4 (raw_durable adds fsync+rename to raw_files)
  BENCH_WRK_SECONDS=10     duration of each wrk run in S5
  BENCH_JFR=1              record a JFR profile of fetchd's timed job (RUN/fetchd-SCN.jfr and RUN/fetchd-SCN-top.txt)
  BENCH_FETCHD_JAVA_OPTS   extra JVM options for fetchd in S1-S5
  BENCH_FETCHD_JAR=PATH    measure another fetchd build (e.g. a patched one) with the same harness
  BENCH_WORK=/tmp/fetchd-bench  scratch dir (logs, URL lists; a new run-* folder per run)
  BENCH_LOOPFS=1           put every file the clients and fetchd write on a fresh ext4 file system (a loop-mounted
                           sparse image under BENCH_WORK, made per run, removed at the end); 0 = plain folder
  BENCH_WARM_N=10000       URLs in each client's untimed warm-up pass (the first ones of the scenario's list)
  BENCH_WARM_PASSES=1      warm-up passes: in S1-S4 pass 2 on fetches BENCH_WARM_N more URLs with names of their own
                           (new bodies, as in the timed pass), every client the same; in S7 fetchd crawls the site
                           that many times before the timed runs (wget2 once: it has no JIT to warm)
  BENCH_OUT=bench/results  where results.json, table.md and plot.png go
"""
import http.client
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "target", "fetchd.jar")
CP = JAR + ":" + os.path.join(ROOT, "bench", "target", "classes")
FETCHD_JAR = os.environ.get("BENCH_FETCHD_JAR", JAR)  # fetchd under test (default: the one just built)
PY = "/usr/bin/python3"
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
SCALE = float(os.environ.get("BENCH_SCALE", "0.1" if QUICK else "1"))
WORK = os.environ.get("BENCH_WORK", "/tmp/fetchd-bench")
OUT = os.environ.get("BENCH_OUT", os.path.join(ROOT, "bench", "results"))
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "3" if QUICK else "10"))
JFR = os.environ.get("BENCH_JFR", "") not in ("", "0")
FETCHD_JAVA_OPTS = os.environ.get("BENCH_FETCHD_JAVA_OPTS", "").split()
SELECTED = (os.environ.get("BENCH_ONLY") or os.environ.get("BENCH_SCENARIOS") or "S1,S2,S3,S4,S5,S6,S7").split(",")
CLIENTS = os.environ.get("BENCH_CLIENTS", "raw,raw_files,raw_durable,aiohttp,fetchd").split(",")
LOOPFS = os.environ.get("BENCH_LOOPFS", "1") not in ("", "0")
WARM_N = int(os.environ.get("BENCH_WARM_N", "10000"))
WARM_PASSES = max(1, int(os.environ.get("BENCH_WARM_PASSES", "1")))
QUIET_WAIT = int(os.environ.get("BENCH_QUIET_WAIT", "120"))
MERGE = os.environ.get("BENCH_MERGE", "") not in ("", "0")
# S7: a crawl of a real static site (the Debian Administrator's Handbook as Debian installs it, all languages)
S7_SITE = os.environ.get("BENCH_S7_SITE", "/usr/share/doc/debian-handbook/html")
S7_REPS = int(os.environ.get("BENCH_S7_REPS", "1" if QUICK else "3"))
S7_C = 8
RUN = None   # this run's folder under WORK
FS = None    # where every body lands: the loop-mounted file system, or RUN/files

NCPU = os.cpu_count() or 1
SERVER_CPU = "0" if NCPU >= 2 else None   # target, wrk, this driver
CLIENT_CPU = "1" if NCPU >= 2 else None   # the client under test: raw, aiohttp, fetchd, trivial

# the contract caps one job at concurrency 1000 and perHostConcurrency 256
MAX_JOB_CONCURRENCY = 1000
MAX_PER_HOST = 256
MIB = 1024 * 1024

SCENARIOS = {
    "S1": dict(title="latency-bound", n=10000, delay=100, size=1024, c=500),
    "S2": dict(title="throughput-bound", n=50000, delay=0, size=1024, c=64),
    "S3": dict(title="download-bound", n=400, delay=0, size=MIB, c=16),
    "S4": dict(title="wide fan-out", n=20000, delay=1000, size=1024, c=5000),
}

procs = []


def log(*a):
    print("[bench %s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def pin(cmd, cpu):
    return (["taskset", "-c", cpu] + cmd) if cpu is not None else cmd


def spawn(cmd, cpu, logname, env=None, stdout_pipe=False):
    logf = open(os.path.join(RUN, logname), "ab")
    p = subprocess.Popen(pin(cmd, cpu), stdout=subprocess.PIPE if stdout_pipe else logf, stderr=logf,
                         env=env, start_new_session=True)
    procs.append(p)
    return p


def stop(p, timeout=40):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p in procs:
        procs.remove(p)


def stop_all():
    for p in list(procs):
        try:
            stop(p, 10)
        except Exception:  # noqa: BLE001
            pass


def run_json(cmd, cpu, logname, timeout=900):
    """Runs a client to completion; returns the JSON object of its last stdout line."""
    with open(os.path.join(RUN, logname), "ab") as logf:
        p = subprocess.Popen(pin(cmd, cpu), stdout=subprocess.PIPE, stderr=logf, start_new_session=True)
        procs.append(p)
        try:
            out, _ = p.communicate(timeout=timeout)
        finally:
            if p.poll() is None:
                p.kill()
            procs.remove(p)
    lines = [l for l in out.decode().splitlines() if l.strip().startswith("{")]
    if p.returncode != 0 or not lines:
        raise RuntimeError("%s failed (exit %s), see %s" % (cmd[:4], p.returncode, logname))
    return json.loads(lines[-1])


def read_ready(p, what):
    line = p.stdout.readline().decode()
    m = re.match(r"READY (\d+)", line)
    if not m:
        raise RuntimeError("%s did not start: %r" % (what, line))
    return int(m.group(1))


def vm_hwm_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- other load on the machine

def kernel_threads_cpu():
    """CPU seconds of kernel threads (children of kthreadd): writeback, the journal, the loop device, which
    work for the bench's own file writes."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == "2" or pid == "2":  # ppid kthreadd
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy():
    """Busy seconds of all CPUs from /proc/stat, less interrupts (the loopback traffic of the bench itself is
    softirq time) and less kernel threads: what processes used, plus steal."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[7]) / os.sysconf("SC_CLK_TCK") - kernel_threads_cpu()


def own_cpu(pids):
    """CPU seconds of this driver, its waited-for children, and the live processes given."""
    r = os.times()
    total = r.user + r.system + r.children_user + r.children_system
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:
            pass
    return total


class Meter:
    """CPU used on this machine by processes the bench did not start, over a window (in cores)."""
    live = []  # pids of long-lived bench processes (the target, a running fetchd)

    def __init__(self, extra_pids=()):
        self.pids = list(Meter.live) + list(extra_pids)
        self.t0 = time.time()
        self.busy0 = machine_busy()
        self.own0 = own_cpu(self.pids)

    def foreign_cores(self):
        dt = max(1e-3, time.time() - self.t0)
        foreign = (machine_busy() - self.busy0) - (own_cpu(self.pids) - self.own0)
        return max(0.0, foreign / dt)


def await_quiet(limit_s=None, threshold=0.25):
    """Waits (up to limit_s, default BENCH_QUIET_WAIT) until other processes use less than `threshold` cores over
    2 s; returns it."""
    limit_s = QUIET_WAIT if limit_s is None else min(limit_s, QUIET_WAIT)
    deadline = time.time() + limit_s
    waited = False
    while True:
        m = Meter()
        time.sleep(2)
        f = m.foreign_cores()
        if f < threshold or time.time() > deadline:
            if waited:
                log("  machine %s (other processes: %.2f cores)" % ("quiet again" if f < threshold
                                                                    else "still busy, going on", f))
            return f
        if not waited:
            log("  other processes use %.2f cores: waiting for a quiet machine (up to %d s)" % (f, limit_s))
            waited = True


# ---------------------------------------------------------------- HTTP helpers

def request(port, method, path, body=None, headers=None, timeout=90):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return r.status, data
    finally:
        conn.close()


def get_json(port, path, timeout=90):
    status, data = request(port, "GET", path, timeout=timeout)
    if status != 200:
        raise RuntimeError("GET %s -> %d %s" % (path, status, data[:300]))
    return json.loads(data)


class TargetStats:
    def __init__(self, port):
        self.port = port

    def reset(self):
        request(self.port, "POST", "/_reset")

    def read(self):
        return get_json(self.port, "/_stats")


# ---------------------------------------------------------------- fetchd

class Fetchd:
    def __init__(self, name, conc, per_host, global_c, extra_env=None, java_opts=None):
        self.data = os.path.join(FS, "fetchd-" + name)
        self.logname = "fetchd-%s.log" % name
        env = dict(os.environ)
        env.update({
            "FETCHD_HTTP_PORT": "0",
            "FETCHD_DATA_DIR": self.data,
            "FETCHD_ALLOW_PRIVATE_NETWORKS": "true",   # the target is on loopback
            "FETCHD_FETCH_MAX_CONCURRENCY": str(global_c),
            "FETCHD_LIMITS_CONCURRENCY": str(conc),
            "FETCHD_LIMITS_PER_HOST_CONCURRENCY": str(per_host),
            "FETCHD_LIMITS_RETRIES": "0",              # a failure must show, not hide behind a retry
            "FETCHD_LIMITS_REQUEST_TIMEOUT_MS": "120000",
            "FETCHD_HTTP_MAX_BODY_BYTES": str(64 * MIB),  # a 100,000-URL job is ~7 MB of JSON (default 1 MiB)
            "FETCHD_MAX_RUNNING_JOBS": "8",
        })
        env.update(extra_env or {})
        cmd = ["java"] + (java_opts or []) + FETCHD_JAVA_OPTS + ["-jar", FETCHD_JAR]
        self.proc = spawn(cmd, CLIENT_CPU, self.logname, env=env)
        self.port = self._await_port()

    def _await_port(self):
        path = os.path.join(RUN, self.logname)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("fetchd exited at start-up, see " + path)
            with open(path, errors="replace") as f:
                m = re.findall(r"fetchd listening on port (\d+)", f.read())
            if m:
                port = int(m[-1])
                status, _ = request(port, "GET", "/health/ready")
                if status == 200:
                    return port
            time.sleep(0.2)
        raise RuntimeError("fetchd did not start within 60 s, see " + path)

    def submit(self, urls, limits):
        return self.submit_body({"type": "download", "urls": urls, "limits": limits})

    def submit_body(self, job):
        body = json.dumps(job).encode()
        status, data = request(self.port, "POST", "/jobs", body, {"Content-Type": "application/json"})
        if status != 202:
            raise RuntimeError("POST /jobs -> %d %s" % (status, data[:500]))
        return json.loads(data)["id"]

    def wait(self, job_id, limit_s=900):
        deadline = time.time() + limit_s
        while True:
            job = get_json(self.port, "/jobs/%s?wait=60" % job_id, timeout=90)
            if job["state"] in ("completed", "failed", "cancelled", "timed_out"):
                return job
            if time.time() > deadline:
                raise RuntimeError("job %s not terminal after %d s: %s" % (job_id, limit_s, job["progress"]))

    def run_jobs_body(self, jobs):
        """POSTs the jobs given (whole bodies), waits for all; returns (seconds, jobs)."""
        t0 = time.perf_counter()
        ids = [self.submit_body(j) for j in jobs]
        done = [self.wait(i) for i in ids]
        return time.perf_counter() - t0, done

    def run_jobs(self, chunks, limits):
        """POSTs one job per chunk, waits for all; returns (seconds from first POST to last terminal, jobs)."""
        t0 = time.perf_counter()
        ids = [self.submit(chunk, limits) for chunk in chunks]
        jobs = [self.wait(i) for i in ids]
        return time.perf_counter() - t0, jobs

    def items(self, job_id):
        """Every item of a job, through GET /jobs/{id}/items (pages of 1,000)."""
        out, cursor = [], None
        while True:
            q = "limit=1000" + ("&cursor=" + urllib.parse.quote(cursor, safe="") if cursor else "")
            page = get_json(self.port, "/jobs/%s/items?%s" % (job_id, q))
            out += page["items"]
            cursor = page["next"]
            if not cursor:
                return out

    def verify(self, jobs, url_files):
        return run_json(["java", "-cp", CP, "bench.Main", "verify", "--api", "http://127.0.0.1:%d" % self.port,
                         "--jobs", ",".join(j["id"] for j in jobs), "--urls", ",".join(url_files),
                         "--data", self.data], SERVER_CPU, "verify.log")

    def metric_sum(self, name, label_filter):
        _, data = request(self.port, "GET", "/metrics")
        total = 0.0
        for line in data.decode().splitlines():
            if line.startswith(name + "{") and label_filter in line:
                total += float(line.rsplit(" ", 1)[1])
        return total

    def jcmd(self, *args):
        subprocess.run(["jcmd", str(self.proc.pid)] + list(args), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)

    def close(self):
        # the files stay until the end of the run: deleting 100,000 files makes ext4's inode allocator scan
        # past every recently deleted inode (recently_deleted(), up to 5 minutes), which would slow whatever
        # runs next
        stop(self.proc)


# ---------------------------------------------------------------- S1-S4

def hosts_for(c):
    return max(1, math.ceil(c / MAX_PER_HOST))


def make_urls(scn, spec, port, n):
    h = hosts_for(spec["c"])
    q = "size=%d" % spec["size"] + ("&delay=%d" % spec["delay"] if spec["delay"] else "")
    return ["http://127.0.0.%d:%d/b/%s-%d?%s" % (1 + i % h, port, scn.lower(), i, q) for i in range(n)]


def write_lines(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def run_fetch_scenario(scn, spec, target):
    n = max(spec["c"] if scn != "S3" else 16, int(round(spec["n"] * SCALE)))
    c = spec["c"]
    urls = make_urls(scn, spec, target.port, n)
    url_file = os.path.join(RUN, "%s-urls.txt" % scn)
    write_lines(url_file, urls)
    warm_n = min(n, WARM_N)
    # pass 1 fetches the first URLs of the list, later passes as many URLs of other names: bodies not stored yet
    warm_passes = [urls[:warm_n]] + [[u.replace("/b/%s-" % scn.lower(), "/b/%s-w%d-" % (scn.lower(), p), 1)
                                      for u in urls[:warm_n]] for p in range(2, WARM_PASSES + 1)]
    warm_file = os.path.join(RUN, "%s-warm-urls.txt" % scn)
    write_lines(warm_file, [u for ps in warm_passes for u in ps])
    ideal = n * spec["delay"] / 1000.0 / c if spec["delay"] else None
    log("%s %s: N=%d delay=%dms size=%d C=%d hosts=%d" % (scn, spec["title"], n, spec["delay"], spec["size"], c,
                                                           hosts_for(c)))
    rows = []

    def row(client, res, tstats, note=""):
        r = dict(scenario=scn, client=client, n=n, c=c, delay=spec["delay"], size=spec["size"],
                 elapsed_s=res["elapsed_s"], cpu_s=res.get("cpu_s"), ok=res["ok"], failed=res["failed"],
                 bytes=res["bytes"], rss_peak_kb=res["rss_peak_kb"], peak_conc=tstats["maxInFlight"],
                 target_requests=tstats["requests"], ideal_s=ideal, note=note, verify=res.get("verify"),
                 foreign_cores=res.get("foreign_cores"), threads_cpu=res.get("threads_cpu"))
        rows.append(r)
        log("  %-12s %7.3f s  cpu %s  ok %d failed %d  peak conc %d  rss %d MiB  other load %.2f cores %s" % (
            client, r["elapsed_s"], "%.2f s" % r["cpu_s"] if r["cpu_s"] is not None else "-", r["ok"], r["failed"],
            r["peak_conc"], r["rss_peak_kb"] // 1024, r["foreign_cores"] or 0, note))

    base = ["java", "-cp", CP, "bench.Main", "raw", "--urls", url_file, "--warm-urls", warm_file, "--c", str(c)]
    for client in CLIENTS:
        if client == "fetchd":
            continue
        files_dir = os.path.join(FS, "%s-%s" % (scn, client))
        if client == "raw":
            cmd = base
        elif client == "raw_files":
            cmd = base + ["--out", files_dir]
        elif client == "raw_durable":
            cmd = base + ["--out", files_dir, "--durable"]
        elif client == "aiohttp":
            cmd = [PY, os.path.join(ROOT, "bench", "aiohttp_crawler.py"), "--urls", url_file, "--warm-urls",
                   warm_file, "--c", str(c), "--out", files_dir]
        else:
            raise SystemExit("unknown client " + client)
        await_quiet()
        target.reset()
        m = Meter()
        res = run_json(cmd, CLIENT_CPU, "%s-%s.log" % (scn, client))
        res["foreign_cores"] = m.foreign_cores()
        row(client, res, target.read())

    if "fetchd" in CLIENTS:
        jobs_n = math.ceil(c / MAX_JOB_CONCURRENCY)
        conc = min(c, MAX_JOB_CONCURRENCY)
        per_host = min(MAX_PER_HOST, math.ceil(c / hosts_for(c)))
        limits = {"concurrency": conc, "perHostConcurrency": per_host, "retries": 0, "requestTimeoutMs": 120000}
        per_job = math.ceil(n / jobs_n)
        chunks = [urls[k * per_job:(k + 1) * per_job] for k in range(jobs_n)]
        warm_chunks = [[w for w in (ps[k * per_job:(k + 1) * per_job] for k in range(jobs_n)) if w]
                       for ps in warm_passes]
        chunk_files = []
        for k, chunk in enumerate(chunks):
            path = os.path.join(RUN, "%s-urls-job%d.txt" % (scn, k))
            write_lines(path, chunk)
            chunk_files.append(path)
        fd = Fetchd(scn, conc, per_host, c)
        try:
            warm_s = sum(fd.run_jobs(chunks_of_pass, limits)[0] for chunks_of_pass in warm_chunks)
            await_quiet()
            target.reset()
            m = Meter([fd.proc.pid])
            if JFR:
                fd.jcmd("JFR.start", "name=bench", "settings=profile")
            cpu0 = cpu_seconds(fd.proc.pid)
            threads0 = thread_cpu(fd.proc.pid)
            elapsed, jobs = fd.run_jobs(chunks, limits)
            cpu = cpu_seconds(fd.proc.pid) - cpu0
            by_thread = thread_groups(threads0, thread_cpu(fd.proc.pid))
            foreign = m.foreign_cores()
            tstats = target.read()
            if JFR:
                jfr_file = os.path.join(RUN, "fetchd-%s.jfr" % scn)
                fd.jcmd("JFR.stop", "name=bench", "filename=" + jfr_file)
            ok = sum(j["progress"]["succeeded"] for j in jobs)
            failed = sum(j["progress"]["total"] - j["progress"]["succeeded"] for j in jobs)
            states = sorted({j["state"] for j in jobs})
            ver = fd.verify(jobs, chunk_files)
            note = "%d jobs x %d" % (jobs_n, conc) if jobs_n > 1 else ""
            if states != ["completed"]:
                note += " states=%s" % states
            if ver["bad_items"] or ver["bad_files"] or ver["succeeded"] != n:
                note += " VERIFY FAILED: %s" % ver["first_problem"]
            else:
                note += (" verified %d items + files" % ver["succeeded"]).rstrip()
            res = dict(elapsed_s=elapsed, cpu_s=cpu, ok=ok, failed=failed,
                       bytes=sum(j["progress"]["bytes"] for j in jobs), rss_peak_kb=vm_hwm_kb(fd.proc.pid),
                       verify=ver, foreign_cores=foreign, threads_cpu=by_thread)
            log("  fetchd CPU by thread in the timed pass: " + ", ".join(
                "%s %.2f s" % (k, v) for k, v in sorted(by_thread.items(), key=lambda kv: -kv[1]) if v >= 0.01))
            row("fetchd", res, tstats, note.strip())
            rows[-1]["warm_s"] = warm_s
        finally:
            fd.close()
        if JFR:
            top = subprocess.run([PY, os.path.join(ROOT, "bench", "jfr_top.py"),
                                  os.path.join(RUN, "fetchd-%s.jfr" % scn)], capture_output=True, text=True)
            with open(os.path.join(RUN, "fetchd-%s-top.txt" % scn), "w") as f:
                f.write(top.stdout + top.stderr)
            log("  JFR top frames: " + os.path.join(RUN, "fetchd-%s-top.txt" % scn))
    return rows


# ---------------------------------------------------------------- S5

def parse_wrk(text):
    def lat_ms(v):
        m = re.match(r"([\d.]+)(us|ms|s)", v)
        x = float(m.group(1))
        return x / 1000 if m.group(2) == "us" else x * 1000 if m.group(2) == "s" else x
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    total = re.search(r"(\d+) requests in", text)
    return dict(rps=rps, p50_ms=lat_ms(p50.group(1)) if p50 else None, p99_ms=lat_ms(p99.group(1)) if p99 else None,
                non2xx=int(non2xx.group(1)) if non2xx else 0, socket_errors=errors.group(1) if errors else "",
                requests=int(total.group(1)) if total else None)


def wrk(url, script=None, conns=64, pids=()):
    m = Meter(pids)
    cmd = ["wrk", "-t1", "-c%d" % conns, "-d%ds" % WRK_SECONDS, "--latency", "--timeout", "10s"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(pin(cmd + [url], SERVER_CPU), capture_output=True, text=True, timeout=WRK_SECONDS + 60)
    with open(os.path.join(RUN, "wrk.log"), "a") as f:
        f.write("$ %s\n%s\n%s\n" % (" ".join(cmd + [url]), out.stdout, out.stderr))
    r = parse_wrk(out.stdout)
    r["foreign_cores"] = m.foreign_cores()
    return r


def run_s5(target):
    log("S5 API: wrk -t1 -c64 -d%ds against fetchd (while a 100,000-URL download runs) and a bare Vert.x endpoint"
        % WRK_SECONDS)
    rows = []
    bg_n, bg_c = 100000, 256
    urls = ["http://127.0.0.1:%d/b/s5-bg-%d?size=1024&delay=100" % (target.port, i) for i in range(bg_n)]
    fd = Fetchd("S5", bg_c, bg_c, bg_c, extra_env={
        # every POST of the run is accepted (no 429): queued small jobs are the load
        "FETCHD_QUEUE_CAPACITY": "1000000",
    })
    try:
        # a few warm-up requests of each kind before the measured runs
        bg = fd.submit(urls, {"concurrency": bg_c, "perHostConcurrency": bg_c, "retries": 0})
        lua = os.path.join(RUN, "post.lua")
        with open(lua, "w") as f:
            f.write(POST_LUA % target.port)
        # warm-up: let the download reach its steady state, then a short untimed wrk run of each kind
        time.sleep(3 if QUICK else 5)
        saved = WRK_SECONDS
        globals()["WRK_SECONDS"] = 3
        wrk("http://127.0.0.1:%d/jobs/%s" % (fd.port, bg))
        wrk("http://127.0.0.1:%d/jobs" % fd.port, lua)
        globals()["WRK_SECONDS"] = saved
        await_quiet(60, 1.5)  # fetchd itself is busy here; only wait for a machine that is not overloaded
        g = wrk("http://127.0.0.1:%d/jobs/%s" % (fd.port, bg), pids=[fd.proc.pid])
        g_state = get_json(fd.port, "/jobs/" + bg)
        p = wrk("http://127.0.0.1:%d/jobs" % fd.port, lua, pids=[fd.proc.pid])
        p_state = get_json(fd.port, "/jobs/" + bg)
        running = g_state["state"] == "running" and p_state["state"] == "running"
        note = "background job running throughout (%d of %d done at the end)" % (
            p_state["progress"]["succeeded"], bg_n) if running else "background job NOT running throughout"
        rows.append(dict(scenario="S5", client="fetchd", endpoint="GET /jobs/{id}", note=note, **g))
        rows.append(dict(scenario="S5", client="fetchd", endpoint="POST /jobs", note=note, **p))
        status, _ = request(fd.port, "DELETE", "/jobs/" + bg)
        rows[-1]["rss_peak_kb"] = vm_hwm_kb(fd.proc.pid)
        # for the diagnosis: the same GET on an idle fetchd (the job is cancelled now), nothing else running
        await_quiet()
        i = wrk("http://127.0.0.1:%d/jobs/%s" % (fd.port, bg), pids=[fd.proc.pid])
        rows.append(dict(scenario="S5", client="fetchd", endpoint="GET /jobs/{id} idle",
                         note="no download running (informational)", **i))
    finally:
        fd.close()
    tp = spawn(["java", "-cp", CP, "bench.Main", "trivial"], CLIENT_CPU, "trivial.log", stdout_pipe=True)
    try:
        port = read_ready(tp, "trivial")
        saved = WRK_SECONDS
        globals()["WRK_SECONDS"] = 3
        wrk("http://127.0.0.1:%d/" % port)
        globals()["WRK_SECONDS"] = saved
        await_quiet()
        t = wrk("http://127.0.0.1:%d/" % port, pids=[tp.pid])
        rows.append(dict(scenario="S5", client="vertx-bare", endpoint="GET / (trivial)", note="", **t))
    finally:
        stop(tp)
    for r in rows:
        log("  %-12s %-18s %9.0f req/s  p50 %.2f ms  p99 %.2f ms  non-2xx %d %s other load %.2f cores" % (
            r["client"], r["endpoint"], r["rps"], r["p50_ms"] or -1, r["p99_ms"] or -1, r["non2xx"],
            r["socket_errors"], r["foreign_cores"]))
    return rows


POST_LUA = """-- S5: POST /jobs, a small download job per request, each naming a distinct URL
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local body = '{"type":"download","urls":["http://127.0.0.1:%d/b/s5-post-' .. n .. '?size=1024"]}'
  return wrk.format("POST", "/jobs", nil, body)
end
"""


# ---------------------------------------------------------------- S6

def run_s6(target):
    n = int(round(100000 * (0.2 if QUICK else 1.0)))
    c = 256
    log("S6 memory: one download job of %d URLs (1 KiB, 0 ms, C=%d) under -Xmx256m" % (n, c))
    urls = ["http://127.0.0.1:%d/b/s6-%d?size=1024" % (target.port, i) for i in range(n)]
    url_file = os.path.join(RUN, "S6-urls.txt")
    write_lines(url_file, urls)
    gc_log = os.path.join(RUN, "fetchd-S6-gc.log")
    fd = Fetchd("S6", c, c, c, java_opts=["-Xmx256m", "-Xlog:gc:file=%s" % gc_log])
    samples = []
    stop_sampling = threading.Event()

    def sampler():
        while not stop_sampling.is_set():
            try:
                samples.append(fd.metric_sum("jvm_memory_used_bytes", 'area="heap"'))
            except Exception:  # noqa: BLE001
                pass
            stop_sampling.wait(0.25)
    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    try:
        await_quiet()
        target.reset()
        m = Meter([fd.proc.pid])
        elapsed, jobs = fd.run_jobs([urls], {"concurrency": c, "perHostConcurrency": c, "retries": 0})
        foreign = m.foreign_cores()
        tstats = target.read()
        stop_sampling.set()
        th.join()
        ver = fd.verify(jobs, [url_file])
        rss = vm_hwm_kb(fd.proc.pid)
        alive = fd.proc.poll() is None
    finally:
        stop_sampling.set()
        fd.close()
    before, after = [], []
    with open(gc_log) as f:
        for m in re.finditer(r"(\d+)M->(\d+)M\((\d+)M\)", f.read()):
            before.append(int(m.group(1)))
            after.append(int(m.group(2)))
    job = jobs[0]
    ok = job["state"] == "completed" and ver["succeeded"] == n and not ver["bad_files"] and alive
    r = dict(scenario="S6", client="fetchd", n=n, c=c, elapsed_s=elapsed, ok=job["progress"]["succeeded"],
             failed=job["progress"]["total"] - job["progress"]["succeeded"], state=job["state"],
             peak_heap_sampled_mib=max(samples) / MIB if samples else None,
             peak_heap_before_gc_mib=max(before) if before else None,
             max_heap_after_gc_mib=max(after) if after else None, gcs=len(before),
             rss_peak_kb=rss, peak_conc=tstats["maxInFlight"], verify=ver, foreign_cores=foreign,
             note=("verified %d items + files" % ver["succeeded"]) if ok else "FAILED: %s" % ver["first_problem"])
    log("  fetchd %d URLs: %.2f s, heap peak %.0f MiB sampled / %s MiB before GC / %s MiB after GC, RSS %d MiB, %s"
        % (n, elapsed, r["peak_heap_sampled_mib"] or -1, r["peak_heap_before_gc_mib"], r["max_heap_after_gc_mib"],
           rss // 1024, r["note"]))
    return [r]


# ---------------------------------------------------------------- S7

NGINX_CONF = """# generated by bench/bench.py for S7: one worker, access log on (one line per request, read per client run)
daemon off;
master_process on;
worker_processes 1;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_temp_path %(dir)s/tmp/body;
  proxy_temp_path %(dir)s/tmp/proxy;
  fastcgi_temp_path %(dir)s/tmp/fastcgi;
  uwsgi_temp_path %(dir)s/tmp/uwsgi;
  scgi_temp_path %(dir)s/tmp/scgi;
  log_format s7 '$msec $status $body_bytes_sent $request_time $connection "$request_method" "$request_uri" '
                '"$sent_http_content_type" "$http_user_agent"';
  access_log %(dir)s/access.log s7;
  server {
    listen 127.0.0.1:%(port)d;
    root %(root)s;
    autoindex on;
  }
}
"""

ACCESS_RE = re.compile(r'^(\S+) (\d+) (\d+) (\S+) (\d+) "([^"]*)" "([^"]*)" "([^"]*)" "([^"]*)"$')


def free_port():
    import socket
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]


def child_pids(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except OSError:
                pass
    return out


class Nginx:
    """Debian's nginx serving a folder on 127.0.0.1 (one worker, autoindex on), pinned with the driver."""

    def __init__(self, root):
        self.dir = os.path.join(RUN, "nginx")
        os.makedirs(os.path.join(self.dir, "tmp"))
        self.port = free_port()
        self.access = os.path.join(self.dir, "access.log")
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF % dict(dir=self.dir, port=self.port, root=root))
        self.proc = spawn(["nginx", "-p", self.dir, "-e", os.path.join(self.dir, "error.log"), "-c", conf],
                          SERVER_CPU, "nginx.log")
        deadline = time.time() + 20
        while True:
            try:
                status, _ = request(self.port, "GET", "/", timeout=5)
                if status == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("nginx did not start, see %s/error.log and nginx.log" % self.dir)
            time.sleep(0.1)
        self.pids = [self.proc.pid] + child_pids(self.proc.pid)

    def mark(self):
        return os.path.getsize(self.access)

    def since(self, offset):
        """The requests logged since a mark: dicts of status, bytes, method, uri, type, agent."""
        with open(self.access, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
        out = []
        for line in text.splitlines():
            m = ACCESS_RE.match(line)
            if m:
                out.append(dict(status=int(m.group(2)), bytes=int(m.group(3)), ms=1000.0 * float(m.group(4)),
                                method=m.group(6), uri=m.group(7),
                                type=m.group(8).split(";")[0].strip(), agent=m.group(9)))
        return out


def log_summary(reqs):
    """Counts of one client run from nginx's log: pages are the distinct URIs answered 200 with text/html."""
    uris = [r["uri"] for r in reqs]
    pages = {r["uri"] for r in reqs if r["status"] == 200 and r["type"] == "text/html"}
    statuses = {}
    for r in reqs:
        statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
    return dict(requests=len(reqs), distinct=len(set(uris)), pages=len(pages), other=len(set(uris)) - len(pages),
                bytes=sum(r["bytes"] for r in reqs), statuses=statuses,
                nginx_median_ms=median([r["ms"] for r in reqs] or [0]))


def thread_cpu(pid):
    """CPU seconds per thread-name group (digits folded) of a live process, from /proc/PID/task/*/stat."""
    out = {}
    tck = os.sysconf("SC_CLK_TCK")
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, t)) as f:
                raw = f.read()
        except OSError:
            continue
        name = re.sub(r"\d+", "N", raw[raw.index("(") + 1:raw.rindex(")")])
        fields = raw.rsplit(")", 1)[1].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tck
    return out


# thread names as /proc gives them: cut at 15 characters ("vert.x-eventloo")
THREAD_GROUPS = [("event loop", r"^vert\.x-eventloo"), ("files", r"^fetchd-files"),
                 ("workers", r"^vert\.x-(worker|internal)"), ("JIT", r"Compiler"), ("GC", r"^(GC|G1)"),
                 ("JVM", r"^(VM |VM_|Service|Reference|Finalizer|Signal|Notification)")]


def thread_groups(before, after):
    """CPU seconds per kind of thread between two thread_cpu readings: where a fetchd pass spent its one CPU."""
    out = {}
    for name, t in after.items():
        d = t - before.get(name, 0.0)
        kind = next((k for k, rx in THREAD_GROUPS if re.search(rx, name)), "other")
        out[kind] = round(out.get(kind, 0.0) + d, 3)
    return out


def run_wget2(url, out_dir, logname):
    """One wget2 crawl, pinned to the client CPU; returns (wall s, CPU s, peak RSS KiB, exit code)."""
    cmd = pin(["wget2", "--no-config", "--quiet", "--recursive", "--level=inf", "--page-requisites",
               "--max-threads=%d" % S7_C, "--no-robots", "-P", out_dir, url], CLIENT_CPU)
    with open(os.path.join(RUN, logname), "ab") as logf:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=logf, stderr=logf, start_new_session=True)
        procs.append(p)
        try:
            _, status, ru = os.wait4(p.pid, 0)   # taskset execs wget2: this is wget2's own rusage
            elapsed = time.perf_counter() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
        finally:
            procs.remove(p)
    # wget2 exits 8 when the server answered an error (the site has one broken link): not a failure here
    if p.returncode not in (0, 8):
        raise RuntimeError("wget2 failed (exit %d), see %s" % (p.returncode, logname))
    return elapsed, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, p.returncode


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def run_s7():
    if not os.path.isfile(os.path.join(S7_SITE, "en-US", "index.html")) and "BENCH_S7_SITE" not in os.environ:
        raise RuntimeError("%s missing: apt-get install debian-handbook (bench/run.sh does)" % S7_SITE)
    ng = Nginx(S7_SITE)
    Meter.live.extend(ng.pids)
    root = "http://127.0.0.1:%d/" % ng.port
    log("S7 crawl: %s served by nginx at %s, wget2 vs fetchd at concurrency %d, %d timed run(s) each"
        % (S7_SITE, root, S7_C, S7_REPS))
    job = {"type": "crawl", "urls": [root],
           # maxDepth: the contract's maximum (50); the site is at most a few hops deep
           "crawl": {"maxDepth": 50, "maxPages": 100000, "scope": "host", "assets": True, "robots": False},
           "limits": {"concurrency": S7_C, "perHostConcurrency": S7_C, "retries": 0}}
    reps = {"wget2": [], "fetchd": []}
    logs = {}
    fd = None
    try:
        # warm passes, untimed: the page cache, nginx, and each client (fetchd's JIT)
        run_wget2(root, os.path.join(FS, "S7-wget2-warm"), "S7-wget2.log")
        fd = Fetchd("S7", S7_C, S7_C, S7_C)
        for _ in range(WARM_PASSES):  # fetchd's JIT needs more than one pass; wget2 has none to warm
            _, warm_jobs = fd.run_jobs_body([job])
        log("  warm-up passes done (fetchd warm job: %s)" % warm_jobs[0]["progress"])
        for k in range(S7_REPS):
            # wget2, a fresh process per run
            await_quiet()
            mark = ng.mark()
            m = Meter()
            elapsed, cpu, rss, code = run_wget2(root, os.path.join(FS, "S7-wget2-%d" % k), "S7-wget2.log")
            foreign = m.foreign_cores()
            logs["wget2"] = ng.since(mark)
            reps["wget2"].append(dict(elapsed_s=elapsed, cpu_s=cpu, rss_peak_kb=rss, exit=code,
                                      foreign_cores=foreign, **log_summary(logs["wget2"])))
            # fetchd: one crawl job on the running (warm) service, POST to terminal state
            await_quiet()
            mark = ng.mark()
            m = Meter([fd.proc.pid])
            threads0 = thread_cpu(fd.proc.pid)
            cpu0 = cpu_seconds(fd.proc.pid)
            elapsed, jobs = fd.run_jobs_body([job])
            cpu = cpu_seconds(fd.proc.pid) - cpu0
            threads1 = thread_cpu(fd.proc.pid)
            foreign = m.foreign_cores()
            logs["fetchd"] = ng.since(mark)
            j = jobs[0]
            items = fd.items(j["id"])
            bad = [i for i in items if i["state"] != "succeeded"]
            reps["fetchd"].append(dict(
                elapsed_s=elapsed, cpu_s=cpu, rss_peak_kb=vm_hwm_kb(fd.proc.pid), state=j["state"],
                progress=j["progress"], foreign_cores=foreign, items=len(items),
                items_not_succeeded=[(i["url"], i["state"], (i["error"] or {}).get("code"), i["status"])
                                     for i in bad][:20],
                threads_cpu={t: round(threads1[t] - threads0.get(t, 0.0), 3) for t in threads1
                             if threads1[t] - threads0.get(t, 0.0) >= 0.01},
                max_depth=max((i["depth"] for i in items), default=0),
                median_duration_ms=median([i["durationMs"] for i in items if i["durationMs"] is not None] or [0]),
                **log_summary(logs["fetchd"])))
            for c in ("wget2", "fetchd"):
                r = reps[c][-1]
                log("  run %d %-6s %7.3f s  cpu %.2f s  pages %d  other URIs %d  requests %d  statuses %s  "
                    "other load %.2f cores" % (k + 1, c, r["elapsed_s"], r["cpu_s"], r["pages"], r["other"],
                                               r["requests"], r["statuses"], r["foreign_cores"]))
        prof = None
        if JFR:
            # one more crawl under JFR, after the timed ones (the recording's cost stays out of the table)
            fd.jcmd("JFR.start", "name=bench", "settings=profile")
            cpu0 = cpu_seconds(fd.proc.pid)
            pe, pj = fd.run_jobs_body([job])
            pc = cpu_seconds(fd.proc.pid) - cpu0
            jfr_file = os.path.join(RUN, "fetchd-S7.jfr")
            fd.jcmd("JFR.stop", "name=bench", "filename=" + jfr_file)
            top = subprocess.run([PY, os.path.join(ROOT, "bench", "jfr_top.py"), jfr_file], capture_output=True,
                                 text=True)
            with open(os.path.join(RUN, "fetchd-S7-top.txt"), "w") as f:
                f.write("profiled crawl: %.3f s, CPU %.2f s, %s\n\n" % (pe, pc, pj[0]["progress"]) + top.stdout
                        + top.stderr)
            prof = dict(elapsed_s=pe, cpu_s=pc, top=os.path.join(RUN, "fetchd-S7-top.txt"))
            log("  JFR top frames (profiled crawl %.2f s, CPU %.2f s): %s" % (pe, pc, prof["top"]))
    finally:
        if fd is not None:
            fd.close()
        for pid in ng.pids:
            if pid in Meter.live:
                Meter.live.remove(pid)
        stop(ng.proc)
    cmp = compare_sets(logs.get("wget2", []), logs.get("fetchd", []))
    log("  page sets: %s" % cmp["summary"])
    rows = []
    for c in ("wget2", "fetchd"):
        rs = reps[c]
        r = dict(scenario="S7", client=c, c=S7_C, site=S7_SITE, runs=len(rs),
                 elapsed_s=median([x["elapsed_s"] for x in rs]), cpu_s=median([x["cpu_s"] for x in rs]),
                 elapsed_all=[round(x["elapsed_s"], 3) for x in rs], cpu_all=[round(x["cpu_s"], 2) for x in rs],
                 pages=median([x["pages"] for x in rs]), other=median([x["other"] for x in rs]),
                 requests=median([x["requests"] for x in rs]), bytes=median([x["bytes"] for x in rs]),
                 rss_peak_kb=max(x["rss_peak_kb"] for x in rs), foreign_cores=max(x["foreign_cores"] for x in rs),
                 reps=rs)
        r["ms_per_page"] = 1000.0 * r["cpu_s"] / max(1, r["pages"])
        if c == "fetchd":
            last = rs[-1]
            problems = [x for x in rs if x["state"] != "completed"]
            r["note"] = "job %s, %d items (max depth %d), median durationMs %s" % (
                last["state"], last["items"], last["max_depth"], last["median_duration_ms"])
            if last["progress"].get("notParsed"):
                r["note"] += "; %d pages not parsed" % last["progress"]["notParsed"]
            if problems:
                r["note"] += "; NOT COMPLETED: %s" % [x["state"] for x in problems]
            if prof:
                r["profile"] = prof
        else:
            r["note"] = "exit %s" % sorted({x["exit"] for x in rs})
        r["compare"] = cmp
        rows.append(r)
    return rows


def compare_sets(w_reqs, f_reqs):
    """The URIs each client requested in its last timed run, compared: pages (text/html 200) and the rest."""
    def split(reqs):
        pages = {r["uri"] for r in reqs if r["status"] == 200 and r["type"] == "text/html"}
        other = {r["uri"] for r in reqs} - pages
        return pages, other
    wp, wo = split(w_reqs)
    fp, fo = split(f_reqs)
    by_type = {}
    for label, reqs, mine, theirs in (("wget2 only", w_reqs, wp | wo, fp | fo), ("fetchd only", f_reqs, fp | fo, wp | wo)):
        for r in reqs:
            if r["uri"] in mine - theirs:
                key = "%s %s %d" % (label, r["type"] or "-", r["status"])
                by_type.setdefault(key, set()).add(r["uri"])
    examples = {k: sorted(v)[:3] for k, v in by_type.items()}
    counts = {k: len(v) for k, v in by_type.items()}
    # the same file spelled two ways: nginx (merge_slashes) serves /a//b as /a/b; wget2 collapses "//" in the
    # paths it requests, fetchd keeps them (RFC 3986 treats them as distinct)
    def collapse(uris):
        return {re.sub(r"/{2,}", "/", u) for u in uris}
    wa, fa = collapse(wp | wo), collapse(fp | fo)
    collapsed = dict(wget2_only=len(wa - fa), fetchd_only=len(fa - wa), wget2_only_examples=sorted(wa - fa)[:5],
                     fetchd_only_examples=sorted(fa - wa)[:5])
    same_pages = wp == fp
    summary = ("same %d pages" % len(wp) if same_pages else
               "pages differ: %d common, %d wget2 only, %d fetchd only" % (len(wp & fp), len(wp - fp), len(fp - wp)))
    summary += "; other URIs: %d common, %d wget2 only, %d fetchd only" % (len(wo & fo), len(wo - fo), len(fo - wo))
    if counts:
        summary += "; differences by type/status: " + ", ".join("%s: %d" % kv for kv in sorted(counts.items()))
        summary += "; with '//' collapsed: %d URIs wget2 only, %d fetchd only" % (collapsed["wget2_only"],
                                                                                collapsed["fetchd_only"])
    return dict(collapsed=collapsed, same_pages=same_pages, pages_common=len(wp & fp), pages_wget2_only=sorted(wp - fp)[:50],
                pages_fetchd_only=sorted(fp - wp)[:50], other_common=len(wo & fo), counts=counts, examples=examples,
                summary=summary)


# ---------------------------------------------------------------- report

def fmt(x, spec="%.2f"):
    return "-" if x is None else spec % x


def table(rows, machine):
    out = []
    out.append("fetchd benchmark, %s" % machine)
    out.append("")
    out.append("| scen | client | N | C | time s | URLs/s | MiB/s | Little eff | peak conc | CPU s | peak RSS MiB "
               "| vs raw+files | vs raw+fsync | vs raw | other load | result |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    by = {}
    for r in rows:
        if r["scenario"] in SCENARIOS:
            by[(r["scenario"], r["client"])] = r
    for r in rows:
        if r["scenario"] not in SCENARIOS:
            continue
        t = r["elapsed_s"]
        rf = by.get((r["scenario"], "raw_files"))
        rw = by.get((r["scenario"], "raw"))
        rd = by.get((r["scenario"], "raw_durable"))
        eff = r["ideal_s"] / t if r["ideal_s"] else None
        res = "%d ok" % r["ok"] + (" / %d failed" % r["failed"] if r["failed"] else "")
        if r.get("note"):
            res += "; " + r["note"]
        out.append("| %s | %s | %d | %d | %.3f | %.0f | %.1f | %s | %s | %s | %d | %s | %s | %s | %s | %s |" % (
            r["scenario"], r["client"], r["n"], r["c"], t, r["n"] / t, r["bytes"] / MIB / t,
            "-" if eff is None else "%.0f%%" % (eff * 100),
            str(r["peak_conc"]) if r["delay"] else "-", fmt(r["cpu_s"]), r["rss_peak_kb"] // 1024,
            "%.2fx" % (t / rf["elapsed_s"]) if rf else "-", "%.2fx" % (t / rd["elapsed_s"]) if rd else "-",
            "%.2fx" % (t / rw["elapsed_s"]) if rw else "-", fmt(r.get("foreign_cores")), res))
    s5 = [r for r in rows if r["scenario"] == "S5"]
    if s5:
        trivial = next((r for r in s5 if r["client"] == "vertx-bare"), None)
        out.append("")
        out.append("| S5 | endpoint | req/s | p50 ms | p99 ms | non-2xx | vs trivial | other load | note |")
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---|")
        for r in s5:
            out.append("| %s | %s | %.0f | %s | %s | %d | %s | %s | %s |" % (
                r["client"], r["endpoint"], r["rps"], fmt(r["p50_ms"]), fmt(r["p99_ms"]), r["non2xx"],
                "%.2fx" % (r["rps"] / trivial["rps"]) if trivial else "-", fmt(r.get("foreign_cores")), r["note"]))
    s6 = [r for r in rows if r["scenario"] == "S6"]
    if s6:
        out.append("")
        out.append("| S6 | N | C | time s | heap peak sampled MiB | heap peak before GC MiB | max heap after GC MiB "
                   "| GCs | peak RSS MiB | other load | result |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in s6:
            out.append("| fetchd -Xmx256m | %d | %d | %.2f | %s | %s | %s | %d | %d | %s | %s %s |" % (
                r["n"], r["c"], r["elapsed_s"], fmt(r["peak_heap_sampled_mib"], "%.0f"),
                fmt(r["peak_heap_before_gc_mib"], "%d"), fmt(r["max_heap_after_gc_mib"], "%d"), r["gcs"],
                r["rss_peak_kb"] // 1024, fmt(r.get("foreign_cores")), r["state"], r["note"]))
    s7 = [r for r in rows if r["scenario"] == "S7"]
    if s7:
        w = next((r for r in s7 if r["client"] == "wget2"), None)
        out.append("")
        out.append("S7: crawl of %s served by nginx on 127.0.0.1, concurrency %d, warm; median of %d run(s) "
                   "(all runs in brackets); pages = distinct URIs nginx answered 200 text/html" % (
                       s7[0]["site"], s7[0]["c"], s7[0]["runs"]))
        out.append("")
        out.append("| S7 | client | pages | other URIs | requests | time s | pages/s | CPU s | CPU ms/page | peak RSS MiB "
                   "| time vs wget2 | CPU/page vs wget2 | other load | result |")
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in s7:
            out.append("| S7 | %s | %d | %d | %d | %.3f %s | %.0f | %.2f %s | %.2f | %d | %s | %s | %s | %s |" % (
                r["client"], r["pages"], r["other"], r["requests"], r["elapsed_s"], r["elapsed_all"],
                r["pages"] / r["elapsed_s"], r["cpu_s"], r["cpu_all"], r["ms_per_page"], r["rss_peak_kb"] // 1024,
                "%.2fx" % (r["elapsed_s"] / w["elapsed_s"]) if w else "-",
                "%.2fx" % (r["ms_per_page"] / w["ms_per_page"]) if w else "-", fmt(r.get("foreign_cores")),
                r["note"]))
        out.append("")
        out.append("S7 page sets (last timed run of each, from nginx's access log): " + s7[0]["compare"]["summary"])
    out.append("")
    out.append(targets(rows))
    return "\n".join(out)


def targets(rows):
    by = {(r["scenario"], r["client"]): r for r in rows}
    lines = ["Targets (issue 5; S7: issue 12):"]

    def t(s, c):
        r = by.get((s, c))
        return r["elapsed_s"] if r else None
    for s in ("S1", "S2", "S4"):
        f, rf = t(s, "fetchd"), t(s, "raw_files")
        if f and rf:
            lines.append("- %s fetchd within 1.15x of raw+files: %.2fx %s" % (s, f / rf, "MET" if f / rf <= 1.15
                                                                                   else "MISSED"))
    f, rf = t("S3", "fetchd"), t("S3", "raw_files")
    if f and rf:
        lines.append("- S3 fetchd MiB/s at least 0.9x raw+files: %.2fx %s" % (rf / f, "MET" if rf / f >= 0.9
                                                                              else "MISSED"))
    for s in SCENARIOS:
        f, a = t(s, "fetchd"), t(s, "aiohttp")
        if f and a:
            lines.append("- %s fetchd ahead of aiohttp: %.2fx its speed %s" % (s, a / f, "MET" if f < a else "MISSED"))
    s5 = {r["endpoint"]: r for r in rows if r["scenario"] == "S5"}
    triv = s5.get("GET / (trivial)")
    if triv:
        # issue 12: idle GET >= 0.5x the trivial endpoint; under the download GET and POST >= 0.25x, p99 < 50 ms
        for ep, need, label in (("GET /jobs/{id} idle", 0.5, "GET /jobs/{id} idle"),
                                ("GET /jobs/{id}", 0.25, "GET /jobs/{id} under load"),
                                ("POST /jobs", 0.25, "POST /jobs under load")):
            if ep in s5:
                x = s5[ep]["rps"] / triv["rps"]
                lines.append("- S5 (issue 12) %s at least %.2fx trivial: %.2fx %s" % (
                    label, need, x, "MET" if x >= need else "MISSED"))
                p99 = s5[ep]["p99_ms"]
                if ep != "GET /jobs/{id} idle" and p99 is not None:
                    lines.append("- S5 (issue 12) %s p99 under 50 ms: %.1f ms %s" % (
                        label, p99, "MET" if p99 < 50 else "MISSED"))
    f7, w7 = by.get(("S7", "fetchd")), by.get(("S7", "wget2"))
    if f7 and w7:
        x = f7["elapsed_s"] / w7["elapsed_s"]
        lines.append("- S7 (issue 12) fetchd crawl wall time within 1.5x of wget2: %.2fx %s" % (
            x, "MET" if x <= 1.5 else "MISSED"))
        lines.append("- S7 (issue 12) fetchd at most 1 ms of CPU per page: %.2f ms %s" % (
            f7["ms_per_page"], "MET" if f7["ms_per_page"] <= 1.0 else "MISSED"))
        lines.append("- S7 same pages fetched: %s" % ("yes" if f7["compare"]["same_pages"] else "NO, see the page sets"))
    s6 = by.get(("S6", "fetchd"))
    if s6:
        lines.append("- S6 completes within 256 MiB heap: %s" % ("MET" if s6["note"].startswith("verified")
                                                                  else "MISSED"))
    return "\n".join(lines)


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing (apt-get install python3-matplotlib): no plot")
        return False
    scns = [s for s in SCENARIOS if any(r["scenario"] == s for r in rows)]
    clients = [c for c in ("raw", "raw_files", "raw_durable", "fetchd", "aiohttp")
               if any(r["client"] == c for r in rows)]
    by = {(r["scenario"], r["client"]): r for r in rows}
    fig, ax = plt.subplots(figsize=(9, 4.5))
    w = 0.8 / max(1, len(clients))
    for k, c in enumerate(clients):
        xs, ys = [], []
        for i, s in enumerate(scns):
            r, base = by.get((s, c)), by.get((s, "raw_files")) or by.get((s, "raw"))
            if r and base:
                xs.append(i + (k - (len(clients) - 1) / 2) * w)
                ys.append(r["elapsed_s"] / base["elapsed_s"])
        bars = ax.bar(xs, ys, w, label=c)
        for x, y in zip(xs, ys):
            ax.text(x, y, "%.2f" % y, ha="center", va="bottom", fontsize=7)
    ax.axhline(1.15, color="grey", ls="--", lw=0.8, label="1.15x target")
    ax.set_xticks(range(len(scns)))
    ax.set_xticklabels(["%s %s\nN=%d C=%d" % (s, SCENARIOS[s]["title"], by[(s, "raw_files")]["n"] if (s, "raw_files")
                        in by else 0, SCENARIOS[s]["c"]) for s in scns], fontsize=8)
    ax.set_ylabel("time / raw Vert.x client writing files (lower is better)")
    ax.set_title("fetchd vs raw Vert.x client and aiohttp, same URLs, same run")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = re.search(r"model name\s*:\s*(.*)", f.read()).group(1)
    except Exception:  # noqa: BLE001
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    return "%d CPUs (%s), %.0f GiB, %s, %s; pinning: %s" % (
        NCPU, model, mem, java, "Python %s aiohttp %s" % (sys.version.split()[0], aiohttp_version()),
        "target+wrk+driver on CPU %s, client under test on CPU %s" % (SERVER_CPU, CLIENT_CPU)
        if SERVER_CPU else "none (one CPU)")


def aiohttp_version():
    try:
        import aiohttp
        return aiohttp.__version__
    except ImportError:
        return "missing"


def setup_fs():
    """A fresh ext4 for the bodies (same state every run), or a plain folder when it cannot be mounted."""
    global FS
    FS = os.path.join(RUN, "fs")
    os.makedirs(FS)
    if not LOOPFS:
        return "plain folder " + FS
    img = os.path.join(RUN, "fs.img")
    try:
        with open(img, "wb") as f:
            # sparse; S3 writes 0.4 GiB per client and warm-up pass (raw_files, raw_durable, aiohttp, fetchd)
            f.truncate((12 + 4 * WARM_PASSES) * 2**30)
        subprocess.run(["mkfs.ext4", "-q", "-F", "-N", "1500000", img], check=True, capture_output=True)
        subprocess.run(["mount", "-o", "loop", img, FS], check=True, capture_output=True)
        return "fresh ext4 (loop-mounted sparse image) at " + FS
    except (OSError, subprocess.CalledProcessError) as e:
        log("cannot mount a fresh ext4 (%s): bodies go to a plain folder" % (getattr(e, "stderr", b"") or e))
        if os.path.exists(img):
            os.remove(img)
        return "plain folder " + FS


def cleanup():
    """Stops what is left, removes the bodies (unmount + one image file) and all but the 3 newest run folders
    (logs, URL lists, JFR files stay in those)."""
    stop_all()
    runs = sorted(d for d in (os.listdir(WORK) if os.path.isdir(WORK) else []) if d.startswith("run-"))
    for k, d in enumerate(runs):
        path = os.path.join(WORK, d)
        fs = os.path.join(path, "fs")
        if os.path.ismount(fs):
            subprocess.run(["umount", fs], capture_output=True)
        if os.path.ismount(fs):
            log("cannot unmount %s: left in place" % fs)
            continue
        if k < len(runs) - 3:
            shutil.rmtree(path, ignore_errors=True)
        else:
            shutil.rmtree(fs, ignore_errors=True)
            if os.path.exists(os.path.join(path, "fs.img")):
                os.remove(os.path.join(path, "fs.img"))


def main():
    global RUN
    os.makedirs(WORK, exist_ok=True)
    RUN = os.path.join(WORK, time.strftime("run-%Y%m%d-%H%M%S"))
    os.makedirs(RUN)
    os.makedirs(OUT, exist_ok=True)
    fs_note = setup_fs()
    if SERVER_CPU is not None:
        os.sched_setaffinity(0, {int(SERVER_CPU)})
    mach = machine()
    log(mach)
    log("scale %.3g, scenarios %s, clients %s, run dir %s, bodies on %s" % (
        SCALE, ",".join(SELECTED), ",".join(CLIENTS), RUN, fs_note))
    needed = [SCENARIOS[s]["c"] for s in SELECTED if s in SCENARIOS] + [256]
    hosts = ",".join("127.0.0.%d" % (1 + i) for i in range(hosts_for(max(needed))))
    target = None
    rows = []
    errors = []
    t_start = time.time()
    for s in SELECTED:
        if s not in SCENARIOS and s not in ("S5", "S6", "S7"):
            raise SystemExit("unknown scenario " + s)
        if s == "S7":
            try:
                rows += run_s7()   # its own server (nginx), no bench target
            except Exception as e:  # noqa: BLE001
                log("S7 FAILED: %r" % (e,))
                errors.append("S7 failed: %s" % e)
            continue
        if target is None or target.proc.poll() is not None:
            if target is not None:
                log("the target exited (code %s): starting a new one" % target.proc.returncode)
                errors.append("the target exited (code %s) before %s and was restarted" % (target.proc.returncode, s))
                Meter.live.remove(target.proc.pid)
            tp = spawn(["java", "-cp", CP, "bench.Main", "target", "--hosts", hosts], SERVER_CPU, "target.log",
                       stdout_pipe=True)
            target = TargetStats(read_ready(tp, "target"))
            target.proc = tp
            Meter.live.append(tp.pid)
            log("target on port %d of %s" % (target.port, hosts))
        try:
            if s in SCENARIOS:
                rows += run_fetch_scenario(s, SCENARIOS[s], target)
            elif s == "S5":
                rows += run_s5(target)
            else:
                rows += run_s6(target)
        except Exception as e:  # noqa: BLE001 - reported in the table, the other scenarios still run
            log("%s FAILED: %r" % (s, e))
            errors.append("%s failed: %s" % (s, e))
    if target is not None:
        stop(target.proc)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    for r in rows:
        r["run"] = stamp
    kept = []
    if MERGE and os.path.exists(os.path.join(OUT, "results.json")):
        # BENCH_MERGE=1: the scenarios not run now keep their rows of the previous results.json
        with open(os.path.join(OUT, "results.json")) as f:
            old = json.load(f)
        ran = set(SELECTED)
        kept = [r for r in old["rows"] if r["scenario"] not in ran]
        for r in kept:
            r.setdefault("run", old.get("finished"))
        rows = kept + rows
    text = table(sorted(rows, key=lambda r: r["scenario"]),
                 mach + "; bodies on " + fs_note.split(" at ")[0].split(" /")[0])
    if kept:
        text += "\n\nRows of %s are from the earlier run of %s (BENCH_MERGE=1); %s from this run." % (
            ",".join(sorted({r["scenario"] for r in kept})), ",".join(sorted({r["run"] for r in kept})),
            ",".join(SELECTED))
    text += "\n\nWarm-up: %d pass(es) of up to %d URLs per client in S1-S4, %d fetchd crawl(s) in S7 (BENCH_WARM_PASSES, " \
            "BENCH_WARM_N)." % (WARM_PASSES, WARM_N, WARM_PASSES)
    if errors:
        text += "\n\nERRORS:\n" + "\n".join("- " + e for e in errors)
    text += "\n\nRun took %.0f s (BENCH_QUICK=%s, scale %.3g)." % (time.time() - t_start, "1" if QUICK else "0",
                                                                   SCALE)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(dict(machine=mach, scale=SCALE, quick=QUICK, rows=rows, errors=errors,
                       finished=time.strftime("%Y-%m-%dT%H:%M:%S%z")),
                  f, indent=1)
    with open(os.path.join(OUT, "table.md"), "w") as f:
        f.write(text + "\n")
    if plot(rows, os.path.join(OUT, "plot.png")):
        text += "\nPlot: %s" % os.path.join(OUT, "plot.png")
    print(text)


if __name__ == "__main__":
    def on_signal(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        main()
    finally:
        cleanup()
