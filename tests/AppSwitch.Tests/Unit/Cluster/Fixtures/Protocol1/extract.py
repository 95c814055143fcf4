#!/usr/bin/env python3
"""Splits a capture.sh pcap (Ethernet, IPv4) into fixtures: each UDP datagram the old agent (10.88.0.1) sent as
old-udp-NNN.bin, and each TCP connection's byte stream per direction as tcp-NN-<from>.bin (from = old or new;
retransmitted segments dropped by sequence number). Usage: extract.py PCAP OUTDIR"""
import os, struct, sys

OLD = bytes([10, 88, 0, 1])

def packets(path):
    data = open(path, "rb").read()
    assert struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4, "little-endian microsecond pcap expected"
    assert struct.unpack("<I", data[20:24])[0] == 1, "Ethernet link type expected"
    pos = 24
    while pos + 16 <= len(data):
        incl = struct.unpack("<I", data[pos + 8:pos + 12])[0]
        yield data[pos + 16:pos + 16 + incl]
        pos += 16 + incl

def main(pcap, out):
    os.makedirs(out, exist_ok=True)
    udp_count = 0
    streams = {}  # (src, sport, dst, dport) -> {seq: payload}
    order = []
    for frame in packets(pcap):
        if frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        proto, src, dst = ip[9], ip[12:16], ip[16:20]
        body = ip[ihl:total]
        sport, dport = struct.unpack(">HH", body[:4])
        if proto == 17:
            if src == OLD:
                open(os.path.join(out, f"old-udp-{udp_count:03}.bin"), "wb").write(body[8:])
                udp_count += 1
        elif proto == 6:
            offset = (body[12] >> 4) * 4
            seq = struct.unpack(">I", body[4:8])[0]
            payload = body[offset:]
            key = (src, sport, dst, dport)
            if key not in streams:
                streams[key] = {}
                order.append(key)
            if payload:
                streams[key].setdefault(seq, payload)
    # Connections numbered in the order their first segment was seen (the initiator's SYN comes first).
    connections = []
    for key in order:
        src, sport, dst, dport = key
        pair = frozenset([(src, sport), (dst, dport)])
        if pair not in connections:
            connections.append(pair)
    for key in order:
        src, sport, dst, dport = key
        index = connections.index(frozenset([(src, sport), (dst, dport)]))
        data = b"".join(streams[key][s] for s in sorted(streams[key]))
        if data:
            who = "old" if src == OLD else "new"
            open(os.path.join(out, f"tcp-{index:02}-{who}.bin"), "wb").write(data)
    print(f"{udp_count} datagrams from the old agent, {len(connections)} TCP connections")

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
