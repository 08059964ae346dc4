"""Test support for the Python binding's tests: start the OAuth/OIDC test peers of this folder and drive the OP.

Standard library only (subprocess + urllib)::

    import sys; sys.path.insert(0, "tests/oidc")
    from peer import start_op, start_fakes, drive

    with start_op() as op:                   # op.base == op.issuer == "http://127.0.0.1:PORT"
        cb = op.drive(auth_url, "alice")     # {"callbackUrl", "code", "state", "iss"} or {"error", ...}

Each peer is a child process with a piped stdin: it exits on stop(), at the end of a ``with`` block, or when
this process dies (its stdin closes). The Node names ``startOp``/``startFakes`` are aliases.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
START_TIMEOUT = 30.0


def _request(method: str, url: str, body=None, timeout: float = 60.0):
    data = None
    headers = {"Accept": "application/json"}
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return json.loads(res.read().decode())
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{method} {url}: HTTP {e.code}: {e.read()[:500]!r}") from None


def drive(op_base: str, url: str, login: str = "alice", consent: bool = True) -> dict:
    """Walks the OP's login and consent pages for an authorisation URL as ``login``; returns the redirect's
    parameters ``{"callbackUrl", "code", "state", "iss"}`` or ``{"error", "error_description", ...}``."""
    return _request("POST", f"{op_base}/__test/drive", {"url": url, "login": login, "consent": consent})


class Peer:
    def __init__(self, script: str, url_key: str, port: int = 0):
        args = ["node", os.path.join(HERE, script)]
        if port:
            args += ["--port", str(port)]
        self._stderr: list[str] = []
        self.proc = subprocess.Popen(
            args,
            cwd=HERE,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        first: list[str] = []
        reader = threading.Thread(target=lambda: first.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        if not first or not first[0].strip():
            self.stop()
            raise RuntimeError(f"{script} printed no start-up line in {START_TIMEOUT} s; stderr:\n{self.stderr()}")
        info = json.loads(first[0])
        self.base: str = info[url_key]
        self.pid: int = info["pid"]
        threading.Thread(target=self._drain_stdout, daemon=True).start()

    def _drain_stderr(self):
        for line in self.proc.stderr:
            if len(self._stderr) < 10_000:
                self._stderr.append(line)

    def _drain_stdout(self):
        for _ in self.proc.stdout:
            pass

    def stderr(self) -> str:
        return "".join(self._stderr)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def get(self, path: str):
        return _request("GET", self.url(path))

    def post(self, path: str, body=None):
        return _request("POST", self.url(path), body if body is not None else {})

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __del__(self):
        try:
            self.stop()
        except Exception:
            pass


class OpPeer(Peer):
    def __init__(self, port: int = 0):
        super().__init__("op.mjs", "issuer", port)

    @property
    def issuer(self) -> str:
        return self.base

    def drive(self, url: str, login: str = "alice", consent: bool = True) -> dict:
        return drive(self.base, url, login, consent)

    def stats(self) -> dict:
        return self.get("/__test/stats")

    def reset_stats(self) -> dict:
        return self.post("/__test/stats/reset")

    def rotate_keys(self, keep_old: bool = True) -> dict:
        return self.post("/__test/rotate-keys", {"keepOld": keep_old})

    def token_delay(self, ms: int) -> dict:
        return self.post("/__test/token-delay", {"ms": ms})

    def mint(self, request: dict) -> dict:
        return self.post("/__test/mint", request)


class FakesPeer(Peer):
    def __init__(self, port: int = 0):
        super().__init__("fakes.mjs", "base", port)

    def last(self, provider: str):
        return self.get(f"/__test/last/{provider}")

    def apple_key(self) -> dict:
        return self.get("/__test/apple-key")

    def mint(self, request: dict) -> dict:
        return self.post("/__test/mint", request)


def start_op(port: int = 0) -> OpPeer:
    """Starts the real OpenID Provider (op.mjs)."""
    return OpPeer(port)


def start_fakes(port: int = 0) -> FakesPeer:
    """Starts the provider fakes (fakes.mjs)."""
    return FakesPeer(port)


startOp = start_op
startFakes = start_fakes


def _selftest():
    import base64
    import hashlib
    import secrets
    import urllib.parse

    with start_op() as op, start_fakes() as fakes:
        disc = op.get("/.well-known/openid-configuration")
        verifier = secrets.token_urlsafe(32)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        q = urllib.parse.urlencode({
            "client_id": "native", "response_type": "code", "scope": "openid email",
            "redirect_uri": "com.example.app:/oauth2redirect", "state": "s", "nonce": "n",
            "code_challenge": challenge, "code_challenge_method": "S256",
        })
        cb = op.drive(f"{disc['authorization_endpoint']}?{q}", "carol")
        form = urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": cb["code"], "client_id": "native",
            "redirect_uri": "com.example.app:/oauth2redirect", "code_verifier": verifier,
        }).encode()
        with urllib.request.urlopen(urllib.request.Request(disc["token_endpoint"], data=form), timeout=30) as r:
            tokens = json.loads(r.read())
        assert "id_token" in tokens, tokens
        assert op.stats()["token"] == 1
        assert fakes.apple_key()["keyId"] == "TESTKEY001"
        print(f"peer.py selftest: ok (op {op.base}, fakes {fakes.base}, native client token exchange)")


if __name__ == "__main__":
    _selftest()
