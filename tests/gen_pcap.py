#!/usr/bin/env python3
"""Generate classic pcap files of synthetic traffic for the system tests.

The traffic is reproducible (--seed) and varied enough for BPF filters to
select subsets: Ethernet (optionally 802.1Q / QinQ tagged, optionally jumbo)
or RAW IP, LINUX_SLL or NULL framing around IPv4/IPv6 TCP/UDP/ICMP between a
few dozen hosts in several networks, plus some ARP on Ethernet.

Timestamps start at --start and advance by random gaps whose mean makes the
capture last --span seconds; --dup-ts makes a packet reuse the previous
timestamp and --nonmono makes it jump back.  --snaplen truncates packets
(caplen < origlen).  --nsec writes the nanosecond magic (0xa1b23c4d) with
random nanosecond parts, otherwise microsecond magic with microsecond times.

Examples:
  gen_pcap.py -o a.pcap -n 10000 --seed 1
  gen_pcap.py -o v.pcap -n 5000 --vlan 0.3 --qinq 0.1 --jumbo 0.05 --nsec
  gen_pcap.py -o r.pcap -n 5000 --link 101 --snaplen 96 --dup-ts 0.2 --nonmono 0.05
"""

import argparse
import random
import struct
import sys

LINK_ETH, LINK_NULL, LINK_RAW, LINK_SLL = 1, 0, 101, 113
LINKS = {"1": LINK_ETH, "en10mb": LINK_ETH, "ether": LINK_ETH,
         "0": LINK_NULL, "null": LINK_NULL,
         "101": LINK_RAW, "raw": LINK_RAW,
         "113": LINK_SLL, "sll": LINK_SLL, "linux_sll": LINK_SLL}

# Hosts: several networks so that "net" filters pick subsets.
V4_NETS = [(10, 1), (10, 2), (172, 16), (192, 168)]
V6_PREFIXES = [bytes.fromhex("20010db8000000000000000000000000"),
               bytes.fromhex("20010db8000100000000000000000000"),
               bytes.fromhex("fd000000000000000000000000000000")]
PORTS = [22, 53, 80, 123, 443, 514, 5000, 8080]
VLAN_IDS = [10, 20, 100, 4000]


