#!/usr/bin/env python3
"""Offline checks of the Helm charts in charts/ (helm itself is usually absent).

Usage: check_charts.py CHARTS_DIR CHECK
  CHECK is one of:
    structure   Chart.yaml fields, values.yaml header, required files, and
                balanced {{ if/range/with/define }} ... {{ end }} in templates
    yamllint    yamllint (charts/.yamllint) on every plain YAML file
    schema      values.yaml, and values.yaml merged with each ci/*-values.yaml,
                against values.schema.json; for the umbrella chart the merged
                values of each subchart against that subchart's schema
    values-refs every .Values.a.b path used in templates exists in values.yaml
    configs     the default prometheus.yml / alertmanager.yml / rule files pass
                promtool / amtool (skipped when those are not installed)
    helm        helm lint + helm unittest (skipped when helm is not installed)
    render      renders every chart x scenario with tests/charts/minihelm (a Go
                text/template + sprig stand-in for `helm template`), checks the
                manifests, and runs the unittests/*_test.yaml suites on them
                (skipped when go or the sprig / yaml.v2 sources are missing)
    dockerfiles services/*/Dockerfile: apt packages exist in Debian's lists,
                COPY sources exist, the binary target is omniscope-<service>,
                and the runtime stage runs as 65534

Exit status 0 when the check passes (or is skipped), 1 otherwise.
"""
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

SUBCHARTS = ["collector", "alerter", "viewer"]
UMBRELLA = "omniscope"
ALL_CHARTS = SUBCHARTS + [UMBRELLA]


class Failures:
    def __init__(self):
        self.messages = []

    def add(self, message):
        self.messages.append(message)
        print("FAIL: " + message)


def present_charts(charts_dir):
    """The suite's charts that exist (the umbrella check demands all three)."""
    return [n for n in ALL_CHARTS if os.path.exists(os.path.join(charts_dir, n, "Chart.yaml"))]


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def ci_values_files(chart_dir):
    ci_dir = os.path.join(chart_dir, "ci")
    if not os.path.isdir(ci_dir):
        return []
    return sorted(os.path.join(ci_dir, n) for n in os.listdir(ci_dir)
                  if n.endswith("-values.yaml"))


def template_files(chart_dir):
    out = []
    for root, _, names in os.walk(os.path.join(chart_dir, "templates")):
        for n in sorted(names):
            if n.endswith((".yaml", ".tpl", ".txt")):
                out.append(os.path.join(root, n))
    return sorted(out)


