#!/usr/bin/env python3
"""A Kubernetes API server for the tests: no real one can run on these machines.

It answers, over HTTPS with a CA it makes itself, the paths mlopsdash reads and
patches, in the shapes of the Kubernetes and KServe API references: lists with
`limit`/`continue` (pages of at most two objects, whatever `limit` asks, so paging
is exercised; KUBE_SERVER_PAGE changes it), equality label selectors, one object by name, Status objects for
errors, and PATCHes of InferenceServices (merge patch) and Deployments (JSON patch)
whose bodies are checked and logged. Bearer tokens must be a known static one or
an EKS token shaped as `aws eks get-token` makes it.

usage: kube_server.py FIXTURE.json STATE_DIR   (prints the port; writes STATE_DIR/ca.pem)
"""
import base64
import copy
import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Objects a page at most, whatever `limit` asks (KUBE_SERVER_PAGE; the benchmark
# sets it high, as a real API server honours `limit`).
PAGE = int(os.environ.get("KUBE_SERVER_PAGE", "2"))
READER = "test-reader-token"
# May list in named namespaces only, never across all of them.
LIMITED = "test-limited-token"
GROUPS = {
    "inferenceservices": ("serving.kserve.io/v1beta1", "InferenceService"),
    "deployments": ("apps/v1", "Deployment"),
    "replicasets": ("apps/v1", "ReplicaSet"),
    "pods": ("v1", "Pod"),
}

fixture, state = sys.argv[1], sys.argv[2]
with open(fixture) as f:
    objects = json.load(f)
lock = threading.Lock()
patches = os.path.join(state, "patches.jsonl")
requests_log = os.path.join(state, "requests.log")


def make_cert():
    """A cluster CA (written to ca.pem, what a kubeconfig trusts) and the API
    server's own certificate signed by it, for 127.0.0.1."""
    ca_path, cert, key = (os.path.join(state, n) for n in ("ca.pem", "server.pem", "server-key.pem"))
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError:
        run = lambda *a: subprocess.run(list(a), check=True, capture_output=True)
        ca_key = os.path.join(state, "ca-key.pem")
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", ca_key, "-out", ca_path, "-days", "1", "-subj", "/CN=kubernetes")
        csr = os.path.join(state, "server.csr")
        run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", csr, "-subj", "/CN=kube-apiserver")
        ext = os.path.join(state, "ext.cnf")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
        run("openssl", "x509", "-req", "-in", csr, "-CA", ca_path, "-CAkey", ca_key, "-CAcreateserial",
            "-out", cert, "-days", "1", "-extfile", ext)
        return cert, key
    now = datetime.datetime.now(datetime.timezone.utc)

    def build(subject, issuer, public, signer, ca):
        b = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            b = b.add_extension(
                x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                              key_encipherment=False, data_encipherment=False, key_agreement=False,
                              encipher_only=False, decipher_only=False), critical=True)
        else:
            b = b.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        return b.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = build("kubernetes", "kubernetes", ca_key.public_key(), ca_key, True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = build("kube-apiserver", "kubernetes", server_key.public_key(), ca_key, False)
    with open(ca_path, "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(cert, "wb") as f:
        f.write(server.public_bytes(serialization.Encoding.PEM))
    with open(key, "wb") as f:
        f.write(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    return cert, key


def eks_token_ok(token):
    """The shape `aws eks get-token` gives: k8s-aws-v1. + base64url(presigned STS URL)."""
    if not token.startswith("k8s-aws-v1."):
        return False
    body = token[len("k8s-aws-v1."):]
    if "=" in body:
        return False
    try:
        url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except Exception:
        return False
    u = urllib.parse.urlparse(url)
    q = dict(urllib.parse.parse_qsl(u.query))
    return (
        u.scheme == "https"
        and u.hostname.startswith("sts.")
        and q.get("Action") == "GetCallerIdentity"
        and q.get("Version") == "2011-06-15"
        and q.get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256"
        and "x-k8s-aws-id" in q.get("X-Amz-SignedHeaders", "").split(";")
        and len(q.get("X-Amz-Signature", "")) == 64
        and q.get("X-Amz-Expires") == "60"
    )


def status(code, reason, message):
    return code, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                  "message": message, "reason": reason, "code": code}


def selected(obj, selector):
    if not selector:
        return True
    labels = obj["metadata"].get("labels", {})
    for part in selector.split(","):
        k, _, v = part.partition("=")
        if labels.get(k) != v:
            return False
    return True


class Handler(BaseHTTPRequestHandler):
    # Keep-alive, as an API server does: one TLS handshake per connection.
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self):
        """(namespace or None, plural, name or None) of the path, or None."""
        path = urllib.parse.urlparse(self.path).path.strip("/").split("/")
        if path[:2] == ["api", "v1"]:
            rest = path[2:]
        elif path[0] == "apis" and len(path) >= 3:
            rest = path[3:]
        else:
            return None
        ns = None
        if len(rest) >= 2 and rest[0] == "namespaces":
            ns, rest = rest[1], rest[2:]
        if not rest or rest[0] not in GROUPS:
            return None
        return ns, rest[0], rest[1] if len(rest) > 1 else None

    def who(self):
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        if token in (READER, LIMITED):
            return token
        if eks_token_ok(token):
            # A test drops this file to have the next EKS token refused as one past
            # its 15 minutes is.
            expire = os.path.join(state, "expire-next-eks-token")
            with lock:
                if os.path.exists(expire):
                    os.remove(expire)
                    with open(requests_log, "a") as f:
                        f.write("refused an expired EKS token\n")
                    return None
            return "eks"
        return None

    def handle_any(self, method):
        with open(requests_log, "a") as f:
            f.write(f"{method} {self.path}\n")
        who = self.who()
        if who is None:
            return self.reply(*status(401, "Unauthorized", "Unauthorized"))
        route = self.route()
        if route is None:
            return self.reply(*status(404, "NotFound", f"the server could not find the requested resource"))
        ns, plural, name = route
        group = GROUPS[plural][0].split("/")[0]
        resource = plural if group == "v1" else f"{plural}.{group}"
        if ns == "restricted" or (who == LIMITED and ns is None):
            where = f'in the namespace "{ns}"' if ns else "at the cluster scope"
            verb = {"GET": "list" if name is None else "get", "PATCH": "patch"}[method]
            return self.reply(*status(403, "Forbidden",
                f'{resource} is forbidden: User "reader" cannot {verb} resource "{plural}" in API group "{"" if group == "v1" else group}" {where}'))
        with lock:
            if method == "GET" and name is None:
                return self.list(ns, plural)
            found = [o for o in objects[plural] if o["metadata"]["name"] == name and o["metadata"]["namespace"] == ns]
            if not found:
                return self.reply(*status(404, "NotFound", f'{resource} "{name}" not found'))
            obj = found[0]
            if method == "GET":
                return self.reply(200, obj)
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"null")
            kind = self.headers.get("Content-Type", "")
            with open(patches, "a") as f:
                f.write(json.dumps({"path": urllib.parse.urlparse(self.path).path, "content_type": kind, "body": body}) + "\n")
            return self.patch(obj, plural, kind, body)

    def list(self, ns, plural):
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query))
        items = [o for o in objects[plural]
                 if (ns is None or o["metadata"]["namespace"] == ns) and selected(o, q.get("labelSelector"))]
        start = int(base64.b64decode(q["continue"]).decode()) if q.get("continue") else 0
        size = min(PAGE, int(q.get("limit", PAGE)))
        page = items[start:start + size]
        meta = {"resourceVersion": "99999"}
        if start + size < len(items):
            meta["continue"] = base64.b64encode(str(start + size).encode()).decode()
            meta["remainingItemCount"] = len(items) - start - size
        api, kind = GROUPS[plural]
        self.reply(200, {"apiVersion": api, "kind": kind + "List", "metadata": meta, "items": page})

    def patch(self, obj, plural, kind, body):
        # A test drops this file to have someone else change the object between the
        # dashboard's read and its patch.
        changed = os.path.join(state, "changed-since-read")
        if os.path.exists(changed):
            os.remove(changed)
            obj["metadata"]["resourceVersion"] = str(int(obj["metadata"]["resourceVersion"]) + 1)
        rv = obj["metadata"]["resourceVersion"]
        if plural == "inferenceservices":
            expected = {"metadata": {"resourceVersion": rv}, "spec": {"predictor": {"canaryTrafficPercent": 0}}}
            if kind != "application/merge-patch+json":
                return self.reply(*status(415, "UnsupportedMediaType", f"unexpected {kind}"))
            if body.get("metadata", {}).get("resourceVersion") != rv:
                return self.reply(*status(409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again"))
            if body != expected:
                return self.reply(*status(422, "Invalid", f"unexpected patch {json.dumps(body)}"))
            obj["spec"]["predictor"]["canaryTrafficPercent"] = 0
            pred = obj["status"]["components"]["predictor"]
            for t in pred.get("traffic", []):
                t["percent"] = 0 if t.get("latestRevision") else 100
            obj["metadata"]["generation"] += 1
        elif plural == "deployments":
            if kind != "application/json-patch+json" or not isinstance(body, list):
                return self.reply(*status(415, "UnsupportedMediaType", f"unexpected {kind}"))
            # Exactly what `kubectl rollout undo` amounts to, guarded: test the
            # resourceVersion read, then the previous ReplicaSet's template, its
            # pod-template-hash taken out. Anything else is refused, applying nothing.
            ops = [(op.get("op"), op.get("path")) for op in body]
            if ops != [("test", "/metadata/resourceVersion"), ("replace", "/spec/template")]:
                return self.reply(*status(422, "Invalid", f"unexpected ops {json.dumps(ops)}"))
            if body[0].get("value") != rv:
                return self.reply(*status(422, "Invalid", "the test operation failed: resourceVersion"))
            template = body[1].get("value", {})
            owned = [r for r in objects["replicasets"]
                     if any(o.get("name") == obj["metadata"]["name"] for o in r["metadata"].get("ownerReferences", []))]
            current = int(obj["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
            older = sorted((r for r in owned if int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]) < current),
                           key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
            if not older:
                return self.reply(*status(422, "Invalid", "no previous ReplicaSet"))
            previous = json.loads(json.dumps(older[-1]["spec"]["template"]))
            previous.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
            if template != previous:
                return self.reply(*status(422, "Invalid", "the template is not the previous ReplicaSet's without pod-template-hash"))
            obj["spec"]["template"] = template
            # The controller's work, done at once: the old ReplicaSet becomes the newest.
            revs = [int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
                    for r in objects["replicasets"] if r["metadata"]["labels"].get("app") == obj["metadata"]["name"]]
            obj["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = str(max(revs + [0]) + 1)
            obj["metadata"]["generation"] += 1
            obj["status"]["observedGeneration"] = obj["metadata"]["generation"]
        else:
            return self.reply(*status(405, "MethodNotAllowed", "not patched here"))
        obj["metadata"]["resourceVersion"] = str(int(rv) + 1)
        self.reply(200, obj)

    def do_GET(self):
        self.handle_any("GET")

    def do_PATCH(self):
        self.handle_any("PATCH")


cert, key = make_cert()
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
