#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer targets in tests/fuzz/ from the reference captures.

    python3 tests/fuzz/make-seeds.py        (from anywhere; paths are relative to this file)

corpus/ipv4_tcp/     IPv4 packets: one per distinct shape in tests/fixtures/linux-tcp/*.pcap (the bulk
                     transfer's thousand data segments count once), some with their offload-pending TCP
                     checksum completed, plus hand-built SACK, IP-options, fragment, URG and bad-option cases.
corpus/tcp_options/  TCP options areas: the layouts Linux sends, and hand-built SACK, padding and malformed ones.
corpus/icmp/         ICMP messages (echo, port unreachable and fragmentation-needed quoting fixture packets,
                     time exceeded), and Ethernet frames: IPv4+ICMP, ARP request and reply, a fixture TCP frame.
corpus/fragments/    sequences of IPv4 fragments in fuzz_fragments.cpp's 7-byte form (hand-built: no fixture).

Files are named by the SHA-1 of their contents, as libFuzzer names the inputs it keeps. Each run replaces the
three directories' contents, so the output depends only on the captures and this script.
"""

import hashlib
import pathlib
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures" / "linux-tcp"
CORPUS = HERE / "corpus"

LINKTYPE_ETHERNET = 1
ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
PROTO_ICMP, PROTO_TCP, PROTO_UDP = 1, 6, 17
TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK, TCP_URG, TCP_ECE, TCP_CWR = 1, 2, 4, 8, 16, 32, 64, 128


# --- pcap ------------------------------------------------------------------------------------------------------

def read_pcap(path):
    """The captured bytes of each packet of a pcap file (not pcapng) with Ethernet link type."""
    data = path.read_bytes()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        sys.exit(f"{path}: not a pcap file")
    _, _, _, _, _, linktype = struct.unpack(endian + "HHiIII", data[4:24])
    if linktype != LINKTYPE_ETHERNET:
        sys.exit(f"{path}: link type {linktype}, expected Ethernet")
    offset = 24
    frames = []
    while offset + 16 <= len(data):
        _, _, captured, _ = struct.unpack(endian + "IIII", data[offset:offset + 16])
        offset += 16
        frames.append(data[offset:offset + captured])
        offset += captured
    return frames


# --- checksums and builders --------------------------------------------------------------------------------------

def checksum(data):
    """RFC 1071, as written into a header."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4(protocol, source, destination, payload, *, ident=0, flags_offset=0x4000, ttl=64, options=b""):
    """An IPv4 packet with a correct header checksum; source and destination as 4 bytes."""
    assert len(options) % 4 == 0
    ihl = 5 + len(options) // 4
    header = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), ident, flags_offset, ttl,
                         protocol, 0, source, destination) + options
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ip_fields(packet):
    """(header length, protocol, source, destination, payload) of an IPv4 packet, without link padding."""
    ihl = (packet[0] & 0x0F) * 4
    total = struct.unpack("!H", packet[2:4])[0]
    return ihl, packet[9], packet[12:16], packet[16:20], packet[ihl:total]


def tcp_checksum(source, destination, segment):
    """The checksum a TCP segment's field should hold (the field itself is taken as zero)."""
    pseudo = source + destination + struct.pack("!BBH", 0, PROTO_TCP, len(segment))
    return checksum(pseudo + segment[:16] + b"\0\0" + segment[18:])


def tcp(sport, dport, seq, ack, flags, window, options=b"", payload=b"", urgent=0):
    """A TCP segment with a zero checksum field: complete it with with_tcp_checksum()."""
    assert len(options) % 4 == 0
    offset = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags, window, 0, urgent) + options + payload


def with_tcp_checksum(packet):
    """The IPv4+TCP packet with its TCP checksum completed (captures of outgoing packets leave it pending)."""
    ihl, _, source, destination, segment = ip_fields(packet)
    field = struct.pack("!H", tcp_checksum(source, destination, segment))
    return packet[:ihl + 16] + field + packet[ihl + 18:]


def icmp(type_, code, rest, body):
    message = struct.pack("!BBHI", type_, code, 0, rest) + body
    return message[:2] + struct.pack("!H", checksum(message)) + message[4:]


def ethernet(destination, source, ethertype, payload, pad_to=60):
    frame = destination + source + struct.pack("!H", ethertype) + payload
    return frame + b"\0" * max(0, pad_to - len(frame))


def arp(operation, sender_mac, sender_ip, target_mac, target_ip):
    return struct.pack("!HHBBH6s4s6s4s", 1, ETHERTYPE_IPV4, 6, 4, operation, sender_mac, sender_ip, target_mac,
                       target_ip)


def tcp_options_of(packet):
    ihl, _, _, _, segment = ip_fields(packet)
    return segment[20:(segment[12] >> 4) * 4]


def option_layout(options):
    """The kinds and lengths of an options area, values left out: two SYNs with different timestamps agree."""
    layout, i = [], 0
    while i < len(options):
        kind = options[i]
        if kind in (0, 1) or i + 1 >= len(options):
            layout.append((kind,))
            i += 1
            continue
        layout.append((kind, options[i + 1]))
        i += max(options[i + 1], 2)
    return tuple(layout)


# --- the fixture packets -----------------------------------------------------------------------------------------

def fixture_frames():
    """(file name, frame) for every packet of every capture, bulk_transfer last."""
    paths = sorted(FIXTURES.glob("*.pcap"), key=lambda p: (p.name == "bulk_transfer.pcap", p.name))
    return [(path.name, frame) for path in paths for frame in read_pcap(path)]


def distinct_tcp_packets(frames):
    """The first IPv4+TCP packet of each shape: flags, option layout, direction, payload or not."""
    seen, packets = set(), []
    for _, frame in frames:
        if struct.unpack("!H", frame[12:14])[0] != ETHERTYPE_IPV4:
            continue
        packet = frame[14:]
        ihl, protocol, source, _, segment = ip_fields(packet)
        if protocol != PROTO_TCP:
            continue
        key = (segment[13], option_layout(tcp_options_of(packet)), source, len(segment) > (segment[12] >> 4) * 4,
               len(segment) >= 1000)
        if key not in seen:
            seen.add(key)
            packets.append(packet)
    return packets


# --- the three corpora -------------------------------------------------------------------------------------------

CLIENT, SERVER = bytes([10, 99, 0, 1]), bytes([10, 99, 0, 2])
ROUTER = bytes([10, 99, 0, 254])


def ipv4_tcp_seeds(frames, packets):
    seeds = list(packets)
    # The verify paths need segments whose checksum holds: complete it in a few of each kind.
    for flags in (TCP_SYN, TCP_SYN | TCP_ACK, TCP_FIN | TCP_ACK, TCP_RST | TCP_ACK):
        seeds.append(with_tcp_checksum(next(p for p in packets if ip_fields(p)[4][13] == flags)))
    seeds.append(with_tcp_checksum(next(p for p in packets if len(p) >= 1000)))

    ts = struct.pack("!BBBBII", 1, 1, 8, 10, 19939996, 3842442165)
    sack3 = struct.pack("!BBBB6I", 1, 1, 5, 26, 1000, 2448, 3896, 5344, 6792, 8240)
    seeds.append(with_tcp_checksum(ipv4(PROTO_TCP, SERVER, CLIENT, tcp(5555, 45672, 1, 4147429300, TCP_ACK, 1266,
                                                                       ts + sack3), ident=7)))
    # Every option Linux sends and a 2-block SACK in 40 bytes; and MSS, timestamps and a 3-block SACK packed
    # without NOPs, of which emit can hold only two blocks.
    full = struct.pack("!BBHBBBBIIBBBBBBB4I", 2, 4, 1460, 4, 2, 8, 10, 1, 2, 1, 3, 3, 7, 1, 5, 18, 10, 20, 30, 40)
    full += b"\0" * (40 - len(full))
    packed = struct.pack("!BBHBBIIBB6I", 2, 4, 1460, 8, 10, 1, 2, 5, 26, 10, 20, 30, 40, 50, 60)
    for options in (full, packed):
        seeds.append(with_tcp_checksum(ipv4(PROTO_TCP, CLIENT, SERVER, tcp(1, 2, 3, 4, TCP_ACK, 5, options))))
    # Unknown option (MPTCP, kind 30), a bad-length MSS and an EOL with padding after it.
    odd = bytes([30, 6, 0x10, 0x20, 0x30, 0x40, 2, 3, 5, 0, 9, 9])
    seeds.append(with_tcp_checksum(ipv4(PROTO_TCP, CLIENT, SERVER, tcp(42216, 5555, 9, 0, TCP_SYN, 64240, odd))))
    # URG, ECE and CWR with data.
    seeds.append(with_tcp_checksum(ipv4(PROTO_TCP, CLIENT, SERVER, tcp(42216, 5555, 100, 200, TCP_URG | TCP_ACK |
                                                                       TCP_PSH | TCP_ECE | TCP_CWR, 63, ts,
                                                                       b"urgent!", urgent=3))))
    # IP options (record route, 8 bytes with EOL), link padding after the total length, a fragment, ICMP, UDP.
    syn = next(p for p in packets if ip_fields(p)[4][13] == TCP_SYN)
    syn_segment = bytes(with_tcp_checksum(syn)[20:])
    seeds.append(ipv4(PROTO_TCP, CLIENT, SERVER, syn_segment, ident=1, options=bytes([7, 7, 4, 0, 0, 0, 0, 0])))
    seeds.append(ipv4(PROTO_TCP, CLIENT, SERVER, syn_segment, ident=2) + b"\0" * 6)
    seeds.append(ipv4(PROTO_TCP, CLIENT, SERVER, syn_segment[:24], ident=3, flags_offset=0x2000))
    seeds.append(ipv4(PROTO_TCP, CLIENT, SERVER, syn_segment[24:], ident=3, flags_offset=3))
    seeds.append(ipv4(PROTO_ICMP, CLIENT, SERVER, icmp(8, 0, 0x12340001, b"ping" * 8)))
    seeds.append(ipv4(PROTO_UDP, CLIENT, SERVER, struct.pack("!HHHH", 5353, 5353, 12, 0) + b"abcd"))
    return seeds


def tcp_options_seeds(packets):
    seeds, layouts = [], set()
    for options in (tcp_options_of(p) for p in packets):
        if options and option_layout(options) not in layouts:
            layouts.add(option_layout(options))
            seeds.append(options)
    blocks = [struct.pack("!II", 1000 + 3000 * i, 2448 + 3000 * i) for i in range(4)]
    ts = struct.pack("!BBBBII", 1, 1, 8, 10, 19939996, 3842442165)
    for n in (1, 3):
        seeds.append(ts + bytes([1, 1, 5, 2 + 8 * n]) + b"".join(blocks[:n]))
    seeds.append(bytes([1, 1, 5, 34]) + b"".join(blocks))                                 # four blocks, no TS
    seeds.append(struct.pack("!BBH", 2, 4, 536) + bytes([1, 3, 3, 14]))                  # MSS, wscale
    seeds.append(bytes([2, 4, 5, 0xB4, 0, 0, 0, 0]))                                     # EOL, padding
    seeds.append(bytes([4, 2, 8, 10]) + bytes(8) + bytes([1, 3, 3, 0, 30, 4, 1, 2]))     # unknown kind 30
    seeds.append(bytes([2, 3, 5, 3, 3, 8, 8, 4, 3, 0, 5, 10, 1, 2, 3, 4, 5, 6, 7, 8]))    # wrong lengths
    seeds.append(bytes([1, 1, 1, 2, 0]))                                                 # length 0
    seeds.append(bytes([1, 1, 8, 1]))                                                    # length 1
    seeds.append(bytes([1, 1, 8, 10, 0, 0, 0, 0]))                                       # past the end
    seeds.append(bytes([1, 1, 1, 8]))                                                    # kind, no length
    seeds.append(bytes([3, 3, 7, 3, 3, 9, 2, 4, 1, 0, 2, 4, 2, 0]))                      # duplicates
    return seeds


def icmp_seeds(frames, packets):
    client_mac, server_mac = frames[0][1][6:12], frames[0][1][0:6]
    syn = next(p for p in packets if ip_fields(p)[4][13] == TCP_SYN)
    data = next(p for p in packets if len(p) >= 1000)
    ping = icmp(8, 0, 0x4D2 << 16 | 1, bytes(range(56)))
    pong = icmp(0, 0, 0x4D2 << 16 | 1, bytes(range(56)))
    port_unreachable = icmp(3, 3, 0, syn)                                    # Linux quotes the whole SYN
    frag_needed = icmp(3, 4, 1400, data[:576 - 28])                         # ... and 548 bytes of a big one
    rfc792_quote = icmp(3, 4, 1280, data[:28])                              # IP header and 8 bytes only
    time_exceeded = icmp(11, 0, 0, syn[:28])
    udp = ipv4(PROTO_UDP, CLIENT, SERVER, struct.pack("!HHHH", 40000, 53, 8, 0))
    unreachable_udp = icmp(3, 3, 0, udp)
    seeds = [ping, pong, port_unreachable, frag_needed, rfc792_quote, time_exceeded, unreachable_udp]

    def from_router(message):
        return ethernet(client_mac, server_mac, ETHERTYPE_IPV4, ipv4(PROTO_ICMP, ROUTER, CLIENT, message, ttl=255))

    seeds += [from_router(m) for m in (pong, port_unreachable, frag_needed)]
    seeds.append(ethernet(b"\xff" * 6, client_mac, ETHERTYPE_ARP, arp(1, client_mac, CLIENT, b"\0" * 6, SERVER)))
    seeds.append(ethernet(client_mac, server_mac, ETHERTYPE_ARP, arp(2, server_mac, SERVER, client_mac, CLIENT)))
    seeds.append(frames[0][1])                                                          # the first SYN
    seeds.append(ethernet(server_mac, client_mac, 0x86DD, bytes(40)))                  # IPv6: not handled
    return seeds


def fragment_spec(ident=0, icmp=False, other_source=False, options=False, changed=False, offset=0, length=0,
                  more=False, wait_us=0):
    """One fragment as fuzz_fragments.cpp reads it: 7 bytes."""
    key = ident | (4 if icmp else 0) | (8 if other_source else 0) | (16 if options else 0) | (32 if changed else 0)
    units = offset // 8
    return bytes([key, units >> 8, units & 0xff, length >> 8, length & 0xff,
                  (wait_us // 50_000) << 1 | (1 if more else 0), wait_us % 50_000 % 256])


def fragments_seeds():
    """Fragment sequences: a datagram in order and reversed, interleaved ones, duplicates, an overlap, a bad
    length, one that times out, and enough to overflow the small budget."""
    def cut(total, each, **key):
        return [fragment_spec(offset=o, length=min(each, total - o), more=o + each < total, **key)
                for o in range(0, total, each)]
    seeds = [
        b"".join(cut(3000, 1480)),
        b"".join(reversed(cut(3000, 1480))),
        b"".join(cut(4000, 1480, icmp=True, options=True)),
        b"".join(a + b for a, b in zip(cut(2960, 1480, ident=1), cut(2960, 1480, ident=2, other_source=True))),
        b"".join(f + f for f in cut(2000, 504)),
        fragment_spec(offset=0, length=1480, more=True) + fragment_spec(offset=8, length=1480, more=True),
        fragment_spec(offset=0, length=1001, more=True),
        fragment_spec(offset=0, length=1480, more=True) + fragment_spec(offset=2960, length=8, wait_us=1_500_000),
        b"".join(f for i in range(8) for f in cut(20000, 1480, ident=i % 4, other_source=i >= 4)),
    ]
    return seeds


def write_corpus(name, seeds):
    directory = CORPUS / name
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.iterdir():
        if len(old.name) == 40 and all(c in "0123456789abcdef" for c in old.name):
            old.unlink()
    names = set()
    for seed in seeds:
        digest = hashlib.sha1(seed).hexdigest()
        (directory / digest).write_bytes(seed)
        names.add(digest)
    print(f"{directory.relative_to(HERE.parent.parent)}: {len(names)} files")


def main():
    frames = fixture_frames()
    packets = distinct_tcp_packets(frames)
    write_corpus("ipv4_tcp", ipv4_tcp_seeds(frames, packets))
    write_corpus("tcp_options", tcp_options_seeds(packets))
    write_corpus("icmp", icmp_seeds(frames, packets))
    write_corpus("fragments", fragments_seeds())


if __name__ == "__main__":
    main()
