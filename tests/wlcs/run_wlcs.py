#!/usr/bin/env python3
"""Runs WLCS against tranche's integration module and checks the result.

The suite runs in parallel shards: worker threads take batches of tests and run
each batch as one WLCS process (--gtest_filter). Every test has a deadline; a
test that hangs is killed with its process and counted as failed, and the rest
of its batch goes on in a new process, as after a crash. The whole run has a
deadline too.

Each test ends as pass, fail or skip (WLCS skips tests of extensions the module
says tranche lacks). The result is compared with the expected-failure file: one
test name (or a glob over names) a line, each with a reason after '#'. The check
fails on an unexpected failure, on a listed test that passed or was skipped
(remove it from the list), on a list entry that matches no test, and on any
crash or hang, listed or not. Unexpected failures get one rerun (--retries); one
that passes then is reported as flaky and does not fail the check.
"""

import argparse
import collections
import fnmatch
import os
import queue
import re
import selectors
import signal
import subprocess
import sys
import threading
import time

RUN = re.compile(r"^\[ RUN      \] (\S+)")
OK = re.compile(r"^\[       OK \] (\S+) \(")
FAILED = re.compile(r"^\[  FAILED  \] (\S+)(?:, where .*)? \(")
SKIP = re.compile(r"^\[     SKIP \] (\S+) \(")       # WLCS: a recorded wlcs-skip-test
SKIPPED = re.compile(r"^\[  SKIPPED \] (\S+) \(")     # gtest: GTEST_SKIP()
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--wlcs", required=True, help="the WLCS test runner")
    p.add_argument("--module", required=True, help="tranche's integration module")
    p.add_argument("--expected", required=True, help="expected-failure file")
    p.add_argument("--jobs", "-j", type=int, default=0, help="parallel WLCS processes (default: 2 per CPU)")
    p.add_argument("--batch", type=int, default=60, help="tests per WLCS process")
    p.add_argument("--test-timeout", type=float, default=20, help="seconds one test may take")
    p.add_argument("--total-timeout", type=float, default=780, help="seconds the whole run may take")
    p.add_argument("--filter", default="*", help="gtest-style filter of tests to run (positive globs, ':'-separated)")
    p.add_argument("--retries", type=int, default=1, help="reruns of an unexpectedly failing test")
    p.add_argument("--log-dir", help="write each failing test's output and a results file here")
    p.add_argument("--verbose", "-v", action="store_true", help="print every test's result")
    p.add_argument("--preload", help="LD_PRELOAD for WLCS (the ASan runtime, when the module is sanitized)")
    p.add_argument("--no-leak-check", action="store_true",
                   help="ASan without LeakSanitizer: WLCS's own harness leaks (see wlcs_env)")
    return p.parse_args()


def read_expected(path):
    """Returns {pattern: reason}; exits on malformed lines."""
    expected = {}
    errors = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            name, sep, reason = text.partition("#")
            name, reason = name.strip(), reason.strip()
            if not sep or not reason or " " in name:
                errors.append(f"{path}:{number}: want 'Suite.test  # reason', got: {text}")
                continue
            if name in expected:
                errors.append(f"{path}:{number}: {name} listed twice")
            expected[name] = reason
    if errors:
        sys.exit("\n".join(errors))
    return expected


def wlcs_env(args):
    """WLCS's environment: ours, plus the sanitizer runtime it must load first
    (WLCS itself is not instrumented, our module is)."""
    env = dict(os.environ)
    if args.preload:
        env["LD_PRELOAD"] = args.preload
    if args.no_leak_check:
        # WLCS never frees some event sources and client proxies of its own
        # (about 60 allocations per process, every frame in the wlcs binary).
        # A suppression cannot name them without also hiding leaks of our module
        # (its stacks run through wlcs too), so leaks are not checked here; the
        # protocol and integration tests check the same server code for leaks.
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    return env


