"""A local HTTPS server that answers like ARM and Microsoft Graph: list pages with nextLink, 429 with
Retry-After, 403 with ARM's error body. The real SDK clients are pointed at it."""

from __future__ import annotations

import datetime
import json
import re
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    import ipaddress

    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class FakeAzure:
    """Routes: (method, path regex) -> a list of (status, headers, body) answered in turn (the last repeats)."""

    def __init__(self, folder: Path):
        self.routes: list[tuple[str, re.Pattern, list]] = []
        self.requests: list[tuple[str, str]] = []
        self.cert, key = self_signed(folder)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                path = re.sub(r"/+", "/", self.path.split("?", 1)[0]).lower()
                server.requests.append((self.command, path))
                for method, pattern, answers in server.routes:
                    if method == self.command and pattern.fullmatch(path):
                        status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
                        break
                else:
                    status, headers, body = 404, {}, {"error": {"code": "NotFound", "message": f"no route {path}"}}
                payload = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.base = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def route(self, method: str, path: str, *answers) -> None:
        """``path`` is a regex over the lower-cased path; each answer is a body (200) or (status, headers, body)."""
        normalized = [a if isinstance(a, tuple) else (200, {}, a) for a in answers]
        self.routes.append((method, re.compile(path.lower()), normalized))

    def page(self, rows: list, next_path: str | None = None, graph: bool = False) -> dict:
        body: dict = {"value": rows}
        if next_path:
            body["@odata.nextLink" if graph else "nextLink"] = self.base + next_path
        return body

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class StaticToken:
    """A credential that hands out one bearer token (azure.core's TokenCredential protocol)."""

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        return AccessToken("test-token", 4102444800)
