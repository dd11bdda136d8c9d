"""Checks that a cluster with Istio would accept every manifest in
deployment/, and that names, ports and health paths agree everywhere.

Three checks, each of which prints what it found:

- Kubernetes objects validate strictly (unknown fields rejected) against
  the schemas that the kubernetes-validate package carries, for every
  Kubernetes release the workshop supports.
- Istio objects validate, just as strictly, against Istio's own CRD schemas
  in ../shared/istio/ (or ISTIO_SCHEMAS), for the API version they use,
  which must be served there.
- The app containers meet the Pod Security Standard "restricted", with
  resource requests, limits and probes; and image names, ports and health
  paths agree between the Dockerfiles, the manifests, the binaries' own
  defaults and the README's table.

Usage: python3 scripts/check_manifests.py   (exit 0 when all is well)
"""

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOYMENT = ROOT / "deployment"
ISTIO_SCHEMAS = Path(os.environ.get("ISTIO_SCHEMAS", ROOT.parent / "shared" / "istio"))

# Kubernetes releases to validate against: the oldest that current Istio
# releases support, up to the newest that kubernetes-validate knows.
OLDEST_KUBERNETES = (1, 30)

# Istio's CRDs, by API group and kind.
ISTIO_CRDS = {
    ("networking.istio.io", "DestinationRule"): "destinationrule-crd.yaml",
    ("networking.istio.io", "VirtualService"): "virtualservice-crd.yaml",
}

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class Problems(list):
    """What the checks found wrong, one sentence each."""

    def add(self, where, what):
        self.append(f"{where}: {what}")


def load_manifests(directory=DEPLOYMENT):
    """Every object of every .yml/.yaml file, with the file it came from."""
    objects = []
    for path in sorted(directory.glob("*.y*ml")):
        for number, document in enumerate(yaml.safe_load_all(path.read_text())):
            if document is not None:
                objects.append((f"{path.name}#{number + 1}", document))
    return objects


def is_istio(document):
    group = str(document.get("apiVersion", "")).split("/")[0]
    return group.endswith("istio.io")


# Kubernetes schemas -------------------------------------------------------


def kubernetes_versions():
    import kubernetes_validate

    schemas = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    versions = set()
    for entry in schemas.iterdir():
        match = re.match(r"^v(\d+)\.(\d+)\.(\d+)-local-strict$", entry.name)
        if match:
            versions.add(tuple(int(part) for part in match.groups()))
    chosen = sorted(v for v in versions if v[:2] >= OLDEST_KUBERNETES)
    return [".".join(map(str, v)) for v in chosen]


def check_kubernetes(objects, problems, versions):
    import kubernetes_validate

    for where, document in objects:
        if is_istio(document):
            continue
        for version in versions:
            try:
                kubernetes_validate.validate(document, version, strict=True)
            except kubernetes_validate.ValidationError as err:
                problems.add(where, f"Kubernetes {version}: {first_line(err)} at {path_of(err)}")
                break
            except kubernetes_validate.SchemaNotFoundError:
                problems.add(where, f"no Kubernetes {version} schema for {document.get('kind')}")
                break


# Istio schemas -----------------------------------------------------------


