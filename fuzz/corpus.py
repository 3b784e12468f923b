#!/usr/bin/env python3
"""Regenerate the seed corpora of the fuzz targets (fuzz/corpus/NAME/).

  fuzz/corpus.py [--captured build/captured] [NAME...]

Seeds are small (< 64 KiB) and named after what they hold.  Files named
regress-* are regression inputs of fixed bugs: never touched here.  The
store-file seeds (capfile, and the summaries in flowsum) are made by
CAPTURED -r from pcaps of tests/gen_pcap.py, then varied here (time
record added, torn copies); the others are built from scratch.
"""

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
MAX_SEED = 64 * 1024

SKIP = 0x184D2A5C
REC_PAYLOAD = 104
REC_SIZE = 8 + REC_PAYLOAD


def crc(b):
    return zlib.crc32(b) & 0xffffffff


class Corpus:
    def __init__(self, name):
        self.dir = os.path.join(CORPUS, name)
        os.makedirs(self.dir, exist_ok=True)
        for f in os.listdir(self.dir):
            if not f.startswith("regress-"):
                os.unlink(os.path.join(self.dir, f))

    def add(self, name, data):
        if isinstance(data, str):
            data = data.encode()
        if len(data) > MAX_SEED:
            data = data[:MAX_SEED]
        with open(os.path.join(self.dir, name), "wb") as f:
            f.write(data)


# ---- store files ----

def le32(b, o):
    return struct.unpack_from("<I", b, o)[0]


def fix_record(p):
    """A 104-byte record payload with its CRC recomputed."""
    p = bytearray(p)
    struct.pack_into("<I", p, 100, crc(bytes(p[:100])))
    return bytes(p)


def time_record(text):
    t = text.encode()
    body = b"CPTI" + struct.pack("<HHI", 1, 0, len(t)) + t
    body += struct.pack("<I", crc(body))
    return struct.pack("<II", SKIP, len(body)) + body


def zst_add_time(data, text):
    """A closed .pcapng.zst with a time record inserted after R0: every
    later offset moves, in the records and in the seek table."""
    tr = time_record(text)
    r0 = data.find(struct.pack("<II", SKIP, REC_PAYLOAD) + b"CPIX")
    assert r0 > 0
    out = bytearray(data[:r0 + REC_SIZE]) + tr
    off = r0 + REC_SIZE
    shift = len(tr)
    while off < len(data):
        magic, payload = struct.unpack_from("<II", data, off)
        assert magic & 0xFFFFFFF0 == 0x184D2A50
        body = bytearray(data[off + 8:off + 8 + payload])
        if body[:4] == b"CPIX":
            o, = struct.unpack_from("<Q", body, 16)
            struct.pack_into("<Q", body, 16, o + shift)
            csize = le32(body, 24)
            out += data[off:off + 8] + fix_record(body)
            out += data[off + 8 + payload:off + 8 + payload + csize]
            off += 8 + payload + csize
            continue
        if body[:4] == b"CPST":
            n = le32(body, 8)
            for i in range(1, n):
                e = bytearray(body[16 + i * 104:16 + (i + 1) * 104])
                o, = struct.unpack_from("<Q", e, 16)
                struct.pack_into("<Q", e, 16, o + shift)
                body[16 + i * 104:16 + (i + 1) * 104] = fix_record(e)
            bl = 16 + n * 104
            struct.pack_into("<I", body, bl + 4, crc(bytes(body[:bl])))
        out += data[off:off + 8] + body
        off += 8 + payload
    return bytes(out)


def plain_add_time(idx, text):
    """A sidecar with a time record after R0 (no offsets change)."""
    return idx[:REC_SIZE] + time_record(text) + idx[REC_SIZE:]


def plain_seed(data, idx):
    return struct.pack("<I", len(data)) + data + idx


def flow_summaries(data):
    """The summaries inside the flow records (CPFL) of a file."""
    out, i = [], 0
    while True:
        i = data.find(b"CPFL", i)
        if i < 8:
            return out
        if le32(data, i - 8) == SKIP:
            n = le32(data, i + 4)
            out.append(data[i + 8:i + 8 + n])
        i += 4


