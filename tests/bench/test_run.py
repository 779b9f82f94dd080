"""The suite's bookkeeping: which stages run, and how the targets are judged (no measurement here)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


@pytest.fixture(scope="session")
def run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("newsgraph_bench_run", RUN)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _m(run: ModuleType, stage: str, size: int, seconds: float, *, rss: float = 300.0, cpu: float = 0.0,
       error: str | None = None) -> object:
    return run.Measurement(stage=stage, size=size, articles=size, seconds=seconds, wall_s=seconds, rss_mb=rss,
                           rss_tree_mb=rss, cpu_s=cpu or seconds, load_before=0.0, detail={}, error=error)


def test_plan_adds_what_a_stage_needs_in_order(run: ModuleType) -> None:
    assert run.plan(["query"], []) == ["parse", "extract", "link-cold", "map", "load", "query"]
    assert run.plan(["e2e"], [], deps=False) == ["e2e"]
    default = run.plan(None, [])
    assert "e2e-capped" not in default and default[0] == "parse" and default[-1] == "e2e-dask"


def test_targets_are_judged_not_adjusted(run: ModuleType) -> None:
    ms = [_m(run, "spacy", 1000, 50.0), _m(run, "e2e", 1000, 100.0, rss=500),
          _m(run, "spacy", 10000, 500.0), _m(run, "e2e", 10000, 1200.0, rss=2000)]
    by = {c["target"].split(" (")[0].split(":")[0]: c for c in run.targets(ms, [1000, 10000], 600.0, True)}
    assert by["ingest >= 60% of bare spaCy"]["ok"] is False  # 50%
    assert by["time grows linearly"]["ok"] is False  # 12x for 10x, over 11x
    assert by["memory flat"]["ok"] is False  # 4x
    assert by["100k articles end to end < 2 h"]["ok"] is False  # 1,200 s x 10 = 200 min
    assert "projected" in by["100k articles end to end < 2 h"]["value"]
    assert by["suite at 1k + 10k < 20 min"]["ok"] is True


def test_a_ratio_just_under_the_target_does_not_read_as_the_target(run: ModuleType) -> None:
    """59.5% per CPU second is a miss, and the report says 59.5%, not a rounded 60%."""
    ms = [_m(run, "spacy", 10000, 100.0, cpu=100.0), _m(run, "e2e", 10000, 150.0, cpu=168.0)]
    (check,) = [c for c in run.targets(ms, [10000], 0.0, False) if c["target"].startswith("ingest")]
    assert check["ok"] is False
    assert check["value"] == "66.7% wall, 59.5% per CPU second"


def test_memory_within_the_largest_run_is_judged_from_its_rss_trace(run: ModuleType) -> None:
    """A run whose memory plateaus passes; one that keeps growing (per-article state) does not."""
    def trace(samples: list[float]) -> dict[str, float]:
        t = run.RssTrace()
        t.samples = [(2.0 * i, r) for i, r in enumerate(samples, 1)]
        return t.summary()

    plateau = trace([400, 600, 800, 850, 860, 860, 865, 870])  # caches fill, then flat
    growing = trace([400, 500, 600, 700, 800, 900, 1000, 1100])
    assert (plateau["rss_peak_first_half_mb"], plateau["rss_peak_second_half_mb"]) == (850, 870)
    for detail, ok in ((plateau, True), (growing, False)):
        small, big = _m(run, "e2e", 1000, 100.0, rss=500), _m(run, "e2e", 10000, 1000.0, rss=900)
        big.detail.update(detail)
        by = {c["target"].split(":")[0]: c for c in run.targets([small, big], [1000, 10000], 600.0, False)}
        assert by["memory flat within the 10,000 run"]["ok"] is ok
        assert by["memory flat"]["ok"] is False  # the peaks' ratio is still reported and judged as it was


def test_the_thinned_rss_trace_keeps_a_short_spike_and_says_when_the_peaks_were(run: ModuleType) -> None:
    t = run.RssTrace()
    flat = [900.0] * 300
    flat[251] = 1300.0  # one 2-s sample, between the samples a plain every-5th thinning keeps
    t.samples = [(2.0 * i, r) for i, r in enumerate(flat, 1)]
    t.malloc = [(s, 400.0, 100.0) for s, _ in t.samples]
    out = t.summary(points=60)
    assert (504.0, 1300.0) in out["rss_trace"] and len(out["rss_trace"]) == 60
    assert [m[0] for m in out["malloc_trace"]] == [s[0] for s in out["rss_trace"]]
    assert (out["rss_peak_second_half_mb"], out["rss_peak_second_half_at_s"]) == (1300.0, 504.0)
    assert (out["rss_peak_first_half_mb"], out["rss_peak_first_half_at_s"]) == (900.0, 2.0)


def test_failed_measurement_has_no_rate(run: ModuleType) -> None:
    m = _m(run, "e2e", 10000, 0.0, error="killed at 8,192 MB RSS")
    assert m.rate is None and m.rate_cpu is None
    assert "FAILED (killed" in run.table([m], [10000])


CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B13
cpu MHz\t\t: 2445.406
flags\t\t: fpu avx2

processor\t: 1
model name\t: AMD EPYC 7B13
cpu MHz\t\t: 3100.000
"""


