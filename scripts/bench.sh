#!/usr/bin/env bash
# scripts/bench.sh - ztask's benchmarks, run by `make bench` (docs/performance.md).
#
# Starts ztaskd (a temporary store) and ztask-worker processes with the
# no-op plugin (tests/fixtures/noop.la) on 127.0.0.1, runs every workload
# REPS times with ztask-bench, stops exactly the processes it started (by
# pid), then runs scripts/bench_peers.sh (gearmand, beanstalkd, zbroker: the
# same workloads, same knobs), scripts/bench_s1.sh and scripts/bench_s2.sh
# (scheduling) when they exist, and prints one table: median, min and max over the repetitions and
# the ratio of each ztask figure to each peer's, then the issue's targets.
#
#   make bench                              full run (REPS=3, default sizes)
#   make bench BENCH_FLAGS=--quick          tiny sizes: proves it works, never judges speed
#   QUICK=1 scripts/bench.sh                the same from the shell (after make bench once)
#   scripts/bench.sh --table RAW.txt        the table again from saved RESULT lines
#
# Knobs (environment): REPS (3), N (50000: W1, W2, scale), N_LAT (10000: W3),
# B1_N (1000000: B1 burst), SCALE_N (B1_N: queued tasks in the scale test),
# IDLE_WORKERS (1000), IDLE_SECONDS (10), WORKERS (4), WINDOW (256),
# PAYLOAD (64), B1_CLIENTS (4), LIMIT (600: seconds per ztask-bench run),
# PEERS (0 skips bench_peers.sh; else which peers it runs, default all),
# S1 (1; 0 skips bench_s1.sh), S1_ARGS (options for bench/s1_sched),
# S1_REPS (REPS), RESULTS (where raw RESULT lines, commands, logs and the
# table go; default bench-results/DATE in the build directory),
# D1_N (B1_N: delayed tasks in D1), D1_DUE_MS (150000: when they fall due,
# after their submits start), D1_EVERY (1000: every so many is measured),
# CHAIN_N (10000: links of the dependency chain), BATCH_N (100000: tasks
# of one batch; over 100,000 the brokers get max_batch = BATCH_N),
# ROWS (which of ztask's parts run, default all: "W1 W2 W3 B1 drain delayed
# chain batch scale scale-sigs dispatch-sigs idle pg failover http S2"; B1 includes recovery, drain
# is B1-drain, delayed is D1-accept and D1-lateness, chain the chain rows, batch
# the batch rows (on PostgreSQL too unless PG=0), pg is W2
# and B1 with recovery on PostgreSQL, failover the failover rows, S2 runs
# bench_s2.sh), SIGS (1000: dispatch-sigs' signatures), SIGS_QUEUED
# (1000000: its queued tasks), SIGS_DISPATCHES (100000: dispatches per
# variant and repetition), SIGS_REPS (7: repetitions inside one run, whose
# median is its figure), SIGS_ALT (3: scale-sigs' alternating W1 pairs per
# repetition; it uses SIGS signatures and SCALE_N queued), S2_ARGS (options for bench/s2_sched), S2_REPS (REPS),
# PG (1; 0 skips the PostgreSQL rows), PG_SYNCS ("normal full off": W2 on
# PostgreSQL at these sync levels), LEASE_MS (3000: the HA brokers'
# lease), KILLS (10: leader kills per repetition), KILL_EVERY (3: seconds
# of load before each kill), FAILOVER_QUEUE (10000: the failover load
# pauses while this many tasks are queued). QUICK=1
# sets N=2000 N_LAT=200 B1_N=5000 D1_N=5000 D1_DUE_MS=2000 D1_EVERY=50 CHAIN_N=1000 BATCH_N=10000 REPS=1
# IDLE_WORKERS=100 IDLE_SECONDS=2
# S1_ARGS="--work 45" KILLS=2 KILL_EVERY=1 LEASE_MS=1000 PG_SYNCS=normal
# SIGS_QUEUED=20000 SIGS_DISPATCHES=10000 SIGS_REPS=3 SIGS_ALT=1 S2_ARGS="--work 45"
# unless they are set: CI uses it only to prove the benchmark still works,
# never to judge speed. bench_peers.sh, bench_s1.sh and bench_s2.sh get the same environment
# (bench_peers.sh has its own QUICK).
#
# The PostgreSQL rows run on a server of the bench's own (initdb in a
# temporary directory, free loopback port, stock settings: fsync on; as
# user postgres when run as root), a new database for each broker or
# pool. Without PostgreSQL's server binaries they are skipped with a
# message, except in CI (CI=true), where that is a failure.
#
# Workloads (bench/ztask_bench.c has the details), all with 64-byte
# payloads and results, workers of 1 slot:
#   W1       round trip, 1 client, 256 in flight, 4 workers, sync=normal
#   W2       submits only (256 unacknowledged), 4 workers running them;
#            system ztask: sync=normal, ztask-full: sync=full
#   W3       one task at a time, 1 worker (W3-lib: through libztask's client API)
#   B1       B1_N tasks from 4 clients, no worker, sync=full: accept rate and
#            broker memory per queued task; B1-drain: 4 workers then run them all
#   chain    CHAIN_N noop tasks, each submitted (libztask, one client, one
#            after another) after the one before, 1 worker of 1 slot,
#            sync=normal: first submit -> last done, against the same tasks
#            unlinked (chain-plain); chain-link: (chain - plain) / CHAIN_N.
#            -held: the same with the type paused while they are
#            submitted, timed from its resume (the release path alone)
#   batch    one batch of BATCH_N tasks of a type no worker has (libztask:
#            ztask_client_batch_add, ztask_client_submit_batch), no worker,
#            sync=full: the call -> its answer (accepted in one commit),
#            then all checked queued; batch-then: the same with a then task
#   scale-W1-qK, scale-W3-qK: W1 and W3 at priority 5 with K tasks queued at
#            priority 0 that the 4 workers (priorities 1-9) never take
#   scale-sigs-W1-S  the same W1 through the broker, every task requiring
#            memory_mb>=K (K cycling 1..S, which every worker meets), with
#            SCALE_N tasks queued at priority 0 over the same S signatures
#            (scale-sigs-fill-S); S = 1 and SIGS on two brokers filled once,
#            W1 runs alternating between them SIGS_ALT times; scale-sigs-x1-S:
#            time and broker CPU per task against S = 1, pair by pair
#   dispatch-sigs-V  the broker's scheduler alone (bench/dispatch_sigs.c, no
#            sockets): ns per dispatch (release + assign) with SIGS_QUEUED
#            tasks queued over V = plain (no requirement), 1 signature, SIGS
#            signatures every worker can run, SIGS-tenth (each worker can run
#            a tenth); 100 workers of 4 slots; x 1 sig: against variant 1 in
#            the same process; memory per queued task
#   idle     IDLE_WORKERS registered idle workers: broker CPU over IDLE_SECONDS
#   W1-http  W1 with the broker's HTTP endpoint on, /metrics scraped at 10 Hz
#            and the dashboard's API calls (stats, workers, tasks, series)
#            once a second each, for the whole run: compared with W1
#   metrics-snapshot-qK  the same broker with K (B1_N) tasks queued: 20
#            scrapes; the broker's own time per METRICS snapshot
#   recovery B1's SQLite broker killed (SIGKILL) with B1_N tasks queued and
#            started again: start -> it answers STATS with them all queued
#   PostgreSQL (system ztask-pg: sync=normal, ztask-pg-full: sync=full,
#            ztask-pg-off: sync=off):
#   W2, B1   as above on a PostgreSQL store (W2 at each sync level, B1
#            and batch sync=full); B1's pool has a standby, and
#   recovery its leader is killed with B1_N queued: the lease's end -> the
#            standby serves them (lease_wait_s: kill -> the lease's end)
#   failover W2's load (ztask-bench -m failover) on a pool of two brokers,
#            4 workers given both; KILLS times: SIGKILL the leader, time
#            until the other accepts a SUBMIT (takeover_s), restart the
#            killed one (it stands by)
#   S1, S2   scheduling quality (bench_s1.sh, bench_s2.sh): S1 on a fleet of
#            plugin sets with a worker reserved for high tasks; S2 on a mixed
#            fleet (zones a/b, GPU workers of gpu=2 and gpu=1, a limit api = 2)
#            with tasks that require a zone, need gpu=1 or 2, carry the limit
#
# Exit status: non-zero if any run failed (errors > 0, a time limit, a
# server that did not start).
set -euo pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}

