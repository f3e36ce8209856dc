#!/usr/bin/env python3
"""Check a `sluice scan --format sarif` report against gen_fake_repo.py's manifest.

Measures what secrets.md section 11 promises for the secret gate: recall on
planted credentials, zero findings on decoys (section 4), no raw secret in any
output (section 5: raw secrets are never stored), and a sane SARIF 2.1.0 shape.

Usage:
  check_sarif.py --manifest M --sarif S --mode git|tree [--min-recall 95]
  check_sarif.py --sarif S --expect-empty            (decoy-only directory)

Matching never depends on rule ids. A planted secret counts as found when a
result's uri and startLine equal its planted location (git mode: also
properties.commit equals the introducing commit; tree mode: the HEAD location).
For multi-line items (PEM keys) a startLine inside the block is accepted and
reported separately. When several secrets share one line, the result must also
show the secret's first or last 4 characters in message.text.

Fails (exit 1) on: recall below --min-recall, any result on a decoy line, any
planted secret (or private key body line) appearing anywhere in the SARIF file,
any structural error, a matched result whose message shows neither the first nor
the last 4 characters of the secret, and any error-level (block) result that
matches nothing planted. Warning-level results on unplanted lines and tier
mismatches are listed but do not fail unless --strict is given.
Python stdlib only.
"""

import argparse
import collections
import json
import re
import sys
import urllib.parse

HEX16 = re.compile(r"^[0-9a-f]{16}$")
HEX40 = re.compile(r"^[0-9a-f]{40}$")
LEVEL = {"block": "error", "warn": "warning"}


class Finding:
	def __init__(self, idx, res, root):
		self.idx = idx
		self.rule = res.get("ruleId")
		self.level = res.get("level", "warning")
		self.text = (res.get("message") or {}).get("text", "")
		loc = ((res.get("locations") or [{}])[0]).get("physicalLocation") or {}
		self.uri = norm_uri((loc.get("artifactLocation") or {}).get("uri", ""), root)
		reg = loc.get("region") or {}
		self.line = reg.get("startLine")
		self.col = reg.get("startColumn")
		props = res.get("properties") or {}
		self.commit = props.get("commit") or ((res.get("locations") or [{}])[0].get("properties") or {}).get("commit")
		self.used = False

	def where(self):
		c = (" @" + self.commit[:12]) if self.commit else ""
		return "%s:%s%s [%s %s]" % (self.uri, self.line, c, self.rule, self.level)


def norm_uri(uri, root):
	if uri.startswith("file://"):
		uri = uri[len("file://"):]
	uri = urllib.parse.unquote(uri)
	if root and uri.startswith(root.rstrip("/") + "/"):
		uri = uri[len(root.rstrip("/")) + 1:]
	while uri.startswith("./"):
		uri = uri[2:]
	return uri


def walk_strings(node):
	if isinstance(node, str):
		yield node
	elif isinstance(node, dict):
		for k, v in node.items():
			yield k
			yield from walk_strings(v)
	elif isinstance(node, list):
		for v in node:
			yield from walk_strings(v)


def check_structure(doc, mode):
	errs = []
	if doc.get("version") != "2.1.0":
		errs.append("version is %r, want 2.1.0" % doc.get("version"))
	if "sarif" not in str(doc.get("$schema", "")):
		errs.append("$schema missing or not a SARIF schema: %r" % doc.get("$schema"))
	runs = doc.get("runs")
	if not isinstance(runs, list) or not runs:
		return errs + ["runs[] missing or empty"]
	drv = ((runs[0].get("tool") or {}).get("driver")) or {}
	if not drv.get("name"):
		errs.append("runs[0].tool.driver.name missing")
	rule_ids = {r.get("id") for r in drv.get("rules") or []}
	if not isinstance(drv.get("rules"), list):
		errs.append("runs[0].tool.driver.rules[] missing")
	results = runs[0].get("results")
	if not isinstance(results, list):
		return errs + ["runs[0].results[] missing"]
	for i, r in enumerate(results):
		pre = "result %d: " % i
		if not isinstance(r.get("ruleId"), str) or not r.get("ruleId"):
			errs.append(pre + "ruleId missing")
		elif rule_ids and r["ruleId"] not in rule_ids:
			errs.append(pre + "ruleId %s not in driver.rules" % r["ruleId"])
		if r.get("level") not in ("error", "warning", "note"):
			errs.append(pre + "level %r" % r.get("level"))
		if not isinstance((r.get("message") or {}).get("text"), str):
			errs.append(pre + "message.text missing")
		try:
			pl = r["locations"][0]["physicalLocation"]
			if not isinstance(pl["artifactLocation"]["uri"], str) or not pl["artifactLocation"]["uri"]:
				raise KeyError("uri")
			reg = pl["region"]
			for k in ("startLine", "startColumn"):
				if not isinstance(reg.get(k), int) or reg[k] < 1:
					errs.append(pre + "region.%s %r" % (k, reg.get(k)))
		except (KeyError, IndexError, TypeError) as e:
			errs.append(pre + "locations[0].physicalLocation incomplete (%s)" % e)
		fp = (r.get("partialFingerprints") or {}).get("sluice/v1")
		is_iac = (r.get("properties") or {}).get("tier") == "iac"
		if not is_iac and (not isinstance(fp, str) or not HEX16.match(fp)):
			errs.append(pre + "partialFingerprints sluice/v1 %r" % fp)
		props = r.get("properties") or {}
		for k in ("tier", "severity"):
			if k not in props:
				errs.append(pre + "properties.%s missing" % k)
		if mode == "git" and not HEX40.match(str(props.get("commit", ""))):
			errs.append(pre + "properties.commit %r is not 40 hex" % props.get("commit"))
	return errs


