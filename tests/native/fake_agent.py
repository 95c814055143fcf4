#!/usr/bin/env python3
"""A stand-in for the AppSwitch agent's launcher endpoint, for testing the
static `ax` launcher without the C# agent (docs/launcher-protocol.md).

It serves <dir>/ax.sock, reads RUN, answers PLAN (or ERROR), receives the
seccomp listener via SCM_RIGHTS, answers READY (or ERROR) and records what
it saw as one JSON line per connection in --log.

By default it holds the listener and never answers notifications, so an
application that calls connect/bind/listen/getsockname/getpeername blocks.
--continue answers every notification with SECCOMP_USER_NOTIF_FLAG_CONTINUE
and logs the trapped syscall numbers, which proves the filter traps them.

Examples:
  fake_agent.py --dir /tmp/d --log /tmp/d/log.jsonl &
  fake_agent.py --dir /tmp/d --error-at plan --error-code 2 --error-message "bad --ip"
  fake_agent.py --dir /tmp/d --user nobody --interface eth9
"""
import argparse
import fcntl
import json
import os
import socket
import struct
import sys
import threading

RUN, PLAN, LISTENER, READY, ERROR = 1, 2, 3, 4, 255
MAX_FRAME = 1 << 20

# _IOWR('!', 0, struct seccomp_notif) and _IOWR('!', 1, struct seccomp_notif_resp)
NOTIF_SIZE = 80          # u64 id, u32 pid, u32 flags, struct seccomp_data (64)
NOTIF_RESP_SIZE = 24     # u64 id, s64 val, s32 error, u32 flags
SECCOMP_IOCTL_NOTIF_RECV = (3 << 30) | (NOTIF_SIZE << 16) | (ord('!') << 8) | 0
SECCOMP_IOCTL_NOTIF_SEND = (3 << 30) | (NOTIF_RESP_SIZE << 16) | (ord('!') << 8) | 1
SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1

BOOLEAN_OPTIONS = {"--new-netns", "--dns-override", "--help", "-h"}


def command_index(argv):
    """Where the command starts: the same scan the launcher does for --socket-dir."""
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            return i + 1
        if not a.startswith("-"):
            return i
        if a in BOOLEAN_OPTIONS or (a.startswith("--") and "=" in a):
            i += 1
        else:
            i += 2
    return len(argv)


def new_netns_from(argv):
    for a in argv[:command_index(argv)]:
        if a.startswith("--new-netns="):
            return a.split("=", 1)[1].lower() not in ("false", "0", "no")
    return True


def u32(v):
    return struct.pack("<I", v)


def string(s):
    b = s.encode()
    return u32(len(b)) + b


def frame(t, payload=b""):
    return u32(len(payload) + 1) + bytes([t]) + payload


def error_frame(code, message):
    return frame(ERROR, struct.pack("<i", code) + string(message))


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError("launcher closed the connection")
        buf += chunk
    return buf


def recv_frame(conn):
    """Returns (type, payload, fds)."""
    fds = []
    # The header may carry the fd (LISTENER has a 1-byte body, so the whole
    # frame usually arrives in one go): receive it with recv_fds.
    msg, got, _flags, _addr = socket.recv_fds(conn, 5, 4)
    fds.extend(got)
    if not msg:
        raise EOFError("launcher closed the connection")
    if len(msg) < 5:
        msg += recv_exact(conn, 5 - len(msg))
    length = struct.unpack("<I", msg[:4])[0]
    if not 1 <= length <= MAX_FRAME:
        raise ValueError(f"bad frame length {length}")
    return msg[4], recv_exact(conn, length - 1), fds


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated payload")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def str(self):
        return self.take(self.u32()).decode()


def parse_run(payload):
    r = Reader(payload)
    version = r.u8()
    argv = [r.str() for _ in range(r.u32())]
    env = [r.str() for _ in range(r.u32())]
    if r.pos != len(payload):
        raise ValueError("trailing bytes in RUN")
    return version, argv, env


def supervise(fd, log_list, lock):
    """--continue: let every trapped call run, remembering which it was."""
    import select
    p = select.poll()
    p.register(fd, select.POLLIN | select.POLLHUP)
    try:
        while True:
            if any(ev & (select.POLLHUP | select.POLLERR) for _f, ev in p.poll()):
                return  # every task using the filter has exited
            buf = bytearray(NOTIF_SIZE)
            try:
                fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, buf)
            except InterruptedError:
                continue
            except OSError:
                continue  # the caller was interrupted and withdrew the call
            nid, pid, _flags, nr = struct.unpack_from("<QIIi", buf, 0)
            with lock:
                log_list.append({"pid": pid, "nr": nr})
            resp = struct.pack("<QqiI", nid, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE)
            try:
                fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, bytearray(resp))
            except OSError:
                pass  # the caller was interrupted or died meanwhile
    finally:
        os.close(fd)