def store_files(captured, tmp):
    """{name: (kind, bytes...)} of store files made by captured -r."""
    gen = [sys.executable, os.path.join(ROOT, "tests", "gen_pcap.py")]
    pcaps = {
        "eth": ["-n", "40", "--seed", "3", "--max-size", "200"],
        "vlan": ["-n", "30", "--seed", "4", "--vlan", "0.3", "--qinq", "0.2",
                 "--max-size", "160", "--ipv6", "0.4", "--arp", "0.1"],
        "raw": ["-n", "20", "--seed", "5", "--link", "101", "--max-size", "120"],
        "snap": ["-n", "30", "--seed", "6", "--snaplen", "64", "--nsec"],
        "one": ["-n", "1", "--seed", "7", "--max-size", "80"],
    }
    runs = {
        "zst": ["--frame-size", "4K"],
        "zst-l0": ["--frame-size", "4K", "--level", "0"],
        "zst-l19": ["--frame-size", "4K", "--level", "19"],
        "zst-noflow": ["--frame-size", "4K", "--flow-index", "no"],
        "plain": ["--frame-size", "4K", "--compression", "none"],
        "plain-noflow": ["--frame-size", "4K", "--compression", "none", "--flow-index", "no"],
    }
    pick = [("eth", "zst"), ("eth", "zst-l0"), ("eth", "zst-noflow"), ("eth", "plain"),
            ("vlan", "zst"), ("vlan", "zst-l19"), ("vlan", "plain-noflow"),
            ("raw", "zst"), ("raw", "plain"), ("snap", "zst-l0"), ("one", "zst"),
            ("one", "plain")]
    out = {}
    for p, args in pcaps.items():
        subprocess.run(gen + ["-o", os.path.join(tmp, p + ".pcap")] + args, check=True)
    for p, r in pick:
        d = os.path.join(tmp, "%s-%s" % (p, r))
        subprocess.run([captured, "-r", os.path.join(tmp, p + ".pcap"), "--store", d]
                       + runs[r], check=True, stderr=subprocess.DEVNULL)
        names = sorted(f for f in os.listdir(d) if f.startswith("2"))
        base = [f for f in names if not f.endswith(".idx")][0]
        with open(os.path.join(d, base), "rb") as f:
            data = f.read()
        if base.endswith(".zst"):
            out["%s-%s" % (p, r)] = ("zst", data)
        else:
            with open(os.path.join(d, base + ".idx"), "rb") as f:
                out["%s-%s" % (p, r)] = ("plain", data, f.read())
    return out


TIMEINFO = ("timestamps=hardware\nclock_source=ptp4l\nstate=LOCKED\n"
            "grandmaster=001122.fffe.334455\ntimescale=PTP\nutc_offset=37\n")


