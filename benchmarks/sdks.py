"""The scatter of benchmarks/engine.py on every runner: the Python engine, the generated Go and
TypeScript SDKs, and ``aiwf run`` end to end; then the Python engine's cost per item as the
scatter grows. One run, one server, one Markdown table.

(a) scatter: one step scattered over 5,000 items with 100 in flight, every call answered after
    20 ms by one OpenAI-compatible server on 127.0.0.1 (its own process; by default a small
    Go program, ``--server python`` for engine.py's asyncio one). Ideal = items / concurrency
    x latency (1.00 s). Runners, interleaved, best of ``--repeat``:

    - bare aiohttp loop and the aiwf engine (Python, in this process: engine.py's own);
    - a bare Go goroutine loop (net/http, keep-alive Transport, MaxIdleConnsPerHost = the
      concurrency) and the generated Go SDK's workflow method (``aiwf sdk --lang go``, the
      route's base URL set with ``WithRoute``), as generated (``New()``: the runtime's
      default ``http.Client``) and with a Transport tuned like the bare loop's
      (``WithModelClient(&Runtime{HTTP: ...})``); timed inside the Go process;
    - a bare ``node:http`` loop over a keep-alive ``http.Agent`` and the generated
      TypeScript SDK's workflow function (``aiwf sdk --lang typescript``, built with its own
      tsc; ``createClient({routes})``), whose runtime sends with ``node:http`` over shared
      keep-alive Agents too, timed inside the Node process; and, to show what Node's global
      ``fetch`` (undici) costs, a bare ``fetch`` loop; each Node runner also reports its CPU
      per call (user + system over the scatter), the figure that compares the SDK's own work
      with the bare loop's when the two cores are shared;
    - ``aiwf run SPEC -w fan --input FILE`` as a user runs it: a subprocess in a project
      whose aiwf.toml points the route at the server through an environment, default file
      checkpoints, timed from process start to exit; ``aiwf --version`` is timed the same way
      (median of ``--repeat``) so that the process start can be set aside.

    The server's CPU (user + system, from /proc) over each run is reported as a share of one
    core, to show it is not the bottleneck, and the Go server counts the most requests it
    answered at once and the connections it accepted, to show that each runner keeps its 100
    calls in flight and reuses its connections.
(b) linearity: the Python engine (as in (a)) at ``--sizes`` items (default 10,000 and
    100,000), each run in a fresh subprocess: wall time per item, the process' peak RSS
    (getrusage) per item, and the run's own peak (the kernel's peak RSS counter reset just
    before the run, after a warm-up scatter of 100 items, minus the RSS then) per item;
    ratios largest / smallest.

Needs go, node and npm (the TypeScript SDK installs its dev dependencies with ``npm ci
--prefer-offline``). Run (about 7 minutes on 2 cores, 3 with ``--no-linear``)::

    .venv/bin/python benchmarks/sdks.py [--items 5000] [--concurrency 100] [--latency 0.02]
        [--repeat 3] [--server go|python] [--sizes 10000,100000] [--no-linear]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import engine  # benchmarks/engine.py: the spec, the Python server and loops, the engine run

HERE = Path(__file__).resolve().parent
MODULE = "example.com/benchsdk"
PLACEHOLDER = "http://127.0.0.1:9/v1"  # the spec's base URL: every runner overrides it

# -- Go: the server, the bare loop and the SDK runner (built inside the generated module) --

GO_SERVER = r"""package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

