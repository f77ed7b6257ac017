#!/usr/bin/env python3
"""Run the aigw conformance suite against a LiteLLM proxy routed to our mock providers (see AUDIT.md).

    python3 audits/litellm/run_audit.py            # from the repository root; about one minute

What it does, every step bounded in time, every process it starts ended by its PID in the end:

1. `aigw mocks serve --port 0` for the openai, anthropic and gemini mocks (free ports, printed URLs);
2. renders `config.yaml` with those URLs into a temporary directory and starts
   `<litellm-venv>/bin/litellm --config ... --host 127.0.0.1 --port P` (offline: local cost map, no
   telemetry; every HTTP(S) proxy variable points at a loopback sentinel that counts and refuses any
   attempt to leave the machine, with NO_PROXY for 127.0.0.1/localhost);
3. renders `target.toml` plus an `[upstream]` table naming the three mock roots it started (so the
   ai-translation tests can read their request journals and script their faults) into the same directory;
4. waits for `GET /health/liveliness` (bounded), then runs
   `aigw check --base-url http://127.0.0.1:P/v1 --token $MASTER_KEY --target <rendered> --report-dir report`;
5. stops LiteLLM and the mocks and exits with aigw's exit code (1 = failures were found, the expected outcome).

Only the standard library is used, so any Python 3.11+ runs it. Without the LiteLLM venv it prints why and
exits 0 (skipped). Options: --litellm-venv, --aigw, --port, --start-timeout, --check-timeout, --report-dir.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_VENV = Path("/work/litellm-venv")
MASTER_KEY = "sk-audit-master-key"  # a throwaway key for a proxy that listens on loopback for one run
PROVIDERS = ("openai", "anthropic", "gemini")
# What each mock's root URL becomes in LiteLLM's api_base (see config.yaml).
BASES = {"openai": ("AIGW_MOCK_OPENAI_BASE", "/v1"), "anthropic": ("AIGW_MOCK_ANTHROPIC_BASE", ""),
         "gemini": ("AIGW_MOCK_GEMINI_BASE", "/v1beta")}
OFFLINE_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # never fetch model_prices_and_context_window.json
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",  # never fetch anthropic_beta_headers_config.json (Claude calls)
    "LITELLM_LOCAL_POLICY_TEMPLATES": "True",  # the other remote JSON files LiteLLM can fetch: local copies only
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
    "LITELLM_TELEMETRY": "False",
    "LITELLM_DONT_SHOW_FEEDBACK_BOX": "True",
    "DISABLE_ADMIN_UI": "True",
    "NO_DOCS": "True",
    "HF_HUB_OFFLINE": "1",  # tokenizers: never reach the Hugging Face hub
    "TRANSFORMERS_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
}


def log(message: str) -> None:
    print(f"[run_audit] {message}", flush=True)


class EgressSentinel:
    """A loopback listener every HTTP(S)_PROXY variable of LiteLLM points at: it records the first line of each
    connection (e.g. `CONNECT raw.githubusercontent.com:443`) and closes it, so an attempt to leave the machine
    is counted and refused at once instead of hanging or going unnoticed."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.attempts: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="egress-sentinel", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(2)
                try:
                    first = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1", "replace")
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                except OSError:
                    first = "(connection without a request line)"
                self.attempts.append(first or "(empty request)")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


class Child:
    """A subprocess in its own session (so its workers share its process group), output to a log file."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path, env: dict[str, str] | None = None,
                 cwd: Path = REPO) -> None:
        self.name, self.log_path = name, log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(list(argv), stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env, cwd=cwd, start_new_session=True)
        log(f"started {name} (pid {self.proc.pid}): {' '.join(argv)}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM to the child's own process group (its id is the child's PID), then SIGKILL after `grace_s`."""
        if self.alive():
            for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                if self.wait(wait_s) is not None:
                    break
            log(f"stopped {self.name} (pid {self.proc.pid}, exit {self.proc.returncode})")
        self._log.close()

    def tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(what: str, ready: Callable[[], bool], child: Child, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"{child.name} exited ({child.proc.returncode}) before {what}:\n{child.tail()}")
        if ready():
            return
        time.sleep(0.25)
    raise TimeoutError(f"{what}: not within {timeout_s:.0f}s\n{child.tail()}")