def shows(it, text):
	s = it["secret"]
	return it["visible"] is None or s[:4] in text or s[-4:] in text


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--manifest")
	ap.add_argument("--sarif", required=True)
	ap.add_argument("--mode", choices=("git", "tree"), default="git")
	ap.add_argument("--root", default="", help="scanned root, stripped from absolute uris")
	ap.add_argument("--min-recall", type=float, default=95.0)
	ap.add_argument("--expect-empty", action="store_true")
	ap.add_argument("--strict", action="store_true",
					help="also fail on tier mismatches and unplanted warning-level results")
	ap.add_argument("-v", "--verbose", action="store_true")
	a = ap.parse_args()

	raw = open(a.sarif, encoding="utf-8").read()
	try:
		doc = json.loads(raw)
	except ValueError as e:
		print("FAIL: %s is not JSON: %s" % (a.sarif, e))
		return 1
	errs = check_structure(doc, "tree" if a.expect_empty else a.mode)
	results = ((doc.get("runs") or [{}])[0].get("results")) or []
	# IaC results (properties.tier "iac") are judged by the IaC tests; this
	# checker scores secrets.
	results = [r for r in results if (r.get("properties") or {}).get("tier") != "iac"]
	findings = [Finding(i, r, a.root) for i, r in enumerate(results)]
	fail = []
	if errs:
		fail.append("%d SARIF structure errors" % len(errs))
		for e in errs[:15]:
			print("  structure: " + e)

	if a.expect_empty:
		for f in findings[:20]:
			print("  unexpected finding: " + f.where() + "  " + f.text[:100])
		if findings:
			fail.append("%d findings on a decoy-only tree" % len(findings))
		print("decoys-only: %d findings" % len(findings))
		for m in fail:
			print("FAIL: " + m)
		return 1 if fail else 0

	man = json.load(open(a.manifest))
	items = man["items"]
	secrets = [i for i in items if i["kind"] == "secret"]
	decoys = [i for i in items if i["kind"] == "decoy"]

	# Expected location of each secret in this mode.
	def expected(it):
		if a.mode == "git":
			return {"commit": it["commit"], "path": it["path"], "line": it["line"]}
		return it["head"]

	by_loc = collections.defaultdict(list)
	for f in findings:
		by_loc[(f.uri, f.line)].append(f)

	def at(path, line, span, commit=None):
		out = []
		for ln in range(line, line + span):
			for f in by_loc.get((path, ln), []):
				if commit is None or (f.commit and (f.commit == commit or
								   (len(f.commit) >= 7 and commit.startswith(f.commit)))):
					out.append((ln == line, f))
		return out

	todo = [(it, expected(it)) for it in secrets if expected(it)]
	shared = collections.Counter((e["path"], e["line"]) for _, e in todo)
	found, inexact, missed, tier_mismatch, redaction = [], [], [], [], []
	fam = collections.defaultdict(lambda: [0, 0])
	for it, e in todo:
		fam[it["family"]][1] += 1
		cands = at(e["path"], e["line"], it["span"], e.get("commit"))
		if shared[(e["path"], e["line"])] > 1:
			cands = [(x, f) for x, f in cands if shows(it, f.text)]
		if not cands:
			missed.append((it, e))
			continue
		cands.sort(key=lambda c: (not c[0], c[1].level != LEVEL[it["expect"]]))
		exact, f = cands[0]
		for _, g in cands:
			g.used = True
		found.append(it)
		fam[it["family"]][0] += 1
		if not exact:
			inexact.append((it, f))
		if f.level != LEVEL[it["expect"]]:
			tier_mismatch.append((it, f))
		if not shows(it, f.text):
			redaction.append((it, f))

	# Later blob versions of a planted secret are true findings too.
	secret_locs = set()
	for it in secrets:
		occ = it["occurrences"] if a.mode == "git" else ([it["head"]] if it["head"] else [])
		for o in occ:
			for ln in range(o["line"], o["line"] + it["span"]):
				secret_locs.add((o["path"], ln))
	decoy_locs = {}
	for it in decoys:
		occ = it["occurrences"] if a.mode == "git" else (it["head"] or [])
		for o in occ:
			for ln in range(o["line"], o["line"] + it["span"]):
				if (o["path"], ln) not in secret_locs:
					decoy_locs[(o["path"], ln)] = it
	fps, unexpected = [], []
	for f in findings:
		if f.used or (f.uri, f.line) in secret_locs:
			continue
		if (f.uri, f.line) in decoy_locs:
			fps.append((decoy_locs[(f.uri, f.line)], f))
		else:
			unexpected.append(f)

	# No raw secret anywhere: raw text and every decoded JSON string.
	strings = list(walk_strings(doc))
	leaks = []
	for it in secrets:
		for s in it["leak"]:
			if s and (s in raw or any(s in x for x in strings)):
				leaks.append(it)
				break

	total = len(todo)
	recall = 100.0 * len(found) / total if total else 0.0
	print("mode %s: %d results, %d planted secrets expected, %d decoys" %
		  (a.mode, len(findings), total, len(decoys)))
	print("per family (found/planted):")
	for k in sorted(fam):
		g, n = fam[k]
		print("  %-26s %d/%d%s" % (k, g, n, "" if g == n else "   <-- missed %d" % (n - g)))
	for it, e in missed:
		hint = ""
		near = [f for f in findings if f.uri == e["path"] and f.line is not None
				and abs(f.line - e["line"]) <= 2]
		if near:
			hint = "; nearby: " + ", ".join(f.where() for f in near[:3])
		elif a.mode == "git":
			other = [f for f in findings if f.line == e["line"] and
					 any(o["path"] == f.uri for o in it["occurrences"])]
			if other:
				hint = "; same line elsewhere: " + other[0].where()
		print("  MISSED %-22s %s:%d%s (%s...)%s" % (
			it["family"], e["path"], e["line"],
			(" @" + e["commit"][:12]) if e.get("commit") else "", it["secret"][:12].replace("\n", " "), hint))
	for it, f in inexact:
		print("  inexact line %-16s planted %s:%d (block of %d lines), reported %s" %
			  (it["family"], f.uri, it["line"] if a.mode == "git" else it["head"]["line"],
			   it["span"], f.where()))
	for it, f in fps:
		print("  DECOY FLAGGED %-19s %s  %s" % (it["family"], f.where(), f.text[:80]))
	for f in unexpected:
		tag = "UNPLANTED BLOCK" if f.level == "error" else "unplanted warn"
		print("  %s %s  %s" % (tag, f.where(), f.text[:80]))
	if tier_mismatch:
		print("tier mismatches (expected -> reported), %d:" % len(tier_mismatch))
		for it, f in tier_mismatch:
			print("  %-26s %s -> %s  %s" % (it["family"], LEVEL[it["expect"]], f.level, f.where()))
	for it, f in redaction:
		print("  REDACTION %s: message shows neither %r nor %r: %s" %
			  (it["family"], it["secret"][:4], it["secret"][-4:], f.text[:100]))
	for it in leaks:
		print("  LEAK: full %s secret (%s...) appears in the SARIF file" % (it["family"], it["leak"][0][:8]))

	print("recall: %.1f%% (%d/%d) precision-on-decoys: %d false positives" %
		  (recall, len(found), total, len(fps)))
	if recall < a.min_recall:
		fail.append("recall %.1f%% below %.1f%%" % (recall, a.min_recall))
	if fps:
		fail.append("%d findings on decoys" % len(fps))
	if leaks:
		fail.append("%d secrets leaked into the report" % len(leaks))
	if redaction:
		fail.append("%d findings whose message does not show the redacted secret" % len(redaction))
	ub = [f for f in unexpected if f.level == "error"]
	if ub:
		fail.append("%d block-level findings on unplanted lines" % len(ub))
	if a.strict and tier_mismatch:
		fail.append("%d tier mismatches" % len(tier_mismatch))
	if a.strict and unexpected:
		fail.append("%d findings on unplanted lines" % len(unexpected))
	for m in fail:
		print("FAIL: " + m)
	return 1 if fail else 0


if __name__ == "__main__":
	sys.exit(main())
