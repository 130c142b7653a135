"""TLS peers and certificates shared by the TLS tests."""

import os
import subprocess
import sys
import time

from harness import ROOT, Failure, Peer, spawn

TLS_PEER = os.path.join(ROOT, "tests", "helpers", "tls_peer.py")


def make_cert(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=wedge.example"],
                   check=True, capture_output=True, timeout=30)
    return cert, key


class TlsPeer:
    """tests/helpers/tls_peer.py, run by the harness's own Python (no preload)."""

    def __init__(self, s, mode, rcvbuf=0):
        cert, key = make_cert(s.dir)
        portfile = os.path.join(s.dir, "tlsport.%d" % id(self))
        argv = [sys.executable, TLS_PEER, cert, key, mode, portfile] + (["--rcvbuf", str(rcvbuf)] if rcvbuf else [])
        self.proc = spawn(argv)
        deadline = time.time() + 10
        while not os.path.exists(portfile):
            if self.proc.poll() is not None or time.time() > deadline:
                raise Failure("TLS peer did not start: %s" % self.proc.stderr.read())
            time.sleep(0.01)
        self.port = int(open(portfile).read())
        self.addr = "tcp4:127.0.0.1:%d" % self.port

    def result(self, timeout=60):
        return Peer.result(self, timeout)

    stop = Peer.stop


