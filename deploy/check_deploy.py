"""Checks deploy/ against the binaries: Docker and Kubernetes do not run here, so this
is what keeps the manifests honest.

    check_deploy.py <check> --binary NAME=PATH ...

Checks: yaml (every file parses), kubernetes (ports, probes, grace period, resources,
flags the binaries really have, addresses of real Services), istio (routes point at
real Services and ports), envoy (the front proxy reaches the gateway over HTTP/2),
dockerfile (builds and ships all four binaries). Exits 1 naming every problem found.
"""
import argparse
import glob
import os
import re
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.realpath(__file__))
SERVICES = ("gateway", "catalog", "inventory", "orders")


def load(path):
    with open(path) as f:
        return [doc for doc in yaml.safe_load_all(f) if doc is not None]


def known_flags(binary):
    out = subprocess.run([binary, "--helpfull"], capture_output=True, text=True, timeout=60)
    return set(re.findall(r"^\s+--([a-z_0-9]+)", out.stdout + out.stderr, re.MULTILINE))


def flag_value(args, name):
    for arg in args:
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    return None


def seconds(duration):
    match = re.fullmatch(r"(\d+)(ms|s|m)", duration or "")
    if not match:
        return None
    value, unit = int(match.group(1)), match.group(2)
    return value / 1000 if unit == "ms" else value * (60 if unit == "m" else 1)


def kubernetes_objects():
    objects = []
    for path in sorted(glob.glob(os.path.join(HERE, "kubernetes", "*.yaml"))):
        objects += [(os.path.basename(path), doc) for doc in load(path)]
    return objects


def check_yaml(_binaries, problems):
    files = glob.glob(os.path.join(HERE, "**", "*.yaml"), recursive=True)
    if len(files) < 6:
        problems.append(f"expected the kubernetes, istio and envoy files, found {files}")
    for path in files:
        try:
            if not load(path):
                problems.append(f"{path}: empty")
        except yaml.YAMLError as error:
            problems.append(f"{path}: {error}")