func main() {
	var inFlight, most, opened atomic.Int64 // requests being answered, the most at once, connections
	latency, _ := strconv.ParseFloat(os.Args[1], 64)
	wait := time.Duration(latency * float64(time.Second))
	body := []byte(os.Args[2])
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stats" { // since the last /stats: the most requests at once, connections
			fmt.Fprintf(w, "{\"most\": %d, \"opened\": %d}", most.Swap(0), opened.Swap(0))
			return
		}
		now := inFlight.Add(1)
		defer inFlight.Add(-1)
		for seen := most.Load(); now > seen && !most.CompareAndSwap(seen, now); seen = most.Load() {
		}
		io.Copy(io.Discard, r.Body)
		time.Sleep(wait)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	server := &http.Server{Handler: handler, ConnState: func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			opened.Add(1)
		}
	}}
	panic(server.Serve(ln))
}
"""

GO_BARE = r"""package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	url := os.Args[1]
	items, _ := strconv.Atoi(os.Args[2])
	concurrency, _ := strconv.Atoi(os.Args[3])
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency, IdleConnTimeout: time.Minute,
	}}
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	start := time.Now()
	for i := 0; i < items; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			input, _ := json.Marshal(map[string]int{"n": i})
			body, _ := json.Marshal(map[string]any{
				"model": "bench",
				"messages": []map[string]string{
					{"role": "system", "content": "inc"},
					{"role": "user", "content": string(input)},
				},
				"response_format": map[string]string{"type": "json_object"},
			})
			resp, err := client.Post(url+"/chat/completions", "application/json", bytes.NewReader(body))
			if err == nil {
				var answer struct {
					Choices []struct {
						Message struct{ Content string }
					}
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err = json.Unmarshal(raw, &answer); err == nil {
					var out map[string]any
					err = json.Unmarshal([]byte(answer.Choices[0].Message.Content), &out)
				}
			}
			if err != nil {
				mu.Lock()
				failed = err
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	wall := time.Since(start).Seconds()
	if failed != nil {
		panic(failed)
	}
	fmt.Printf("{\"wall\": %f}\n", wall)
}
"""

GO_SDK = r"""package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	sdk "example.com/benchsdk"
)

func main() {
	url := os.Args[1]
	items, _ := strconv.Atoi(os.Args[2])
	concurrency, _ := strconv.Atoi(os.Args[3])
	opts := []sdk.Option{sdk.WithEnvironment(""), sdk.WithRoute("m", sdk.RouteOverride{BaseURL: url})}
	if os.Args[4] == "tuned" {
		runtime := sdk.NewRuntime()
		runtime.HTTP = &http.Client{Transport: &http.Transport{
			MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency, IdleConnTimeout: time.Minute,
		}}
		opts = append(opts, sdk.WithModelClient(runtime))
	}
	client := sdk.New(opts...)
	in := sdk.FanInput{Items: make([]sdk.Num, items)}
	for i := range in.Items {
		in.Items[i].N = int64(i)
	}
	start := time.Now()
	out, _, err := client.Fan(context.Background(), in)
	wall := time.Since(start).Seconds()
	if err != nil {
		panic(err)
	}
	if len(out) != items {
		panic("wrong number of outputs")
	}
	fmt.Printf("{\"wall\": %f}\n", wall)
}
"""

# -- Node: the bare fetch loop and the SDK runner (run inside the built TypeScript SDK) -----

NODE_RUNNER = r"""
import http from "node:http";
import { createClient } from "./dist/src/index.js";

const [mode, url, items, concurrency] = [process.argv[2], process.argv[3],
  Number(process.argv[4]), Number(process.argv[5])];
