#!/usr/bin/env python3
"""Write a synthetic classic pcap for benchmarks.

Ethernet / IPv4 / UDP or TCP frames between many 10.0.0.0/8 hosts (the
addresses only exist in the file; nothing is sent anywhere).  Half of the
payloads (by default) are random bytes, the others repetitive text, so the
file compresses roughly like real mixed traffic.  Timestamps advance at a
fixed rate from a given epoch.

  gen_imix.py -o FILE -n N [--size 64|imix|BYTES|MIN-MAX] [--rate PPS | --span S]
              [--start EPOCH] [--usec] [--random-frac F] [--seed S]
  gen_imix.py -o FILE --bytes 1.2G ...      choose N so the file is about that big
  gen_imix.py ... --rare-host 192.0.2.7 --rare-port 853 --rare-every 100 --rare-burst 2000
              runs of --rare-burst packets from the rare host (to a normal one), and
              runs to the rare TCP port, once every --rare-every runs each: what
              "the host in 1 % of the store" queries look for.  Normal traffic never
              uses either (hosts are 10/8; ports below 1024 only ever as the rare one)

Sizes are frame sizes on the wire without FCS (= captured length):
  64      every frame 64 bytes
  imix    classic simple IMIX, 7:4:1 of 64 / 576 / 1500 bytes (mean 354 B)
  N       every frame N bytes (60..9000)
  MIN-MAX uniform in [MIN, MAX]

Speed: the per-packet work is a table lookup, a struct pack and a slice of a
precomputed random pool; output is written in ~8 MiB chunks.  About 1 us
per packet on this machine (see bench/README.md).

Fidelity notes: IPv4 header checksums are correct; UDP checksums are 0 (allowed);
TCP checksums are 0 (wrong, but no reader checks them by default).  Headers
come from a table of 65536 precomputed (hosts, ports, protocol, size) entries
used in a shuffled but periodic order; random payload bytes come from a 64 MiB
pool read sequentially, so they never repeat within any zstd window.
"""

import argparse
import os
import random
import struct
import sys
import time

TABLE = 1 << 16           # precomputed header/choice entries (power of two)
POOL = 64 << 20           # random payload pool
CHUNK = 8 << 20           # bytes per write()

REPETITIVE = [
    b"GET /api/v1/items?page=1&limit=100 HTTP/1.1\r\nHost: service.internal\r\n"
    b"User-Agent: bench/1.0\r\nAccept: application/json\r\n\r\n",
    b"{\"ts\":1700000000,\"level\":\"info\",\"msg\":\"request served\",\"status\":200,"
    b"\"bytes\":512,\"path\":\"/index.html\"}\n",
    bytes(range(256)),
    b"\x00" * 64 + b"\xff" * 64,
    b"the quick brown fox jumps over the lazy dog 0123456789 ",
    b"AAAABBBBCCCCDDDD",
]


def parse_bytes(s):
    mult = 1
    s = s.strip()
    suf = s[-1:].upper()
    if suf in "KMGT":
        mult = 1000 ** ("KMGT".index(suf) + 1)
        s = s[:-1]
    return int(float(s) * mult)


def parse_size(s):
    """Returns (sizes, weights) of the frame size distribution."""
    if s == "imix":
        return [64, 576, 1500], [7, 4, 1]
    if s == "64":
        return [64], [1]
    if "-" in s:
        lo, hi = (int(x) for x in s.split("-", 1))
        if not 60 <= lo <= hi <= 9000:
            raise ValueError("size range must be within 60..9000")
        return list(range(lo, hi + 1)), None
    n = int(s)
    if not 60 <= n <= 9000:
        raise ValueError("size must be within 60..9000")
    return [n], [1]


def ip_checksum(hdr):
    if len(hdr) % 2:
        hdr += b"\0"
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def build_headers(frame, rnd, hosts, src_ip=None, dport_fix=None):
    """Ethernet + IPv4 + UDP/TCP headers for a frame of `frame` bytes.
    Returns (header bytes, payload length)."""
    src, dst = hosts[rnd.randrange(len(hosts))]
    if src_ip is not None:
        src = src_ip
    tcp = rnd.random() < 0.5 or dport_fix is not None
    l4len = 20 if tcp else 8
    plen = frame - 14 - 20 - l4len
    if plen < 0:  # tiny frame: fall back to UDP
        tcp, l4len = False, 8
        plen = frame - 42
    smac = b"\x02\x00" + src
    dmac = b"\x02\x00" + dst
    eth = dmac + smac + b"\x08\x00"
    totlen = 20 + l4len + plen
    ipid = rnd.randrange(65536)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, totlen, ipid, 0x4000, 64,
                     6 if tcp else 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
    sport = rnd.randrange(1024, 65536)
    dport = rnd.choice((80, 443, 8080, 9000, 5201, rnd.randrange(10000, 65536)))
    if dport_fix is not None:
        dport = dport_fix
    if tcp:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, rnd.getrandbits(32),
                         rnd.getrandbits(32), 5 << 4, 0x18, 65535, 0, 0)
    else:
        l4 = struct.pack("!HHHH", sport, dport, 8 + plen, 0)
    return eth + ip + l4, plen