def merge_values(base, override):
    """Helm's coalescing: maps merge recursively, everything else replaces."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return copy.deepcopy(override)
    out = copy.deepcopy(base)
    for k, v in override.items():
        if v is None:
            out.pop(k, None)  # helm deletes a key set to null
        elif k in out and isinstance(out[k], dict) and isinstance(v, dict):
            out[k] = merge_values(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


# ---------------------------------------------------------------- structure

ACTION_RE = re.compile(r"{{-?\s*(/\*.*?\*/)?\s*(.*?)\s*-?}}", re.S)
OPENERS = ("if", "range", "with", "define", "block")


def check_template_balance(path, failures):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    depth = 0
    for m in ACTION_RE.finditer(text):
        body = m.group(2)
        if not body:
            continue  # a comment
        word = body.split(None, 1)[0] if body.split() else ""
        if word in OPENERS:
            depth += 1
        elif word == "end":
            depth -= 1
            if depth < 0:
                failures.add(f"{path}: {{{{ end }}}} without an opening action")
                return
    if depth != 0:
        failures.add(f"{path}: {depth} unclosed if/range/with/define block(s)")
    if text.count("{{") != text.count("}}"):
        failures.add(f"{path}: unbalanced '{{{{' / '}}}}'")


def check_structure(charts_dir, failures):
    for name in present_charts(charts_dir):
        d = os.path.join(charts_dir, name)
        chart = load_yaml(os.path.join(d, "Chart.yaml"))
        expect = {"apiVersion": "v2", "name": name, "type": "application",
                  "appVersion": "0.1.0", "kubeVersion": ">=1.25.0-0"}
        for k, v in expect.items():
            if chart.get(k) != v:
                failures.add(f"{name}/Chart.yaml: {k} is {chart.get(k)!r}, want {v!r}")
        if not re.match(r"^\d+\.\d+\.\d+", str(chart.get("version", ""))):
            failures.add(f"{name}/Chart.yaml: version is not SemVer")
        with open(os.path.join(d, "Chart.yaml"), encoding="utf-8") as f:
            if not re.search(r'^appVersion: "0\.1\.0"$', f.read(), re.M):
                failures.add(f"{name}/Chart.yaml: appVersion must be a quoted string")
        with open(os.path.join(d, "values.yaml"), encoding="utf-8") as f:
            first = f.readline().rstrip("\n")
        if first != "# yaml-language-server: $schema=values.schema.json":
            failures.add(f"{name}/values.yaml: first line is {first!r}")
        required = ["values.schema.json", "README.md", "templates/_helpers.tpl",
                    "templates/NOTES.txt"]
        if name in SUBCHARTS:
            required += ["templates/tests/test-connection.yaml", "templates/configmap.yaml",
                         "templates/service.yaml", "templates/serviceaccount.yaml",
                         "templates/networkpolicy.yaml"]
            if not os.listdir(os.path.join(d, "unittests")):
                failures.add(f"{name}: no unittests/*_test.yaml")
        for r in required:
            if not os.path.exists(os.path.join(d, r)):
                failures.add(f"{name}: missing {r}")
        if not ci_values_files(d):
            failures.add(f"{name}: no ci/*-values.yaml scenario")
        for t in template_files(d):
            check_template_balance(t, failures)
        dash_dir = os.path.join(d, "dashboards")
        if os.path.isdir(dash_dir):
            for n in sorted(os.listdir(dash_dir)):
                try:
                    with open(os.path.join(dash_dir, n), encoding="utf-8") as f:
                        dashboard = json.load(f)
                    if not dashboard.get("uid") or not dashboard.get("title"):
                        failures.add(f"{name}/dashboards/{n}: no uid or title")
                except ValueError as e:
                    failures.add(f"{name}/dashboards/{n}: not JSON: {e}")
        if name == UMBRELLA:
            deps = {x["name"]: x for x in chart.get("dependencies", [])}
            for sub in SUBCHARTS:
                if not os.path.exists(os.path.join(charts_dir, sub, "Chart.yaml")):
                    failures.add(f"{name}: subchart charts/{sub} is missing")
                    continue
                dep = deps.get(sub)
                if not dep:
                    failures.add(f"{name}: no dependency on {sub}")
                    continue
                if dep.get("repository") != f"file://../{sub}":
                    failures.add(f"{name}: dependency {sub} repository is {dep.get('repository')!r}")
                sub_version = load_yaml(os.path.join(charts_dir, sub, "Chart.yaml"))["version"]
                if str(dep.get("version")) != str(sub_version):
                    failures.add(f"{name}: dependency {sub} version {dep.get('version')} != {sub_version}")


# ---------------------------------------------------------------- yamllint

def check_yamllint(charts_dir, failures):
    files = []
    for name in present_charts(charts_dir):
        d = os.path.join(charts_dir, name)
        files += [os.path.join(d, "Chart.yaml"), os.path.join(d, "values.yaml")]
        files += ci_values_files(d)
        ut = os.path.join(d, "unittests")
        if os.path.isdir(ut):
            files += sorted(os.path.join(ut, n) for n in os.listdir(ut) if n.endswith(".yaml"))
    config = os.path.join(charts_dir, ".yamllint")
    result = subprocess.run(["yamllint", "--strict", "-c", config] + files,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        print(result.stdout)
        failures.add("yamllint reported problems")
    else:
        print(f"yamllint: {len(files)} files clean")


# ---------------------------------------------------------------- schema

def validate(schema, values, label, failures):
    import jsonschema
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(values), key=lambda e: list(e.path))
    for e in errors:
        where = "/".join(str(p) for p in e.path) or "(root)"
        failures.add(f"{label}: {where}: {e.message}")
    if not errors:
        print(f"schema ok: {label}")


def check_schema(charts_dir, failures):
    import jsonschema
    schemas, defaults = {}, {}
    for name in present_charts(charts_dir):
        d = os.path.join(charts_dir, name)
        with open(os.path.join(d, "values.schema.json"), encoding="utf-8") as f:
            schemas[name] = json.load(f)
        try:
            jsonschema.Draft7Validator.check_schema(schemas[name])
        except jsonschema.exceptions.SchemaError as e:
            failures.add(f"{name}/values.schema.json is not a valid draft-07 schema: {e.message}")
            continue
        if schemas[name].get("additionalProperties") is not False:
            failures.add(f"{name}/values.schema.json: top level must set additionalProperties: false")
        defaults[name] = load_yaml(os.path.join(d, "values.yaml")) or {}
    for name in present_charts(charts_dir):
        if name not in defaults:
            continue
        d = os.path.join(charts_dir, name)
        scenarios = [("values.yaml", {})] + [
            (os.path.relpath(p, d), load_yaml(p) or {}) for p in ci_values_files(d)]
        for label, override in scenarios:
            values = merge_values(defaults[name], override)
            validate(schemas[name], values, f"{name}/{label}", failures)
            if name != UMBRELLA:
                continue
            # What each subchart sees: its defaults, then the umbrella's values
            # under its name, with the umbrella's globals.
            for sub in SUBCHARTS:
                if sub not in defaults:
                    continue
                sub_values = merge_values(defaults[sub], values.get(sub) or {})
                if "global" in values:
                    sub_values["global"] = merge_values(sub_values.get("global") or {}, values["global"])
                validate(schemas[sub], sub_values, f"{name}/{label} -> {sub}", failures)


# ---------------------------------------------------------------- values-refs

VALUES_REF_RE = re.compile(r"(?<![\w)])\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


def check_values_refs(charts_dir, failures):
    total = 0
    for name in present_charts(charts_dir):
        d = os.path.join(charts_dir, name)
        values = load_yaml(os.path.join(d, "values.yaml")) or {}
        for t in template_files(d):
            with open(t, encoding="utf-8") as f:
                text = f.read()
            for m in VALUES_REF_RE.finditer(text):
                total += 1
                parts = m.group(1).lstrip(".").split(".")
                node = values
                for i, part in enumerate(parts):
                    if part == "global" and i == 0:
                        break  # set by the umbrella chart, absent by design
                    if isinstance(node, dict) and part in node:
                        node = node[part]
                        continue
                    if isinstance(node, dict) and not node and i > 0:
                        break  # a free-form map ({}) such as podAnnotations
                    line = text[:m.start()].count("\n") + 1
                    failures.add(f"{os.path.relpath(t, charts_dir)}:{line}: .Values.{'.'.join(parts)} "
                                 f"is not in {name}/values.yaml")
                    break
    print(f"values-refs: {total} references checked")


# ---------------------------------------------------------------- configs

def without_kubernetes_sd(config):
    """Debian's promtool is built without Kubernetes discovery: check the rest
    of each job (relabelling, intervals) with a static target instead."""
    config = copy.deepcopy(config)
    for job in config.get("scrape_configs") or []:
        if job.pop("kubernetes_sd_configs", None) is not None:
            job.setdefault("static_configs", [{"targets": ["placeholder:9090"]}])
    return config


def alerter_config(values):
    """alertmanager.yml as templates/configmap.yaml renders it: the global
    *_file settings point at the mounted SMTP / Slack Secrets."""
    config = copy.deepcopy(values["config"])
    glob = config.setdefault("global", {}) or {}
    config["global"] = glob
    secrets = values.get("secrets") or {}
    smtp, slack = secrets.get("smtp") or {}, secrets.get("slack") or {}
    if smtp.get("existingSecret") and "smtp_auth_password" not in glob:
        glob["smtp_auth_password_file"] = "/etc/omniscope/secrets/smtp/" + smtp["key"]
    if slack.get("existingSecret") and "slack_api_url" not in glob:
        glob["slack_api_url_file"] = "/etc/omniscope/secrets/slack/" + slack["key"]
    return config


def run_tool(argv, failures, label):
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        print(result.stdout)
        failures.add(f"{label}: {' '.join(argv[:3])} failed")
    else:
        print(f"{label}: ok")


def config_scenarios(charts_dir):
    """(label, chart, values) for the collector and alerter: each of their own
    scenarios, and what the umbrella chart's scenarios hand them."""
    present = present_charts(charts_dir)
    defaults = {n: load_yaml(os.path.join(charts_dir, n, "values.yaml")) or {} for n in present}
    out = []
    for name in [n for n in present if n in ("collector", "alerter")]:
        d = os.path.join(charts_dir, name)
        out.append((f"{name}/values.yaml", name, defaults[name]))
        for p in ci_values_files(d):
            out.append((f"{name}/{os.path.basename(p)}", name,
                        merge_values(defaults[name], load_yaml(p) or {})))
    if UMBRELLA in present:
        d = os.path.join(charts_dir, UMBRELLA)
        for p in [None] + ci_values_files(d):
            umbrella = merge_values(defaults[UMBRELLA], load_yaml(p) or {} if p else {})
            label = f"{UMBRELLA}/{os.path.basename(p) if p else 'values.yaml'}"
            for name in [n for n in present if n in ("collector", "alerter")]:
                sub = umbrella.get(name) or {}
                if sub.get("enabled") is False:
                    continue
                out.append((f"{label} -> {name}", name, merge_values(defaults[name], sub)))
    return out