def strict(schema):
    """The schema with unknown fields refused wherever it lists the known
    ones, as `kubectl apply` (strict field validation) refuses them."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def istio_schema(group, kind, version, directory):
    """The strict schema of one served version of an Istio kind."""
    crd_file = directory / ISTIO_CRDS[(group, kind)]
    crd = yaml.safe_load(crd_file.read_text())
    for entry in crd["spec"]["versions"]:
        if entry["name"] == version:
            if not entry.get("served"):
                return None
            schema = strict(entry["schema"]["openAPIV3Schema"])
            # The CRD leaves the object's envelope to the API server, which
            # knows it well.
            schema["properties"]["apiVersion"] = {"const": f"{group}/{version}"}
            schema["properties"]["kind"] = {"const": kind}
            schema.setdefault("required", [])
            schema["required"] += ["apiVersion", "kind", "metadata", "spec"]
            schema["properties"]["metadata"] = {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "pattern": DNS_LABEL.pattern},
                    "namespace": {"type": "string"},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                },
                "additionalProperties": False,
            }
            return schema
    return None


def check_istio(objects, problems, directory=ISTIO_SCHEMAS):
    for where, document in objects:
        if not is_istio(document):
            continue
        group, _, version = str(document.get("apiVersion", "")).partition("/")
        kind = document.get("kind")
        if (group, kind) not in ISTIO_CRDS:
            problems.add(where, f"no Istio schema here for {group} {kind}")
            continue
        schema = istio_schema(group, kind, version, directory)
        if schema is None:
            problems.add(where, f"{group}/{version} is not a served version of {kind}")
            continue
        validator = jsonschema.Draft7Validator(schema)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        for err in errors:
            problems.add(where, f"{kind} {group}/{version}: {first_line(err)} at {path_of(err)}")


# Pod security and agreement ----------------------------------------------


def check_pod_security(objects, problems):
    """Pod Security Standard "restricted", plus what a cluster expects of
    every app container: resources and probes."""
    for where, document in objects:
        if document.get("kind") != "Deployment":
            continue
        pod = document["spec"]["template"]["spec"]
        pod_security = pod.get("securityContext", {})
        for container in pod.get("containers", []):
            name = f"{where} container {container.get('name')}"
            security = container.get("securityContext", {})

            def effective(key):
                return security.get(key, pod_security.get(key))

            if effective("runAsNonRoot") is not True:
                problems.add(name, "runAsNonRoot must be true")
            if effective("runAsUser") == 0:
                problems.add(name, "runAsUser must not be 0")
            if security.get("allowPrivilegeEscalation") is not False:
                problems.add(name, "allowPrivilegeEscalation must be false")
            if "ALL" not in security.get("capabilities", {}).get("drop", []):
                problems.add(name, "capabilities must drop ALL")
            if (effective("seccompProfile") or {}).get("type") not in ("RuntimeDefault", "Localhost"):
                problems.add(name, "seccompProfile must be RuntimeDefault")
            if security.get("readOnlyRootFilesystem") is not True:
                problems.add(name, "readOnlyRootFilesystem must be true")
            resources = container.get("resources", {})
            for part in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in resources.get(part, {}):
                        problems.add(name, f"resources.{part}.{resource} is missing")
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in container:
                    problems.add(name, f"{probe} is missing")


def dockerfile_facts(path):
    text = path.read_text()
    exposed = re.findall(r"^EXPOSE\s+(\d+)\s*$", text, re.MULTILINE)
    entrypoint = re.findall(r'^ENTRYPOINT\s+\["/([^"]+)"\]', text, re.MULTILINE)
    tag = re.findall(r"docker build -t (\S+) --file " + re.escape(path.name), text)
    return {
        "port": int(exposed[0]) if len(exposed) == 1 else None,
        "binary": entrypoint[0] if entrypoint else None,
        "image": tag[0] if tag else None,
    }


def readme_table(readme):
    """The README's table of apps: app -> image, port, health path."""
    rows = {}
    pattern = re.compile(
        r"^\|\s*`(\w+)`\s*\|\s*`([\w.-]+)`\s*\|\s*`(Dockerfile_\w+)`\s*\|\s*(\d+)\s*\|\s*`(/[\w/]*)`\s*\|",
        re.MULTILINE,
    )
    for app, image, dockerfile, port, health in pattern.findall(readme):
        rows[app] = {"image": image, "dockerfile": dockerfile, "port": int(port), "health": health}
    return rows