# ---- the table: from RESULT lines (bench_common.h) ----

# print_table RAW: one row per (workload, system, metric) with median, min
# and max over the repetitions, the ratio of ztask's median to each peer's,
# then each target of the issue with its figure and met / not met.
print_table () {
    awk -v quick="${QUICK:-0}" '
function kv(line,    i, n, f, p) {
    delete r; n = split(line, f, " ")
    for (i = 2; i <= n; i++) { p = index(f[i], "="); if (p) r[substr(f[i], 1, p - 1)] = substr(f[i], p + 1) }
}
function note(w, s, m, v,    k) {
    k = w SUBSEP s SUBSEP m
    if (!(k in cnt)) { order[++rows] = k }
    vals[k, ++cnt[k]] = v + 0
    if (!((w, s) in seen_ws)) seen_ws[w, s] = 1
}
function med(k,    i, j, n, t, a) {
    n = cnt[k]; if (!n) return ""
    for (i = 1; i <= n; i++) a[i] = vals[k, i]
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    lo = a[1]; hi = a[n]
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function has(w, s, m) { return (w SUBSEP s SUBSEP m) in cnt }
function get(w, s, m) { return med(w SUBSEP s SUBSEP m) }
function rank(w) {
    if (w == "W1" || w == "W1-http") return 1; if (w == "W2") return 2; if (w == "W3") return 3; if (w == "W3-lib") return 4
    if (w == "B1") return 5; if (w == "B1-drain") return 6; if (w == "recovery") return 7
    if (w ~ /^failover/) return 8; if (w ~ /^scale-/) return 9; if (w == "idle") return 10
    if (w == "S1" || w == "S2") return 11; if (w ~ /^metrics-snapshot/) return 12; if (w ~ /^D1/ || w ~ /^chain/) return 6
    if (w ~ /^batch/) return 6
    if (w ~ /^dispatch-sigs-/) return 9
    if (w ~ /^scale-sigs-/) return 9
    return 12
}
function fmt(v) { return v == "" ? "-" : (v >= 100 || v == int(v) ? sprintf("%.0f", v) : sprintf("%.2f", v)) }
function target(what, figure, ok) {
    printf "  %-62s %-26s %s\n", what, figure, ok == "" ? "not measured" : (ok ? "met" : "NOT met")
}
/^RESULT / {
    kv($0); w = r["workload"]; s = r["system"]
    if (w == "" || s == "") next
    if (s !~ /^ztask/ && !(s in peer)) { peer[s] = 1; peers[++npeers] = s }
    if (w ~ /^W3/ || w ~ /^scale-W3/) {
        note(w, s, "p50 us", r["p50_us"]); note(w, s, "p99 us", r["p99_us"]); note(w, s, "max us", r["max_us"])
    } else if (w == "S1") {
        note(w, s, "idle ms", r["idle_ms"]); note(w, s, "high p99 ms", r["high_wait_p99_ms"])
        note(w, s, "makespan/LB", r["makespan_ratio"])
    } else if (w == "S2") {
        slot_ms = r["slots"] * r["makespan_s"] * 1000
        note(w, s, "idle ms", r["idle_ms"]); note(w, s, "broker idle", r["broker_idle_ms"])
        note(w, s, "idle % slots", slot_ms > 0 ? 100 * r["idle_ms"] / slot_ms : 0)
        note(w, s, "kept ms", r["idle_kept_ms"]); note(w, s, "kept % slots", slot_ms > 0 ? 100 * r["idle_kept_ms"] / slot_ms : 0)
        note(w, s, "high p99 ms", r["high_wait_p99_ms"]); note(w, s, "slot-only p99", r["high_wait_p99_slot_only_ms"])
        note(w, s, "makespan/LB", r["makespan_ratio"])
    } else if (w ~ /^scale-sigs-x1-/) {
        note(w, s, "x 1 sig", r["ratio"]); note(w, s, "srv x 1 sig", r["cpu_ratio"]); scale_sigs_queued = r["queued"]
    } else if (w ~ /^dispatch-sigs-/) {
        note(w, s, "ns/dispatch", r["ns_per_dispatch"]); if ("ratio" in r) note(w, s, "x 1 sig", r["ratio"])
        note(w, s, "B/task", r["bytes_per_task"]); sigs_queued = r["queued"]
    } else if (w == "idle") {
        note(w, s, "cpu % core", r["cpu_pct"])
    } else if (w == "recovery") {
        note(w, s, "serve s", r["seconds"]); note(w, s, "queued", r["n"])
        if ("lease_wait_s" in r) note(w, s, "lease wait s", r["lease_wait_s"])
    } else if (w ~ /^metrics-snapshot/) {
        note(w, s, "broker us p50", r["broker_us_p50"]); note(w, s, "broker us max", r["broker_us_max"])
        note(w, s, "scrape p50 us", r["p50_us"])
    } else if (w == "D1-lateness") {
        note(w, s, "p50 ms", r["p50_us"] / 1000); note(w, s, "p99 ms", r["p99_us"] / 1000); note(w, s, "max ms", r["max_us"] / 1000)
    } else if (w ~ /^chain-link/) {
        note(w, s, "us/link", r["per_link_us"]); note(w, s, "x plain", r["ratio"])
        note(w, s, "accept x", r["accept_ratio"]); chain_n = r["n"]
        if ("srv_us_per_link" in r) note(w, s, "srv us/link", r["srv_us_per_link"])
    } else if (w ~ /^chain/) {
        note(w, s, "tasks/s", r["rate"]); note(w, s, "accepted/s", r["accept_rate"])
        if ("cpu_us_per_task" in r) note(w, s, "srv us/task", r["cpu_us_per_task"])
    } else if (w ~ /^batch/) {
        note(w, s, "accept s", r["seconds"]); note(w, s, "accepted/s", r["rate"]); batch_n = r["n"]
        if ((s, r["rep"]) in b1_rate) note(w, s, "x B1", r["rate"] / b1_rate[s, r["rep"]])
        note(w, s, "build ms", r["build_s"] * 1000)
        if ("bytes_per_task" in r) { note(w, s, "B/task", r["bytes_per_task"]); note(w, s, "peak B/task", r["peak_bytes_per_task"]) }
        if ("cpu_us_per_task" in r) note(w, s, "srv us/task", r["cpu_us_per_task"])
    } else if (w == "failover") {
        note(w, s, "takeover s", r["takeover_s"]); lease_ms = r["lease_ms"]
    } else if ("rate" in r) {
        note(w, s, w ~ /^(B1|D1-accept|scale-fill-.*|scale-sigs-fill-.*|snapshot-fill-.*)$/ ? "accepted/s" : "tasks/s", r["rate"])
    }
    if (w == "B1" && r["rate"] + 0 > 0) b1_rate[s, r["rep"]] = r["rate"] # batch: x B1 of the same repetition
    if (w == "W2" && ("done_rate" in r)) note(w, s, "done/s", r["done_rate"])
    if (w ~ /^(B1|D1-accept|scale-fill-.*|scale-sigs-fill-.*)$/ && ("bytes_per_task" in r)) note(w, s, "B/task", r["bytes_per_task"])
    if (w ~ /^(W1|W2|B1|scale-sigs-W1-.*)$/ && ("cpu_us_per_task" in r)) note(w, s, "srv us/task", r["cpu_us_per_task"])
    if (w == "W1" && ("all_cpu_us_per_task" in r)) note(w, s, "all us/task", r["all_cpu_us_per_task"])
    if (r["errors"] + 0 > 0) errors[w, s] += r["errors"]
}
END {
    if (!rows) { print "no RESULT lines"; exit 1 }
    # rows sorted by workload rank, keeping first-seen order otherwise
    for (i = 1; i <= rows; i++) { split(order[i], p, SUBSEP); key[i] = sprintf("%02d %05d", rank(p[1]), i) }
    for (i = 2; i <= rows; i++) for (j = i; j > 1 && key[j - 1] > key[j]; j--) {
        t = key[j]; key[j] = key[j - 1]; key[j - 1] = t; t = order[j]; order[j] = order[j - 1]; order[j - 1] = t
    }
    head = sprintf("%-24s %-16s %-12s %10s %10s %10s %4s", "workload", "system", "metric", "median", "min", "max", "reps")
    for (i = 1; i <= npeers; i++) head = head sprintf(" %12s", "vs " peers[i])
    print head
    for (i = 1; i <= rows; i++) {
        split(order[i], p, SUBSEP); w = p[1]; s = p[2]; m = p[3]
        v = med(order[i])
        line = sprintf("%-24s %-16s %-12s %10s %10s %10s %4d", w, s, m, fmt(v), fmt(lo), fmt(hi), cnt[order[i]])
        for (j = 1; j <= npeers; j++) {
            ratio = ""
            if (s ~ /^ztask/ && has(w, peers[j], m) && get(w, peers[j], m) > 0) ratio = sprintf("%.2fx", v / get(w, peers[j], m))
            line = line sprintf(" %12s", ratio)
        }
        sub(/ +$/, "", line)
        if ((w, s) in errors) line = line "  ERRORS: " errors[w, s]
        print line
    }
    print ""
    print "median, min, max over the repetitions (reps). vs PEER: ztask median / peer median for the same"
    print "workload and metric (tasks/s: higher is better; us, B/task, % core: lower is better)."
    print "srv us/task: broker CPU (user + system, /proc/PID/stat) per task. ztask: sync=normal,"
    print "ztask-full: sync=full. all us/task: busy CPU of the whole machine (/proc/stat: server,"
    print "client and workers together) per task. B/task: broker RSS growth per queued task minus the payload."
    print "ztask-pg, ztask-pg-full, ztask-pg-off: the same on a PostgreSQL store, sync=normal"
    print "(synchronous_commit = local), full (on), off (off); srv us/task: ztaskd only, not PostgreSQL."
    print "recovery: serve s = start (SQLite: the restart; PostgreSQL: the killed leader'"'"'s lease ran out) until"
    print "it answers with them all queued; lease wait s = kill -> the lease'"'"'s end. failover: takeover s ="
    print "SIGKILL of the leader -> the first SUBMIT the other accepts (median = p50, max over every kill)."
    print "D1: D1_N delayed tasks all due at one instant (B/task: broker RSS growth per scheduled task minus"
    print "the payload); D1-lateness: started_ms - due_ms of every D1_EVERY-th (run by the workers; the"
    print "rest become queued for a type no worker has), on the broker'"'"'s clock, ms resolution."
    print "chain: CHAIN_N noop tasks, each submitted after the one before (libztask, one client, one at a"
    print "time), 1 worker of 1 slot, sync=normal; tasks/s: first submit -> last done; chain-plain: the"
    print "same tasks without parents; chain-link: us/link = (chain - plain) / CHAIN_N, x plain = chain /"
    print "plain, accept x = chained submits'"'"' accept rate / plain ones'"'"'. -held: the type paused while they are"
    print "submitted, timed from its resume (srv us/task then: the run only). srv us/link: the broker'"'"'s"
    print "extra CPU per link. Differences of a few tens of us are within the noise of a shared machine."
    print "batch: one batch of BATCH_N tasks (libztask, a type no worker has, no worker, sync=full): accept s ="
    print "ztask_client_submit_batch'"'"'s call -> its answer (all stored in one commit); x B1: its accept rate /"
    print "B1'"'"'s (one by one, pipelined) in the same repetition and system; build ms: the client building it; B/task:"
    print "broker RSS kept per task minus the payload (peak: at the answer, the message counted). -then: with a then task."
    print "dispatch-sigs-V (system ztask-sched: the scheduler alone, bench/dispatch_sigs.c): one dispatch"
    print "(release + assign) with the queue full; plain: no requirement, 1: one signature, N: N signatures"
    print "every worker can run, N-tenth: a worker can run a tenth of them. x 1 sig: ns against variant 1,"
    print "batches interleaved in the same process; B/task: RSS growth per queued task minus the payload."
    print "scale-sigs-W1-S: W1, every task requiring memory_mb>=K (K = 1..S, every worker meets it), while"
    print "SCALE_N tasks over the same S signatures wait at priority 0 (scale-sigs-fill-S); scale-sigs-x1-S: time"
    print "(x 1 sig) and broker CPU (srv x 1 sig) per task against S = 1, each W1 pair run back to back."
    print "S2 (bench/s2_sched.c): S1 on a mixed fleet (zones, GPUs, a limit). idle ms: slot time idle while a"
    print "waiting task could have started there (clients'"'"' clocks, 2 ms allowance, stalls out; broker idle: the"
    print "broker'"'"'s ms timestamps); kept ms: idle slots a reservation held for a bigger task (by design, apart);"
    print "% slots: of slots x makespan. slot-only p99: high tasks that ask no resource or limit."
    print ""
    if (quick) {
        print "QUICK=1: tiny sizes that prove the benchmark runs; the targets are not judged."
        exit
    }
    print "Targets (ratios against peers measured by the same run):"
    g = "gearmand"; b = "beanstalkd"; bf = "beanstalkd-fsync"; z = "zbroker"
    v = get("B1", "ztask-full", "accepted/s")
    target("B1 accept, sync=full >= 5x beanstalkd -b -f 0", has("B1", bf, "accepted/s") ? sprintf("%.2fx", v / get("B1", bf, "accepted/s")) : "", \
           has("B1", bf, "accepted/s") && v != "" ? v >= 5 * get("B1", bf, "accepted/s") : "")
    target("B1 accept, sync=full >= 1x beanstalkd in memory", has("B1", b, "accepted/s") ? sprintf("%.2fx", v / get("B1", b, "accepted/s")) : "", \
           has("B1", b, "accepted/s") && v != "" ? v >= get("B1", b, "accepted/s") : "")
    v = get("B1", "ztask-full", "B/task")
    target("B1 broker memory per queued task <= 300 B beyond payload", v == "" ? "" : fmt(v) " B", v == "" ? "" : v <= 300)
    v = get("D1-accept", "ztask-full", "B/task")
    target("D1 broker memory per scheduled task <= 300 B beyond payload", v == "" ? "" : fmt(v) " B", v == "" ? "" : v <= 300)
    v = get("W1", "ztask", "tasks/s")
    target("W1 >= 1.0x gearmand -t 0", has("W1", g, "tasks/s") ? sprintf("%.2fx", v / get("W1", g, "tasks/s")) : "", \
           has("W1", g, "tasks/s") && v != "" ? v >= get("W1", g, "tasks/s") : "")
    target("W1 >= 1.5x zbroker", has("W1", z, "tasks/s") ? sprintf("%.2fx", v / get("W1", z, "tasks/s")) : "", \
           has("W1", z, "tasks/s") && v != "" ? v >= 1.5 * get("W1", z, "tasks/s") : "")
    v = get("W1", "ztask", "srv us/task")
    target("W1 broker CPU per task <= 20 us", v == "" ? "" : fmt(v) " us", v == "" ? "" : v <= 20)
    v = get("W1-http", "ztask", "tasks/s"); u = get("W1", "ztask", "tasks/s")
    target("W1 with a scraper at 10 Hz and the dashboard >= 0.95x W1", v != "" && u != "" ? sprintf("%.2fx", v / u) : "", \
           v != "" && u != "" ? v >= 0.95 * u : "")
    for (i = 1; i <= rows; i++) {
        split(order[i], p, SUBSEP)
        if (p[1] ~ /^metrics-snapshot-q/ && p[3] == "broker us max") {
            v = get(p[1], "ztask", "broker us max")
            target(sprintf("a metrics snapshot with %s queued < 1 ms of broker time", substr(p[1], 19)), fmt(v) " us", v < 1000)
        }
    }
    v = get("W2", "ztask", "tasks/s")
    target("W2 sync=normal >= 1.0x gearmand", has("W2", g, "tasks/s") ? sprintf("%.2fx", v / get("W2", g, "tasks/s")) : "", \
           has("W2", g, "tasks/s") && v != "" ? v >= get("W2", g, "tasks/s") : "")
    v = get("W2", "ztask-full", "tasks/s")
    target("W2 sync=full >= 5x beanstalkd -b -f 0", has("W2", bf, "tasks/s") ? sprintf("%.2fx", v / get("W2", bf, "tasks/s")) : "", \
           has("W2", bf, "tasks/s") && v != "" ? v >= 5 * get("W2", bf, "tasks/s") : "")
    v = get("W3", "ztask", "p50 us")
    target("W3 p50 <= gearmand p50", has("W3", g, "p50 us") ? sprintf("%s vs %s us", fmt(v), fmt(get("W3", g, "p50 us"))) : "", \
           has("W3", g, "p50 us") && v != "" ? v <= get("W3", g, "p50 us") : "")
    # scale: the smallest and the largest queue measured
    qlo = ""; qhi = ""
    for (i = 1; i <= rows; i++) {
        split(order[i], p, SUBSEP)
        if (p[1] ~ /^scale-W1-q[0-9]+$/ && p[3] == "tasks/s") {
            q = substr(p[1], 11) + 0
            if (qlo == "" || q < qlo) qlo = q
            if (qhi == "" || q > qhi) qhi = q
        }
    }
    if (qlo != "" && qhi != qlo) {
        a = get("scale-W1-q" qlo, "ztask", "tasks/s"); c = get("scale-W1-q" qhi, "ztask", "tasks/s")
        target(sprintf("scale: time per dispatch at %d queued <= 1.3x at %d (W1)", qhi, qlo), sprintf("%.2fx", a / c), a / c <= 1.3)
        a = get("scale-W3-q" qlo, "ztask", "p50 us"); c = get("scale-W3-q" qhi, "ztask", "p50 us")
        if (a != "" && c != "") target(sprintf("scale: W3 p50 at %d queued <= 1.3x at %d", qhi, qlo), sprintf("%.2fx", c / a), c / a <= 1.3)
    } else target("scale: time per dispatch at 1M queued <= 1.3x at 10", "", "")
    # dispatch-sigs: many signatures against one, measured in the same process
    for (i = 1; i <= rows; i++) {
        split(order[i], p, SUBSEP)
        if (p[1] ~ /^dispatch-sigs-[0-9]+$/ && p[1] != "dispatch-sigs-1" && p[3] == "x 1 sig") {
            v = get(p[1], "ztask-sched", "x 1 sig")
            target(sprintf("dispatch: %s signatures, %s queued <= 1.3x one signature", substr(p[1], 15), sigs_queued), \
                   sprintf("%.2fx (%s vs %s ns)", v, fmt(get(p[1], "ztask-sched", "ns/dispatch")), \
                           fmt(get("dispatch-sigs-1", "ztask-sched", "ns/dispatch"))), v <= 1.3)
        }
        if (p[1] ~ /^dispatch-sigs-[0-9]+-tenth$/ && p[3] == "x 1 sig")
            printf "  %-62s %-26s %s\n", sprintf("(the same when a worker can run a tenth of them)"), \
                   sprintf("%.2fx", get(p[1], "ztask-sched", "x 1 sig")), "reference"
    }
    # scale-sigs: the same through the broker, W1 pairs back to back
    for (i = 1; i <= rows; i++) {
        split(order[i], p, SUBSEP)
        if (p[1] ~ /^scale-sigs-x1-[0-9]+$/ && p[1] != "scale-sigs-x1-1" && p[3] == "x 1 sig") {
            k = substr(p[1], 15); v = get(p[1], "ztask", "x 1 sig")
            target(sprintf("dispatch: %s signatures, %s queued <= 1.3x one signature (end to end)", k, scale_sigs_queued), \
                   sprintf("%.2fx (%s vs %s/s)", v, fmt(get("scale-sigs-W1-" k, "ztask", "tasks/s")), \
                           fmt(get("scale-sigs-W1-1", "ztask", "tasks/s"))), v <= 1.3)
            printf "  %-62s %-26s %s\n", "(the same in broker CPU per task)", \
                   sprintf("%.2fx", get(p[1], "ztask", "srv x 1 sig")), "reference"
        }
    }
    v = get("chain-link", "ztask", "us/link")
    if (v != "") {
        printf "  %-62s %-26s %s\n", sprintf("(dependency chain of %d: overhead per link, submits overlapped)", chain_n), \
               sprintf("%s us, %.2fx", fmt(v), get("chain-link", "ztask", "x plain")), "reference"
        printf "  %-62s %-26s %s\n", "(the same, all submitted before the type is resumed)", \
               sprintf("%s us, %.2fx", fmt(get("chain-link-held", "ztask", "us/link")), get("chain-link-held", "ztask", "x plain")), "reference"
    }
    # Batches (issue 14): a 100,000-task batch accepted in a few seconds (taken as <= 3 s).
    for (i = 1; i <= 2; i++) {
        s = i == 1 ? "ztask-full" : "ztask-pg-full"; v = get("batch", s, "accept s")
        if (v == "") { if (i == 1) target("a 100000-task batch accepted in <= 3 s, SQLite sync=full", "", ""); continue }
        c = get("batch", s, "x B1")
        what = sprintf("a %d-task batch accepted in <= 3 s, %s sync=full", batch_n, i == 1 ? "SQLite" : "PostgreSQL")
        figure = sprintf("%.2f s (%s/s)", v, fmt(get("batch", s, "accepted/s")))
        if (batch_n >= 100000) target(what, figure, v <= 3); else printf "  %-62s %-26s %s\n", "(" what ")", figure, "reference"
        if (c != "") printf "  %-62s %-26s %s\n", sprintf("(its accept rate / B1'"'"'s one by one, %s, same run)", i == 1 ? "SQLite" : "PostgreSQL"), sprintf("%.2fx", c), "reference"
        c = get("batch-then", s, "accept s")
        if (c != "") printf "  %-62s %-26s %s\n", "(the same batch with a then task)", sprintf("%.2f s", c), "reference"
    }
    v = get("idle", "ztask", "cpu % core")
    target("idle workers: broker CPU < 5% of a core", v == "" ? "" : fmt(v) "%", v == "" ? "" : v < 5)
    # The PostgreSQL store (issue 10, item 6).
    v = get("B1", "ztask-pg-full", "accepted/s"); c = get("B1", "ztask-full", "accepted/s")
    target("B1 PostgreSQL, sync=full >= 50,000 accepted/s", v == "" ? "" : fmt(v) "/s" (c > 0 ? sprintf(" (%.2fx SQLite)", v / c) : ""), \
           v == "" ? "" : v >= 50000)
    target("B1 PostgreSQL, sync=full >= 10x beanstalkd -b -f 0", has("B1", bf, "accepted/s") && v != "" ? sprintf("%.2fx", v / get("B1", bf, "accepted/s")) : "", \
           has("B1", bf, "accepted/s") && v != "" ? v >= 10 * get("B1", bf, "accepted/s") : "")
    v = get("W2", "ztask-pg", "tasks/s"); c = get("W2", "ztask", "tasks/s")
    target("W2 PostgreSQL >= 0.5x W2 SQLite (sync=normal)", v != "" && c > 0 ? sprintf("%.2fx", v / c) : "", \
           v != "" && c > 0 ? v >= 0.5 * c : "")
    v = get("W2", "ztask-pg-full", "tasks/s"); c = get("W2", "ztask-full", "tasks/s")
    if (v != "" && c > 0) printf "  %-62s %-26s %s\n", "(W2 PostgreSQL / W2 SQLite, both sync=full)", sprintf("%.2fx", v / c), "reference"
    v = get("failover", "ztask-pg", "takeover s")
    target(sprintf("failover: takeover max <= lease (%.1f s) + 2 s, %d kills", lease_ms / 1000, cnt["failover" SUBSEP "ztask-pg" SUBSEP "takeover s"]), \
           v == "" ? "" : sprintf("p50 %.2f s, max %.2f s", v, hi), v == "" ? "" : hi <= lease_ms / 1000 + 2)
    v = get("recovery", "ztask-full", "serve s"); q = get("recovery", "ztask-full", "queued")
    target(sprintf("recovery: restarted SQLite broker, %d queued, serves <= 10 s", q), v == "" ? "" : sprintf("%.2f s", v), \
           v == "" ? "" : v <= 10)
    v = get("recovery", "ztask-pg-full", "serve s"); q = get("recovery", "ztask-pg-full", "queued")
    c = get("recovery", "ztask-pg-full", "lease wait s")
    target(sprintf("recovery: new PostgreSQL leader, %d queued, serves <= 10 s", q), \
           v == "" ? "" : sprintf("%.2f s after the lease", v) (c != "" ? sprintf(", %.2f after the kill", v + c) : ""), \
           v == "" ? "" : v <= 10)
    print "  S1 (scheduling): the S1 rows; bench/s1_sched.c and scripts/bench_s1.sh define and judge them."
    v = get("S2", "ztask", "idle % slots")
    target("S2: slot idle while a task could start <= 0.1% of slot time", v == "" ? "" : \
           sprintf("%s slot-ms, %.3f%%", fmt(get("S2", "ztask", "idle ms")), v), v == "" ? "" : v <= 0.1)
    v = get("S2", "ztask", "makespan/LB")
    if (v != "") {
        printf "  %-62s %-26s %s\n", "(S2 makespan / lower bound)", sprintf("%.2fx", v), "reference"
        printf "  %-62s %-26s %s\n", "(S2 slots kept idle by reservations, of all slot time)", \
               sprintf("%.1f%%", get("S2", "ztask", "kept % slots")), "reference"
        printf "  %-62s %-26s %s\n", "(S2 high wait p99: all; those that wait only for a slot)", \
               sprintf("%s; %s ms", fmt(get("S2", "ztask", "high p99 ms")), fmt(get("S2", "ztask", "slot-only p99"))), "reference"
    }
}' "$1"
}