def check_configs(charts_dir, failures):
    promtool, amtool = shutil.which("promtool"), shutil.which("amtool")
    if not promtool and not amtool:
        print("skipped: promtool and amtool not installed")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for tag, name, values in config_scenarios(charts_dir):
            if name == "collector" and promtool and not values.get("existingConfigMap"):
                config = without_kubernetes_sd(values["config"])
                config["scrape_configs"] = (config.get("scrape_configs") or []) + \
                    without_kubernetes_sd({"scrape_configs": values.get("extraScrapeConfigs") or []})["scrape_configs"]
                path = os.path.join(tmp, "prometheus.yml")
                with open(path, "w", encoding="utf-8") as f:
                    yaml.safe_dump(config, f)
                run_tool([promtool, "check", "config", "--syntax-only", path], failures, tag + " config")
            if name == "alerter":
                if amtool and not values.get("existingConfigSecret"):
                    path = os.path.join(tmp, "alertmanager.yml")
                    with open(path, "w", encoding="utf-8") as f:
                        yaml.safe_dump(alerter_config(values), f)
                    run_tool([amtool, "check-config", path], failures, tag + " config")
                if promtool:
                    for file_name, rules in (values.get("rules") or {}).items():
                        path = os.path.join(tmp, file_name)
                        with open(path, "w", encoding="utf-8") as f:
                            yaml.safe_dump(rules, f)
                        run_tool([promtool, "check", "rules", path], failures, f"{tag} rules {file_name}")


