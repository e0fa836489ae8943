#!/usr/bin/env python3
"""HTTPS loopback server for 145_https.pl.

usage: https_server.py CERT KEY PORT_FILE REQUEST_LOG

Serves TLS on 127.0.0.1 (a free port, written to PORT_FILE) with the given
certificate, answers every GET with 200 "secure", and appends one line per
request that got through the TLS handshake to REQUEST_LOG.  A client that
verifies certificates must refuse this server when the certificate is
self-signed: no line is then written.
"""
import http.server
import os
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        with open(self.server.request_log, "a") as f:
            f.write(self.path + "\n")
        body = b"secure"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    cert, key, port_file, request_log = sys.argv[1:5]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.request_log = request_log
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
