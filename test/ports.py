#!/usr/bin/env python3
"""ports.py - choose free TCP ports on the loopback and hold them.

Usage: ports.py N PORT-FILE [--watch PID]

Chooses N distinct ports, at random below the kernel's ephemeral range
when there is room (so no outgoing connection of the run can be holding
one when a responder binds it later), binds each on 127.0.0.1 (and on ::1
when the host has IPv6) WITHOUT SO_REUSEADDR, so a port anything else has
bound, even a TIME_WAIT connection, is skipped. Then it sets SO_REUSEADDR
on its sockets, writes the ports to PORT-FILE (one line, atomically) and
sleeps, holding them, until it is killed or PID (--watch) is gone.

A held port is a reservation the kernel enforces:
  - every bind without SO_REUSEADDR fails on it: the same chooser in any
    other test run on the machine (they all probe that way) never picks
    it, whether or not our server is listening at that moment;
  - a server that sets SO_REUSEADDR (Pebble, pebble-challtestsrv,
    Python's http.server, acme's own responders) binds and listens on it
    as if it were free: Linux lets SO_REUSEADDR sockets share a port as
    long as at most one listens;
  - nothing listens on it while no server does: a connection is refused.
So nothing can take a port between its choice and its (repeated) use.
"""
import os
import random
import socket
import sys
import time


def loopbacks():
    out = [(socket.AF_INET, "127.0.0.1")]
    try:
        s = socket.socket(socket.AF_INET6)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind(("::1", 0))
        s.close()
        out.append((socket.AF_INET6, "::1"))
    except OSError:
        pass
    return out


def hold(port, addrs):
    """Sockets bound to port on every address, or None."""
    socks = []
    for fam, host in addrs:
        s = socket.socket(fam)
        try:
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((host, port))
        except OSError:
            s.close()
            for t in socks:
                t.close()
            return None
        socks.append(s)
    return socks


def main():
    n, port_file = int(sys.argv[1]), sys.argv[2]
    watch = int(sys.argv[4]) if sys.argv[3:4] == ["--watch"] else 0
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    pool = list(range(10000, low)) if low > 12000 else []
    random.shuffle(pool)
    addrs = loopbacks()
    held, ports = [], []
    for p in pool:
        if len(ports) == n:
            break
        socks = hold(p, addrs)
        if socks:
            held += socks
            ports.append(p)
    while len(ports) < n:	# no room below the range: any free port
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        socks = [s] + (hold(p, addrs[1:]) or [])
        held += socks
        ports.append(p)
    for s in held:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(" ".join(str(p) for p in ports) + "\n")
    os.rename(tmp, port_file)
    while watch == 0 or os.path.exists("/proc/%d" % watch):
        time.sleep(1)


if __name__ == "__main__":
    main()
