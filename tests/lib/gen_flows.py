#!/usr/bin/env python3
"""Flow-shaped traffic and random filters over it, for the frame pruning
tests (tests/sys/t_prune_equal.sh).

  gen_flows.py pcap -o OUT [-n COUNT] [--seed S]
      Ethernet, nanosecond pcap: a few sessions at a time, each a burst of
      packets between two of many hosts (IPv4 and IPv6, TCP, UDP, SCTP,
      ICMP, ICMPv6, GRE), some under one VLAN tag or two (802.1Q, 802.1ad,
      0x9100), plus ARP and LLDP.  Sessions, not single packets, share the
      capture, as in real traffic, so that a store frame holds few hosts.
      The host RARE (10.99.99.99) is in about 1 % of the packets, in a
      handful of sessions.
  gen_flows.py filters [-n COUNT] [--seed S]
      COUNT random pcap-filter expressions over the same hosts, ports, VLAN
      IDs and protocols, combined with and/or/not and parentheses, with
      pcap-filter's abbreviations ("host a or b"), one per line.
"""

import argparse
import random
import struct
import sys

RARE = "10.99.99.99"
VIDS = [10, 20, 30, 100, 200, 300, 1000, 4000]
OUTER = [5, 6, 7]
PORTS = [22, 53, 80, 123, 443, 514, 993, 3306, 5060, 8080]