def mock_urls(child: Child) -> dict[str, str]:
    text = child.log_path.read_text(encoding="utf-8", errors="replace")
    return dict(re.findall(r"^(\w+)\s+(http://127\.0\.0\.1:\d+)\s*$", text, flags=re.MULTILINE))


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # loopback only
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def render_config(urls: dict[str, str], dest: Path) -> dict[str, str]:
    """config.yaml with each `os.environ/AIGW_MOCK_*` replaced by its URL; returns the same values as env vars."""
    values = {var: urls[name] + suffix for name, (var, suffix) in BASES.items()}
    text = (HERE / "config.yaml").read_text(encoding="utf-8")
    for var, value in values.items():
        text = text.replace(f"os.environ/{var}", value)
    dest.write_text(text, encoding="utf-8")
    return values


def render_target(urls: dict[str, str], dest: Path) -> Path:
    """target.toml plus an `[upstream]` table with the root URL of each mock LiteLLM runs over (the mocks' ports
    are chosen at run time, so the static file cannot name them); the result is parsed back to be sure."""
    text = (HERE / "target.toml").read_text(encoding="utf-8")
    if "upstream" in tomllib.loads(text):
        raise SystemExit(f"{HERE / 'target.toml'} must not have an [upstream] table: run_audit.py adds it")
    lines = [f'{name} = "{urls[name]}"' for name in PROVIDERS]
    rendered = text.rstrip("\n") + "\n\n# Added by run_audit.py: the mock roots LiteLLM runs over (their journals)\n" \
        + "[upstream]\n" + "\n".join(lines) + "\n"
    if tomllib.loads(rendered).get("upstream") != {name: urls[name] for name in PROVIDERS}:
        raise SystemExit(f"the rendered target file {dest} does not read back its [upstream] table")
    dest.write_text(rendered, encoding="utf-8")
    return dest