const payload = (i) => JSON.stringify({
  model: "bench",
  messages: [{ role: "system", content: "inc" }, { role: "user", content: JSON.stringify({ n: i }) }],
  response_format: { type: "json_object" },
});
let wall;
const cpu0 = process.cpuUsage();
if (mode === "http") {
  const target = new URL(`${url}/chat/completions`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const post = (body) => new Promise((resolve, reject) => {
    const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
    const req = http.request(target, { method: "POST", agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => res.statusCode === 200
        ? resolve(Buffer.concat(chunks).toString()) : reject(new Error(`HTTP ${res.statusCode}`)));
    });
    req.on("error", reject);
    req.end(body);
  });
  let next = 0;
  const worker = async () => {
    while (next < items) {
      const text = await post(payload(next++));
      JSON.parse(JSON.parse(text).choices[0].message.content);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  wall = (performance.now() - start) / 1000;
} else if (mode === "bare") {
  let next = 0;
  const worker = async () => {
    while (next < items) {
      const r = await fetch(`${url}/chat/completions`, {
        method: "POST", headers: { "content-type": "application/json" }, body: payload(next++),
      });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      JSON.parse((await r.json()).choices[0].message.content);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  wall = (performance.now() - start) / 1000;
} else {
  const client = createClient({ environment: null, routes: { m: { baseUrl: url } } });
  const input = { items: Array.from({ length: items }, (_, n) => ({ n })) };
  const start = performance.now();
  const out = await client.workflows.fan(input);
  wall = (performance.now() - start) / 1000;
  if (out.length !== items) throw new Error("wrong number of outputs");
}
const used = process.cpuUsage(cpu0);
console.log(JSON.stringify({ wall, cpu: (used.user + used.system) / items }));
"""


def aiwf_bin() -> str:
    local = Path(sys.executable).parent / "aiwf"
    found = str(local) if local.exists() else shutil.which("aiwf")
    if not found:
        sys.exit("aiwf is not installed in this environment")
    return found


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        sys.exit(f"{name} is required by benchmarks/sdks.py and was not found on PATH")
    return found


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed in {cwd}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def go_env() -> dict[str, str]:
    """No downloads, no toolchain switch: the runtime needs the standard library only."""
    return {**os.environ, "GOTOOLCHAIN": "local", "GOPROXY": "off", "GOFLAGS": "-mod=mod",
            "CGO_ENABLED": "0"}  # fmt: skip


def build_go(work: Path, spec: Path) -> Path:
    """The Go SDK of ``spec`` generated into ``work/go``, the three Go programs built in it."""
    sdk = work / "go"
    run([aiwf_bin(), "sdk", str(spec), "--lang", "go", "--module", MODULE, "--out", str(sdk)],
        work)  # fmt: skip
    for name, source in (("benchserve", GO_SERVER), ("benchbare", GO_BARE), ("benchsdk", GO_SDK)):
        (sdk / "cmd" / name).mkdir(parents=True, exist_ok=True)
        (sdk / "cmd" / name / "main.go").write_text(source, encoding="utf-8")
    bin_dir = work / "bin"
    run([tool("go"), "build", "-o", str(bin_dir) + "/", "./cmd/..."], sdk, go_env())
    return bin_dir


def build_ts(work: Path, spec: Path) -> Path:
    """The TypeScript SDK of ``spec`` generated into ``work/ts``, installed and built."""
    sdk = work / "ts"
    run([aiwf_bin(), "sdk", str(spec), "--lang", "typescript", "--out", str(sdk)], work)
    env = {**os.environ, "npm_config_update_notifier": "false", "NO_COLOR": "1"}
    run([tool("npm"), "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline"],
        sdk, env)  # fmt: skip
    run([tool("node"), str(sdk / "node_modules" / "typescript" / "bin" / "tsc"), "-p",
         "tsconfig.json"], sdk)  # fmt: skip
    (sdk / "bench.mjs").write_text(NODE_RUNNER, encoding="utf-8")
    return sdk


#: CPU per call (user + system, µs) of each Node runner's runs, as the runner measured it.
NODE_CPU: dict[str, list[float]] = {}


def wall_of(args: list[str], cwd: Path | None = None) -> float:
    """The wall time a runner measured in its own process (its last line, JSON); a Node
    runner's CPU per call goes to NODE_CPU under its mode."""
    out = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{out.stdout}{out.stderr}")
    last = json.loads(out.stdout.strip().splitlines()[-1])
    if "cpu" in last:
        NODE_CPU.setdefault(args[2], []).append(float(last["cpu"]))
    wall: float = last["wall"]
    return wall


# -- the server ----------------------------------------------------------------------------


def server_body() -> str:
    return json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "bench",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": '{"n": 1}'},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3},
        }
    )


def start_server(kind: str, latency: float, bin_dir: Path) -> tuple[subprocess.Popen[str], str]:
    if kind == "python":
        return engine.start_server(latency)
    proc = subprocess.Popen(
        [str(bin_dir / "benchserve"), str(latency), server_body()], stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    return proc, f"http://127.0.0.1:{int(proc.stdout.readline())}/v1"


def server_stats(url: str) -> tuple[int, int] | None:
    """The most requests the Go server answered at once and the connections it accepted, since
    the last ask (None: the Python server, which does not count)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url.removesuffix("/v1") + "/stats", timeout=5) as answer:
            stats = json.loads(answer.read())
            return int(stats["most"]), int(stats["opened"]) - 1  # less this ask's own
    except (urllib.error.URLError, ValueError, KeyError):
        return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- aiwf run, end to end ------------------------------------------------------------------


def aiwf_project(work: Path, spec_text: str, base_url: str, items: int) -> Path:
    """A user's project: the spec, an aiwf.toml whose default environment points the route at
    the server, and the input file."""
    project = work / "project"
    project.mkdir(exist_ok=True)
    (project / "bench.aiwf.yaml").write_text(spec_text, encoding="utf-8")
    (project / "aiwf.toml").write_text(
        f'default_env = "bench"\n\n[environments.bench.models.m]\nbase_url = "{base_url}"\n',
        encoding="utf-8",
    )
    (project / "items.json").write_text(json.dumps({"items": [{"n": i} for i in range(items)]}))
    return project


def timed_process(args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall time from start to exit, and the child's user + system CPU."""
    with open(cwd / "stdout.json", "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{err}")
    return wall, usage.ru_utime + usage.ru_stime


def aiwf_run(project: Path, items: int) -> tuple[float, float]:
    shutil.rmtree(project / ".aiwf", ignore_errors=True)  # a fresh store, as a first run has
    wall, cpu = timed_process(
        [aiwf_bin(), "run", "bench.aiwf.yaml", "-w", "fan", "--input", "items.json"], project
    )
    out = json.loads((project / "stdout.json").read_bytes())
    assert len(out) == items, len(out)
    return wall, cpu


# -- linearity -----------------------------------------------------------------------------


def status_kib(field: str) -> int:
    """A field of /proc/self/status in KiB (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def linear_child(url: str, items: int, concurrency: int) -> None:
    """In a fresh subprocess: the engine scatter of ``items``; its wall time, the process'
    peak RSS (getrusage), and the run's own peak above the RSS before it (the kernel's peak
    counter is reset just before the run: /proc/self/clear_refs)."""
    import gc

    engine.aiwf_scatter(url, concurrency, concurrency)  # warm-up: imports, compiler, client
    gc.collect()
    before = status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    wall = engine.aiwf_scatter(url, items, concurrency)
    run_peak = status_kib("VmHWM") - before
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"wall": wall, "rss": rss * 1024, "run": run_peak * 1024}))


def linear_run(url: str, items: int, concurrency: int) -> dict[str, float]:
    out = run([sys.executable, __file__, "--linear-child", str(items), "--url", url,
               "--concurrency", str(concurrency)], HERE)  # fmt: skip
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


# -- the run -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--server", choices=("go", "python"), default="go")
    parser.add_argument("--sizes", default="10000,100000", help="linearity: item counts")
    parser.add_argument("--no-linear", action="store_true", help="skip (b)")
    parser.add_argument("--linear-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    n, c = args.items, args.concurrency
    if args.linear_child is not None:
        linear_child(args.url, args.linear_child, c)
        return
    ideal = n / c * args.latency
    go_version = run([tool("go"), "env", "GOVERSION"], HERE).strip()
    node_version = run([tool("node"), "--version"], HERE).strip()
    aiwf_version = run([aiwf_bin(), "--version"], HERE).strip()
    with tempfile.TemporaryDirectory(prefix="aiwf-sdks-") as tmp:
        work = Path(tmp)
        spec_text = engine.scatter_spec(PLACEHOLDER, c)
        spec = work / "bench.aiwf.yaml"
        spec.write_text(spec_text, encoding="utf-8")
        print("building the Go and TypeScript SDKs ...", file=sys.stderr)
        bin_dir = build_go(work, spec)
        ts_sdk = build_ts(work, spec)
        proc, url = start_server(args.server, args.latency, bin_dir)
        project = aiwf_project(work, spec_text, url, n)
        node = tool("node")
        runners: list[tuple[str, Callable[[], tuple[float, float | None]]]] = [
            ("bare aiohttp loop (Python)", lambda: (engine.aiohttp_scatter(url, n, c), None)),
            ("aiwf engine (Python)", lambda: (engine.aiwf_scatter(url, n, c), None)),
            ("bare goroutine loop (Go)",
             lambda: (wall_of([str(bin_dir / "benchbare"), url, str(n), str(c)]), None)),
            ("Go SDK, as generated (New())",
             lambda: (wall_of([str(bin_dir / "benchsdk"), url, str(n), str(c), "default"]), None)),
            ("Go SDK, tuned Transport",
             lambda: (wall_of([str(bin_dir / "benchsdk"), url, str(n), str(c), "tuned"]), None)),
            ("bare fetch loop (Node)",
             lambda: (wall_of([node, "bench.mjs", "bare", url, str(n), str(c)], ts_sdk), None)),
            ("bare node:http loop, keep-alive Agent (Node)",
             lambda: (wall_of([node, "bench.mjs", "http", url, str(n), str(c)], ts_sdk), None)),
            ("TypeScript SDK",
             lambda: (wall_of([node, "bench.mjs", "sdk", url, str(n), str(c)], ts_sdk), None)),
            ("`aiwf run`, end to end", lambda: aiwf_run(project, n)),
        ]  # fmt: skip
        walls: dict[str, list[float]] = {name: [] for name, _ in runners}
        run_cpu: list[float] = []
        server_share: dict[str, float] = {}
        in_flight: dict[str, int] = {}
        opened: dict[str, int] = {}
        starts: list[float] = []
        linear: dict[int, list[dict[str, float]]] = {}
        try:
            engine.aiohttp_scatter(url, min(n, 500), c)  # warm up the server
            for _ in range(args.repeat):  # interleaved, so drift hits every runner alike
                for name, runner in runners:
                    server_stats(url)  # resets the counts
                    cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
                    wall, child_cpu = runner()
                    share = (cpu_seconds(proc.pid) - cpu0) / (time.perf_counter() - t0)
                    stats = server_stats(url)
                    if stats is not None:
                        in_flight[name] = max(in_flight.get(name, 0), stats[0])
                        opened[name] = max(opened.get(name, 0), stats[1])
                    server_share[name] = max(server_share.get(name, 0.0), share)
                    walls[name].append(wall)
                    if child_cpu is not None:
                        run_cpu.append(child_cpu)
                starts.append(timed_process([aiwf_bin(), "--version"], project)[0])
            if not args.no_linear:
                sizes = [int(s) for s in args.sizes.split(",")]
                print(f"linearity: {sizes} items ...", file=sys.stderr)
                for _ in range(args.repeat):
                    for size in sizes:
                        linear.setdefault(size, []).append(linear_run(url, size, c))
        finally:
            proc.terminate()
            proc.wait(10)

    best = {name: min(values) for name, values in walls.items()}
    aiohttp = best["bare aiohttp loop (Python)"]
    start = statistics.median(starts)
    e2e = best["`aiwf run`, end to end"]
    print(
        f"aiwf {aiwf_version.split()[-1]}, python {sys.version.split()[0]}, {go_version}, "
        f"node {node_version}, {os.cpu_count()} cores; server: {args.server}\n"
    )
    print(
        f"### (a) scatter: {n} items, {c} in flight, {args.latency * 1000:.0f} ms per call, "
        f"best of {args.repeat}\n"
    )
    print("| runner | wall s | x ideal | x bare aiohttp | x bare loop, same language | "
          "server CPU | most in flight | connections |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| ideal (items / concurrency x latency) | {ideal:.2f} | 1.00 | "
          f"{ideal / aiohttp:.2f} | | | {c} | {c} |")  # fmt: skip
    same = {
        "aiwf engine (Python)": "bare aiohttp loop (Python)",
        "Go SDK, as generated (New())": "bare goroutine loop (Go)",
        "Go SDK, tuned Transport": "bare goroutine loop (Go)",
        "TypeScript SDK": "bare node:http loop, keep-alive Agent (Node)",
        "`aiwf run`, end to end": "bare aiohttp loop (Python)",
    }
    for name, wall in best.items():
        vs = f"{wall / best[same[name]]:.2f}" if name in same else ""
        print(f"| {name} | {wall:.2f} | {wall / ideal:.2f} | {wall / aiohttp:.2f} | {vs} | "
              f"{server_share[name]:.0%} | {in_flight.get(name, '')} | "
              f"{opened.get(name, '')} |")  # fmt: skip
    aside = e2e - start
    print(f"| `aiwf run`, process start aside | {aside:.2f} | {aside / ideal:.2f} | "
          f"{aside / aiohttp:.2f} | {aside / aiohttp:.2f} | | | |")  # fmt: skip
    print(
        f"\nProcess start (`aiwf --version`, median of {args.repeat}): {start:.3f} s. "
        f"`aiwf run` CPU (user + system, best run): {min(run_cpu):.2f} s, "
        f"{min(run_cpu) / n * 1e6:.0f} µs per item. Server CPU: the server's share of one core "
        "during the run; most in flight: the most requests the server answered at once; "
        "connections: the TCP connections it accepted (each the highest of the runs)."
    )
    if {"http", "sdk"} <= set(NODE_CPU):
        bare_cpu = statistics.median(NODE_CPU["http"])
        sdk_cpu = statistics.median(NODE_CPU["sdk"])
        print(
            f"\nNode CPU per call (user + system over the scatter, median of {args.repeat}): "
            f"bare node:http loop {bare_cpu:.0f} µs, TypeScript SDK {sdk_cpu:.0f} µs "
            f"({sdk_cpu / bare_cpu:.2f}x), bare fetch loop "
            f"{statistics.median(NODE_CPU.get('bare', [0.0])):.0f} µs."
        )
    print(
        "\nTargets: Go and TypeScript SDKs within 1.2x of the ideal; the engine within 1.3x of "
        "the ideal and 1.1x of the bare aiohttp loop; `aiwf run` (process start aside) within "
        "1.5x."
    )
    if linear:
        sizes = sorted(linear)
        print(
            f"\n### (b) linearity: the aiwf engine, {c} in flight, {args.latency * 1000:.0f} ms "
            f"per call, median of {args.repeat}, a fresh process per run\n"
        )
        print("| items | wall s | ms per item | peak RSS of the process | per item | "
              "the run's peak above RSS before it | per item |")  # fmt: skip
        print("|---:|---:|---:|---:|---:|---:|---:|")
        rows: dict[int, tuple[float, float, float]] = {}
        for size in sizes:
            wall = statistics.median(r["wall"] for r in linear[size])
            rss = statistics.median(r["rss"] for r in linear[size])
            grown = statistics.median(r["run"] for r in linear[size])
            rows[size] = (wall / size, rss / size, grown / size)
            print(f"| {size} | {wall:.2f} | {wall / size * 1e3:.3f} | {rss / 2**20:.0f} MiB | "
                  f"{rss / size / 1024:.2f} KiB | {grown / 2**20:.1f} MiB | "
                  f"{grown / size / 1024:.2f} KiB |")  # fmt: skip
        lo, hi = rows[sizes[0]], rows[sizes[-1]]
        print(
            f"\nRatio {sizes[-1]} / {sizes[0]} items: time per item {hi[0] / lo[0]:.2f}x, "
            f"peak RSS of the process per item {hi[1] / lo[1]:.2f}x, the run's own peak per "
            f"item {hi[2] / lo[2]:.2f}x. Target: within 1.2x."
        )


if __name__ == "__main__":
    main()