def make_hosts(rnd, n):
    hosts = []
    for _ in range(n):
        a = bytes((10, rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255)))
        b = bytes((10, rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255)))
        hosts.append((a, b))
    return hosts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", required=True, help="pcap to write ('-' = stdout)")
    ap.add_argument("-n", "--packets", type=int, help="number of packets")
    ap.add_argument("--bytes", help="target file size (e.g. 1.2G) when -n is not given")
    ap.add_argument("--size", default="imix", help="64 | imix | N | MIN-MAX (default imix)")
    ap.add_argument("--rate", type=float, default=1e6, help="packets per second (default 1e6)")
    ap.add_argument("--span", type=float, help="seconds from first to last packet (sets --rate)")
    ap.add_argument("--start", default="1700000000",
                    help="epoch seconds of the first packet, up to 9 fraction digits")
    ap.add_argument("--usec", action="store_true", help="microsecond pcap (default: nanosecond magic)")
    ap.add_argument("--random-frac", type=float, default=0.5,
                    help="fraction of packets with random payload (default 0.5)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rare-host", help="IPv4 address in runs of --rare-burst packets")
    ap.add_argument("--rare-port", type=int, help="TCP port (< 1024) in runs of --rare-burst packets")
    ap.add_argument("--rare-every", type=int, default=100, help="one rare run every N runs")
    ap.add_argument("--rare-burst", type=int, default=2000, help="packets per run")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args()

    sizes, weights = parse_size(a.size)
    rnd = random.Random(a.seed)
    mean = (sum(s * w for s, w in zip(sizes, weights)) / sum(weights)) if weights \
        else sum(sizes) / len(sizes)
    if a.packets is None:
        if not a.bytes:
            ap.error("give -n or --bytes")
        a.packets = max(1, int((parse_bytes(a.bytes) - 24) / (mean + 16)))
    n = a.packets
    if a.span is not None:
        a.rate = (n - 1) / a.span if n > 1 else 1.0
    if a.rate <= 0:
        ap.error("rate must be > 0")

    # start time as integer ns, exact for up to 9 fraction digits
    sec, _, frac = a.start.partition(".")
    start_ns = int(sec) * 1_000_000_000 + int((frac + "000000000")[:9] or 0)
    spacing = 1e9 / a.rate

    t0 = time.monotonic()
    hosts = make_hosts(rnd, 4096)
    pool = memoryview(os.urandom(POOL))
    rep = [(p * (9000 // len(p) + 2))[:9000] for p in REPETITIVE]

    # Table of per-packet choices: (prefix bytes, random payload length).
    # Repetitive entries carry the whole frame in prefix (plen 0).
    table = []
    cum = None
    if weights:
        cum = []
        acc = 0
        for w in weights:
            acc += w
            cum.append(acc)
    for i in range(TABLE):
        if weights:
            r = rnd.randrange(cum[-1])
            frame = sizes[next(k for k, c in enumerate(cum) if r < c)]
        else:
            frame = rnd.choice(sizes)
        hdr, plen = build_headers(frame, rnd, hosts)
        if rnd.random() < a.random_frac:
            table.append((hdr, plen, frame))
        else:
            p = rep[rnd.randrange(len(rep))]
            off = rnd.randrange(64)
            table.append((hdr + p[off:off + plen], 0, frame))
    mask = TABLE - 1

    def rare_table(**kw):
        t = []
        for _ in range(256):
            frame = sizes[0] if not weights else sizes[min(range(len(sizes)), key=lambda k: -weights[k])]
            hdr, plen = build_headers(frame, rnd, hosts, **kw)
            t.append((hdr, plen, frame))
        return t
    rare = {}
    if a.rare_host:
        rare[0] = rare_table(src_ip=bytes(int(x) for x in a.rare_host.split(".")))
    if a.rare_port is not None:
        if not 0 < a.rare_port < 1024:
            ap.error("--rare-port must be below 1024 (normal traffic never uses those)")
        rare[a.rare_every // 2] = rare_table(dport_fix=a.rare_port)

    out = sys.stdout.buffer if a.output == "-" else open(a.output, "wb", buffering=0)
    magic = 0xA1B2C3D4 if a.usec else 0xA1B23C4D
    out.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 262144, 1))
    div = 1000 if a.usec else 1
    rec = struct.Struct("<IIII").pack
    total = 24
    poff = 0
    parts = []
    pending = 0
    i = 0
    while i < n:
        e = table[i & mask]
        if rare:
            rt = rare.get((i // a.rare_burst) % a.rare_every)
            if rt is not None:
                e = rt[i & 255]
        t = start_ns + int(i * spacing)
        s, ns = divmod(t, 1_000_000_000)
        fl = e[2]
        parts.append(rec(s, ns // div, fl, fl))
        parts.append(e[0])
        pl = e[1]
        if pl:
            if poff + pl > POOL:
                poff = 0
            parts.append(pool[poff:poff + pl])
            poff += pl
        pending += 16 + fl
        i += 1
        if pending >= CHUNK:
            out.write(b"".join(parts))
            total += pending
            parts = []
            pending = 0
    if parts:
        out.write(b"".join(parts))
        total += pending
    if out is not sys.stdout.buffer:
        out.close()
    else:
        out.flush()
    dt = time.monotonic() - t0
    if not a.quiet:
        last_ns = start_ns + int((n - 1) * spacing)
        print("gen_imix: %d packets, %d bytes (mean frame %.1f B), ts %d.%09d .. %d.%09d, "
              "%.0f pps, %.2f s (%.0f MB/s)"
              % (n, total, (total - 24 - 16 * n) / n, start_ns // 10**9, start_ns % 10**9,
                 last_ns // 10**9, last_ns % 10**9, a.rate, dt, total / dt / 1e6),
              file=sys.stderr)


if __name__ == "__main__":
    main()
