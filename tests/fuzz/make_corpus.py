"""The seed inputs make_corpus.sh cannot write with qdm alone: IDX files, IonQ circuits, HTTP
exchanges recorded against `qdm qpu-emulator`, and IBM device documents shrunk to five qubits.
Usage: make_corpus.py QDM TMP CORPUS"""
import gzip
import json
import os
import re
import struct
import subprocess
import sys
import time
import urllib.request

qdm, tmp, corpus = sys.argv[1:4]
fixtures = "tests/fixtures/ibm"


def put(target, name, data):
    with open(os.path.join(corpus, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# IDX: three 4x4 images and their labels, plain and gzip-compressed.
images = struct.pack(">BBBBIII", 0, 0, 8, 3, 3, 4, 4) + bytes(range(48))
labels = struct.pack(">BBBBI", 0, 0, 8, 1, 3) + bytes([0, 1, 9])
put("idx", "images.idx", images)
put("idx", "labels.idx", labels)
put("idx", "images.idx.gz", gzip.compress(images, mtime=0))
put("idx", "labels.idx.gz", gzip.compress(labels, mtime=0))

# IonQ JSON circuits from qdm export.
for k in range(2):
    job = json.load(open(f"{tmp}/ionq/sample-{k}.json"))
    inp = job.get("input", job)
    put("ionq_json", f"export-{k}.json",
        json.dumps({"qubits": inp["qubits"], "circuit": inp["circuit"]}))
put("ionq_json", "small.json", json.dumps({"qubits": 2, "circuit": [
    {"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1},
    {"gate": "rz", "target": 1, "rotation": 0.25}]}))

# IBM devices shrunk to qubits 0..4: the same documents, small enough to mutate quickly.
for device in ["torino", "brisbane"]:
    conf = json.load(open(f"{fixtures}/conf_{device}.json"))
    props = json.load(open(f"{fixtures}/props_{device}.json"))
    keep = range(5)
    conf = {k: conf[k] for k in ["backend_name", "backend_version", "n_qubits", "basis_gates",
                                 "coupling_map", "supported_instructions", "max_shots",
                                 "max_experiments"] if k in conf}
    conf["n_qubits"] = 5
    conf["coupling_map"] = [e for e in conf["coupling_map"] if all(q in keep for q in e)]
    props["qubits"] = props["qubits"][:5]
    props["gates"] = [g for g in props["gates"] if all(q in keep for q in g["qubits"])]
    props.pop("general_qlists", None)
    put("device", f"{device}-5-qubits.json",
        json.dumps({"configuration": conf, "properties": props}))

# HTTP: a job's whole life against each emulator, as request sequences ($TOKEN, $JOB: see
# fuzz_http_request.cc), and the replies the clients read (first byte: the status's index).
statuses = [200, 201, 400, 401, 404, 409, 429, 500, 503]


def request(method, path, headers, body=b""):
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    for k, v in headers.items():
        head += f"{k}: {v}\r\n"
    if body:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def emulator(provider):
    args = [qdm, "qpu-emulator", "--provider", provider, "--api-key-env", "QDM_FUZZ_QPU_KEY"]
    os.environ["QDM_FUZZ_QPU_KEY"] = "fuzz-key"
    if provider == "ibm":
        args += ["--device", f"{fixtures}/conf_torino.json"]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    port = re.search(r"127\.0\.0\.1:(\d+)", line).group(1)
    return p, f"http://127.0.0.1:{port}"


def call(base, method, path, headers, body=None):
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


reply_count = 0


def job_id(status, body):
    reply = json.loads(body)
    if "id" not in reply:
        sys.exit(f"the emulator refused the seed job ({status}): {body.decode()}")
    return reply["id"]


def keep_reply(status, body):
    global reply_count
    put("provider_replies", f"reply-{reply_count:02d}", bytes([statuses.index(status)]) + body)
    reply_count += 1


ionq_job = json.load(open(f"{tmp}/ionq/sample-0.json"))
ionq_body = json.dumps({"type": "ionq.circuit.v1", "backend": "simulator", "shots": 100,
                        "name": "fuzz", "input": {"gateset": "qis", "qubits": ionq_job.get("input", ionq_job)["qubits"],
                                                  "circuit": ionq_job.get("input", ionq_job)["circuit"]}}).encode()
p, base = emulator("ionq")
try:
    auth = {"Authorization": "apiKey fuzz-key", "Content-Type": "application/json"}
    status, body = call(base, "POST", "/v0.4/jobs", auth, ionq_body)
    keep_reply(status, body)
    job = job_id(status, body)
    for _ in range(100):
        status, body = call(base, "GET", f"/v0.4/jobs/{job}", auth)
        if json.loads(body)["status"] == "completed":
            break
        time.sleep(0.05)
    keep_reply(status, body)
    url = json.loads(body)["results"]["probabilities"]["url"]
    status, body = call(base, "GET", url, auth)
    keep_reply(status, body)
    status, body = call(base, "GET", "/v0.4/jobs?limit=2", auth)
    keep_reply(status, body)
    seq = request("POST", "/v0.4/jobs", auth, ionq_body)
    for _ in range(4):
        seq += request("GET", "/v0.4/jobs/$JOB", {"Authorization": "apiKey fuzz-key"})
    seq += request("GET", url.replace(job, "$JOB"), {"Authorization": "apiKey fuzz-key"})
    put("http_request", "ionq-job-life", seq)
    put("http_request", "ionq-list", request("GET", "/v0.4/jobs?limit=5&next=x", auth))
    put("http_request", "ionq-cancel", request("POST", "/v0.4/jobs", auth, ionq_body) +
        request("PUT", "/v0.4/jobs/$JOB/status/cancel", auth))
finally:
    p.terminate()
    p.wait()

isa = open(f"{tmp}/isa/sample-0.qasm").read()
ibm_body = json.dumps({"program_id": "sampler", "backend": "ibm_torino",
                       "params": {"pubs": [[isa, None, 100]], "version": 2},
                       "tags": ["qdm"]}).encode()
p, base = emulator("ibm")
try:
    status, body = call(base, "POST", "/identity/token",
                        {"Content-Type": "application/x-www-form-urlencoded"},
                        b"grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=fuzz-key")
    keep_reply(status, body)
    token = json.loads(body)["access_token"]
    auth = {"Authorization": f"Bearer {token}", "Service-CRN": "crn:v1:fuzz",
            "Content-Type": "application/json"}
    for doc in ["configuration", "properties"]:
        status, body = call(base, "GET", f"/api/v1/backends/ibm_torino/{doc}", auth)
    status, body = call(base, "POST", "/api/v1/jobs", auth, ibm_body)
    keep_reply(status, body)
    job = job_id(status, body)
    for _ in range(100):
        status, body = call(base, "GET", f"/api/v1/jobs/{job}", auth)
        if json.loads(body)["status"] == "Completed":
            break
        time.sleep(0.05)
    keep_reply(status, body)
    status, body = call(base, "GET", f"/api/v1/jobs/{job}/results", auth)
    keep_reply(status, body)
    status, body = call(base, "GET", "/api/v1/jobs?limit=2&tags=qdm", auth)
    keep_reply(status, body)
    status, body = call(base, "GET", "/api/v1/jobs/none", auth)
    keep_reply(status, body)
    placeholder = {"Authorization": "Bearer $TOKEN", "Service-CRN": "crn:v1:fuzz",
                   "Content-Type": "application/json"}
    seq = request("POST", "/api/v1/jobs", placeholder, ibm_body)
    for _ in range(4):
        seq += request("GET", "/api/v1/jobs/$JOB", placeholder)
    seq += request("GET", "/api/v1/jobs/$JOB/results", placeholder)
    put("http_request", "ibm-job-life", seq)
    put("http_request", "ibm-device", request("GET", "/api/v1/backends/ibm_torino/configuration",
                                              placeholder))
    put("http_request", "ibm-token", request(
        "POST", "/identity/token", {"Content-Type": "application/x-www-form-urlencoded"},
        b"grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=fuzz-key"))
finally:
    p.terminate()
    p.wait()