def binary_defaults(package):
    """The default port and the health path as the program itself has them."""
    help_text = subprocess.run(
        ["cargo", "run", "--quiet", "--locked", "-p", package, "--", "--help"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    flag = "--port" if package == "pyserver" else "--listen-port"
    match = re.search(re.escape(flag) + r" <PORT>.*?\[default: (\d+)\]", help_text, re.DOTALL)
    source = "\n".join(p.read_text() for p in (ROOT / package / "src").glob("*.rs"))
    routes = re.findall(r'\.route\("(/[\w/]*)"', source)
    url = re.search(r"--url <URL>.*?\[default: (\S+)\]", help_text, re.DOTALL)
    return {
        "port": int(match.group(1)) if match else None,
        "routes": routes,
        "url": url.group(1) if url else None,
    }


def check_agreement(objects, problems, readme, dockerfiles, defaults):
    """Image names, ports and health paths agree between the Dockerfiles,
    the manifests, the binaries and the README."""
    table = readme_table(readme)
    found = {}
    for where, document in objects:
        found[(document.get("kind"), document.get("metadata", {}).get("name"))] = (where, document)

    for app in ("pyserver", "pyclient"):
        row = table.get(app)
        if row is None:
            problems.add("README.md", f"the table of apps has no row for `{app}`")
            continue
        docker = dockerfiles.get(row["dockerfile"])
        if docker is None:
            problems.add("README.md", f"{app}'s row names {row['dockerfile']}, which does not exist")
            continue
        agree_on_build(app, row, docker, defaults[app], readme, problems)

        if ("Deployment", app) in found:
            agree_on_container(app, row, *found[("Deployment", app)], problems)
        else:
            problems.add("deployment/", f"no Deployment {app}")
        if ("Service", app) in found:
            agree_on_service(row, *found[("Service", app)], problems)
        else:
            problems.add("deployment/", f"no Service {app}")

    if ("Service", "pyserver") in found:
        agree_on_upstream(defaults["pyclient"]["url"] or "", found[("Service", "pyserver")][1], problems)
    for where, document in objects:
        if document.get("kind") == "DestinationRule":
            host = document.get("spec", {}).get("host")
            if ("Service", host) not in found:
                problems.add(where, f"host {host} is not a Service of deployment/")


def agree_on_build(app, row, docker, default, readme, problems):
    """The README's row, the Dockerfile and the program's own defaults."""
    if docker["image"] != row["image"]:
        problems.add(row["dockerfile"], f"builds {docker['image']}, the README says {row['image']}")
    command = f"docker build -t {row['image']} --file {row['dockerfile']} ."
    if command not in readme:
        problems.add("README.md", f"has no `{command}`")
    if docker["binary"] != app:
        problems.add(row["dockerfile"], f"runs /{docker['binary']}, not /{app}")
    if docker["port"] != row["port"]:
        problems.add(row["dockerfile"], f"exposes {docker['port']}, the README says {row['port']}")
    if default["port"] != row["port"]:
        problems.add(app, f"listens on {default['port']} by default, the README says {row['port']}")
    if row["health"] not in default["routes"]:
        problems.add(app, f"serves no {row['health']}; its routes are {default['routes']}")


def agree_on_container(app, row, where, deployment, problems):
    """The Deployment's container runs the image, on the port, with probes
    on the health path."""
    containers = deployment["spec"]["template"]["spec"]["containers"]
    container = next((c for c in containers if c.get("name") == app), None)
    if container is None:
        problems.add(where, f"no container named {app}")
        return
    if container.get("image") != f"{row['image']}:latest":
        problems.add(where, f"runs image {container.get('image')}, not {row['image']}:latest")
    ports = {p.get("name"): p.get("containerPort") for p in container.get("ports", [])}
    if ports.get("http") != row["port"]:
        problems.add(where, f"containerPort http is {ports.get('http')}, not {row['port']}")
    for probe in ("readinessProbe", "livenessProbe"):
        get = container.get(probe, {}).get("httpGet", {})
        if get.get("path") != row["health"]:
            problems.add(where, f"{probe} asks {get.get('path')}, not {row['health']}")
        if get.get("port") not in ("http", row["port"]):
            problems.add(where, f"{probe} asks port {get.get('port')}, not {row['port']}")


def agree_on_service(row, where, service, problems):
    targets = [p.get("targetPort") for p in service["spec"].get("ports", [])]
    if row["port"] not in targets:
        problems.add(where, f"targetPort {targets} does not reach {row['port']}")


def agree_on_upstream(client_url, service, problems):
    """The client's default URL names the pyserver Service on one of its ports."""
    ports = [p.get("port") for p in service["spec"].get("ports", [])]
    match = re.match(r"^http://pyserver(?::(\d+))?/", client_url)
    if match is None or int(match.group(1) or 80) not in ports:
        problems.add("pyclient", f"requests {client_url}, which Service pyserver (ports {ports}) does not serve")


# Helpers and main ----------------------------------------------------------


def first_line(err):
    return str(getattr(err, "message", err)).splitlines()[0]


def path_of(err):
    path = list(getattr(err, "absolute_path", []) or getattr(err, "path", []) or [])
    return "/" + "/".join(str(part) for part in path)


def main():
    problems = Problems()
    objects = load_manifests()
    print(f"check-manifests: {len(objects)} objects in deployment/")

    versions = kubernetes_versions()
    check_kubernetes(objects, problems, versions)
    print(f"  Kubernetes objects checked strictly against Kubernetes {versions[0]} to {versions[-1]}")

    check_pod_security(objects, problems)
    print("  app containers checked against Pod Security 'restricted', resources and probes")

    dockerfiles = {name: dockerfile_facts(ROOT / name) for name in ("Dockerfile_server", "Dockerfile_client")}
    defaults = {app: binary_defaults(app) for app in ("pyserver", "pyclient")}
    check_agreement(objects, problems, (ROOT / "README.md").read_text(), dockerfiles, defaults)
    print("  image names, ports and health paths compared across Dockerfiles, manifests, binaries and README")

    missing = [name for name in ISTIO_CRDS.values() if not (ISTIO_SCHEMAS / name).is_file()]
    if missing:
        problems.add(
            str(ISTIO_SCHEMAS),
            f"Istio's CRD schemas ({', '.join(missing)}) are missing: this check needs ../shared/istio/ "
            "beside the clone, or ISTIO_SCHEMAS naming a folder that has them; the Istio objects "
            "were NOT checked",
        )
    else:
        check_istio(objects, problems)
        print(f"  Istio objects checked strictly against the CRD schemas in {ISTIO_SCHEMAS}")

    for problem in problems:
        print(f"FAIL {problem}")
    if problems:
        print(f"check-manifests: {len(problems)} problems")
        return 1
    print("check-manifests: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
