"""Shows that check_manifests.py rejects what a cluster would reject, and
notices drift: each test breaks one thing in a copy of the real manifests
and expects the check to name it."""

import copy
import os
import subprocess
import sys
import unittest
from pathlib import Path

import check_manifests as check

HERE = Path(__file__).resolve().parent


def schemas_present():
    return all((check.ISTIO_SCHEMAS / name).is_file() for name in check.ISTIO_CRDS.values())


class Manifests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.objects = check.load_manifests()
        cls.versions = check.kubernetes_versions()
        cls.dockerfiles = {
            name: check.dockerfile_facts(check.ROOT / name)
            for name in ("Dockerfile_server", "Dockerfile_client")
        }
        cls.defaults = {app: check.binary_defaults(app) for app in ("pyserver", "pyclient")}
        cls.readme = (check.ROOT / "README.md").read_text()

    def find(self, objects, kind, name=None, file=None):
        for where, document in objects:
            if document.get("kind") == kind and (name is None or document["metadata"]["name"] == name):
                if file is None or where.startswith(file):
                    return document
        raise AssertionError(f"no {kind} {name}")

    def container(self, objects, app):
        deployment = self.find(objects, "Deployment", app)
        return deployment["spec"]["template"]["spec"]["containers"][0]

    def assertOneProblem(self, problems, naming):
        """Exactly one problem was found, and its sentence names `naming`."""
        self.assertEqual(len(problems), 1, problems)
        self.assertIn(naming, problems[0])

    def istio_problems(self, objects):
        self.assertTrue(schemas_present(), f"Istio schemas missing from {check.ISTIO_SCHEMAS}")
        problems = check.Problems()
        check.check_istio(objects, problems)
        return problems

    def fail_fast(self, objects):
        return self.find(objects, "DestinationRule", file="destination_fail_fast")

    # The shipped manifests -------------------------------------------------

    def test_the_shipped_manifests_pass_every_check(self):
        problems = check.Problems()
        check.check_kubernetes(self.objects, problems, self.versions)
        check.check_pod_security(self.objects, problems)
        check.check_agreement(self.objects, problems, self.readme, self.dockerfiles, self.defaults)
        problems += self.istio_problems(self.objects)
        self.assertEqual(problems, [])

    def test_the_destination_rules_set_the_workshop_limits(self):
        max_5 = self.find(self.objects, "DestinationRule", file="destination_max_5")
        pool = max_5["spec"]["trafficPolicy"]["connectionPool"]
        self.assertEqual(pool, {"tcp": {"maxConnections": 5}})
        pool = self.fail_fast(self.objects)["spec"]["trafficPolicy"]["connectionPool"]
        self.assertEqual(pool, {"tcp": {"maxConnections": 5}, "http": {"http1MaxPendingRequests": 1}})

    # Istio objects ---------------------------------------------------------

    def test_a_misspelt_istio_field_is_rejected(self):
        objects = copy.deepcopy(self.objects)
        http = self.fail_fast(objects)["spec"]["trafficPolicy"]["connectionPool"]["http"]
        http["http1MaxPendingRequest"] = http.pop("http1MaxPendingRequests")

        problems = self.istio_problems(objects)

        self.assertOneProblem(problems, "http1MaxPendingRequest")

    def test_a_wrongly_typed_istio_field_is_rejected(self):
        objects = copy.deepcopy(self.objects)
        tcp = self.fail_fast(objects)["spec"]["trafficPolicy"]["connectionPool"]["tcp"]
        tcp["maxConnections"] = "five"

        problems = self.istio_problems(objects)

        self.assertOneProblem(problems, "'five' is not of type 'integer'")
        self.assertIn("/spec/trafficPolicy/connectionPool/tcp/maxConnections", problems[0])

    def test_an_unserved_istio_version_is_rejected(self):
        objects = copy.deepcopy(self.objects)
        self.fail_fast(objects)["apiVersion"] = "networking.istio.io/v2"

        problems = self.istio_problems(objects)

        self.assertOneProblem(problems, "not a served version")

    # Kubernetes objects ----------------------------------------------------

    def test_a_misspelt_kubernetes_field_is_rejected(self):
        objects = copy.deepcopy(self.objects)
        container = self.container(objects, "pyserver")
        container["imagePullPolcy"] = container.pop("imagePullPolicy")

        problems = check.Problems()
        check.check_kubernetes(objects, problems, self.versions[-1:])

        self.assertOneProblem(problems, "imagePullPolcy")

    def test_a_wrongly_typed_kubernetes_field_is_rejected(self):
        objects = copy.deepcopy(self.objects)
        self.find(objects, "Deployment", "pyclient")["spec"]["replicas"] = "one"

        problems = check.Problems()
        check.check_kubernetes(objects, problems, self.versions[-1:])

        self.assertOneProblem(problems, "/spec/replicas")

    # Pod security ----------------------------------------------------------

    def test_a_writable_root_filesystem_is_not_restricted(self):
        objects = copy.deepcopy(self.objects)
        del self.container(objects, "pyclient")["securityContext"]["readOnlyRootFilesystem"]

        problems = check.Problems()
        check.check_pod_security(objects, problems)

        self.assertOneProblem(problems, "readOnlyRootFilesystem")

    def test_missing_limits_and_probes_are_named(self):
        objects = copy.deepcopy(self.objects)
        container = self.container(objects, "pyserver")
        del container["resources"]["limits"]
        del container["livenessProbe"]

        problems = check.Problems()
        check.check_pod_security(objects, problems)

        self.assertEqual(len(problems), 3, problems)
        self.assertTrue(any("livenessProbe" in p for p in problems), problems)

    # Drift -----------------------------------------------------------------

    def agreement(self, objects=None, readme=None, dockerfiles=None, defaults=None):
        problems = check.Problems()
        check.check_agreement(
            objects or self.objects,
            problems,
            readme or self.readme,
            dockerfiles or self.dockerfiles,
            defaults or self.defaults,
        )
        return problems

    def test_a_drifted_exposed_port_is_noticed(self):
        dockerfiles = copy.deepcopy(self.dockerfiles)
        dockerfiles["Dockerfile_server"]["port"] = 5001

        problems = self.agreement(dockerfiles=dockerfiles)

        self.assertOneProblem(problems, "exposes 5001")

    def test_a_drifted_image_name_is_noticed(self):
        objects = copy.deepcopy(self.objects)
        self.container(objects, "pyclient")["image"] = "pyclient:latest"

        problems = self.agreement(objects=objects)

        self.assertOneProblem(problems, "pyclient:latest")

    def test_a_drifted_health_path_is_noticed(self):
        objects = copy.deepcopy(self.objects)
        self.container(objects, "pyserver")["readinessProbe"]["httpGet"]["path"] = "/health"

        problems = self.agreement(objects=objects)

        self.assertOneProblem(problems, "/health,")

    def test_a_drifted_default_port_is_noticed(self):
        defaults = copy.deepcopy(self.defaults)
        defaults["pyserver"]["port"] = 8000

        problems = self.agreement(defaults=defaults)

        self.assertOneProblem(problems, "listens on 8000")

    def test_a_client_default_that_misses_the_service_port_is_noticed(self):
        defaults = copy.deepcopy(self.defaults)
        defaults["pyclient"]["url"] = "http://pyserver:5000/index"

        problems = self.agreement(defaults=defaults)

        self.assertOneProblem(problems, "http://pyserver:5000/index")

    def test_a_readme_that_builds_another_image_is_noticed(self):
        readme = self.readme.replace("docker build -t py_server ", "docker build -t pyserver ")

        problems = self.agreement(readme=readme)

        self.assertOneProblem(problems, "docker build -t py_server")

    # Without ../shared -----------------------------------------------------

    def test_without_the_istio_schemas_the_check_fails_and_says_why(self):
        env = dict(os.environ, ISTIO_SCHEMAS=str(HERE / "no-such-folder"))
        run = subprocess.run(
            [sys.executable, str(HERE / "check_manifests.py")],
            env=env, capture_output=True, text=True,
        )

        self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
        self.assertIn("../shared/istio/", run.stdout)
        self.assertIn("NOT checked", run.stdout)


if __name__ == "__main__":
    unittest.main()