def find_aigw(given: str | None) -> str:
    candidates = [given] if given else [str(Path(sys.executable).with_name("aigw")), shutil.which("aigw"),
                                         str(REPO / ".venv/bin/aigw"), "/work/venv/bin/aigw"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit("no `aigw` executable found: install the project (README's Quick start) or pass --aigw")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--litellm-venv", type=Path, default=Path(os.environ.get("LITELLM_VENV", DEFAULT_VENV)))
    parser.add_argument("--aigw", help="the aigw executable (default: beside this Python, on PATH, or .venv)")
    parser.add_argument("--port", type=int, default=0, help="LiteLLM's port (default: a free one)")
    parser.add_argument("--start-timeout", type=float, default=180.0, help="seconds for mocks + LiteLLM to start")
    parser.add_argument("--check-timeout", type=float, default=1200.0, help="seconds for `aigw check`")
    parser.add_argument("--report-dir", type=Path, default=HERE / "report")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary logs and rendered config")
    parser.add_argument("--init", action="store_true", help="the auditor's path instead of target.toml: `aigw init` "
                        "writes the target file from probes of LiteLLM, then `aigw check --target` runs on it as "
                        "written (the master key only in $AIGW_TOKEN; no [upstream] table)")
    args = parser.parse_args(argv)

    litellm = args.litellm_venv / "bin" / "litellm"
    if not litellm.is_file():
        log(f"SKIPPED: no LiteLLM at {litellm}. Install it first: python3 -m venv {args.litellm_venv} && "
            f"{args.litellm_venv}/bin/pip install 'litellm[proxy]==1.106.2'")
        return 0
    aigw = find_aigw(args.aigw)
    work = Path(tempfile.mkdtemp(prefix="aigw-litellm-audit-"))
    children: list[Child] = []
    sentinel = EgressSentinel()
    sentinel.start()
    started = time.monotonic()
    try:
        mocks = Child("mocks", [aigw, "mocks", "serve", "--port", "0",
                                *[arg for name in PROVIDERS for arg in ("--provider", name)]], work / "mocks.log")
        children.append(mocks)
        wait_for("the mocks printed their URLs", lambda: set(PROVIDERS) <= set(mock_urls(mocks)), mocks,
                 args.start_timeout)
        urls = mock_urls(mocks)
        log("mocks: " + ", ".join(f"{name} {urls[name]}" for name in PROVIDERS))

        config = work / "litellm-config.yaml"
        bases = render_config(urls, config)
        target = render_target(urls, work / "target.toml")
        port = args.port or free_port()
        proxy_vars = {name: sentinel.url for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                                                      "http_proxy", "https_proxy", "all_proxy")}
        env = {**os.environ, **OFFLINE_ENV, **bases, **proxy_vars, "LITELLM_MASTER_KEY": MASTER_KEY,
               "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
        proxy = Child("litellm", [str(litellm), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
                      work / "litellm.log", env=env, cwd=work)
        children.append(proxy)
        base = f"http://127.0.0.1:{port}"
        remaining = max(10.0, args.start_timeout - (time.monotonic() - started))
        wait_for(f"LiteLLM answered {base}/health/liveliness", lambda: http_ok(f"{base}/health/liveliness"),
                 proxy, remaining)
        log(f"LiteLLM ready at {base} after {time.monotonic() - started:.1f}s")

        args.report_dir.mkdir(parents=True, exist_ok=True)
        check_env = None
        if args.init:  # the auditor's three commands: init, check, read the report
            target, check_env = args.report_dir / "init-target.toml", {**os.environ, "AIGW_TOKEN": MASTER_KEY}
            init_started = time.monotonic()
            init = Child("aigw init", [aigw, "init", "--base-url", f"{base}/v1", "--model", "gpt-5",
                                       "--out", str(target), "--force"],
                         work / "init.log", env=check_env, cwd=REPO)
            children.append(init)
            init_code = init.wait(args.check_timeout)
            print(init.log_path.read_text(encoding="utf-8", errors="replace"), end="", flush=True)
            if init_code != 0:
                log(f"aigw init exited {init_code}")
                return init_code if init_code is not None else 124
            check_argv = [aigw, "check", "--target", str(target), "--report-dir", str(args.report_dir)]
        else:
            check_argv = [aigw, "check", "--base-url", f"{base}/v1", "--token", MASTER_KEY,
                          "--target", str(target), "--report-dir", str(args.report_dir)]
        log("running: " + " ".join(check_argv).replace(MASTER_KEY, "$MASTER_KEY"))
        check = Child("aigw check", check_argv, work / "check.log", env=check_env, cwd=REPO)
        children.append(check)
        code = check.wait(args.check_timeout)
        print(check.log_path.read_text(encoding="utf-8", errors="replace"), end="", flush=True)
        if code is None:
            log(f"aigw check did not finish within {args.check_timeout:.0f}s; stopping it")
            check.stop()
            return 124
        outbound = [line for line in proxy.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
                    if "raw.githubusercontent" in line or "Failed to fetch remote" in line]
        log(f"egress: {len(sentinel.attempts)} proxied attempt(s) to leave the machine"
            + (": " + "; ".join(sorted(set(sentinel.attempts))) if sentinel.attempts else "")
            + f"; {len(outbound)} remote-fetch line(s) in LiteLLM's log")
        log(f"aigw check exited {code} (0: all passed, 1: failures found, 2: usage, 3: unreachable); "
            f"reports in {args.report_dir}")
        if args.init:
            log(f"from aigw init to the report: {time.monotonic() - init_started:.1f}s")
        return code
    except (RuntimeError, TimeoutError) as error:
        log(f"FAILED to start: {error}")
        return 3
    finally:
        for child in reversed(children):
            child.stop()
        sentinel.stop()
        if args.keep_logs:
            log(f"logs and rendered config kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
        log(f"total {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    sys.exit(main())