def v4(i):
    nets = [(10, 1), (10, 2), (10, 3), (172, 16), (192, 168)]
    a, b = nets[i % len(nets)]
    return "%d.%d.%d.%d" % (a, b, (i // 5) % 40, 1 + (i // 200) % 250)


def v6(i):
    pre = ["2001:db8:0:", "2001:db8:1:", "fd00:0:0:"][i % 3]
    return "%s%x::%x" % (pre, (i // 3) % 16, 1 + i)


NV4, NV6 = 2000, 400


def b4(s):
    return bytes(int(x) for x in s.split("."))


def b6(s):
    import socket
    return socket.inet_pton(socket.AF_INET6, s)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


class Session:
    def __init__(self, rng, rare=False):
        self.left = max(2, int(rng.expovariate(1 / 60.0)))
        self.v6 = not rare and rng.random() < 0.3
        if self.v6:
            self.a, self.b = v6(rng.randrange(NV6)), v6(rng.randrange(NV6))
        else:
            self.a, self.b = v4(rng.randrange(NV4)), v4(rng.randrange(NV4))
            if rare:
                self.a = RARE
        r = rng.random()
        self.proto = 6 if r < 0.6 else 17 if r < 0.85 else 132 if r < 0.88 else \
            (58 if self.v6 else 1) if r < 0.96 else 47
        self.sport = rng.randrange(1024, 65536)
        self.dport = rng.choice(PORTS) if rng.random() < 0.8 else rng.randrange(1, 65536)
        r = rng.random()
        if r < 0.65 or rare:
            self.tags = []
        elif r < 0.9:
            self.tags = [(rng.choice([0x8100, 0x8100, 0x9100]), rng.choice(VIDS))]
        else:
            self.tags = [(0x88a8, rng.choice(OUTER)), (0x8100, rng.choice(VIDS))]
        self.v6ext = self.v6 and rng.random() < 0.1
        self.mac = bytes([2, 0, 0, rng.randrange(256), rng.randrange(256), rng.randrange(256)])

    def packet(self, rng):
        fwd = rng.random() < 0.5
        src, dst = (self.a, self.b) if fwd else (self.b, self.a)
        sp, dp = (self.sport, self.dport) if fwd else (self.dport, self.sport)
        pay = rng.randbytes(rng.randrange(0, 200))
        if self.proto in (6, 17, 132):
            l4 = struct.pack(">HH", sp, dp) + bytes(16) + pay
        elif self.proto in (1, 58):
            l4 = struct.pack(">BBHI", 8 if fwd else 0, 0, 0, rng.randrange(1 << 32)) + pay
        else:
            l4 = struct.pack(">HH", 0, 0x0800) + pay
        if self.v6:
            nh = self.proto
            if self.v6ext:
                l4 = struct.pack(">BB6s", nh, 0, bytes(6)) + l4
                nh = 0
            ip = struct.pack(">IHBB16s16s", 0x60000000, len(l4), nh, 64, b6(src), b6(dst)) + l4
            et = 0x86dd
        else:
            h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), rng.randrange(65536),
                            0x4000, 64, self.proto, 0, b4(src), b4(dst))
            h = h[:10] + struct.pack(">H", csum(h)) + h[12:]
            ip = h + l4
            et = 0x0800
        return eth(self.mac, self.tags, et) + ip


def eth(mac, tags, et):
    h = b"\x02\x00\x00\x00\x00\x01" + mac
    for tpid, vid in tags:
        h += struct.pack(">HH", tpid, vid)
    return h + struct.pack(">H", et)


def arp(rng):
    spa, tpa = v4(rng.randrange(NV4)), v4(rng.randrange(NV4))
    body = struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, b"\x02" * 6, b4(spa), bytes(6),
                       b4(tpa))
    tags = [(0x8100, rng.choice(VIDS))] if rng.random() < 0.2 else []
    return eth(b"\x02\x00\x00\x00\x00\x02", tags, 0x0806) + body + bytes(18)


def gen_pcap(a):
    rng = random.Random(a.seed)
    out = open(a.output, "wb")
    out.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 262144, 1))
    active = [Session(rng) for _ in range(3)]
    # where the rare host's sessions start: a handful, ~1 % of the packets
    rare_at = set(rng.sample(range(a.count), max(1, a.count // 6000)))
    ts = 1700000000 * 10**9
    for i in range(a.count):
        ts += rng.randrange(1000, 200000)
        if i in rare_at:
            s = Session(rng, rare=True)
            s.left = a.count // 100 // max(1, len(rare_at))
            active.append(s)
        r = rng.random()
        if r < 0.02:
            pkt = arp(rng)
        elif r < 0.025:
            pkt = eth(b"\x02\x00\x00\x00\x00\x03", [], 0x88cc) + bytes(rng.randrange(40, 80))
        else:
            k = rng.randrange(len(active))
            s = active[k]
            pkt = s.packet(rng)
            s.left -= 1
            if s.left <= 0:
                active[k] = Session(rng)
                if len(active) > 3:
                    active.pop(k)
        out.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(pkt), len(pkt)) + pkt)
    out.close()


def gen_filters(a):
    rng = random.Random(a.seed)

    def host4():
        return RARE if rng.random() < 0.1 else v4(rng.randrange(NV4))

    def host():
        r = rng.random()
        if r < 0.1:
            return RARE
        if r < 0.75:
            return v4(rng.randrange(NV4))
        return v6(rng.randrange(NV6))

    def net():
        r = rng.random()
        if r < 0.7:
            return rng.choice(["10.1", "10.2.0.0/16", "172.16", "192.168.3.0/24", "10.3.7",
                               "10.99", "10.1.2.0 mask 255.255.255.0", "10.0.0.0/8"])
        return rng.choice(["2001:db8::/32", "2001:db8:1::/48", "fd00::/16",
                           "2001:db8:0:3::/64"])

    def prim():
        r = rng.random()
        if r < 0.3:
            fam6 = rng.random() < 0.25
            px = rng.choice(["", "", "ip6 " if fam6 else "ip "])
            s = "%s%shost %s" % (px, rng.choice(["", "", "src ", "dst "]),
                                 v6(rng.randrange(NV6)) if fam6 else host4())
            for _ in range(rng.choice([0, 0, 1, 2])):
                s += " %s%s%s" % (rng.choice(["or ", "or ", "and "]), rng.choice(["", "not "]),
                                  (v6(rng.randrange(NV6)) if fam6 else host4()) if px
                                  else host())
            return s
        if r < 0.4:
            return "net " + net()
        if r < 0.6:
            s = "%s%sport %d" % (rng.choice(["", "tcp ", "udp "]), rng.choice(["", "dst "]),
                                 rng.choice(PORTS))
            if rng.random() < 0.3:
                s += " or %d" % rng.choice(PORTS)
            return s
        if r < 0.65:
            lo = rng.choice([1, 20, 80, 1000, 5000])
            return "portrange %d-%d" % (lo, lo + rng.choice([3, 50, 1000]))
        if r < 0.78:
            return rng.choice(["tcp", "udp", "icmp", "icmp6", "sctp", "ip6", "arp", "ip",
                               "proto 47", "ip proto \\udp", "ip6 proto 58"])
        if r < 0.9:
            v = rng.choice(VIDS + OUTER)
            return rng.choice(["vlan %d" % v, "vlan", "vlan %d and vlan" % v])
        return rng.choice(["greater 200", "less 100", "tcp[13] & 2 != 0", "ether broadcast",
                           "ip[8] = 64"])

    def expr(d):
        r = rng.random()
        if d == 0 or r < 0.35:
            return prim()
        if r < 0.75:
            return (" %s " % rng.choice(["and", "or", "and", "&&", "||"])).join(
                expr(d - 1) for _ in range(rng.choice([2, 2, 3])))
        if r < 0.85:
            return "not " + expr(d - 1)
        return "(" + expr(d - 1) + ")"

    for _ in range(a.count):
        print(expr(rng.choice([1, 2, 3])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["pcap", "filters"])
    ap.add_argument("-o", "--output")
    ap.add_argument("-n", "--count", type=int, default=60000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.what == "pcap":
        if not a.output:
            ap.error("pcap needs -o")
        gen_pcap(a)
    else:
        gen_filters(a)


if __name__ == "__main__":
    sys.exit(main())