def handle(conn, opts, log):
    record = {}
    held = []
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        record["peer_pid"], record["peer_uid"], record["peer_gid"] = struct.unpack("3i", creds)
        t, payload, fds = recv_frame(conn)
        for fd in fds:
            os.close(fd)
        if t != RUN:
            conn.sendall(error_frame(1, f"expected RUN, got type {t}"))
            return
        version, argv, env = parse_run(payload)
        record.update(version=version, argv=argv, env=env)
        if opts.close_at == "plan":
            return
        if opts.error_at == "plan":
            conn.sendall(error_frame(opts.error_code, opts.error_message))
            return
        if opts.garble == "plan":
            conn.sendall(frame(PLAN, b"\x01\x02"))
            return
        idx = opts.command_index if opts.command_index is not None else command_index(argv)
        if idx >= len(argv) and opts.command_index is None:
            conn.sendall(error_frame(2, "run: no command given"))
            return
        netns = new_netns_from(argv) if opts.new_netns is None else opts.new_netns == "true"
        plan = (u32(idx) + bytes([1 if netns else 0]) + string(opts.user)
                + string(opts.interface) + string(opts.app_id))
        record["plan"] = {"command_index": idx, "new_netns": netns,
                          "user": opts.user, "interface": opts.interface}
        conn.sendall(frame(PLAN, plan))

        t, payload, fds = recv_frame(conn)
        record["listener_type"] = t
        record["listener_fds"] = len(fds)
        if fds:
            target = os.readlink(f"/proc/self/fd/{fds[0]}")
            record["listener_target"] = target
        held.extend(fds)
        # The payload is empty, or names the listener copy left in the app (u32; all ones: none), then the DNS
        # socket copies (u32 count, u32 each) and the keeper's pid (u32; 0: no keeper), as the launcher sends it now.
        well_formed = len(payload) in (0, 4)
        if len(payload) >= 4:
            record["reclaim_fd"] = struct.unpack_from("<I", payload)[0]
        if len(payload) >= 12:
            dns_count = struct.unpack_from("<I", payload, 4)[0]
            if dns_count <= 2 and len(payload) == 12 + 4 * dns_count:
                record["keeper_pid"] = struct.unpack_from("<I", payload, 8 + 4 * dns_count)[0]
                well_formed = True
        if t != LISTENER or not well_formed or len(fds) != 1:
            conn.sendall(error_frame(1, "bad LISTENER frame"))
            return
        if opts.close_at == "ready":
            return
        if opts.error_at == "ready":
            conn.sendall(error_frame(opts.error_code, opts.error_message))
            return
        if opts.garble == "ready":
            conn.sendall(u32(MAX_FRAME + 1))
            return
        conn.sendall(frame(READY))
        # Did the launcher close its end (and so not leak it into the app)?
        conn.settimeout(5)
        try:
            record["launcher_closed"] = conn.recv(1) == b""
        except socket.timeout:
            record["launcher_closed"] = False
        if opts.continue_calls:
            calls = []
            record["trapped"] = calls
            lock = threading.Lock()
            th = threading.Thread(target=supervise, args=(held.pop(), calls, lock))
            th.start()
            th.join()
    except Exception as e:  # a test helper: report, keep serving
        record["exception"] = repr(e)
    finally:
        conn.close()
        for fd in held:
            # Keep the listener until the app exits, like the real agent:
            # closing it would fail the app's trapped calls with ENOSYS.
            threading.Thread(target=wait_and_close, args=(fd,), daemon=True).start()
        if log:
            log.write(json.dumps(record) + "\n")
            log.flush()


def wait_and_close(fd):
    # A listener polls as POLLHUP once every task that used the filter is gone.
    # Asking for POLLHUP only: pending notifications (POLLIN) must not wake us.
    import select
    p = select.poll()
    p.register(fd, select.POLLHUP)
    p.poll()
    os.close(fd)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True, help="socket directory (serves DIR/ax.sock)")
    ap.add_argument("--log", help="append one JSON line per connection")
    ap.add_argument("--once", action="store_true", help="serve one launcher, then exit")
    ap.add_argument("--command-index", type=int, help="override the computed command index")
    ap.add_argument("--new-netns", choices=["true", "false"], help="override --new-netns from argv")
    ap.add_argument("--user", default="")
    ap.add_argument("--interface", default="")
    ap.add_argument("--app-id", default="0a0b0c0d")
    ap.add_argument("--error-at", choices=["plan", "ready"])
    ap.add_argument("--error-code", type=int, default=3)
    ap.add_argument("--error-message", default="fake agent says no")
    ap.add_argument("--close-at", choices=["plan", "ready"], help="close instead of answering")
    ap.add_argument("--garble", choices=["plan", "ready"], help="send a malformed frame")
    ap.add_argument("--continue", dest="continue_calls", action="store_true",
                    help="answer notifications with CONTINUE and log the syscall numbers")
    opts = ap.parse_args()

    path = os.path.join(opts.dir, "ax.sock")
    os.makedirs(opts.dir, exist_ok=True)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(16)
    log = open(opts.log, "a") if opts.log else None
    print(f"fake agent listening on {path}", file=sys.stderr, flush=True)
    try:
        while True:
            conn, _ = srv.accept()
            if opts.once:
                handle(conn, opts, log)
                break
            threading.Thread(target=handle, args=(conn, opts, log), daemon=True).start()
    except KeyboardInterrupt:
        pass
    finally:
        srv.close()
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


if __name__ == "__main__":
    main()