def gen_capfile(files):
    c = Corpus("capfile")
    for name, f in files.items():
        if f[0] == "zst":
            data = f[1]
            c.add(name, data)
            if name in ("eth-zst", "vlan-zst", "one-zst", "eth-zst-l0"):
                c.add(name + "-time", zst_add_time(data, TIMEINFO))
            if name in ("eth-zst", "vlan-zst", "eth-zst-noflow"):
                # torn: inside the table, inside the last data frame, after R0
                c.add(name + "-torn-table", data[:len(data) - 40])
                c.add(name + "-torn-frame", data[:len(data) * 2 // 3])
                r0 = data.find(b"CPIX") - 8
                c.add(name + "-torn-header", data[:r0 + REC_SIZE])
        else:
            data, idx = f[1], f[2]
            c.add(name, plain_seed(data, idx))
            if name in ("eth-plain", "one-plain"):
                c.add(name + "-time", plain_seed(data, plain_add_time(idx, TIMEINFO)))
            if name == "eth-plain":
                c.add(name + "-torn-data", plain_seed(data[:len(data) // 2], idx))
                c.add(name + "-torn-idx", plain_seed(data, idx[:len(idx) - 30]))
    c.add("empty", b"")


# ---- pcapng ----

def opt(code, val):
    return struct.pack("<HH", code, len(val)) + val + b"\0" * (-len(val) % 4)


def block(btype, body):
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def shb_body(opts=b""):
    return struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + opts


def idb_body():
    return struct.pack("<HHI", 1, 0, 262144) + opt(2, b"eth1") + opt(3, b"mirror port") + \
        opt(9, b"\x09") + opt(11, b"\x00tcp port 80") + opt(12, b"Linux 6.1") + \
        opt(15, b"ixgbe") + opt(1, b"a comment") + opt(0, b"")


def epb_body(data=b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + b"E" * 20):
    return struct.pack("<IIIII", 0, 0x00060000, 0x12345678, len(data), len(data) + 4) + \
        data + b"\0" * (-len(data) % 4) + opt(2, struct.pack("<I", 1)) + \
        opt(6, struct.pack("<I", 3)) + opt(0, b"")


def isb_body():
    o = b"".join(opt(c, struct.pack("<Q", 1000 + c)) for c in range(2, 9))
    return struct.pack("<III", 0, 0x00060000, 0x1) + o + opt(1, b"stats") + opt(0, b"")


def gen_pcapng(files):
    c = Corpus("pcapng")
    shb = block(0x0A0D0D0A, shb_body(opt(2, b"x86_64") + opt(3, b"Linux") +
                                     opt(4, b"captured") + opt(0, b"")))
    idb = block(1, idb_body())
    c.add("blocks", b"\0" + shb + idb + block(6, epb_body()) + block(5, isb_body()))
    c.add("epb-empty", b"\0" + block(6, struct.pack("<IIIII", 0, 0, 0, 0, 0)))
    c.add("spb-other", b"\0" + block(3, struct.pack("<I", 60) + b"x" * 60) +
          block(0x80000001, b"vendor!!"))
    be = struct.pack(">II", 0x0A0D0D0A, 28) + struct.pack(">IHHq", 0x1A2B3C4D, 1, 0, -1) + \
        struct.pack(">I", 28)
    c.add("shb-bigendian", b"\0" + be)
    c.add("body-idb", b"\x04" + idb_body())
    c.add("body-epb", b"\x05" + epb_body())
    c.add("body-isb", b"\x06" + isb_body())
    c.add("body-shb", b"\x07" + shb_body(opt(1, b"comment") + opt(0, b"")))
    # the pcapng inside real store files (zstd -d drops the index frames),
    # cut at a block boundary
    for name in ("eth-zst", "vlan-zst"):
        if name not in files:
            continue
        raw = subprocess.run(["zstd", "-qdc"], input=files[name][1], check=True,
                             stdout=subprocess.PIPE).stdout
        off = 0
        while off + 8 <= len(raw) and off < 6000:
            off += le32(raw, off + 4)
        c.add("store-" + name, b"\0" + raw[:off])


# ---- config, control, status ----

def gen_config(captured):
    c = Corpus("config")
    with open(os.path.join(ROOT, "systemd", "captured.conf.example"), "rb") as f:
        c.add("example", f.read())
    if captured:
        c.add("print-config", subprocess.run([captured, "--print-config"], check=True,
                                             stdout=subprocess.PIPE).stdout)
    c.add("comments", "; comment\n# another\n[captured]\nlevel = 5 ; five\n"
          "store = /var/lib/captured\r\n\n  ; indented comment\nfilter = tcp port 80\n")
    c.add("bad-section", "[other]\nlevel = 3\n")
    c.add("indented", "level = 3\n  frame_size = 1M\n")
    for kv in ("level=adaptive", "frame_size=1MiB", "rotate_size=2GB", "rotate_time=90m",
               "retain_age=0", "control_mode=0660", "promisc=off", "queues=0,2-3",
               "filter=", "snaplen=65535", "ptp_poll=250ms", "clock_lock=500ns",
               "backend=afpacket", "level=-7", "retain_size=1P"):
        c.add("set-" + kv.split("=")[0] + "-" + kv.split("=")[1].replace("/", "_")[:12], kv)


def gen_control():
    c = Corpus("control")
    # byte 0: bit 0 half-close, bits 1-7 where the bytes are cut in two
    c.add("status", b"\x00status\n")
    c.add("status-crlf-cut", b"\x06status\r\n")
    c.add("rotate-halfclose", b"\x01rotate")
    c.add("nomem", b"\x01nomem\n")
    c.add("empty-reply", b"\x00empty\n")
    c.add("unknown", b"\x00what\ntrailing")
    c.add("nul", b"\x01sta\x00tus\n")
    c.add("long", b"\x00" + b"A" * 300 + b"\n")
    c.add("long-halfclose", b"\xc9" + b"B" * 255)
    c.add("edge-255", b"\x00" + b"C" * 255 + b"\n")


def gen_status():
    c = Corpus("status")
    q = {"queue": 0, "cpu": 2, "mode": "afpacket", "timestamps": "hardware",
         "packets": 123456, "bytes": 98765432, "pps": 1234.5, "bps": 9.87e6,
         "drops": {"kernel": 1, "bypass": 0, "writer": 2, "lost": 0},
         "ts_backwards": 0, "ts_hardware": 123456, "ts_software": 0,
         "stored": {"packets": 123450, "bytes": 98700000, "disk_bytes": 5e7, "files": 3,
                    "level": 3},
         "file": "/var/lib/captured/20261122T041610.000000000Z_eth1_q0.pcapng.zst.part",
         "running": True}
    st = {"version": "0.1", "pid": 4242, "uptime_s": 93784.5, "interface": "eth1",
          "backend": "afxdp",
          "store": {"path": "/var/lib/captured", "files": 12, "bytes": 1 << 33,
                    "retain_size": 1 << 40, "fs_free": 1 << 36, "fs_size": 1 << 38},
          "nic": {"packets": 1000, "missed": 1, "fifo": 0, "over": 0},
          "clock": {"source": "ptp4l", "timestamps": "hardware", "state": "holdover",
                    "bound_ns": 1500, "state_for_s": 75.2, "since_lock_s": 75.2,
                    "ptp4l": {"socket": "/var/run/ptp4l", "domain": 0, "reachable": False,
                              "last_answer_s": 3.5, "port_state": "SLAVE",
                              "master_offset_ns": -12, "path_delay_ns": 340,
                              "grandmaster": "001122.fffe.334455", "gm_clock_class": 6,
                              "gm_present": False, "timescale": "PTP", "utc_offset": 37,
                              "utc_offset_valid": False, "leap": "none"},
                    "system": {"synchronized": False, "esterror_us": 16}},
          "queues": [q, dict(q, queue=1, cpu=3, error="ring\tbroken")],
          "totals": {"packets": 2, "bytes": 3, "pps": 0.0, "bps": -5e20,
                     "drops": {"kernel": 1}, "stored": {"packets": 1}},
          "warnings": ["clock not locked", "\x1b[31mred\x1b[0m"]}
    c.add("human", b"\x00" + json.dumps(st, indent=1).encode() + b"\n")
    c.add("json", b"\x01" + json.dumps(st).encode() + b"\n")
    c.add("minimal", b"\x00{\"queues\": []}\n")
    c.add("types", b"\x00" + json.dumps({"queues": [1, None, {"drops": [], "pps": "x"}],
                                           "clock": [], "totals": 7, "uptime_s": 1e9,
                                           "store": {"retain_size": -1}}).encode())
    c.add("error", b"\x00error: busy\n")
    c.add("notjson", b"\x00{\"queues\": [\n")
    c.add("empty", b"\x00")


# ---- pmc, timearg ----

def pmc_msg(action, tlv_type, tlv_body, seq=1):
    tlv = struct.pack(">HH", tlv_type, len(tlv_body)) + tlv_body
    n = 48 + len(tlv)
    hdr = struct.pack(">BBHBBH", 0x0D, 2, n, 0, 0, 0) + b"\0" * 8 + b"\0" * 4 + \
        bytes.fromhex("001122fffe334455") + struct.pack(">HHBB", 1, seq, 4, 0x7f) + \
        b"\xff" * 10 + struct.pack(">BBBB", 0, 0, action, 0)
    return hdr + tlv


def gen_pmc():
    c = Corpus("pmc")
    mg = lambda mid, data: pmc_msg(2, 1, struct.pack(">H", mid) + data)
    c.add("get", pmc_msg(0, 1, struct.pack(">H", 0x2001)))
    c.add("current", mg(0x2001, struct.pack(">Hqq", 1, -12 << 16, 340 << 16)))
    c.add("parent", mg(0x2002, bytes.fromhex("001122fffe334455") + struct.pack(">HBBHiBBBHB", 1, 0, 0, 0xffff, 0x7fffffff, 128, 6, 0x21, 0x4e5d, 128) + bytes.fromhex("001122fffe334455")))
    c.add("tprop", mg(0x2003, struct.pack(">hBB", 37, 0x0c, 0x20)))
    c.add("port", mg(0x2004, bytes.fromhex("001122fffe334455") + struct.pack(">HBbqbBbBbB", 1, 9, 0, 340 << 16, 1, 3, 0, 1, 0, 2)))
    c.add("tstatus", mg(0xC000, struct.pack(">qqiiH", -12, 1700000000000000000, 0, 0, 0) + b"\0" * 12 + struct.pack(">I", 1) + bytes.fromhex("001122fffe334455")))
    c.add("pprops", mg(0xC004, bytes.fromhex("001122fffe334455") + struct.pack(">HBBB", 1, 9, 1, 4) + b"eth1"))
    c.add("subscribe", pmc_msg(1, 1, struct.pack(">HH", 0xC003, 60) + b"\x03" + b"\0" * 63))
    c.add("error", pmc_msg(2, 2, struct.pack(">HH", 2, 0xC000) + b"\0" * 4 + b"\x05hello\0"))
    m = bytearray(mg(0x2003, struct.pack(">hBB", 37, 0, 0)) + struct.pack(">HH", 3, 2) + b"xy")
    struct.pack_into(">H", m, 2, len(m))
    c.add("two-tlvs", bytes(m))


def gen_timearg():
    c = Corpus("timearg")
    for i, s in enumerate(["2026-11-22T04:16:10Z", "2026-11-22 04:16:10.5+02:00",
                           "2016-12-31T23:59:60.999999999Z", "1677-09-21T00:12:43.145224192Z",
                           "2262-04-11T23:47:16.854775807Z", "1700000000", "@1700000000.123456789",
                           "now", "-30s", "-1.5s", "-250ms", "now-30s", "now+5m", "now+1.000000001s",
                           "9223372036.854775807", "-9223372036854775807ns", "2026-02-29T00:00:00z",
                           "0000-01-01T00:00:00-23:59"]):
        c.add("t%02d" % i, s)


# ---- flowsum, prune ----

def eth(payload, etype, tags=()):
    h = bytes.fromhex("020000000001020000000002")
    for i, t in enumerate(tags):
        h += struct.pack(">HH", 0x88a8 if i + 1 < len(tags) else 0x8100, t)
    return h + struct.pack(">H", etype) + payload


def ipv4(src, dst, proto, l4, ihl=5, frag=0):
    a = bytes(int(x) for x in src.split(".")), bytes(int(x) for x in dst.split("."))
    return struct.pack(">BBHHHBBH", 0x40 | ihl, 0, ihl * 4 + len(l4), 1, frag, 64, proto, 0) + \
        a[0] + a[1] + b"\0" * (4 * (ihl - 5)) + l4


def ipv6(src, dst, nh, l4):
    import ipaddress
    return struct.pack(">IHBB", 0x60000000, len(l4), nh, 64) + \
        ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed + l4


def ports(s, d):
    return struct.pack(">HHHH", s, d, 8, 0)


def pcap_packets(path, n):
    with open(path, "rb") as f:
        b = f.read()
    out, off = [], 24
    while off + 16 <= len(b) and len(out) < n:
        cap = le32(b, off + 8)
        out.append(b[off + 16:off + 16 + cap])
        off += 16 + cap
    return out


def frame(packets, link=1):
    return bytes([link]) + b"".join(struct.pack("<H", len(p)) + p for p in packets)


def gen_flowsum(files, tmp):
    c = Corpus("flowsum")
    pk = {
        "tcp4": eth(ipv4("10.0.0.1", "192.0.2.7", 6, ports(1234, 80)), 0x0800),
        "udp4": eth(ipv4("172.16.5.4", "10.1.2.3", 17, ports(5353, 53)), 0x0800),
        "udp6": eth(ipv6("2001:db8::1", "2001:db8:0:1::53", 17, ports(4000, 53)), 0x86dd),
        "frag6": eth(ipv6("2001:db8::2", "fe80::1", 44, struct.pack(">BBHI", 6, 0, 0, 7) + ports(443, 80)), 0x86dd),
        "arp": eth(struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + b"\2" * 6 + bytes([10, 0, 0, 1]) + b"\0" * 6 + bytes([10, 0, 0, 254]), 0x0806),
        "vlan": eth(ipv4("10.9.8.7", "10.0.0.1", 6, ports(22, 80)), 0x0800, (100,)),
        "qinq": eth(ipv4("198.51.100.1", "192.0.2.7", 17, ports(123, 53)), 0x0800, (5, 200)),
        "gre": eth(ipv4("192.0.2.1", "192.0.2.2", 47, b"\0\0\x08\0"), 0x0800),
        "ihl6": eth(ipv4("10.4.4.4", "10.0.0.1", 6, ports(8080, 1050), ihl=6), 0x0800),
        "laterfrag": eth(ipv4("10.2.2.2", "10.3.3.3", 17, ports(53, 80), frag=0x10), 0x0800),
        "icmp6": eth(ipv6("fe80::2", "2001:db8::1", 58, b"\x87\0\0\0\0\0\0\0"), 0x86dd),
        "vlan0": eth(ipv6("2001:db8::1", "ff02::1", 0, b"\x11\0\0\0\0\0\0\0" + ports(546, 547)), 0x86dd, (0,)),
    }
    for k, p in pk.items():
        c.add("pkt-" + k, frame([p]))
        c.add("cut-" + k, frame([p[:len(p) - 6]]))
    c.add("pkt-all", frame(list(pk.values())))
    c.add("pkt-raw", frame([ipv4("10.0.0.1", "192.0.2.7", 6, ports(1, 80))], 0xf1))
    for name, args in (("mixed", []), ("tagged", ["--vlan", "0.4", "--qinq", "0.3", "--arp", "0.2"])):
        p = os.path.join(tmp, "fs-%s.pcap" % name)
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "gen_pcap.py"), "-o", p,
                        "-n", "24", "--seed", "11", "--max-size", "90", "--ipv6", "0.4"] + args,
                       check=True)
        c.add("gen-" + name, frame(pcap_packets(p, 24)))
    # summaries as the writer stores them
    i = 0
    for name, f in sorted(files.items()):
        for s in flow_summaries(f[-1] if f[0] == "plain" else f[1])[:2]:
            c.add("summary-%s-%d" % (name, i), s)
            i += 1


def gen_prune():
    c = Corpus("prune")
    for i, e in enumerate([
            "host 10.0.0.1", "src host 192.0.2.7 and dst port 80", "net 10.0.0.0/8",
            "net 10.1 or net 172.16", "net 192.168.0.0 mask 255.255.0.0",
            "host 2001:db8::1", "net 2001:db8::/32", "port 53 or 443", "portrange 1000-1100",
            "tcp and not port 22", "udp or icmp", "ip6 and udp", "arp or rarp",
            "vlan 100 and host 10.9.8.7", "vlan and vlan 200", "vlan and port 80",
            "ip proto 47", "ip6 proto 58", "proto 17", "not (host 10.0.0.1 or host 10.0.0.2)",
            "(tcp[13] & 2) != 0", "ether host 02:00:00:00:00:01", "host a.example",
            "mpls and host 10.0.0.1", "icmp6 and not ip6", "sctp", "igmp",
            "host 10.0.0.1 && !port 80 || vlan", "len > 100 and host 10.0.0.1",
            "dst net 192.0.2.0/24 and src portrange 1024-65535", "ip and ip6",
            "not vlan", "not not tcp", ""]):
        c.add("f%02d" % i, e)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--captured", default=os.path.join(ROOT, "build", "captured"))
    ap.add_argument("targets", nargs="*")
    a = ap.parse_args()
    want = set(a.targets) or {"capfile", "pcapng", "config", "control", "status", "pmc",
                              "timearg", "flowsum", "prune"}
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        if want & {"capfile", "pcapng", "flowsum"}:
            files = store_files(a.captured, tmp)
        if "capfile" in want:
            gen_capfile(files)
        if "pcapng" in want:
            gen_pcapng(files)
        if "config" in want:
            gen_config(a.captured)
        if "control" in want:
            gen_control()
        if "status" in want:
            gen_status()
        if "pmc" in want:
            gen_pmc()
        if "timearg" in want:
            gen_timearg()
        if "flowsum" in want:
            gen_flowsum(files, tmp)
        if "prune" in want:
            gen_prune()


if __name__ == "__main__":
    main()