def test_the_machine_is_named_by_its_first_processor(run: ModuleType) -> None:
    assert run.cpu_model(CPUINFO) == {"cpu_model": "AMD EPYC 7B13", "cpu_mhz": 2445}
    assert run.cpu_model("") == {}  # not Linux: nothing, rather than a guess


def test_the_calibration_is_the_best_round_in_cpu_seconds(run: ModuleType) -> None:
    """A round slowed by a neighbour does not count: the machine's speed is its best round."""
    readings = iter([0.0, 0.5, 1.0, 1.2, 2.0, 2.9])  # rounds of 0.5, 0.2 and 0.9 CPU-s
    worked = []
    assert run.calibrate(3, clock=lambda: next(readings), work=lambda: worked.append(1)) == 0.2
    assert len(worked) == 3
    assert run.calibrate(1) > 0  # the real loop, on this machine's CPU clock


def test_the_report_says_how_fast_the_machine_was_at_both_ends(run: ModuleType) -> None:
    line = run.machine_speed({"cpu_model": "AMD EPYC", "cpu_mhz": 2445, "calibration_s": 0.201,
                              "calibration_end_s": 0.214})
    assert line.startswith("AMD EPYC @ 2445 MHz, calibration 0.201 -> 0.214 CPU-s")
    assert "not calibrated" in run.machine_speed({})  # an older run's JSON