def make_hosts(rng, count):
    v4, v6 = [], []
    for i in range(count):
        a, b = V4_NETS[i % len(V4_NETS)]
        v4.append(bytes([a, b, (i // len(V4_NETS)) % 4, 1 + i % 200]))
        p = V6_PREFIXES[i % len(V6_PREFIXES)]
        v6.append(p[:14] + struct.pack(">H", 1 + i))
    macs = [bytes([0x02, 0, 0, 0, i >> 8 & 0xff, i & 0xff]) for i in range(count)]
    return v4, v6, macs


_V4 = struct.Struct(">BBHHHBBH4s4s")
_V4H = struct.Struct(">10H")


def ipv4(src, dst, proto, payload_len, ident):
    v = (0x45, 0, (20 + payload_len) & 0xffff, ident & 0xffff, 0x4000, 64, proto, 0, src, dst)
    s = sum(_V4H.unpack(_V4.pack(*v)))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return _V4.pack(*v[:7], ~s & 0xffff, src, dst)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", required=True, help="output file ('-' = stdout)")
    ap.add_argument("-n", "--count", type=int, default=1000, help="packets (default 1000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--link", default="1", help="1|en10mb, 101|raw, 113|sll, 0|null")
    ap.add_argument("--nsec", action="store_true", help="nanosecond pcap magic")
    ap.add_argument("--big-endian", action="store_true", help="write a big-endian file")
    ap.add_argument("--start", default="1700000000", help="epoch seconds (may have a fraction) the capture starts at; the first packet comes one random gap later")
    ap.add_argument("--span", type=float, default=10.0, help="seconds the capture lasts")
    ap.add_argument("--min-size", type=int, default=60)
    ap.add_argument("--max-size", type=int, default=1514)
    ap.add_argument("--snaplen", type=int, default=0, help="truncate to this (0: none)")
    ap.add_argument("--vlan", type=float, default=0.0, help="fraction with one 802.1Q tag")
    ap.add_argument("--qinq", type=float, default=0.0, help="fraction with two tags (0x88a8+0x8100)")
    ap.add_argument("--jumbo", type=float, default=0.0, help="fraction of jumbo frames (to 9000 B)")
    ap.add_argument("--ipv6", type=float, default=0.3, help="fraction of IPv6")
    ap.add_argument("--arp", type=float, default=0.02, help="fraction of ARP (Ethernet only)")
    ap.add_argument("--dup-ts", type=float, default=0.0, help="fraction reusing the previous timestamp")
    ap.add_argument("--nonmono", type=float, default=0.0, help="fraction jumping back in time")
    ap.add_argument("--hosts", type=int, default=48)
    ap.add_argument("--pool", type=int, default=65536,
                    help="payload bytes are slices of a random pool of this size "
                         "(default 64 KiB: compresses about 3:1); 0: fresh random bytes "
                         "for every packet (incompressible)")
    a = ap.parse_args(argv)

    link = LINKS.get(str(a.link).lower())
    if link is None:
        ap.error("unknown link type %r" % a.link)
    if a.min_size > a.max_size or a.min_size < 1:
        ap.error("bad size range")
    rng = random.Random(a.seed)
    v4, v6, macs = make_hosts(rng, max(2, a.hosts))
    pool_size = max(a.pool, 16384)
    pool = rng.getrandbits(8 * pool_size).to_bytes(pool_size, "little")
    fresh = a.pool == 0

    e = ">" if a.big_endian else "<"
    magic = 0xa1b23c4d if a.nsec else 0xa1b2c3d4
    snaplen = a.snaplen if a.snaplen > 0 else 262144
    rec = struct.Struct(e + "IIII").pack
    outf = sys.stdout.buffer if a.output == "-" else open(a.output, "wb")
    outf.write(struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, link))

    if "." in a.start:
        s, f = a.start.split(".", 1)
        ts = int(s) * 10**9 + int((f + "000000000")[:9])
    else:
        ts = int(a.start) * 10**9
    mean_gap = max(1, int(a.span * 1e9 / max(1, a.count)))
    unit = 1 if a.nsec else 1000
    ts -= ts % unit
    last = ts

    rnd = rng.random
    bits = rng.getrandbits
    nh = len(v4)
    npool = len(pool) - 9000 if len(pool) > 9000 else 1
    pack = struct.pack
    tcp_hdr = struct.Struct(">HHIIBBHHH").pack
    udp_hdr = struct.Struct(">HHHH").pack
    icmp_hdr = struct.Struct(">BBHHH").pack
    v6_hdr = struct.Struct(">IHBB16s16s").pack
    eth_null4 = pack(e + "I", 2)
    eth_null6 = pack(e + "I", 30)
    nports, nvlan = len(PORTS), len(VLAN_IDS)
    p_dup, p_back = a.dup_ts, a.dup_ts + a.nonmono
    p_qinq, p_vlan = a.qinq, a.qinq + a.vlan
    smin, sspan = a.min_size, a.max_size - a.min_size + 1
    gap2 = 2 * mean_gap
    ident = 0
    chunk = []
    for i in range(a.count):
        # ---- timestamp
        r = rnd()
        if i > 0 and r < p_dup:
            t = last
        elif i > 0 and r < p_back:
            t = last - 1 - int(rnd() * 3 * mean_gap)
            if t < 0:
                t = 0
        else:
            ts += 1 + int(rnd() * gap2)
            t = ts
        if unit != 1:
            t -= t % unit
        last = t

        # ---- size, hosts, link header
        if link == LINK_ETH and a.jumbo and rnd() < a.jumbo:
            size = 1515 + int(rnd() * 7486)
        else:
            size = smin + int(rnd() * sspan)
        is6 = rnd() < a.ipv6
        arp = link == LINK_ETH and rnd() < a.arp
        h1 = int(rnd() * nh)
        h2 = (h1 + 1 + int(rnd() * (nh - 1))) % nh
        if link == LINK_ETH:
            et = 0x0806 if arp else (0x86dd if is6 else 0x0800)
            r = rnd()
            if r < p_qinq:
                hdr = macs[h2] + macs[h1] + pack(">HHHHH", 0x88a8, VLAN_IDS[int(rnd() * nvlan)],
                                                 0x8100, VLAN_IDS[int(rnd() * nvlan)] + 1, et)
            elif r < p_vlan:
                hdr = macs[h2] + macs[h1] + pack(">HHH", 0x8100, (int(rnd() * 8) << 13)
                                                 | VLAN_IDS[int(rnd() * nvlan)], et)
            else:
                hdr = macs[h2] + macs[h1] + pack(">H", et)
        elif link == LINK_SLL:
            hdr = pack(">HHH8sH", 4 if rnd() < 0.5 else 0, 1, 6, macs[h1] + b"\0\0",
                       0x86dd if is6 else 0x0800)
        elif link == LINK_NULL:
            hdr = eth_null6 if is6 else eth_null4
        else:
            hdr = b""

        if arp:
            body = hdr + pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, macs[h1], v4[h1],
                              b"\0" * 6, v4[h2])
        else:
            r = rnd()
            left = size - len(hdr) - (40 if is6 else 20)
            if r < 0.5:
                sp = PORTS[int(rnd() * nports)] if rnd() < 0.5 else 1024 + int(rnd() * 64512)
                dp = PORTS[int(rnd() * nports)]
                if rnd() < 0.5:
                    sp, dp = dp, sp
                proto = 6
                l4h = tcp_hdr(sp, dp, bits(32), bits(32), 0x50, 0x18, 65535, 0, 0)
            elif r < 0.75:
                sp = 1024 + int(rnd() * 64512)
                dp = PORTS[int(rnd() * nports)]
                if rnd() < 0.5:
                    sp, dp = dp, sp
                proto = 17
                l4h = udp_hdr(sp, dp, max(8, left) & 0xffff, 0)
            else:
                proto = 58 if is6 else 1
                l4h = icmp_hdr(128 if is6 else 8, 0, 0, bits(16), bits(16))
            pay = left - len(l4h)
            if pay < 0:
                pay = 0
            if is6:
                l3 = v6_hdr(0x60000000, (len(l4h) + pay) & 0xffff, proto, 64, v6[h1], v6[h2])
            else:
                ident += 1
                l3 = ipv4(v4[h1], v4[h2], proto, len(l4h) + pay, ident)
            body = hdr + l3 + l4h
        n = size - len(body)
        if n > 0:
            if fresh:
                body += bits(8 * n).to_bytes(n, "little")
            else:
                off = int(rnd() * npool)
                body += pool[off:off + n]
        origlen = len(body)
        sec, frac = divmod(t, 1000000000)
        if origlen > snaplen:
            chunk.append(rec(sec, frac // unit, snaplen, origlen))
            chunk.append(body[:snaplen])
        else:
            chunk.append(rec(sec, frac // unit, origlen, origlen))
            chunk.append(body)
        if len(chunk) >= 8192:
            outf.write(b"".join(chunk))
            chunk = []
    outf.write(b"".join(chunk))
    outf.flush()
    if outf is not sys.stdout.buffer:
        outf.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