if [ "${1:-}" = "--table" ]; then
    [ -f "${2:-}" ] || { echo "usage: $0 --table RAW.txt" >&2; exit 2; }
    print_table "$2"
    exit
fi
if [ "${1:-}" = "--quick" ]; then QUICK=1; shift; fi
if [ $# -gt 0 ]; then
    echo "usage: $0 [--quick] | --table RAW.txt   (knobs are environment variables: see the top of $0)" >&2
    exit 2
fi

# ---- knobs ----

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
    REPS=${REPS:-1} N=${N:-2000} N_LAT=${N_LAT:-200} B1_N=${B1_N:-5000} D1_N=${D1_N:-5000} D1_DUE_MS=${D1_DUE_MS:-2000}
    D1_EVERY=${D1_EVERY:-50} CHAIN_N=${CHAIN_N:-1000} BATCH_N=${BATCH_N:-10000}
    IDLE_WORKERS=${IDLE_WORKERS:-100} IDLE_SECONDS=${IDLE_SECONDS:-2} S1_ARGS=${S1_ARGS:---work 45}
    KILLS=${KILLS:-2} KILL_EVERY=${KILL_EVERY:-1} LEASE_MS=${LEASE_MS:-1000} PG_SYNCS=${PG_SYNCS:-normal}
    SIGS_QUEUED=${SIGS_QUEUED:-20000} SIGS_DISPATCHES=${SIGS_DISPATCHES:-10000} SIGS_REPS=${SIGS_REPS:-3}
    SIGS_ALT=${SIGS_ALT:-1}
    S2_ARGS=${S2_ARGS:---work 45}
fi
REPS=${REPS:-3}
N=${N:-50000}
N_LAT=${N_LAT:-10000}
B1_N=${B1_N:-1000000}
SCALE_N=${SCALE_N:-$B1_N}
D1_N=${D1_N:-$B1_N}            # delayed tasks, all due at one instant (D1)
D1_DUE_MS=${D1_DUE_MS:-150000} # ... this long after their submits start (must outlast them)
D1_EVERY=${D1_EVERY:-1000}     # every so many is run by the workers and measured
CHAIN_N=${CHAIN_N:-10000}      # chain: links (one worker runs them)
BATCH_N=${BATCH_N:-100000}     # batch: tasks of one batch (max_batch raised to it when over 100,000)
IDLE_WORKERS=${IDLE_WORKERS:-1000}
IDLE_SECONDS=${IDLE_SECONDS:-10}
WORKERS=${WORKERS:-4}
WINDOW=${WINDOW:-256}
PAYLOAD=${PAYLOAD:-64}
B1_CLIENTS=${B1_CLIENTS:-4}
LIMIT=${LIMIT:-600}
PEERS=${PEERS:-} # bench_peers.sh reads it too: the peers to run
S1=${S1:-1}
S1_ARGS=${S1_ARGS:-} # options for bench/s1_sched, through bench_s1.sh
ROWS=${ROWS:-W1 W2 W3 B1 drain delayed chain batch scale scale-sigs dispatch-sigs idle pg failover http S2} # which of ztask's parts run
SIGS=${SIGS:-1000}                   # dispatch-sigs: distinct signatures
SIGS_QUEUED=${SIGS_QUEUED:-1000000}  # ... tasks queued
SIGS_DISPATCHES=${SIGS_DISPATCHES:-100000} # ... dispatches per variant and repetition
SIGS_REPS=${SIGS_REPS:-7}            # ... repetitions inside one run (the median is its figure)
SIGS_ALT=${SIGS_ALT:-3}              # scale-sigs: W1 pairs (1, SIGS signatures) per repetition
S2_ARGS=${S2_ARGS:-}                 # options for bench/s2_sched, through bench_s2.sh
PG=${PG:-1}
PG_SYNCS=${PG_SYNCS:-normal full off} # W2 on PostgreSQL at these sync levels
LEASE_MS=${LEASE_MS:-3000}
KILLS=${KILLS:-10}
KILL_EVERY=${KILL_EVERY:-3}
FAILOVER_QUEUE=${FAILOVER_QUEUE:-10000}
RESULTS=${RESULTS:-$top_builddir/bench-results/$(date -u +%Y%m%d-%H%M%S)}
export QUICK REPS N N_LAT B1_N SCALE_N IDLE_WORKERS IDLE_SECONDS WORKERS WINDOW PAYLOAD B1_CLIENTS LIMIT

ZTASKD=$top_builddir/ztaskd
ZWORKER=$top_builddir/ztask-worker
ZBENCH=$top_builddir/ztask-bench
PLUGIN_DIR=$top_builddir/tests/fixtures/.libs
want () { [[ " $ROWS " == *" $1 "* ]]; } # want PART: PART is in ROWS
BATCH_CFG= # the batch rows' brokers: room for a batch over the default max_batch
if [ "$BATCH_N" -gt 100000 ] 2>/dev/null; then BATCH_CFG="max_batch = $BATCH_N; max_batch_bytes = 1073741824;"; fi

NEEDED=("$ZTASKD" "$ZWORKER" "$ZBENCH" "$PLUGIN_DIR/noop.so")
want dispatch-sigs && NEEDED+=("$top_builddir/bench/dispatch_sigs")
for f in "${NEEDED[@]}"; do
    [ -x "$f" ] || [ -f "$f" ] || { echo "bench.sh: $f is missing: run make bench" >&2; exit 2; }
done

mkdir -p "$RESULTS"
RAW=$RESULTS/raw.txt       # RESULT lines, ztask's and the peers'
CMDS=$RESULTS/commands.txt # every server and benchmark command, in order
: > "$RAW"
: > "$CMDS"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ztask-bench.XXXXXX") # stores, configs, logs
BROKER_PID=
WORKER_PIDS=()
declare -A POOL_PID POOL_EP # the brokers of an active/standby pool, by name
FAILED=0
PG_WORK=                    # the PostgreSQL server's directory
PG_READY=0
. "$top_srcdir/scripts/pg_server.sh"

alive () { [ -e "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# stop_pid PID: SIGTERM, up to 10 s to finish, then SIGKILL.
stop_pid () {
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 200); do alive "$1" || break; sleep 0.05; done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

stop_workers () { # stop_workers [KEEP]: all but the first KEEP workers
    local keep=${1:-0} i
    for ((i = ${#WORKER_PIDS[@]} - 1; i >= keep; i--)); do
        stop_pid "${WORKER_PIDS[$i]}"
        unset "WORKER_PIDS[$i]"
    done
}

stop_broker () {
    stop_workers
    if [ -n "$BROKER_PID" ]; then stop_pid "$BROKER_PID"; BROKER_PID=; fi
}

stop_pool () {
    local name
    stop_workers
    BROKER_PID=
    for name in "${!POOL_PID[@]}"; do stop_pid "${POOL_PID[$name]}"; unset "POOL_PID[$name]"; done
}

cleanup () {
    stop_broker
    stop_pool
    if [ -n "$PG_WORK" ]; then pg_server_stop "$PG_WORK"; rm -rf "$PG_WORK"; fi
    if [ "$FAILED" -ne 0 ] && [ -d "$WORK" ]; then
        mkdir -p "$RESULTS/logs"
        cp "$WORK"/*.log "$RESULTS/logs/" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail () { echo "bench.sh: FAILED: $*" >&2; FAILED=$((FAILED + 1)); }


# wait_count FILE PATTERN COUNT SECONDS: until FILE has COUNT lines matching PATTERN.
wait_count () {
    local i c
    for ((i = 0; i < $4 * 20; i++)); do
        c=$(grep -c -- "$2" "$1" 2>/dev/null) || true
        [ "${c:-0}" -ge "$3" ] && return 0
        sleep 0.05
    done
    return 1
}

# start_ztaskd NAME: ztaskd with $WORK/NAME.cfg, its log appended to
# $WORK/NAME.log; waits until it listens. Sets LAST_PID and LAST_EP (the
# endpoint it reports in its log), which it then pins in the config, so
# that a restart listens where clients and workers connect. 1 if it did
# not start.
start_ztaskd () {
    local name=$1 before
    before=$(grep -c 'listening on tcp' "$WORK/$name.log" 2>/dev/null) || true
    echo "$ZTASKD -c $WORK/$name.cfg -f   # $(grep -E '^(store|sync|lease_ms)' "$WORK/$name.cfg" | tr '\n' ' ')" >> "$CMDS"
    # 1,000 idle workers: a descriptor each, and the bench's own sockets.
    ( ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$ZTASKD" -c "$WORK/$name.cfg" -f ) >> "$WORK/$name.log" 2>&1 &
    LAST_PID=$!
    LAST_EP=
    if wait_count "$WORK/$name.log" 'listening on tcp' $((${before:-0} + 1)) 20; then
        LAST_EP=$(grep -o 'listening on tcp://[0-9.:]*' "$WORK/$name.log" | tail -1 | sed 's/listening on //')
        sed -i "s|^endpoint = .*|endpoint = \"$LAST_EP\";|" "$WORK/$name.cfg"
        return 0
    fi
    fail "ztaskd ($name) did not start:"; tail -20 "$WORK/$name.log" >&2
    stop_pid "$LAST_PID"
    return 1
}

# start_broker NAME SYNC [STORE]: ztaskd on a free loopback port with a
# new store of its own (an SQLite file) or STORE (a PostgreSQL database);
# sets BROKER_PID and EP. 1 if it did not start.
start_broker () {
    local name=$1 sync=$2 store=${3:-}
    if [ -z "$store" ]; then store=$WORK/$name.db; rm -f "$store"*; fi
    rm -f "$WORK/$name.log"
    cat > "$WORK/$name.cfg" <<CFG
endpoint = "tcp://127.0.0.1:![20000-32000]";
store = "$store";
sync = "$sync";
${BROKER_EXTRA_CFG:-}
CFG
    restart_broker "$name"
}

# restart_broker NAME: the broker NAME again, with its store as it is.
restart_broker () {
    BROKER_PID= EP=
    start_ztaskd "$1" || return 1
    BROKER_PID=$LAST_PID EP=$LAST_EP
}

# pool_broker NAME STORE SYNC: a broker of an active/standby pool on STORE
# (a PostgreSQL database), lease LEASE_MS; pool_broker NAME: NAME again.
# Sets POOL_PID[NAME] and POOL_EP[NAME]; 1 if it did not start.
pool_broker () {
    local name=$1
    if [ $# -gt 1 ]; then
        rm -f "$WORK/$name.log"
        cat > "$WORK/$name.cfg" <<CFG
endpoint = "tcp://127.0.0.1:![20000-32000]";
store = "$2";
sync = "$3";
name = "$name";
lease_ms = $LEASE_MS;
CFG
    fi
    start_ztaskd "$name" || return 1
    POOL_PID[$name]=$LAST_PID POOL_EP[$name]=$LAST_EP
}

# pool_pair A B STORE SYNC: A leads the pool on STORE, B stands by.
pool_pair () {
    pool_broker "$1" "$3" "$4" || return 1
    wait_count "$WORK/$1.log" "broker: $1 leads" 1 60 || { fail "ztaskd $1 did not lead"; stop_pool; return 1; }
    pool_broker "$2" "$3" "$4" || { stop_pool; return 1; }
    wait_count "$WORK/$2.log" "broker: $2 stands by" 1 60 || { fail "ztaskd $2 did not stand by"; stop_pool; return 1; }
}

# pg_db NAME: a new database on the bench's PostgreSQL server; sets
# PG_STORE (its conninfo). 1 if it could not be made.
pg_db () {
    PG_STORE="host=127.0.0.1 port=$PG_PORT user=ztask dbname=$1"
    "$pg_bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U ztask "$1" >/dev/null 2>&1 || { fail "createdb $1"; return 1; }
}

pg_dropdb () {
    "$pg_bin/dropdb" -h 127.0.0.1 -p "$PG_PORT" -U ztask "$1" >/dev/null 2>&1 || true
}

# pg_query DB SQL: one value.
pg_query () {
    "$pg_bin/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U ztask -d "$1" -c "$2" 2>/dev/null
}

# start_workers COUNT PRIORITIES: ztask-worker processes of 1 slot serving noop.
start_workers () {
    local count=$1 priorities=$2 i name
    for ((i = 1; i <= count; i++)); do
        name=w$((${#WORKER_PIDS[@]} + 1))
        cat > "$WORK/$name.cfg" <<CFG
broker = "$EP";
name = "$name";
slots = 1;
priorities = $priorities;
plugin_dir = "$PLUGIN_DIR";
plugins = ( { name = "noop"; } );
CFG
        echo "$ZWORKER -c $WORK/$name.cfg -f" >> "$CMDS"
        "$ZWORKER" -c "$WORK/$name.cfg" -f >> "$WORK/$name.log" 2>&1 &
        WORKER_PIDS+=($!)
    done
}

# run REP ARGS...: one ztask-bench run against the current broker; keeps its RESULT line.
run () {
    local rep=$1 out rc=0
    shift
    if [ -z "$BROKER_PID" ] || ! alive "$BROKER_PID"; then fail "no broker for: ztask-bench $*"; return 0; fi
    echo "$ZBENCH -e $EP -b $BROKER_PID -r $rep -T $LIMIT $*" >> "$CMDS"
    out=$(timeout -k 10 $((LIMIT + 60)) "$ZBENCH" -e "$EP" -b "$BROKER_PID" -r "$rep" -T "$LIMIT" "$@" \
          2> >(tee -a "$WORK/bench.log" >&2)) || rc=$?
    printf '%s\n' "$out" | grep '^RESULT ' >> "$RAW" || true
    printf '%s\n' "$out" | grep '^RESULT ' | sed 's/^/  /' >&2 || true
    [ "$rc" -eq 0 ] || fail "ztask-bench $* (exit $rc$([ "$rc" -eq 124 ] && echo ': time limit'))"
}

# The PostgreSQL server of the PostgreSQL rows.
if [ "$PG" != 0 ] && (want pg || want failover || want batch); then
    if ! pg_have; then
        if [ "${CI:-}" = true ]; then
            fail "PostgreSQL's server binaries are missing (CI=true): apt-get install postgresql"
        else
            echo "== PostgreSQL rows: skipped (no PostgreSQL server binaries: apt-get install postgresql)" >&2
        fi
    else
        PG_WORK=$(mktemp -d "${TMPDIR:-/tmp}/ztask-bench-pg.XXXXXX")
        if pg_server_start "$PG_WORK"; then
            PG_READY=1
            echo "# PostgreSQL: $pg_bin, port $PG_PORT, data $PG_WORK/data, stock settings (fsync on)" >> "$CMDS"
        else
            fail "PostgreSQL did not start:"; tail -20 "$PG_WORK/initdb.log" "$PG_WORK/server.log" >&2 2>/dev/null
        fi
    fi
fi

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr)"
    echo "store: $(df -hT "$WORK" | awk 'NR == 2 {print $2 " on " $1}') ($WORK)"
    echo "ztask: $(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo unknown), libzmq $(pkg-config --modversion libzmq 2>/dev/null), czmq $(pkg-config --modversion libczmq 2>/dev/null), sqlite $(pkg-config --modversion sqlite3 2>/dev/null)"
    [ "$PG_READY" = 1 ] && echo "postgresql: $("$pg_bin/postgres" --version | sed 's/^postgres //'), stock settings (fsync on, synchronous_commit per ztask's sync), data on $(df -hT "$PG_WORK" | awk 'NR == 2 {print $2 " on " $1}')"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "REPS=$REPS N=$N N_LAT=$N_LAT B1_N=$B1_N CHAIN_N=$CHAIN_N BATCH_N=$BATCH_N SCALE_N=$SCALE_N IDLE_WORKERS=$IDLE_WORKERS IDLE_SECONDS=$IDLE_SECONDS WORKERS=$WORKERS WINDOW=$WINDOW PAYLOAD=$PAYLOAD LIMIT=$LIMIT QUICK=$QUICK"
    echo "ROWS=$ROWS"
    echo "PG=$PG PG_READY=$PG_READY PG_SYNCS=$PG_SYNCS LEASE_MS=$LEASE_MS KILLS=$KILLS KILL_EVERY=$KILL_EVERY FAILOVER_QUEUE=$FAILOVER_QUEUE"
    [ "$QUICK" = 1 ] && echo "QUICK=1: tiny sizes, proves the benchmark works; never judge speed by it"
} > "$RESULTS/environment.txt"
cat "$RESULTS/environment.txt" >&2

common=(-c "$WINDOW" -s "$PAYLOAD")
for rep in $(seq "$REPS"); do
    echo "== ztask, repetition $rep of $REPS" >&2

    # W1, W2 (sync=normal), W3: 4 workers, then 1.
    if (want W1 || want W2 || want W3) && start_broker normal normal; then
        start_workers "$WORKERS" '"all"'
        want W1 && run "$rep" -m rt -n "$N" -k "$WORKERS" "${common[@]}"
        want W2 && run "$rep" -m submit -n "$N" -k "$WORKERS" "${common[@]}"
        stop_workers 1
        want W3 && run "$rep" -m lat -n "$N_LAT" -k 1 -s "$PAYLOAD"
        want W3 && run "$rep" -m lat -A -W W3-lib -n "$N_LAT" -k 1 -s "$PAYLOAD"
        stop_broker
    fi

    # W2 with sync=full.
    if want W2 && start_broker full full; then
        start_workers "$WORKERS" '"all"'
        run "$rep" -m submit -S ztask-full -n "$N" -k "$WORKERS" "${common[@]}"
        stop_broker
    fi

    # B1: the burst into a broker with no worker (sync=full); recovery:
    # the broker killed and started again with them all queued; then the
    # drain.
    if want B1 && start_broker burst full; then
        run "$rep" -m burst -S ztask-full -n "$B1_N" -C "$B1_CLIENTS" -k 0 "${common[@]}"
        kill -KILL "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null || true
        t0=$(date +%s%6N)
        if restart_broker burst; then
            run "$rep" -m ready -S ztask-full -n "$B1_N" -t "$t0"
            if want drain; then
                t0=$(date +%s%6N)
                start_workers "$WORKERS" '"all"'
                run "$rep" -m drain -S ztask-full -n "$B1_N" -t "$t0"
            fi
            stop_broker
        fi
    fi

    # D1: D1_N delayed tasks (sync=full), all due at one instant; the
    # workers run every D1_EVERY-th (the rest are of a type no worker has):
    # memory per scheduled task, and their lateness when all fall due.
    if want delayed && start_broker delayed full; then
        start_workers "$WORKERS" '"all"'
        run "$rep" -m delayed -S ztask-full -n "$D1_N" -C "$B1_CLIENTS" -D "$D1_DUE_MS" -E "$D1_EVERY" \
            -k "$WORKERS" "${common[@]}"
        stop_broker
    fi

    # chain: CHAIN_N noop tasks, each after the one before, submitted
    # one after another through libztask by one client, run by one worker
    # of 1 slot (sync=normal), against the same tasks without parents;
    # then both again with the type paused while they are submitted.
    if want chain && start_broker chain normal; then
        start_workers 1 '"all"'
        run "$rep" -m chain -n "$CHAIN_N" -k 1 -s "$PAYLOAD"
        stop_broker
    fi

    # batch: one batch of BATCH_N tasks of a type no worker has, then one
    # with a then task, through libztask, into a broker with no worker
    # (sync=full, as B1): the time from the call to its answer.
    if want batch && BROKER_EXTRA_CFG=$BATCH_CFG start_broker batch full; then
        run "$rep" -m batch -S ztask-full -n "$BATCH_N" -k 0 -s "$PAYLOAD"
        stop_broker
    fi

    # Scale: dispatch with 10, then SCALE_N, tasks queued at priority 0 that
    # the workers (priorities 1-9) never take.
    if want scale && start_broker scale normal; then
        start_workers "$WORKERS" '"1-9"'
        queued=0
        for k in 10 "$SCALE_N"; do
            run "$rep" -m burst -W "scale-fill-q$k" -p 0 -n $((k - queued)) -C "$B1_CLIENTS" -k "$WORKERS" "${common[@]}"
            queued=$k
            run "$rep" -m rt -W "scale-W1-q$k" -n "$N" -k "$WORKERS" "${common[@]}"
            run "$rep" -m lat -W "scale-W3-q$k" -n "$N_LAT" -k "$WORKERS" -s "$PAYLOAD"
        done
        stop_broker
    fi

    # scale-sigs: W1 through the broker with every task carrying one of S
    # requirement signatures (memory_mb>=K, K = 1..S: every worker meets
    # it), SCALE_N tasks queued at priority 0 over the same S, which the
    # workers (1-9) never take. S = 1 and S = SIGS on two brokers, each
    # filled once with 4 workers of its own; then SIGS_ALT pairs of W1 runs,
    # one on each, back to back, so that machine noise hits both alike; the
    # ratio of each pair is a RESULT line of its own.
    if want scale-sigs; then
        sigs_ok=1
        for s in 1 "$SIGS"; do
            if start_broker "sigs-$s" normal; then
                POOL_PID[sigs-$s]=$BROKER_PID POOL_EP[sigs-$s]=$EP
                start_workers "$WORKERS" '"1-9"'
                run "$rep" -m burst -W "scale-sigs-fill-$s" -p 0 -R "$s" -n "$SCALE_N" -C "$B1_CLIENTS" -k "$WORKERS" "${common[@]}"
            else
                sigs_ok=0
            fi
        done
        for ((alt = 1; sigs_ok && alt <= SIGS_ALT; alt++)); do
            declare -A sigs_line=()
            for s in 1 "$SIGS"; do
                BROKER_PID=${POOL_PID[sigs-$s]} EP=${POOL_EP[sigs-$s]}
                run "$rep" -m rt -W "scale-sigs-W1-$s" -R "$s" -n "$N" -k "$WORKERS" "${common[@]}"
                sigs_line[$s]=$(tail -1 "$RAW" | grep " workload=scale-sigs-W1-$s " || true)
            done
            if [ -n "${sigs_line[1]}" ] && [ -n "${sigs_line[$SIGS]}" ]; then
                result=$(awk -v a="${sigs_line[1]}" -v b="${sigs_line[$SIGS]}" -v q="$SCALE_N" -v rep="$rep" -v alt="$alt" -v k="$SIGS" '
                    function val(line, key,    n, f, i) { n = split(line, f, " "); for (i = 1; i <= n; i++) if (index(f[i], key "=") == 1) return substr(f[i], length(key) + 2); return "" }
                    BEGIN {
                        cpu = val(a, "cpu_us_per_task") + 0 > 0 && val(b, "cpu_us_per_task") != "" ? sprintf(" cpu_ratio=%.3f", val(b, "cpu_us_per_task") / val(a, "cpu_us_per_task")) : ""
                        printf "RESULT system=ztask workload=scale-sigs-x1-%s rep=%s n=%s pair=%s queued=%s errors=0 ratio=%.3f%s\n", \
                            k, rep, val(b, "n"), alt, q, val(a, "rate") / val(b, "rate"), cpu
                    }')
                echo "$result" >> "$RAW"; echo "  $result" >&2
            fi
        done
        stop_pool
    fi

    # dispatch-sigs: the scheduler alone (no broker, no sockets): a
    # dispatch with SIGS_QUEUED tasks queued over 1 signature, SIGS of
    # them, and SIGS of which each worker can run a tenth.
    if want dispatch-sigs; then
        sigs_cmd=("$top_builddir/bench/dispatch_sigs" --queued "$SIGS_QUEUED" --sigs "$SIGS"
                  --dispatches "$SIGS_DISPATCHES" --reps "$SIGS_REPS" --rep "$rep")
        echo "${sigs_cmd[*]}" >> "$CMDS"
        rc=0
        out=$(timeout -k 10 "$LIMIT" "${sigs_cmd[@]}" 2> >(tee -a "$WORK/bench.log" >&2)) || rc=$?
        printf '%s\n' "$out" | grep '^RESULT ' >> "$RAW" || true
        printf '%s\n' "$out" | grep '^RESULT ' | sed 's/^/  /' >&2 || true
        [ "$rc" -eq 0 ] || fail "bench/dispatch_sigs (exit $rc$([ "$rc" -eq 124 ] && echo ': time limit'))"
    fi

    # W1 with the operator's view open: the broker's HTTP endpoint on, a
    # scraper at 10 Hz and the dashboard's polling; then the cost of a
    # metrics snapshot with B1_N tasks queued (no worker takes them).
    if want http && BROKER_EXTRA_CFG='http = { listen = "127.0.0.1:0"; };' start_broker http normal; then
        HTTP_PORT=
        if wait_count "$WORK/http.log" 'broker: http on' 1 20; then
            HTTP_PORT=$(grep -o 'broker: http on 127.0.0.1:[0-9]*' "$WORK/http.log" | tail -1 | sed 's/.*://')
        fi
        if [ -n "$HTTP_PORT" ]; then
            start_workers "$WORKERS" '"all"'
            run "$rep" -m rt -W W1-http -H "$HTTP_PORT" -n "$N" -k "$WORKERS" "${common[@]}"
            stop_workers
            run "$rep" -m burst -W "snapshot-fill-q$B1_N" -n "$B1_N" -C "$B1_CLIENTS" -k 0 "${common[@]}"
            run "$rep" -m scrape -W "metrics-snapshot-q$B1_N" -H "$HTTP_PORT" -n 20
        else
            fail "ztaskd (http) did not report its HTTP port"
        fi
        stop_broker
    fi

    # Idle workers: broker CPU with IDLE_WORKERS registered, heartbeating.
    if want idle && start_broker idle normal; then
        run "$rep" -m idle -M "$IDLE_WORKERS" -d "$IDLE_SECONDS" -k 0
        stop_broker
    fi

    [ "$PG_READY" = 1 ] && (want pg || want failover || want batch) || continue
    echo "== ztask on PostgreSQL, repetition $rep of $REPS" >&2

    # W2 on PostgreSQL, sync=normal, full and off.
    for sync in $PG_SYNCS; do
        want pg || continue
        system=ztask-pg; [ "$sync" != normal ] && system=ztask-pg-$sync
        if pg_db "w2_${sync}_$rep" && start_broker "pg-$sync" "$sync" "$PG_STORE"; then
            start_workers "$WORKERS" '"all"'
            run "$rep" -m submit -S "$system" -n "$N" -k "$WORKERS" "${common[@]}"
            stop_broker
        fi
        pg_dropdb "w2_${sync}_$rep"
    done

    # B1 on PostgreSQL (sync=full) into the leader of a pool; recovery: the
    # leader killed, the time from its lease's end until the standby serves
    # the queue (lease_wait_s: from the kill to the lease's end).
    if want pg && pg_db "burst_$rep" && pool_pair "ba$rep" "bb$rep" "$PG_STORE" full; then
        BROKER_PID=${POOL_PID[ba$rep]} EP=${POOL_EP[ba$rep]}
        run "$rep" -m burst -S ztask-pg-full -n "$B1_N" -C "$B1_CLIENTS" -k 0 "${common[@]}"
        term=$(grep -o "broker: ba$rep leads (term [0-9]*" "$WORK/ba$rep.log" | tail -1 | grep -o '[0-9]*$')
        t_kill=$(date +%s%6N)
        kill -KILL "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null || true
        expires=$(pg_query "burst_$rep" "SELECT (extract (epoch FROM expires) * 1000000)::bigint FROM ztask_leader WHERE term = $term")
        if [ -z "$expires" ]; then
            fail "recovery: the lease of term $term was gone when read (the standby took over before)"
        else
            BROKER_PID=${POOL_PID[bb$rep]} EP=${POOL_EP[bb$rep]}
            run "$rep" -m ready -S ztask-pg-full -n "$B1_N" -t "$expires" \
                -x "lease_wait_s=$(awk -v a="$t_kill" -v b="$expires" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')"
        fi
        stop_pool
    fi
    want pg && pg_dropdb "burst_$rep"

    # batch on PostgreSQL (sync=full), after B1 there (x B1 compares them).
    if want batch && pg_db "batch_$rep" && BROKER_EXTRA_CFG=$BATCH_CFG start_broker pg-batch full "$PG_STORE"; then
        run "$rep" -m batch -S ztask-pg-full -n "$BATCH_N" -k 0 -s "$PAYLOAD"
        stop_broker
    fi
    want batch && pg_dropdb "batch_$rep"

    # Failover: KILLS leader kills under W2's load on a pool of two.
    if want failover && pg_db "failover_$rep" && pool_pair "fa$rep" "fb$rep" "$PG_STORE" normal; then
        leader=fa$rep other=fb$rep
        EP="${POOL_EP[$leader]},${POOL_EP[$other]}"
        start_workers "$WORKERS" '"all"'
        out=$WORK/failover-$rep.out
        echo "$ZBENCH -m failover -e $EP -S ztask-pg -r $rep -c $WINDOW -s $PAYLOAD -q $FAILOVER_QUEUE -d 86400 -T $LIMIT" >> "$CMDS"
        "$ZBENCH" -m failover -e "$EP" -S ztask-pg -r "$rep" -c "$WINDOW" -s "$PAYLOAD" -q "$FAILOVER_QUEUE" \
            -d 86400 -T "$LIMIT" > "$out" 2>> "$WORK/bench.log" &
        load_pid=$!
        for k in $(seq "$KILLS"); do
            sleep "$KILL_EVERY"
            seen=$(grep -c '^TAKEOVER' "$out") || true
            t_kill=$(date +%s%6N)
            kill -KILL "${POOL_PID[$leader]}"; wait "${POOL_PID[$leader]}" 2>/dev/null || true
            if ! wait_count "$out" '^TAKEOVER' $((seen + 1)) 60; then
                fail "failover: kill $k of $KILLS: no broker took over within 60 s"
                break
            fi
            line=$(grep '^TAKEOVER' "$out" | sed -n "$((seen + 1))p")
            t_take=${line#*wall_us=}; t_take=${t_take%% *}
            [ "${line##*endpoint=}" = "${POOL_EP[$other]}" ] || fail "failover: kill $k: the takeover names ${line##*endpoint=}, not $other"
            result="RESULT system=ztask-pg workload=failover rep=$rep n=1 kill=$k lease_ms=$LEASE_MS errors=0"
            result="$result takeover_s=$(awk -v a="$t_kill" -v b="$t_take" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')"
            echo "$result" >> "$RAW"; echo "  $result" >&2
            # The killed broker again: it stands by.
            seen=$(grep -c "broker: $leader stands by" "$WORK/$leader.log") || true
            pool_broker "$leader" || break
            wait_count "$WORK/$leader.log" "broker: $leader stands by" $((seen + 1)) 60 \
                || { fail "failover: the restarted $leader did not stand by"; break; }
            t=$leader leader=$other other=$t
        done
        kill -TERM "$load_pid" 2>/dev/null || true
        wait "$load_pid" || fail "ztask-bench -m failover (exit $?)"
        grep '^RESULT ' "$out" >> "$RAW" || true
        grep '^RESULT ' "$out" | sed 's/^/  /' >&2 || true
        stop_pool
    fi
    want failover && pg_dropdb "failover_$rep"
done

# The peers and the scheduling workloads, by their own scripts (same knobs).
for script in bench_peers bench_s1 bench_s2; do
    path=$top_srcdir/scripts/$script.sh
    if [ "$script" = bench_peers ] && [ "$PEERS" = 0 ]; then echo "== $script: skipped (PEERS=0)" >&2; continue; fi
    if [ "$script" = bench_s1 ] && [ "$S1" = 0 ]; then echo "== $script: skipped (S1=0)" >&2; continue; fi
    if [ "$script" = bench_s2 ] && ! want S2; then echo "== $script: skipped (S2 not in ROWS)" >&2; continue; fi
    if [ ! -x "$path" ] || [ ! -s "$path" ]; then
        echo "== $script: scripts/$script.sh is missing or empty: skipped" >&2
        echo "# $script.sh missing or empty: skipped" >> "$CMDS"
        continue
    fi
    echo "== $script" >&2
    args=()
    [ "$script" = bench_s1 ] && read -r -a args <<< "$S1_ARGS"
    [ "$script" = bench_s2 ] && read -r -a args <<< "$S2_ARGS"
    echo "RESULTS=$RESULTS/$script $path ${args[*]}" >> "$CMDS"
    rc=0
    RESULTS=$RESULTS/$script S1_REPS=${S1_REPS:-$REPS} S2_REPS=${S2_REPS:-$REPS} top_srcdir=$top_srcdir top_builddir=$top_builddir \
        "$path" "${args[@]}" > "$RESULTS/$script.out" 2> >(tee "$RESULTS/$script.err" >&2) || rc=$?
    grep '^RESULT ' "$RESULTS/$script.out" >> "$RAW" || true
    grep -v '^RESULT ' "$RESULTS/$script.out" >&2 || true
    [ "$rc" -eq 0 ] || fail "scripts/$script.sh (exit $rc)"
done

echo >&2
print_table "$RAW" | tee "$RESULTS/table.txt"
echo "results: $RESULTS (raw.txt: RESULT lines; commands.txt; environment.txt; table.txt); failed runs: $FAILED" >&2
[ "$FAILED" -eq 0 ]