def test_the_prefect_servers_idle_rate_leaves_its_start_up_out(run: ModuleType, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    server = run.PrefectServer(tmp_path)
    assert server.measure_idle(60) is None  # no server running: nothing to measure
    server.api = "http://127.0.0.1:1/api"
    clock = {"t": 0.0}
    monkeypatch.setattr(server, "cpu_seconds", lambda: 20.0 + 0.04 * clock["t"] if clock["t"] >= 5 else 3.0 * clock["t"])
    slept = []

    def sleep(s: float) -> None:
        slept.append(s)
        clock["t"] += s

    # start-up burns 3 CPU-s a second for SETTLE_S, then 4% of a core: the rate is the latter
    assert server.measure_idle(60, sleep=sleep) == pytest.approx(0.04)
    assert slept == [server.SETTLE_S, 60] and server.idle_cpu_per_s == pytest.approx(0.04)


def test_the_ratio_is_judged_with_all_of_the_servers_cpu_and_shown_without_its_idle_loops(
        run: ModuleType) -> None:
    """The 10k flow of 2026-11-29 19:00: 58.2% per CPU second with the server's 61 CPU-s, 47.6 of them
    its background loops over the flow's 1,236 s. The check stays a miss; the reader sees both."""
    flow = run.Measurement(stage="e2e", size=10000, articles=10000, seconds=1236.0, wall_s=1236.0, rss_mb=669.0,
                           rss_tree_mb=669.0, cpu_s=1388.5, load_before=0.0, error=None,
                           detail={"prefect_server_cpu_s": 61.0, "prefect_server_idle_cpu_s": 47.6})
    floor = run.Measurement(stage="spacy", size=10000, articles=1000, seconds=81.0, wall_s=81.0, rss_mb=487.0,
                            rss_tree_mb=487.0, cpu_s=84.39, load_before=0.0, error=None, detail={})  # a 1k sample
    assert flow.rate_cpu_busy == pytest.approx(10000 / (1388.5 + 13.4))
    [ratio] = run.targets([flow, floor], [10000], 0.0, False)[:1]
    assert not ratio["ok"]
    assert "58.2% per CPU second (60.2% without the Prefect server's idle loops)" in ratio["value"]
    flow.detail.pop("prefect_server_idle_cpu_s")  # an older run, or --only e2e: no idle rate
    assert flow.rate_cpu_busy is None
    assert "without" not in run.targets([flow, floor], [10000], 0.0, False)[0]["value"]


def test_py_spy_summary(run: ModuleType, tmp_path: Path) -> None:
    raw = tmp_path / "p.raw"
    raw.write_text("process 1:\"python\";main (run.py:3);extract (pipeline.py:9) 30\n"
                   "process 1:\"python\";main (run.py:3);map (pipeline.py:20) 10\n")
    text = run.summarize_spy(raw)
    assert "40 samples" in text and " 75.0%  extract (pipeline.py)" in text


def _record(run: ModuleType, jobs: list[tuple[str, int]], slots: int,
            seconds: dict[str, float] | None = None) -> tuple[list[str], list[tuple[str, str]]]:
    """Run a schedule whose measurements only log their start and end (and last 0.01 s, or
    ``seconds[stage]``)."""
    import threading

    log: list[tuple[str, str]] = []
    lock = threading.Lock()
    gate = threading.Event()

    def measure(stage: str, n: int, beside: list[str]) -> None:
        with lock:
            log.append(("start", f"{stage} {n}"))
        gate.wait((seconds or {}).get(stage, 0.01))  # long enough for the other slot to start something
        with lock:
            log.append(("end", f"{stage} {n}"))

    run.schedule(jobs, slots, measure).run()
    return [name for what, name in log if what == "start"], log


def test_one_slot_runs_the_plan_in_order(run: ModuleType) -> None:
    jobs = [(s, n) for n in (1000, 10000) for s in run.DEFAULT_STAGES]
    started, _ = _record(run, jobs, 1)
    assert started == [f"{s} {n}" for s, n in jobs]


def test_two_slots_keep_needs_and_never_run_two_flows_together(run: ModuleType) -> None:
    jobs = [(s, n) for n in (1000, 10000) for s in run.DEFAULT_STAGES if not (s == "e2e-dask" and n > 1000)]
    started, log = _record(run, jobs, 2)
    assert sorted(started) == sorted(f"{s} {n}" for s, n in jobs)
    ended: set[str] = set()
    running: set[str] = set()
    for what, name in log:
        stage, n = name.split()
        if what == "start":
            assert all(f"{d} {n}" in ended for d in run.NEEDS.get(stage, [])), name
            assert not (stage.startswith("e2e") and any(r.startswith("e2e") for r in running)), name
            running.add(name)
            assert len(running) <= 2
        else:
            running.discard(name)
            ended.add(name)
    # the chain to the largest flow goes first: the 10k extraction starts before any 1k map or load
    assert started.index("extract 10000") < started.index("map 1000")


def test_two_slots_run_the_floor_and_the_flows_with_nothing_beside_them(run: ModuleType) -> None:
    """The target ratio divides the flow's rate by the floor's: both are measured on a quiet machine,
    while the other measurements still go two at a time (or the suite would not fit its 20 minutes)."""
    jobs = [(s, n) for n in (1000, 10000) for s in run.DEFAULT_STAGES if not (s == "e2e-dask" and n > 1000)]
    _, log = _record(run, jobs, 2)
    running: set[str] = set()
    overlapped = False
    for what, name in log:
        if what == "start":
            alone = [r for r in running | {name} if r.split()[0] in run.schedule.ALONE]
            assert not alone or not running, f"{name} started beside {sorted(running)}"
            overlapped = overlapped or bool(running)
            running.add(name)
        else:
            running.discard(name)
    assert overlapped  # the others do share the machine
    assert {"spacy", "e2e"} <= set(run.schedule.ALONE)


def test_a_failing_measurement_stops_the_schedule(run: ModuleType) -> None:
    def measure(stage: str, n: int, beside: list[str]) -> None:
        if stage == "extract":
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run.schedule([("parse", 1000), ("extract", 1000), ("map", 1000)], 2, measure).run()


def test_the_chain_to_the_largest_flow_is_critical(run: ModuleType) -> None:
    jobs = [(s, n) for n in (1000, 10000) for s in run.DEFAULT_STAGES]
    plan = run.schedule(jobs, 2, lambda *a: None)
    assert [s for s, n in jobs if plan.critical(s, n)] == ["parse", "extract", "link-cold", "e2e"]


def test_stopping_the_suite_ends_a_child_that_ignores_sigterm(run: ModuleType, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A stopped suite leaves no measurement running: a Prefect flow survives SIGTERM, and each child
    runs in its own session, so nothing else would end it."""
    import _thread
    import os
    import threading
    import time

    pid_file = tmp_path / "child.pid"
    child = tmp_path / "stubborn-child"
    child.write_text(f"trap '' TERM\necho $$ > {pid_file}\nexec sleep 120\n")
    # run as `/bin/sh <script> --child ...`: executing a file just written can fail with ETXTBSY when
    # another thread of the test process forks meanwhile (the fork inherits the open file)
    monkeypatch.setattr(run.sys, "executable", "/bin/sh")
    monkeypatch.setattr(run, "__file__", str(child))

    def interrupt_when_started() -> None:
        for _ in range(200):
            if pid_file.is_file() and pid_file.read_text().strip():
                break
            time.sleep(0.05)
        _thread.interrupt_main()

    # Ctrl-C as Python handles it by default: a test run started in the background of a
    # non-interactive shell inherits SIGINT ignored, and interrupt_main() then does nothing
    import signal
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Thread(target=interrupt_when_started, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            run.run_child("parse", 10, tmp_path, tmp_path, {}, dict(os.environ), timeout=60)
    finally:
        signal.signal(signal.SIGINT, previous)
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_split_stage_runs_its_parts_side_by_side_and_what_needs_it_waits_for_all(run: ModuleType) -> None:
    """With two at a time, the largest size's extraction and mapping go in two parts, one a core:
    the parts run beside each other, and linking (or loading) starts only when both have ended."""
    jobs = [(s, n) for n in (1000, 10000) for s in run.DEFAULT_STAGES if not (s == "e2e-dask" and n > 1000)]
    jobs = run.split_jobs(jobs, 10000)
    assert ("extract 1000" in {f"{s} {n}" for s, n in jobs}
            and {"extract-part1of2", "extract-part2of2", "map-part1of2", "map-part2of2"}
            <= {s for s, n in jobs if n == 10000} and ("extract", 10000) not in jobs)
    # as long, relatively, as they are: the 10k extraction ten times the 1k one, the rest short
    started, log = _record(run, jobs, 2, {"extract": 0.1, "extract-part1of2": 0.5, "extract-part2of2": 0.5})
    assert sorted(started) == sorted(f"{s} {n}" for s, n in jobs)
    ended: set[str] = set()
    running: set[str] = set()
    side_by_side = False
    for what, name in log:
        stage, n = name.split()
        if what == "start":
            for need in run.NEEDS.get(run.base_stage(stage), []):
                needed = [f"{s} {k}" for s, k in jobs if k == int(n) and run.base_stage(s) == need]
                assert needed and all(x in ended for x in needed), f"{name} started before {needed} ended"
            side_by_side = side_by_side or ({"extract-part1of2 10000", "extract-part2of2 10000"}
                                            <= running | {name})
            running.add(name)
        else:
            running.discard(name)
            ended.add(name)
    assert side_by_side
    plan = run.schedule(jobs, 2, lambda *a: None)
    assert plan.critical("extract-part2of2", 10000) and not plan.critical("map-part1of2", 10000)


@pytest.mark.parametrize("batches", [0, 1, 2, 5])
def test_the_parts_read_contiguous_shares_whose_joined_output_is_the_whole(run: ModuleType, tmp_path: Path,
                                                                           batches: int) -> None:
    whole = [[f"article {b}.{i}" for i in range(3)] for b in range(batches)]
    (tmp_path / "linked.pkl").write_bytes(b"")
    for chunk in whole:
        run._dump_stream(tmp_path / "linked.pkl", chunk)
    shares = []
    for i in (1, 2):  # what child_map does with opts["part"] = [i, 2]
        out = run.part_path(tmp_path / "graphs.pkl", (i, 2))
        out.write_bytes(b"")
        share = list(run._read_part(tmp_path / "linked.pkl", (i, 2)))
        for chunk in share:
            run._dump_stream(out, [x.upper() for x in chunk])
        shares.append(share)
    assert shares[0] + shares[1] == whole and abs(len(shares[0]) - len(shares[1])) <= 1
    joined = run.join_part_files(tmp_path, "map", 2)
    assert joined == tmp_path / "graphs.pkl"
    assert list(run._read_stream(joined)) == [[x.upper() for x in chunk] for chunk in whole]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graphs.pkl", "linked.pkl"]


def test_a_stage_measured_in_parts_is_one_row_with_one_processs_rate(run: ModuleType) -> None:
    def part(i: int, seconds: float, cpu: float, rss: float, error: str | None = None) -> object:
        return run.Measurement(stage=f"extract-part{i}of2", size=10000, articles=5000, seconds=seconds,
                               wall_s=seconds + 3, rss_mb=rss, rss_tree_mb=rss, cpu_s=cpu, load_before=1.0,
                               detail={"entities": 40000 + i, "setup_s": 2.5, "jobs": 2, "nice": 0,
                                       "beside": [f"extract-part{3 - i}of2 10,000"]}, error=error)

    floor = _m(run, "spacy", 10000, 300.0)
    rows = run.join_parts([part(2, 180.0, 185.0, 320.0), floor, part(1, 170.0, 172.0, 310.0)])
    assert [r.stage for r in rows] == ["extract", "spacy"]
    row = rows[0]
    assert (row.articles, row.seconds, row.cpu_s, row.wall_s, row.rss_mb) == (10000, 350.0, 357.0, 356.0, 320.0)
    assert row.rate == pytest.approx(10000 / 350) and row.rate_cpu == pytest.approx(10000 / 357)
    assert row.detail["entities"] == 80003 and row.error is None
    assert [p["part"] for p in row.detail["parts"]] == ["1/2", "2/2"]
    assert row.detail["parts"][0]["beside"] == ["extract-part2of2 10,000"]
    failed = run.join_parts([part(1, 170.0, 172.0, 310.0), part(2, 0.0, 5.0, 0.0, error="exit 1")])
    assert len(failed) == 1 and failed[0].error == "part 2/2: exit 1" and failed[0].rate is None


def test_re_rendering_a_suites_partial_results_joins_a_split_stages_parts(run: ModuleType, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """``--report`` on the ``partial.json`` a suite writes as it goes (the parts, one row each) gives
    the table the suite prints: one row for the stage."""
    import json

    parts = [run.Measurement(stage=f"extract-part{i}of2", size=10000, articles=5000, seconds=160.0 + i,
                             wall_s=165.0, rss_mb=315.0, rss_tree_mb=315.0, cpu_s=161.0 + i, load_before=1.0,
                             detail={"entities": 40000}) for i in (1, 2)]
    floor = _m(run, "spacy", 10000, 320.0)
    doc = {"measurements": [{**m.__dict__, "rate": m.rate} for m in (*parts, floor)]}
    (tmp_path / "partial.json").write_text(json.dumps(doc))
    assert run.rerender([tmp_path / "partial.json"], tmp_path / "out") == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| extract")]
    assert len(rows) == 1
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    assert cells[1] == f"{10000 / 323:,.1f}" and cells[3] == "323.0"  # one process's rate; seconds added up