# ---------------------------------------------------------------- helm

def check_helm(charts_dir, failures):
    helm = shutil.which("helm")
    if not helm:
        print("skipped: helm not installed")
        return
    plugins = subprocess.run([helm, "plugin", "list"], stdout=subprocess.PIPE, text=True).stdout
    # `helm dependency update` writes charts/ and Chart.lock: keep the source
    # tree clean by working on a copy.
    with tempfile.TemporaryDirectory() as tmp:
        copy_dir = os.path.join(tmp, "charts")
        shutil.copytree(charts_dir, copy_dir)
        check_helm_charts(helm, plugins, copy_dir, failures)


def check_helm_charts(helm, plugins, charts_dir, failures):
    for name in present_charts(charts_dir):
        d = os.path.join(charts_dir, name)
        if name == UMBRELLA:
            run_tool([helm, "dependency", "update", d], failures, f"{name} dependency update")
        run_tool([helm, "lint", "--strict", d], failures, f"{name} lint")
        for ci in ci_values_files(d):
            run_tool([helm, "lint", "--strict", d, "-f", ci], failures, f"{name} lint {os.path.basename(ci)}")
            run_tool([helm, "template", "t", d, "-f", ci, "--namespace", "monitoring"], failures,
                     f"{name} template {os.path.basename(ci)}")
        if os.path.isdir(os.path.join(d, "unittests")):
            if "unittest" in plugins:
                run_tool([helm, "unittest", "--strict", "--file", "unittests/*_test.yaml", d],
                         failures, f"{name} unittest")
            else:
                print(f"skipped: {name} unittest (helm-unittest plugin not installed)")


# ---------------------------------------------------------------- dockerfiles

SERVICES = ["collector", "alerter", "viewer"]


def dockerfile_packages(text):
    """Package names of every `apt-get install` in a Dockerfile, per stage."""
    stages, current = [], None
    joined = re.sub(r"\\\n", " ", text)
    for line in joined.splitlines():
        line = line.strip()
        if line.upper().startswith("FROM "):
            current = []
            stages.append(current)
        m = re.search(r"apt-get install ([^&]*)", line)
        if m and current is not None:
            current += [w for w in m.group(1).split() if not w.startswith("-")]
    return stages


