#!/usr/bin/env python3
"""http_server.py: a loopback HTTP/1.1 server for the cronext HTTP-job TAP tests.

Usage:  python3 http_server.py PORT_FILE REQUEST_LOG

Binds 127.0.0.1 on a free port, then writes that port (decimal, newline) to
PORT_FILE atomically (written aside, then renamed), so a test can wait for
the file to appear.  Every request is appended to REQUEST_LOG as one JSON
line, written when the request has been read (before any answer or sleep):

    {"time": <Unix time, float>, "method": "POST", "path": "/echo/x?a=1",
     "headers": [["Host", "127.0.0.1:4711"], ...],   # in order, names as sent
     "body": "<request body decoded as UTF-8, undecodable bytes replaced>",
     "body_len": <request body length in bytes>}

Standard library only; one thread per connection (ThreadingHTTPServer);
HTTP/1.1 keep-alive (every answer has a Content-Length); request bodies by
Content-Length or chunked; Expect: 100-continue honoured.  Any method is
accepted (GET, POST, PUT, PATCH, DELETE, HEAD, ...); HEAD gets the headers
of the GET answer and no body.  Stops on SIGTERM or SIGINT.

Paths (anything else is a 404 "no such path"):

  /echo[/<anything>]           200, application/json:
                               {"method": ..., "path": ..., "body": ...}.
                               Request headers are never echoed, so secret
                               header values never come back in a response.
  /status/<code>               answers <code> (100-599) with body "status <code>"
                               (no body for 204 and 304).
  /nocontent                   204, no body.
  /seq/<key>/<c1>,<c2>,...     the n-th request with this <key> is answered
                               with code c_n (the last code once the list is
                               used up), body "seq <key> <n> <code>".
  /ratelimit/<key>             the first request with this <key>: 429 with
                               "Retry-After: 1"; every later one: 200.
  /retryafter/<seconds>        always 429 with "Retry-After: <seconds>" (as
                               given) and body "retry after <seconds>".
  /sleep/<seconds>             waits <seconds> (a float), then 200 "slept".
                               A client that gives up first is not an error.
  /redirect?to=<url>           302 with "Location: <url>" (url-decoded).
  /big/<bytes>                 200, text/plain, exactly <bytes> bytes, streamed
                               in 64 kB pieces: "0123456789" repeated.
  /utf8/<bytes>                200, text/plain; charset=utf-8, exactly <bytes>
                               bytes of valid UTF-8: "a", then U+00FC (2 bytes
                               each) repeated, then "a" if needed; so a cut at
                               an even byte count splits a character.
  /binary/<bytes>              200, application/octet-stream, <bytes> bytes
                               cycling 0x00..0xff (NUL and invalid UTF-8).
"""

import json
import os
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG_LOCK = threading.Lock()
STATE_LOCK = threading.Lock()
SEQ_COUNT = {}           # key -> requests seen so far (for /seq and /ratelimit)
LOG_PATH = None


def log_request(entry):
    line = json.dumps(entry, ensure_ascii=True, sort_keys=True) + "\n"
    with LOG_LOCK:
        with open(LOG_PATH, "a", encoding="ascii") as f:
            f.write(line)
            f.flush()


def next_count(key):
    with STATE_LOCK:
        n = SEQ_COUNT.get(key, 0) + 1
        SEQ_COUNT[key] = n
        return n


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cronext-test/1"

    def version_string(self):
        return self.server_version

    # quiet: the request log file is the record
    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                size_line = self.rfile.readline()
                if not size_line:
                    break
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # trailers, up to the empty line
                    while True:
                        t = self.rfile.readline()
                        if not t or t in (b"\r\n", b"\n"):
                            break
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()       # CRLF after the chunk
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def answer(self, code, body=b"", ctype="text/plain", extra=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        no_body = code in (204, 304) or 100 <= code < 200
        self.send_response(code)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if not no_body:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and not no_body:
            self.wfile.write(body)

    def handle_any(self):
        body = self.read_body()
        url = urllib.parse.urlsplit(self.path)
        log_request({
            "time": time.time(),
            "method": self.command,
            "path": self.path,
            "headers": [[k, v] for k, v in self.headers.raw_items()],
            "body": body.decode("utf-8", errors="replace"),
            "body_len": len(body),
        })
        parts = [urllib.parse.unquote(p) for p in url.path.split("/")[1:]]
        try:
            self.route(parts, url, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def route(self, parts, url, body):
        head = parts[0] if parts else ""
        if head == "echo":
            out = json.dumps({"method": self.command, "path": self.path,
                              "body": body.decode("utf-8", errors="replace")})
            self.answer(200, out, "application/json")
        elif head == "status" and len(parts) == 2 and parts[1].isdigit() \
                and 100 <= int(parts[1]) <= 599:
            code = int(parts[1])
            self.answer(code, "status %d" % code)
        elif head == "nocontent":
            self.answer(204)
        elif head == "seq" and len(parts) == 3:
            codes = [int(c) for c in parts[2].split(",") if c.strip()]
            n = next_count("seq:" + parts[1])
            code = codes[min(n, len(codes)) - 1]
            self.answer(code, "seq %s %d %d" % (parts[1], n, code))
        elif head == "ratelimit" and len(parts) == 2:
            n = next_count("ratelimit:" + parts[1])
            if n == 1:
                self.answer(429, "slow down", extra={"Retry-After": "1"})
            else:
                self.answer(200, "ratelimit %s %d" % (parts[1], n))
        elif head == "retryafter" and len(parts) == 2:
            self.answer(429, "retry after %s" % parts[1],
                        extra={"Retry-After": parts[1]})
        elif head == "sleep" and len(parts) == 2:
            deadline = time.time() + float(parts[1])
            while time.time() < deadline:
                time.sleep(min(0.1, max(0.0, deadline - time.time())))
            self.answer(200, "slept")
        elif head == "redirect":
            to = urllib.parse.parse_qs(url.query).get("to", [""])[0]
            self.answer(302, "redirecting", extra={"Location": to})
        elif head == "big" and len(parts) == 2 and parts[1].isdigit():
            total = int(parts[1])
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(total))
            self.end_headers()
            if self.command == "HEAD":
                return
            piece = b"0123456789" * 6554      # 65540 bytes
            left = total
            while left > 0:
                n = min(left, 65536)
                self.wfile.write(piece[:n])
                left -= n
        elif head == "utf8" and len(parts) == 2 and parts[1].isdigit():
            total = int(parts[1])
            data = b"a" + "\u00fc".encode("utf-8") * ((total - 1) // 2)
            data += b"a" * (total - len(data))
            self.answer(200, data, "text/plain; charset=utf-8")
        elif head == "binary" and len(parts) == 2 and parts[1].isdigit():
            total = int(parts[1])
            data = bytes(range(256)) * (total // 256 + 1)
            self.answer(200, data[:total], "application/octet-stream")
        else:
            self.answer(404, "no such path")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = \
        do_OPTIONS = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128


def main():
    global LOG_PATH
    if len(sys.argv) != 3:
        sys.stderr.write("usage: http_server.py PORT_FILE REQUEST_LOG\n")
        return 2
    port_file, LOG_PATH = sys.argv[1], sys.argv[2]
    open(LOG_PATH, "a").close()
    srv = Server(("127.0.0.1", 0), Handler)

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, port_file)

    srv.serve_forever(poll_interval=0.2)
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