def check_kubernetes(binaries, problems):
    objects = kubernetes_objects()
    services = {doc["metadata"]["name"]: doc for _, doc in objects if doc["kind"] == "Service"}
    deployments = {doc["metadata"]["name"]: (f, doc) for f, doc in objects if doc["kind"] == "Deployment"}
    if set(deployments) != set(SERVICES) or set(services) != set(SERVICES):
        problems.append(f"want a Deployment and a Service for each of {SERVICES}")
    for name, (path, deployment) in deployments.items():
        where = f"{path} Deployment {name}"
        pod = deployment["spec"]["template"]["spec"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        if deployment["spec"]["selector"]["matchLabels"].items() - labels.items():
            problems.append(f"{where}: selector does not match the pod's labels")
        container = pod["containers"][0]
        binary = container["command"][0]
        if binary != f"/usr/local/bin/baton-{name}":
            problems.append(f"{where}: runs {binary}")
        args = container.get("args", [])
        flags = known_flags(binaries[name])
        for arg in args:
            flag = arg[2:].split("=", 1)[0]
            if flag not in flags:
                problems.append(f"{where}: baton-{name} has no flag --{flag}")
        listen = flag_value(args, "listen") or ""
        port = int(listen.rsplit(":", 1)[1]) if ":" in listen else None
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        if ports.get("grpc") != port:
            problems.append(f"{where}: grpc containerPort {ports.get('grpc')} != --listen port {port}")
        metrics = flag_value(args, "metrics_listen") or ""
        if ":" not in metrics or ports.get("metrics") != int(metrics.rsplit(":", 1)[1]):
            problems.append(f"{where}: metrics port does not match --metrics_listen")
        readiness = container.get("readinessProbe", {})
        if readiness.get("grpc", {}).get("port") != port:
            problems.append(f"{where}: readiness must be a gRPC health probe on {port}")
        liveness = container.get("livenessProbe", {})
        live_port = (liveness.get("tcpSocket") or liveness.get("grpc") or {}).get("port")
        if live_port != port:
            problems.append(f"{where}: liveness probe is not on the gRPC port")
        drain = seconds(flag_value(args, "drain_timeout") or "10s")
        grace = pod.get("terminationGracePeriodSeconds", 30)
        if drain is None or grace <= drain:
            problems.append(f"{where}: terminationGracePeriodSeconds {grace} must exceed --drain_timeout {drain}")
        resources = container.get("resources", {})
        if not resources.get("requests") or not resources.get("limits", {}).get("memory"):
            problems.append(f"{where}: needs resource requests and a memory limit")
        for flag in ("catalog_address", "inventory_address", "orders_address"):
            address = flag_value(args, flag)
            if address is None:
                continue
            host, _, target_port = address.rpartition(":")
            service = services.get(host)
            if service is None or int(target_port) not in [p["port"] for p in service["spec"]["ports"]]:
                problems.append(f"{where}: --{flag}={address} is no Service port")
    for name, service in services.items():
        _, deployment = deployments.get(name, (None, None))
        if deployment is None:
            continue
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        named = {p["name"]: p["containerPort"] for p in container["ports"]}
        for port in service["spec"]["ports"]:
            if port["targetPort"] not in named:
                problems.append(f"Service {name}: targetPort {port['targetPort']} is not a container port")
            elif named[port["targetPort"]] != port["port"]:
                problems.append(f"Service {name}: port {port['port']} != container port {named[port['targetPort']]}")
            if port["targetPort"] == "grpc" and not port["name"].startswith("grpc"):
                problems.append(f"Service {name}: the gRPC port's name must start with grpc- for Istio")


def check_istio(_binaries, problems):
    services = {doc["metadata"]["name"]: doc for _, doc in kubernetes_objects() if doc["kind"] == "Service"}
    docs = load(os.path.join(HERE, "istio", "baton.yaml"))
    routed = set()
    for doc in docs:
        name = doc["metadata"]["name"]
        if doc["kind"] == "DestinationRule":
            if doc["spec"]["host"] not in services:
                problems.append(f"DestinationRule {name}: unknown host")
            continue
        if doc["kind"] != "VirtualService":
            problems.append(f"unexpected kind {doc['kind']}")
            continue
        for route in doc["spec"]["http"]:
            for destination in route["route"]:
                host = destination["destination"]["host"]
                port = destination["destination"]["port"]["number"]
                service = services.get(host)
                if service is None or port not in [p["port"] for p in service["spec"]["ports"]]:
                    problems.append(f"VirtualService {name}: {host}:{port} is no Service port")
                routed.add(host)
            retry_on = route.get("retries", {}).get("retryOn", "")
            if any(code in retry_on for code in ("deadline-exceeded", "5xx", "reset")):
                problems.append(f"VirtualService {name}: retries only on unavailable, not {retry_on}")
    if routed != set(SERVICES):
        problems.append(f"routes for {sorted(routed)}, want {SERVICES}")


def check_envoy(_binaries, problems):
    config = load(os.path.join(HERE, "envoy", "front-proxy.yaml"))[0]
    clusters = {c["name"]: c for c in config["static_resources"]["clusters"]}
    gateway = clusters.get("gateway")
    if gateway is None:
        problems.append("no gateway cluster")
        return
    if "http2_protocol_options" not in str(gateway):
        problems.append("the gateway cluster must speak HTTP/2")
    endpoint = gateway["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    if endpoint["address"]["socket_address"]["port_value"] != 50050:
        problems.append("the gateway cluster must reach the gateway's port 50050")
    if "grpc_health_check" not in str(gateway):
        problems.append("the gateway cluster should health-check with grpc.health.v1")


def check_dockerfile(_binaries, problems):
    with open(os.path.join(HERE, "Dockerfile")) as f:
        text = f.read()
    for name in SERVICES:
        if f"services/$s/$s" not in text or name not in text:
            problems.append(f"the image must ship baton-{name}")
    if "STOPSIGNAL SIGTERM" not in text:
        problems.append("STOPSIGNAL SIGTERM: the services drain on it")
    for port in ("50050", "50051", "50052", "50053", "9090"):
        if port not in re.search(r"^EXPOSE (.*)$", text, re.MULTILINE).group(1):
            problems.append(f"EXPOSE lacks {port}")


CHECKS = {"yaml": check_yaml, "kubernetes": check_kubernetes, "istio": check_istio,
          "envoy": check_envoy, "dockerfile": check_dockerfile}

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("check", choices=sorted(CHECKS))
    parser.add_argument("--binary", action="append", default=[], help="NAME=PATH")
    options = parser.parse_args()
    binaries = dict(b.split("=", 1) for b in options.binary)
    problems = []
    CHECKS[options.check](binaries, problems)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"{options.check}: ok")