def list_tests(args):
    out = subprocess.run([args.wlcs, args.module, "--gtest_list_tests"], capture_output=True, text=True,
                         timeout=120, env=wlcs_env(args))
    if out.returncode != 0:
        sys.exit(f"cannot list the WLCS tests (exit {out.returncode}):\n{out.stdout}{out.stderr}")
    tests, suite = [], None
    for line in out.stdout.splitlines():
        line = ANSI.sub("", line)
        if not line.strip():
            continue
        name = line.split("#", 1)[0].rstrip()
        if not line.startswith(" "):
            suite = name.strip()
        elif suite:
            tests.append(suite + name.strip())
    patterns = [p for p in args.filter.split(":") if p]
    # gtest runs DISABLED_ tests only on request; WLCS disables the ones it knows are broken.
    tests = [t for t in tests if "DISABLED_" not in t]
    return [t for t in tests if any(fnmatch.fnmatchcase(t, p) for p in patterns)]


class Result:
    def __init__(self, status, output, seconds, fatal=False):
        self.status = status  # pass, fail, skip
        self.output = output
        self.seconds = seconds
        self.fatal = fatal    # a crash or a hang: never an expected failure


class Runner:
    def __init__(self, args):
        self.args = args
        self.deadline = time.monotonic() + args.total_timeout
        self.results = {}
        self.lock = threading.Lock()
        self.done_count = 0
        self.total = 0

    def run_batch(self, tests):
        """Runs tests in one WLCS process; returns the tests left over when it died."""
        cmd = [self.args.wlcs, self.args.module, "--gtest_filter=" + ":".join(tests)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=wlcs_env(self.args))
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        pending = list(tests)
        current, started, lines, buffer = None, time.monotonic(), [], b""
        reason = None
        try:
            while True:
                now = time.monotonic()
                # A test, and the start-up or exit around tests, each get test_timeout.
                limit = min(started + self.args.test_timeout, self.deadline)
                if now >= limit:
                    reason = "timed out" if now < self.deadline else "the run's time ran out"
                    break
                if not sel.select(timeout=min(1.0, limit - now)):
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    reason = f"the WLCS process died (exit {proc.wait()})"
                    break
                buffer += chunk
                *complete, buffer = buffer.split(b"\n")
                for raw in complete:
                    line = ANSI.sub("", raw.decode("utf-8", "replace"))
                    m = RUN.match(line)
                    if m:
                        current, started, lines = m.group(1), time.monotonic(), [line]
                        continue
                    lines.append(line)  # between tests too: a crash there leaves its trace
                    if current is None:
                        continue
                    for pattern, status in ((OK, "pass"), (FAILED, "fail"), (SKIP, "skip"), (SKIPPED, "skip")):
                        m = pattern.match(line)
                        if m and m.group(1) == current:
                            self.record(current, status, lines, time.monotonic() - started)
                            if current in pending:
                                pending.remove(current)
                            current, started, lines = None, time.monotonic(), []
                            break
        finally:
            sel.close()
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait()
            proc.stdout.close()
        if not pending or reason is None:
            return []
        if current is None:
            current = pending[0]  # died between tests (or before the first): blame the next one
        lines.append(f"*** {reason} during {current}")
        self.record(current, "fail", lines, time.monotonic() - started, fatal=True)
        pending.remove(current)
        return pending if time.monotonic() < self.deadline else []

    def record(self, test, status, lines, seconds, fatal=False):
        with self.lock:
            self.results[test] = Result(status, "\n".join(lines), seconds, fatal)
            self.done_count += 1
            if self.args.verbose:
                print(f"[{self.done_count}/{self.total}] {status:4} {test} ({seconds:.2f}s)", flush=True)

    def run(self, tests, jobs):
        self.total = len(tests)
        work = queue.Queue()
        # Interleaved batches: the slow tests of one suite spread over the workers.
        count = -(-len(tests) // self.args.batch)
        for i in range(count):
            work.put(tests[i::count])
        outstanding = [work.qsize()]

        def worker():
            while True:
                try:
                    batch = work.get(timeout=0.2)
                except queue.Empty:
                    with self.lock:
                        if outstanding[0] == 0:
                            return
                    continue
                rest = self.run_batch(batch) if time.monotonic() < self.deadline else []
                with self.lock:
                    if rest:
                        outstanding[0] += 1
                        work.put(rest)
                    outstanding[0] -= 1

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(jobs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for test in tests:
            if test not in self.results:
                self.results[test] = Result("fail", "*** not run: the run's time ran out", 0, fatal=True)


def main():
    args = parse_args()
    expected = read_expected(args.expected)
    start = time.monotonic()
    tests = list_tests(args)
    if not tests:
        sys.exit("no WLCS tests matched")
    jobs = args.jobs or 2 * len(os.sched_getaffinity(0))
    print(f"WLCS: {len(tests)} tests, {jobs} parallel processes, {args.test_timeout:g}s per test", flush=True)

    runner = Runner(args)
    runner.run(tests, jobs)
    results = runner.results

    def expectation(test):
        for pattern, reason in expected.items():
            if fnmatch.fnmatchcase(test, pattern):
                return pattern, reason
        return None, None

    # A second chance for unexpected failures: a pass then means the test is flaky.
    flaky = []
    for _ in range(args.retries):
        again = [t for t, r in results.items() if r.status == "fail" and (r.fatal or expectation(t)[0] is None)]
        if not again or time.monotonic() > runner.deadline:
            break
        retry = Runner(args)
        retry.deadline = runner.deadline
        retry.run(again, min(jobs, len(again)))
        for test, result in retry.results.items():
            if result.status != "fail":
                flaky.append(test)
                results[test] = result

    tally = collections.Counter()
    unexpected_fail, unexpected_pass, used = [], [], set()
    for test in tests:
        result = results[test]
        pattern, reason = expectation(test)
        if pattern:
            used.add(pattern)
        if result.status == "fail":
            if pattern and not result.fatal:
                tally["expected failure"] += 1
            else:
                tally["fail"] += 1
                unexpected_fail.append(test)
        elif result.status == "pass":
            tally["pass"] += 1
            if pattern:
                unexpected_pass.append((test, pattern))
        else:
            tally["skip"] += 1
            if pattern:
                unexpected_pass.append((test, pattern))
    # Patterns that name tests outside the filter say nothing about this run.
    stale = [p for p in expected if p not in used and args.filter == "*"]

    if args.log_dir:
        os.makedirs(args.log_dir, exist_ok=True)
        with open(os.path.join(args.log_dir, "results.txt"), "w", encoding="utf-8") as f:
            for test in tests:
                r = results[test]
                f.write(f"{r.status:4} {r.seconds:7.2f}s {test}\n")
        with open(os.path.join(args.log_dir, "failures.log"), "w", encoding="utf-8") as f:
            for test in tests:
                if results[test].status == "fail":
                    f.write(f"===== {test} ({expectation(test)[1] or 'UNEXPECTED'})\n{results[test].output}\n\n")

    for test in unexpected_fail:
        output = results[test].output.splitlines()
        shown = output if len(output) <= 80 else ["[...]"] + output[-80:]
        kind = " (a crash or hang, never an expected failure)" if results[test].fatal else ""
        print(f"\n===== UNEXPECTED FAILURE: {test}{kind}\n" + "\n".join(shown))
    if unexpected_fail:
        print("\nUnexpected failures:\n" + "\n".join(f"  {t}" for t in unexpected_fail))
    if unexpected_pass:
        print("\nExpected to fail but did not (remove from " + os.path.basename(args.expected) + "):")
        for test, pattern in unexpected_pass:
            print(f"  {test}: {results[test].status}" + (f" (matched {pattern})" if pattern != test else ""))
    if stale:
        print("\nExpected-failure entries that match no test of this run:\n" + "\n".join(f"  {p}" for p in stale))
    if flaky:
        print("\nFlaky (failed, then passed on a rerun):\n" + "\n".join(f"  {t}" for t in flaky))

    elapsed = time.monotonic() - start
    print(f"\nWLCS: {tally['pass']} pass, {tally['fail']} fail, {tally['skip']} skip, "
          f"{tally['expected failure']} expected failure ({len(tests)} tests, {elapsed:.0f}s)")
    ok = not unexpected_fail and not unexpected_pass and not stale
    print("WLCS: OK" if ok else "WLCS: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
