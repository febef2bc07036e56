#!/usr/bin/env python3
"""Redis operations a sipcast cluster costs (README "Cluster", "Scale").

Three nodes on one redis-server, all on 127.0.0.1: first idle for
--idle seconds (the heartbeats alone), then --calls outgoing calls
started through node a (spread by max-calls), each answered by sipp,
published to nginx-rtmp, found once through node b, ended through node c.
Redis's own INFO commandstats counts every command, those run inside
our Lua scripts included; the idle rate is subtracted from the calls'
window.  Prints one JSON object.

    python3 tests/bench/cluster-redis-ops.py --calls 20
"""

import argparse
import http.client
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import harness  # noqa: E402
from harness import LOOPBACK, wait_for  # noqa: E402
from test_cluster import Redis  # noqa: E402


def commandstats(redis):
    text = redis.command("INFO", "commandstats")
    stats = {}
    for line in text.splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[8:].split(":", 1)
            fields = dict(kv.split("=") for kv in rest.split(","))
            stats[name] = int(fields["calls"])
    return stats


def diff(after, before):
    return {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0)}


def metrics_text(node):
    conn = http.client.HTTPConnection(LOOPBACK, node.rest_port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def node(node_id, redis, max_calls):
    config = ("[rtp]\ntimeout=0\n[cluster]\nredis-url=redis://%s:%d\nnode-id=%s\n"
              "heartbeat-ttl=10\nmax-calls=%d\n" % (LOOPBACK, redis.port, node_id, max_calls))
    return harness.Sipcast((), config)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--idle", type=float, default=20)
    args = parser.parse_args()

    redis = Redis()
    nginx = harness.Nginx()
    per_node = (args.calls + 2) // 3
    nodes = {n: node(n, redis, per_node) for n in "abc"}
    try:
        wait_for(lambda: len(nodes["a"].rest("/node/find_all", {})[1]) == 3, 10)
        time.sleep(2)
        before = commandstats(redis)
        time.sleep(args.idle)
        idle = diff(commandstats(redis), before)
        idle_rate = sum(idle.values()) / args.idle

        sipp = harness.Sipp("uas-answer-pcma.xml", calls=args.calls, timeout=300)
        ids = ["ops-%d" % i for i in range(args.calls)]
        phases = {}

        def phase(name, action, done):
            """Commands of action() until done(), the heartbeats taken out;
            done() reads /metrics, which does not touch Redis."""
            before = commandstats(redis)
            start = time.monotonic()
            action()
            wait_for(done, 60, interval=0.2)
            elapsed = time.monotonic() - start
            window = diff(commandstats(redis), before)
            window["info"] = window.get("info", 1) - 1
            phases[name] = {"seconds": round(elapsed, 1), "commands": window,
                            "per_call": round((sum(window.values()) - idle_rate * elapsed)
                                              / args.calls, 1)}

        def metric(name):
            total = 0
            for n in nodes.values():
                text = metrics_text(n)
                total += sum(float(line.split()[-1]) for line in text.splitlines()
                             if line.startswith(name))
            return total

        def start_all():
            for call_id in ids:
                status, answer, _ = nodes["a"].rest("/call/startup", {
                    "callId": call_id, "callee": "1000", "sipDomain": LOOPBACK,
                    "sipPort": str(sipp.port), "hasVideo": "false",
                    "rtmpUrl": nginx.url, "rtmpStream": call_id})
                assert status == 200, (status, answer)

        phase("start until RTMP active (startup through a)", start_all,
              lambda: metric('sipcast_rtmp_streams{status="RTMP_STREAM_ACTIVE"}') == args.calls)
        status, calls, _ = nodes["b"].rest("/call/find_all", {})
        spread = {n: len([c for c in calls if c["nodeId"] == n]) for n in "abc"}
        phase("find by callId through b", lambda: [
            nodes["b"].rest("/call/find", {"callId": i}) for i in ids], lambda: True)
        phase("find_all through b, once per call", lambda: [
            nodes["b"].rest("/call/find_all", {}) for i in ids], lambda: True)
        phase("terminate through c until FINISH", lambda: [
            nodes["c"].rest("/call/terminate", {"callId": i}) for i in ids],
            lambda: metric('sipcast_calls_ended_total{status="FINISH"') == args.calls)
        # an ended call's object, as stored (taken after every phase)
        object_bytes = redis.command("STRLEN", "sipcast:call:" + ids[0])
        print(json.dumps({
            "call_object_bytes": object_bytes,
            "nodes": 3, "calls": args.calls, "spread": spread,
            "idle_seconds": args.idle, "idle_commands": idle,
            "idle_commands_per_second_cluster": round(idle_rate, 2),
            "idle_commands_per_second_per_node": round(idle_rate / 3, 2),
            "phases": phases,
        }, indent=1))
    finally:
        for n in nodes.values():
            n.close()
        nginx.close()
        redis.stop()


if __name__ == "__main__":
    main()