def check_dockerfiles(charts_dir, failures):
    repo = os.path.dirname(charts_dir)
    apt_cache = shutil.which("apt-cache")
    lists_ok = apt_cache and subprocess.run(
        [apt_cache, "show", "libc6"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    if not lists_ok:
        print("note: apt lists unavailable, package names not checked")
    for svc in SERVICES:
        path = os.path.join(repo, "services", svc, "Dockerfile")
        if not os.path.exists(path):
            failures.add(f"services/{svc}/Dockerfile is missing")
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        stages = dockerfile_packages(text)
        if len(stages) != 2:
            failures.add(f"{svc}/Dockerfile: want a build and a runtime stage, found {len(stages)}")
        froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
        if froms[:1] != ["debian:12"] or froms[-1:] != ["debian:12-slim"]:
            failures.add(f"{svc}/Dockerfile: stages are {froms}, want debian:12 then debian:12-slim")
        if lists_ok:
            wanted = sorted({p for st in stages for p in st})
            # One apt-cache call for all names: it prints a record for each
            # package it knows (and an error for the others).
            shown = subprocess.run([apt_cache, "show", "--no-all-versions"] + wanted,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
            known = set(re.findall(r"^Package: (\S+)$", shown, re.M))
            for pkg in wanted:
                if pkg not in known:
                    failures.add(f"{svc}/Dockerfile: no Debian package {pkg!r}")
        for m in re.finditer(r"^COPY\s+(?!--from)(\S+)\s+\S+", text, re.M):
            if not os.path.exists(os.path.join(repo, m.group(1))):
                failures.add(f"{svc}/Dockerfile: COPY source {m.group(1)} does not exist")
        target = f"omniscope-{svc}"
        if f"--target {target}" not in text or f"/build/bin/{target} " not in text:
            failures.add(f"{svc}/Dockerfile: does not build and copy {target}")
        runtime = text[text.rfind("\nFROM "):]
        if not re.search(r"^USER 65534(:65534)?$", runtime, re.M):
            failures.add(f"{svc}/Dockerfile: runtime stage does not run as 65534")
        if not re.search(rf'^ENTRYPOINT \["/usr/bin/{target}"\]$', runtime, re.M):
            failures.add(f"{svc}/Dockerfile: ENTRYPOINT is not /usr/bin/{target}")
        # The default CMD must start the daemon: every flag it passes exists.
        cmd = re.search(r"^CMD (\[.*\])$", runtime, re.M)
        defined = daemon_flags(repo, svc)
        if cmd and defined:
            for arg in json.loads(cmd.group(1)):
                if arg.startswith("--") and arg[2:].split("=", 1)[0] not in defined:
                    failures.add(f"{svc}/Dockerfile: CMD passes {arg.split('=', 1)[0]}, "
                                 f"which omniscope-{svc} does not define")
        cmake = os.path.join(repo, "services", svc, "CMakeLists.txt")
        if os.path.exists(cmake):
            with open(cmake, encoding="utf-8") as f:
                binaries = re.findall(r"omni_cc_binary\(\s*NAME\s+(\S+)", f.read())
            if binaries and target not in binaries:
                failures.add(f"services/{svc}/CMakeLists.txt builds {binaries}, not {target}")
            elif not binaries:
                print(f"note: services/{svc}/CMakeLists.txt has no omni_cc_binary yet")
        print(f"dockerfile checked: {svc}")
    ignore = os.path.join(repo, ".dockerignore")
    if not os.path.exists(ignore):
        failures.add(".dockerignore is missing")
    else:
        with open(ignore, encoding="utf-8") as f:
            entries = {l.strip() for l in f if l.strip() and not l.startswith("#")}
        for needed in ("libs", "services", "proto", "cmake", "CMakeLists.txt"):
            if needed in entries:
                failures.add(f".dockerignore excludes {needed}, which the build needs")


# ---------------------------------------------------------------- render

GOPATH_DIRS = ["/usr/share/gocode"]
GO_DEPS = ["github.com/Masterminds/sprig", "gopkg.in/yaml.v2"]


def build_minihelm(work_dir):
    """Builds tests/charts/minihelm into work_dir; None when go is unusable."""
    go = shutil.which("go")
    if not go:
        print("skipped: go not installed (apt-get install golang-go "
              "golang-github-masterminds-sprig-dev golang-gopkg-yaml.v2-dev)")
        return None
    gopath = [d for d in GOPATH_DIRS if all(os.path.isdir(os.path.join(d, "src", dep)) for dep in GO_DEPS)]
    if not gopath:
        print("skipped: Go sources of sprig / yaml.v2 not installed "
              "(golang-github-masterminds-sprig-dev golang-gopkg-yaml.v2-dev)")
        return None
    os.makedirs(work_dir, exist_ok=True)
    binary = os.path.join(work_dir, "minihelm")
    env = dict(os.environ, GOPATH=gopath[0], GO111MODULE="off", GOFLAGS="",
               GOCACHE=os.path.join(work_dir, "gocache"))
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "minihelm", "main.go")
    result = subprocess.run([go, "build", "-o", binary, src], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        print(result.stdout)
        raise RuntimeError("go build of minihelm failed")
    return binary


def render_chart(minihelm, chart_dir, release="omniscope", namespace="monitoring", values_files=(),
                 set_values=None, strict=False):
    """{template path: [documents]} of one rendering; raises on template errors.
    strict: fail on a missing value, like `helm lint --strict`."""
    argv = [minihelm, release, namespace, chart_dir] + list(values_files)
    if set_values:
        argv += ["--set-json", json.dumps(set_values)]
    env = dict(os.environ, MINIHELM_STRICT="1" if strict else "")
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip())
    out = {}
    for chunk in result.stdout.split("---\n# Source: ")[1:]:
        source, _, body = chunk.partition("\n")
        docs = [d for d in yaml.safe_load_all(body) if d is not None]
        out.setdefault(source, []).extend(docs)
    return out


def check_manifest(doc, where, failures):
    for key in ("apiVersion", "kind", "metadata"):
        if key not in doc:
            failures.add(f"{where}: no {key}")
            return
    name = doc["metadata"].get("name", "")
    if not name or len(name) > 63 or not re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", name):
        failures.add(f"{where}: bad metadata.name {name!r}")
    if doc["kind"] in ("StatefulSet", "Deployment"):
        pod = doc["spec"]["template"]["spec"]
        selector = doc["spec"]["selector"]["matchLabels"]
        labels = doc["spec"]["template"]["metadata"]["labels"]
        if any(labels.get(k) != v for k, v in selector.items()):
            failures.add(f"{where}: selector {selector} does not match the pod labels")
        if pod.get("securityContext", {}).get("runAsNonRoot") is not True:
            failures.add(f"{where}: pod is not runAsNonRoot")
        volumes = {v["name"] for v in pod.get("volumes", [])}
        if doc["kind"] == "StatefulSet":
            volumes |= {c["metadata"]["name"] for c in doc["spec"].get("volumeClaimTemplates", [])}
        for c in pod["containers"]:
            if not c.get("securityContext", {}).get("readOnlyRootFilesystem"):
                failures.add(f"{where}: container {c['name']} has a writable root filesystem")
            for probe, suffix in (("livenessProbe", "/-/healthy"), ("readinessProbe", "/-/ready")):
                if not c.get(probe, {}).get("httpGet", {}).get("path", "").endswith(suffix):
                    failures.add(f"{where}: {probe} is not on {suffix}")
            for m in c.get("volumeMounts", []):
                if m["name"] not in volumes:
                    failures.add(f"{where}: volumeMount {m['name']} has no volume")


def check_references(rendered, label, failures):
    """Cross-references inside one rendering: Services select pods that have
    the target ports, workloads use ServiceAccounts, ConfigMaps and headless
    Services that the chart renders, Ingresses point at rendered Services."""
    docs = [d for ds in rendered.values() for d in ds]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    workloads = list(by_kind.get("StatefulSet", {}).values()) + list(by_kind.get("Deployment", {}).values())
    for svc in by_kind.get("Service", {}).values():
        selector = svc["spec"].get("selector") or {}
        pods = [w for w in workloads
                if all(w["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in selector.items())]
        if not pods:
            failures.add(f"{label}: Service {svc['metadata']['name']} selects no workload")
            continue
        ports = {p.get("name") for w in pods for c in w["spec"]["template"]["spec"]["containers"]
                 for p in c.get("ports", [])}
        for port in svc["spec"]["ports"]:
            if isinstance(port["targetPort"], str) and port["targetPort"] not in ports:
                failures.add(f"{label}: Service {svc['metadata']['name']} targets unknown port {port['targetPort']}")
    chart_config_maps = set(by_kind.get("ConfigMap", {}))
    for w in workloads:
        name = f"{w['kind']} {w['metadata']['name']}"
        pod = w["spec"]["template"]["spec"]
        sa = pod.get("serviceAccountName")
        if sa and sa != "default" and sa not in by_kind.get("ServiceAccount", {}):
            failures.add(f"{label}: {name} uses ServiceAccount {sa}, which is not rendered")
        if w["kind"] == "StatefulSet" and w["spec"]["serviceName"] not in by_kind.get("Service", {}):
            failures.add(f"{label}: {name} governing Service {w['spec']['serviceName']} is not rendered")
        own_prefix = w["metadata"]["name"]
        for v in pod.get("volumes", []):
            sources = [v.get("configMap")] + [s.get("configMap") for s in (v.get("projected") or {}).get("sources", [])]
            for cm in [x for x in sources if x]:
                # Only the chart's own ConfigMaps must be rendered; others are user-provided.
                if cm["name"].startswith(own_prefix) and cm["name"] not in chart_config_maps:
                    failures.add(f"{label}: {name} mounts ConfigMap {cm['name']}, which is not rendered")
        for c in pod["containers"]:
            port_names = {p["name"] for p in c.get("ports", [])}
            for pn in port_names:
                if len(pn) > 15:
                    failures.add(f"{label}: {name} port name {pn} is longer than 15 characters")
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                port = (c.get(probe) or {}).get("httpGet", {}).get("port")
                if isinstance(port, str) and port not in port_names:
                    failures.add(f"{label}: {name} {probe} uses unknown port {port}")
    # Wiring between the daemons: where the rendering holds the component a
    # --collector / --alerter flag points at (the umbrella chart), the address
    # must name one of its Services and ports.
    services = by_kind.get("Service", {})
    for w in workloads:
        for c in w["spec"]["template"]["spec"]["containers"]:
            for arg in c.get("args", []):
                # "dns+" asks for every address of the name (all replicas behind a headless Service).
                m = re.match(r"^--(collector|alerter)=(?:dns\+)?([^:]+):(\d+)$", arg)
                if not m:
                    continue
                component, host, port = m.group(1), m.group(2), int(m.group(3))
                candidates = {n: svc for n, svc in services.items()
                              if svc["metadata"]["labels"].get("app.kubernetes.io/component") == component}
                if not candidates:
                    continue
                svc = candidates.get(host.split(".")[0])
                if not svc or port not in [p["port"] for p in svc["spec"]["ports"]]:
                    failures.add(f"{label}: {w['metadata']['name']} {arg} matches no {component} Service/port "
                                 f"({sorted(candidates)})")
    for ing in by_kind.get("Ingress", {}).values():
        for rule in ing["spec"].get("rules", []):
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                svc = by_kind.get("Service", {}).get(backend["name"])
                if not svc:
                    failures.add(f"{label}: Ingress backend {backend['name']} is not rendered")
                elif backend["port"]["number"] not in [p["port"] for p in svc["spec"]["ports"]]:
                    failures.add(f"{label}: Ingress backend port {backend['port']['number']} not on the Service")
    for binding in list(by_kind.get("RoleBinding", {}).values()) + list(by_kind.get("ClusterRoleBinding", {}).values()):
        role_kind = binding["roleRef"]["kind"]
        if binding["roleRef"]["name"] not in by_kind.get(role_kind, {}):
            failures.add(f"{label}: {binding['kind']} refers to missing {role_kind} {binding['roleRef']['name']}")
        for subject in binding["subjects"]:
            if subject["name"] not in by_kind.get("ServiceAccount", {}):
                failures.add(f"{label}: {binding['kind']} subject {subject['name']} is not rendered")


# A helm-unittest subset: enough for unittests/*_test.yaml of these charts.

PATH_TOKEN_RE = re.compile(r"""\.?([A-Za-z0-9_$-]+)|\[(\d+)\]|\[['"]?([^]'"]+)['"]?\]""")


def get_path(doc, path):
    """(found, value) for a helm-unittest path like a.b[0]['c/d']."""
    node, pos = doc, 0
    while pos < len(path):
        m = PATH_TOKEN_RE.match(path, pos)
        if not m:
            raise ValueError(f"bad path {path!r}")
        pos = m.end()
        key = m.group(1) if m.group(1) is not None else m.group(3)
        if m.group(2) is not None:
            index = int(m.group(2))
            if not isinstance(node, list) or index >= len(node):
                return False, None
            node = node[index]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return False, None
    return True, node


def set_to_values(set_map):
    out = {}
    for dotted, value in (set_map or {}).items():
        node = out
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def run_assert(kind, spec, docs):
    """Error message or None for one assertion over the selected documents."""
    if kind == "hasDocuments":
        return None if len(docs) == spec["count"] else f"has {len(docs)} documents, want {spec['count']}"
    if not docs:
        return "no documents rendered"
    for doc in docs:
        if kind == "isKind":
            if doc.get("kind") != spec["of"]:
                return f"kind {doc.get('kind')}, want {spec['of']}"
            continue
        found, value = get_path(doc, spec["path"])
        if kind == "exists" and not found:
            return f"{spec['path']} does not exist"
        if kind == "notExists" and found:
            return f"{spec['path']} exists: {value!r}"
        if kind == "equal" and (not found or value != spec["value"]):
            return f"{spec['path']} is {value!r}, want {spec['value']!r}"
        if kind == "contains" and (not found or not isinstance(value, list) or spec["content"] not in value):
            return f"{spec['path']} = {value!r} does not contain {spec['content']!r}"
        if kind == "notContains" and found and isinstance(value, list) and spec["content"] in value:
            return f"{spec['path']} contains {spec['content']!r}"
        if kind == "matchRegex" and (not found or not re.search(spec["pattern"], str(value))):
            return f"{spec['path']} = {value!r} does not match {spec['pattern']!r}"
        if kind not in ("exists", "notExists", "equal", "contains", "notContains", "matchRegex"):
            return f"unsupported assertion {kind}"
    return None


def run_unittests(minihelm, chart_dir, failures):
    ut_dir = os.path.join(chart_dir, "unittests")
    chart_name = load_yaml(os.path.join(chart_dir, "Chart.yaml"))["name"]
    passed = 0
    for suite_file in sorted(os.listdir(ut_dir)) if os.path.isdir(ut_dir) else []:
        if not suite_file.endswith("_test.yaml"):
            continue
        suite = load_yaml(os.path.join(ut_dir, suite_file))
        release = suite.get("release") or {}
        for test in suite["tests"]:
            label = f"{chart_name}/unittests/{suite_file}: {test['it']}"
            try:
                rendered = render_chart(minihelm, chart_dir, release.get("name", "omniscope"),
                                        release.get("namespace", "monitoring"),
                                        set_values=set_to_values(test.get("set")))
            except RuntimeError as e:
                failures.add(f"{label}: render failed: {e}")
                continue
            default_templates = [test["template"]] if "template" in test else suite.get("templates", [])
            ok = True
            for assertion in test["asserts"]:
                (kind, spec), = [(k, v) for k, v in assertion.items() if k not in ("documentIndex", "template")]
                templates = [assertion["template"]] if "template" in assertion else default_templates
                for t in templates:
                    # charts/<sub>/templates/x.yaml: a subchart's template (umbrella suites).
                    sub = re.match(r"^charts/([^/]+)/(templates/.+)$", t)
                    source = f"{sub.group(1)}/{sub.group(2)}" if sub else f"{chart_name}/templates/{t}"
                    docs = rendered.get(source, [])
                    if "documentIndex" in assertion:
                        i = assertion["documentIndex"]
                        docs = docs[i:i + 1]
                    error = run_assert(kind, spec or {}, docs)
                    if error:
                        failures.add(f"{label}: {kind} on {t}: {error}")
                        ok = False
            passed += ok
    return passed


FLAG_DEF_RE = re.compile(r"\.(?:String|Bool|Int|Duration|StringList)\(\s*\"([a-z0-9][a-z0-9.-]*)\"")

# Values that switch on every optional flag a chart can pass (extraArgs aside).
ALL_FLAGS_VALUES = {
    "collector": {"retentionSize": "10GB", "externalUrl": "https://x.example.com/",
                  "webConfig": {"existingSecret": "w"}, "enableAdminApi": True, "enableLifecycle": True},
    "alerter": {"externalUrl": "https://x.example.com/", "webConfig": {"existingSecret": "w"},
                "extraRuleFiles": ["/x.yml"]},
    "viewer": {"webConfig": {"existingSecret": "w"}},
}


HELP_FLAG_RE = re.compile(r"^\s+--(?:\[no-\])?([a-z0-9][a-z0-9.-]*)", re.M)


def daemon_flags(repo, svc):
    """The flags omniscope-<svc> accepts: from its --help when the binary is
    built (OMNI_BINARY_DIR/bin), else the literal names its sources register."""
    binary = os.path.join(os.environ.get("OMNI_BINARY_DIR", ""), "bin", f"omniscope-{svc}")
    if os.environ.get("OMNI_BINARY_DIR") and os.access(binary, os.X_OK):
        out = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30).stdout
        return set(HELP_FLAG_RE.findall(out))
    defined = set()
    # The daemon's own sources, and the flag groups in libs/ (*_flags.cc) it may register.
    for top, wanted in ((os.path.join(repo, "services", svc), (".cc", ".h")), (os.path.join(repo, "libs"), ("_flags.cc",))):
        for root, _, names in os.walk(top):
            for n in names:
                if n.endswith(wanted):
                    with open(os.path.join(root, n), encoding="utf-8", errors="replace") as f:
                        defined |= set(FLAG_DEF_RE.findall(f.read()))
    return defined


def check_flags(minihelm, charts_dir, failures):
    """Every flag a chart passes is defined by the daemon's FlagSet, once the
    daemon's sources define flags."""
    repo = os.path.dirname(charts_dir)
    for svc, values in ALL_FLAGS_VALUES.items():
        defined = daemon_flags(repo, svc)
        if not defined:
            print(f"note: omniscope-{svc} is not built and services/{svc} defines no flags yet; chart flags not compared")
            continue
        chart_dir = os.path.join(charts_dir, svc)
        if not os.path.isdir(chart_dir):
            continue
        # Every optional flag switched on, and every install scenario (their
        # extraArgs must exist too).
        renderings = [render_chart(minihelm, chart_dir, set_values=values)]
        renderings += [render_chart(minihelm, chart_dir, values_files=[p]) for p in ci_values_files(chart_dir)]
        passed = set()
        for rendered in renderings:
            for docs in rendered.values():
                for d in docs:
                    if d["kind"] in ("StatefulSet", "Deployment"):
                        for c in d["spec"]["template"]["spec"]["containers"]:
                            passed |= {a[2:].split("=", 1)[0] for a in c.get("args", []) if a.startswith("--")}
        for flag in sorted(passed - defined):
            failures.add(f"charts/{svc} passes --{flag}, which services/{svc} does not define")
        if passed <= defined:
            print(f"flags: charts/{svc} passes {len(passed)} flags, all defined by services/{svc}")


def check_render(charts_dir, failures):
    work_dir = os.environ.get("OMNI_CHARTS_WORK_DIR") or os.path.join(tempfile.gettempdir(), "omni-charts-render")
    minihelm = build_minihelm(work_dir)
    if not minihelm:
        return
    total_tests = 0
    for name in present_charts(charts_dir):
        d = os.path.join(charts_dir, name)
        for values_file in [None] + ci_values_files(d):
            label = f"{name}/{os.path.relpath(values_file, d) if values_file else 'values.yaml'}"
            try:
                rendered = render_chart(minihelm, d, values_files=[values_file] if values_file else [],
                                        strict=True)
            except RuntimeError as e:
                failures.add(f"{label}: render failed: {e}")
                continue
            count = 0
            for source, docs in rendered.items():
                for i, doc in enumerate(docs):
                    check_manifest(doc, f"{label} {source}[{i}]", failures)
                    count += 1
            check_references(rendered, label, failures)
            print(f"rendered {label}: {count} manifests")
        total_tests += run_unittests(minihelm, d, failures)
    print(f"unittests: {total_tests} passed")
    check_flags(minihelm, charts_dir, failures)


CHECKS = {
    "structure": check_structure,
    "yamllint": check_yamllint,
    "schema": check_schema,
    "values-refs": check_values_refs,
    "configs": check_configs,
    "helm": check_helm,
    "dockerfiles": check_dockerfiles,
    "render": check_render,
}


def main(argv):
    if len(argv) != 3 or argv[2] not in CHECKS:
        print(__doc__)
        return 2
    failures = Failures()
    CHECKS[argv[2]](os.path.abspath(argv[1]), failures)
    if failures.messages:
        print(f"{len(failures.messages)} problem(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
