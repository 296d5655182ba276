#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every command's --json output against docs/pcibind.schema.json.

Runs, on every fixture tree under $BUILD/fixtures: list, list --stub,
status, doctor and policy check; for every function show, explain, and
seize and release --dry-run (a plan, or the error object of a refusal);
the golden policy sets (errors, warnings); status with a journal (seize on
the fake kernel, a copy of the laptop fixture) and with driverctl's
overrides; and usage errors under --json. Each document is validated
against the schema's $defs entry for its command (the error object where
the command printed one), with additionalProperties false throughout, so a
key the schema does not know fails. The validator is python3-jsonschema
(Debian), Draft 2020-12. Usage: json-schema.py (from the top directory).
"""
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    print("json-schema: python3-jsonschema is not installed (tests/cli/packages.txt)")
    sys.exit(1)

BUILD = os.environ.get("BUILD", "build")
PCIBIND = os.environ.get("PCIBIND", os.path.join(BUILD, "pcibind"))
FAKE = os.path.join(BUILD, "pcibind-fake")
SCHEMA = json.load(open("docs/pcibind.schema.json"))
jsonschema.Draft202012Validator.check_schema(SCHEMA)

passed = failed = 0
counts = {}


def validator(name):
    return jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/" + name})


VALIDATORS = {name: validator(name) for name in SCHEMA["$defs"]}


def check(label, kind, argv, want_rc=None):
    """Run ARGV; its stdout must be one JSON document valid as KIND (or the error object)."""
    global passed, failed
    p = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    problems = []
    try:
        doc = json.loads(p.stdout)
    except ValueError as e:
        doc = None
        problems.append("stdout is not one JSON document (%s): %r" % (e, p.stdout[:300]))
    if doc is not None:
        name = "error" if isinstance(doc, dict) and set(doc) == {"error"} else kind
        if p.returncode == 0 and name == "error":
            problems.append("an error object with exit 0")
        if name == "error" and doc["error"]["exit_code"] != p.returncode:
            problems.append("error.exit_code %s but exit %s" % (doc["error"]["exit_code"], p.returncode))
        if want_rc is not None and p.returncode != want_rc:
            problems.append("exit %s, expected %s" % (p.returncode, want_rc))
        for err in sorted(VALIDATORS[name].iter_errors(doc), key=str):
            problems.append("%s at /%s: %s" % (name, "/".join(map(str, err.absolute_path)), err.message))
        counts[name] = counts.get(name, 0) + 1
    if problems:
        failed += 1
        print("FAIL json-schema %s: %s\n    %s" % (label, " ".join(argv), "\n    ".join(problems[:5])))
    else:
        passed += 1


def roots(fixture, state="/nonexistent/pcibind", policy="policy.d"):
    proc = "tests/fixtures/proc/" + fixture
    if not os.path.isdir(proc):
        proc = "tests/fixtures/proc/none"
    return ["--sysfs-root", "%s/fixtures/%s/sys" % (BUILD, fixture),
            "--modules-dir", "%s/fixtures/%s/modules" % (BUILD, fixture),
            "--pci-ids", "tests/fixtures/pci.ids", "--policy-dir", policy, "--proc-root", proc,
            "--state-dir", state, "--driverctl-dir", "tests/fixtures/driverctl/" + fixture]


# The test can fail: a key the schema does not know, and a wrong type, are refused.
sample = {"devices": [{"address": "0000:00:1d.0", "qubes_address": "dom0:00_1d.0", "class": "0c03",
                       "prog_if": "00", "class_name": None, "vendor_id": "8086", "device_id": "2934",
                       "subsystem_vendor_id": "1af4", "subsystem_device_id": "1100", "revision": "03",
                       "vendor_name": None, "device_name": None, "driver": None, "module": None,
                       "stub": False, "driver_override": None, "iommu_group": None}]}
assert VALIDATORS["list"].is_valid(sample), "the schema refuses a valid list"
for mutate in (lambda d: d["devices"][0].update(unknown_key=1),
               lambda d: d["devices"][0].update(stub="no"),
               lambda d: d["devices"][0].update(address="00:1d.0"),
               lambda d: d["devices"][0].pop("driver")):
    bad = copy.deepcopy(sample)
    mutate(bad)
    assert not VALIDATORS["list"].is_valid(bad), "the schema accepts %r" % bad

fixtures = sorted(d for d in os.listdir(os.path.join(BUILD, "fixtures"))
                  if os.path.isdir(os.path.join(BUILD, "fixtures", d, "sys")))
for fx in fixtures:
    r = roots(fx)
    check(fx + " list", "list", [PCIBIND, *r, "--json", "list"], 0)
    check(fx + " list --stub", "list", [PCIBIND, *r, "list", "--stub", "--json"], 0)
    check(fx + " status", "status", [PCIBIND, *r, "--json", "status"], 0)
    check(fx + " doctor", "doctor", [PCIBIND, *r, "--json", "doctor"])
    check(fx + " policy check", "policy_check", [PCIBIND, *r, "--json", "policy", "check"], 0)
    devs = json.loads(subprocess.run([PCIBIND, *r, "--json", "list"], capture_output=True,
                                     text=True).stdout)["devices"]
    for d in devs:
        a = d["address"]
        check(fx + " show " + a, "show", [PCIBIND, *r, "--json", "show", a], 0)
        check(fx + " explain " + a, "explain", [PCIBIND, *r, "--json", "explain", a])
        for op in ("seize", "release"):
            check(fx + " " + op + " " + a, "plan", [PCIBIND, *r, "--json", op, a, "--dry-run"])

# The policy sets of the golden tests: errors, dropped rules, warnings.
for pol in sorted(os.listdir("tests/policy")):
    if os.path.isdir("tests/policy/" + pol):
        check("policy " + pol, "policy_check",
              [PCIBIND, *roots("laptop", policy="tests/policy/" + pol), "--json", "policy", "check"])
        check("explain under " + pol, "explain",
              [PCIBIND, *roots("laptop", policy="tests/policy/" + pol), "--json", "explain", "00:1f.6"])

# Usage errors under --json: the error object.
r = roots("laptop")
check("unknown command", "error", [PCIBIND, *r, "--json", "lsit"], 2)
check("bad selector", "error", [PCIBIND, *r, "--json", "show", "zz:zz"], 2)
check("ambiguous", "error", [PCIBIND, *r, "--json", "show", "usb"], 2)
check("refusal", "error", [PCIBIND, *r, "--json", "seize", "00:1d.0", "--dry-run"], 3)
check("policy error", "error",
      [PCIBIND, *roots("laptop", policy="tests/policy/bad"), "--json", "seize", "00:1f.6", "--dry-run"], 6)

# status with a journal: seize on the fake kernel, on a copy of the laptop fixture.
if os.access(FAKE, os.X_OK):
    work = tempfile.mkdtemp()
    try:
        shutil.copytree("%s/fixtures/laptop/sys" % BUILD, work + "/sys", symlinks=True)
        subprocess.run(["sh", "tests/engine/prep.sh", work + "/sys",
                        "%s/fixtures/laptop/fixture.aliases" % BUILD], check=True)
        env = dict(os.environ, PCIBIND_FORBID_REAL_SYSFS="1")
        fr = ["--sysfs-root", work + "/sys", "--modules-dir", "%s/fixtures/laptop/modules" % BUILD,
              "--pci-ids", "tests/fixtures/pci.ids", "--policy-dir", "policy.d",
              "--proc-root", "tests/fixtures/proc/none", "--state-dir", work + "/state",
              "--driverctl-dir", "tests/fixtures/driverctl/laptop", "--probe-timeout", "50"]
        subprocess.run([FAKE, *fr, "seize", "--driver", "pci-stub", "00:1f.6"], env=env,
                       capture_output=True)
        subprocess.run([FAKE, *fr, "seize", "--driver", "pciback", "00:14.0"], env=env,
                       capture_output=True)
        check("status with a journal", "status", [FAKE, *fr, "--json", "status"], 0)
        p = subprocess.run([FAKE, *fr, "--json", "status"], capture_output=True, text=True, env=env)
        if len(json.loads(p.stdout)["seized"]) < 2:
            failed += 1
            print("FAIL json-schema: the journal case seized nothing: %s" % p.stderr)
    finally:
        shutil.rmtree(work)
else:
    failed += 1
    print("FAIL json-schema: no %s (make %s)" % (FAKE, FAKE))

print("json-schema: %d passed, %d failed (%s)" % (
    passed, failed, ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
sys.exit(1 if failed else 0)
