#!/usr/bin/env python3
"""Deterministic source-like corpus for the scan throughput benchmark (secrets.md section 11).

  gen_corpus.py generate OUT --size-mb 256 [--seed 1] [--jobs 2]
      Writes about SIZE MiB of code, config, docs, lock files and test data in
      many projects/directories under OUT, plants a few block-tier credentials,
      and writes OUT.manifest.json (planted secrets with path and line) and
      OUT.stamp (parameters; bench.sh regenerates only when they change).
  gen_corpus.py mutate DIR --rev N [--fraction 0.08] [--seed 1]
      Edits a deterministic fraction of DIR's text files (inserts, rewrites and
      appends lines), adds a few files and deletes a few, so that committing the
      result gives git realistic deltas against the previous revision.

The mix (by bytes, roughly): 55% code (Python, Go, JS/TS, Java, C), 15% YAML/JSON
configuration, 10% Markdown, 10% lock files and minified vendored JS, 10% test
data with base64/hex blobs (the incompressible share a real repository has).
Python stdlib only; each file has its own seeded generator, so --jobs does not
change the output.
"""

import argparse
import base64
import json
import multiprocessing
import os
import random
import string
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import gen_fake_repo as gfr  # noqa: E402  (token shapes with valid checksums)

VERSION = 2
SYL = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "zen", "qua", "dor", "fel", "gri", "hap",
	   "jin", "kor", "lum", "mor", "nix", "pel", "rin", "sol", "tur", "var", "wex", "yor", "bel",
	   "cas", "dri", "fen", "gol", "hem", "ist", "jol", "kel", "lin", "mar", "nol", "orb", "pra"]
COMMON = ["data", "item", "value", "result", "config", "user", "order", "route", "event",
		  "buffer", "index", "count", "client", "server", "request", "response", "handler",
		  "queue", "cache", "record", "entry", "batch", "stream", "token", "state", "node",
		  "path", "name", "size", "limit", "offset", "status", "error", "message", "payload",
		  "shipment", "invoice", "carrier", "ledger", "account", "quote", "stop", "tenant"]
PROSE = ("the a an of to in for on with by from as at is are was be this that it which "
		 "service request response deploy cluster node pipeline release build test config "
		 "value error retry timeout latency budget owner team review change migration schema "
		 "index query cache queue worker batch stream event shipment carrier route invoice "
		 "should must can will may not only when after before during each every all some "
		 "new old first last next previous current default custom internal external").split()


class W:
	"""Per-file word source."""

	def __init__(self, r):
		self.r = r
		self.local = [self.word() for _ in range(24)]

	def word(self):
		r = self.r
		return "".join(r.choice(SYL) for _ in range(r.randint(1, 3)))

	def ident(self):
		r = self.r
		if r.random() < 0.5:
			return r.choice(COMMON)
		if r.random() < 0.6:
			return r.choice(self.local)
		return r.choice(COMMON) + r.choice(self.local).capitalize()

	def snake(self):
		return self.ident() + "_" + self.r.choice(COMMON)

	def camel(self):
		return self.r.choice(COMMON) + self.ident().capitalize()

	def typ(self):
		return self.ident().capitalize() + self.r.choice(["", "Config", "Client", "Store", "Event", "Handler"])

	def sentence(self, n=None):
		r = self.r
		n = n or r.randint(6, 18)
		ws = [r.choice(PROSE) if r.random() < 0.75 else self.ident() for _ in range(n)]
		return ws[0].capitalize() + " " + " ".join(ws[1:]) + "."

	def num(self):
		return str(self.r.choice([0, 1, 2, 8, 16, 32, 64, 100, 128, 255, 256, 1000, 1024,
								  self.r.randint(0, 99999)]))

	def hexs(self, n):
		return "%0*x" % (n, self.r.getrandbits(4 * n))

	def b64(self, nbytes):
		return base64.b64encode(self.r.getrandbits(8 * nbytes).to_bytes(nbytes, "little")).decode()


def g_python(w, target):
	r = w.r
	out = ['"""%s"""' % w.sentence(), "", "import json", "import logging", "import os",
		   "from typing import Any, Dict, List, Optional", "", "log = logging.getLogger(__name__)", ""]
	size = sum(map(len, out))
	while size < target:
		if r.random() < 0.25:
			cls = w.typ()
			blk = ["", "", "class %s:" % cls, '    """%s"""' % w.sentence(), "",
				   "    def __init__(self, %s: str, %s: int = %s) -> None:" % (w.snake(), w.snake(), w.num())]
			for _ in range(r.randint(2, 5)):
				blk.append("        self.%s = %s" % (w.snake(), r.choice(["None", "[]", "{}", w.num(), '""'])))
			for _ in range(r.randint(1, 4)):
				a = w.snake()
				blk += ["", "    def %s(self, %s: List[Dict[str, Any]]) -> Optional[int]:" % (w.snake(), a),
						"        total = 0", "        for %s in %s:" % (w.ident(), a),
						"            if %s.get(%r) is None:" % (w.ident(), w.ident()),
						"                log.debug(%r, %s)" % (w.sentence(5) + " %s", w.ident()),
						"                continue", "            total += int(%s[%r])" % (w.ident(), w.ident()),
						"        return total or None"]
		else:
			f, a, b = w.snake(), w.snake(), w.snake()
			blk = ["", "", "def %s(%s, %s=%s):" % (f, a, b, w.num()), '    """%s"""' % w.sentence()]
			for _ in range(r.randint(2, 8)):
				blk.append(r.choice([
					"    %s = %s.get(%r, %s)" % (w.snake(), a, w.ident(), w.num()),
					"    if %s > %s:\n        raise ValueError(%r)" % (b, w.num(), w.sentence(6)),
					"    %s = [x for x in %s if x.%s]" % (w.snake(), a, w.ident()),
					"    log.info(%r, %s, %s)" % ("%s: %s " + w.ident(), a, b),
					"    with open(os.path.join(%r, %s)) as fh:\n        %s = json.load(fh)" % (w.ident(), b, w.snake()),
				]))
			blk.append("    return %s" % r.choice([a, b, "None", "True", w.num()]))
		out += blk
		size += sum(map(len, blk)) + len(blk)
	return "\n".join(out) + "\n"


def g_go(w, target):
	r = w.r
	out = ["// Package %s %s" % (w.ident(), w.sentence()), "package " + w.ident(), "", "import (",
		   '\t"context"', '\t"errors"', '\t"fmt"', '\t"sync"', '\t"time"', ")", ""]
	size = sum(map(len, out))
	while size < target:
		t = w.typ()
		blk = ["// %s %s" % (t, w.sentence()), "type %s struct {" % t]
		for _ in range(r.randint(2, 6)):
			blk.append("\t%s %s // %s" % (w.camel().capitalize(), r.choice(["string", "int", "[]byte", "time.Duration", "*sync.Mutex", "map[string]int"]), w.sentence(5)))
		blk += ["}", ""]
		for _ in range(r.randint(1, 3)):
			fn = w.camel().capitalize()
			blk += ["// %s %s" % (fn, w.sentence()),
					"func (x *%s) %s(ctx context.Context, %s string) (int, error) {" % (t, fn, w.camel()),
					"\tif x == nil {", '\t\treturn 0, errors.New("%s")' % w.sentence(4)[:-1].lower(), "\t}",
					"\tctx, cancel := context.WithTimeout(ctx, %s*time.Millisecond)" % w.num(),
					"\tdefer cancel()",
					"\tfor i := 0; i < %s; i++ {" % w.num(),
					"\t\tselect {", "\t\tcase <-ctx.Done():",
					'\t\t\treturn i, fmt.Errorf("%s: %%w", ctx.Err())' % w.ident(),
					"\t\tdefault:", "\t\t}", "\t}", "\treturn %s, nil" % w.num(), "}", ""]
		out += blk
		size += sum(map(len, blk)) + len(blk)
	return "\n".join(out)


def g_js(w, target):
	r = w.r
	out = ['import { %s, %s } from "./%s";' % (w.camel(), w.camel(), w.ident()),
		   'import %s from "%s";' % (w.ident(), r.choice(["react", "axios", "lodash", "date-fns"])), ""]
	size = sum(map(len, out))
	while size < target:
		fn, a = w.camel(), w.camel()
		blk = ["/**", " * %s" % w.sentence(), " * @param {object} %s" % a, " */",
			   "export %sfunction %s(%s, opts = {}) {" % (r.choice(["", "async "]), fn, a),
			   "  const { %s = %s, %s } = opts;" % (w.camel(), w.num(), w.camel())]
		for _ in range(r.randint(2, 7)):
			blk.append(r.choice([
				"  const %s = %s.map((x) => x.%s ?? %s);" % (w.camel(), a, w.camel(), w.num()),
				"  if (!%s.%s) {\n    throw new Error(\"%s\");\n  }" % (a, w.camel(), w.sentence(5)),
				"  console.debug(`%s ${%s.length}`);" % (w.ident(), a),
				"  const %s = await fetch(`/api/%s/${%s.id}`).then((res) => res.json());" % (w.camel(), w.ident(), a),
				"  %s.%s = { ...%s.%s, %s: %s };" % (a, w.camel(), a, w.camel(), w.camel(), w.num()),
			]))
		blk += ["  return %s;" % a, "}", ""]
		out += blk
		size += sum(map(len, blk)) + len(blk)
	return "\n".join(out)


def g_java(w, target):
	r = w.r
	cls = w.typ()
	out = ["package io.%s.%s;" % (w.ident(), w.ident()), "", "import java.util.List;",
		   "import java.util.Map;", "import java.util.Optional;", "",
		   "/** %s */" % w.sentence(), "public class %s {" % cls]
	size = sum(map(len, out))
	while size < target:
		m, a = w.camel(), w.camel()
		blk = ["", "    /** %s */" % w.sentence(),
			   "    public Optional<%s> %s(List<Map<String, Object>> %s, int %s) {" % (w.typ(), m, a, w.camel())]
		for _ in range(r.randint(2, 6)):
			blk.append(r.choice([
				"        if (%s.isEmpty()) {\n            return Optional.empty();\n        }" % a,
				"        long %s = %s.stream().filter(e -> e.containsKey(\"%s\")).count();" % (w.camel(), a, w.ident()),
				"        String %s = String.valueOf(%s.get(0).get(\"%s\"));" % (w.camel(), a, w.ident()),
				"        LOG.debug(\"%s {}\", %s.size());" % (w.sentence(4), a),
			]))
		blk += ["        return Optional.empty();", "    }"]
		out += blk
		size += sum(map(len, blk)) + len(blk)
	return "\n".join(out) + "\n}\n"


def g_c(w, target):
	r = w.r
	out = ["/*", " * %s" % w.sentence(), " */", "#include <stdint.h>", "#include <stddef.h>",
		   "#include <string.h>", ""]
	size = sum(map(len, out))
	while size < target:
		fn = w.snake()
		blk = ["/* %s */" % w.sentence(), "static int %s(const uint8_t *%s, size_t len, uint32_t *out)" % (fn, w.ident()),
			   "{", "\tsize_t i;", "\tuint32_t acc = %s;" % w.num(), "",
			   "\tif (len > %s)" % w.num(), "\t\treturn -1;", "\tfor (i = 0; i < len; i++) {",
			   "\t\tacc = (acc << %d) ^ %s[i];" % (r.randint(1, 7), w.ident()),
			   "\t\tif (acc & 0x%s)" % w.hexs(8), "\t\t\tacc ^= 0x%s;" % w.hexs(8), "\t}",
			   "\t*out = acc;", "\treturn 0;", "}", ""]
		out += blk
		size += sum(map(len, blk)) + len(blk)
	return "\n".join(out)


def g_yaml(w, target):
	r = w.r
	out = ["# %s" % w.sentence(), "apiVersion: apps/v1", "kind: Deployment", "metadata:",
		   "  name: %s" % w.ident(), "  labels:", "    app: %s" % w.ident(), "spec:"]
	size = sum(map(len, out))
	while size < target:
		blk = ["  %s:" % w.camel()]
		for _ in range(r.randint(2, 8)):
			blk.append(r.choice([
				"    %s: %s" % (w.camel(), w.num()),
				"    %s: \"%s\"" % (w.camel(), w.ident()),
				"    %s: %s" % (w.camel(), r.choice(["true", "false", "null"])),
				"    %s:\n      - %s\n      - %s" % (w.camel(), w.ident(), w.ident()),
				"    image: ghcr.io/%s/%s:%d.%d.%d" % (w.ident(), w.ident(), r.randint(0, 9), r.randint(0, 30), r.randint(0, 9)),
			]))
		out += blk
		size += sum(map(len, blk)) + len(blk)
	return "\n".join(out) + "\n"


def g_json(w, target):
	r = w.r
	rows, size = [], 0
	while size < target:
		row = {"id": "%s-%s-4%s-%s-%s" % (w.hexs(8), w.hexs(4), w.hexs(3), w.hexs(4), w.hexs(12)),
			   "name": w.ident(), "kind": r.choice(COMMON), "count": r.randint(0, 10000),
			   "weight_kg": round(r.random() * 900, 2), "active": r.random() < 0.7,
			   "tags": [w.ident() for _ in range(r.randint(0, 4))],
			   "updated": "2023-%02d-%02dT%02d:%02d:%02dZ" % (r.randint(1, 12), r.randint(1, 28),
															  r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))}
		s = json.dumps(row)
		rows.append("  " + s)
		size += len(s) + 4
	return "[\n" + ",\n".join(rows) + "\n]\n"


def g_md(w, target):
	r = w.r
	out = ["# " + w.sentence(4)[:-1], ""]
	size = 0
	while size < target:
		if r.random() < 0.2:
			blk = ["```sh", "%s --%s=%s %s" % (w.ident(), w.ident(), w.num(), w.ident()),
				   "export %s=%s" % (w.snake().upper(), w.ident()), "```", ""]
		elif r.random() < 0.2:
			blk = ["## " + w.sentence(3)[:-1], ""]
		else:
			blk = [" ".join(w.sentence() for _ in range(r.randint(2, 6))), ""]
		out += blk
		size += sum(map(len, blk)) + len(blk)
	return "\n".join(out)


def g_lock(w, target):
	r = w.r
	pk, size = {}, 0
	while size < target:
		name = w.ident() + r.choice(["", "-js", "-core", "-utils"])
		ver = "%d.%d.%d" % (r.randint(0, 12), r.randint(0, 30), r.randint(0, 20))
		ent = {"version": ver, "resolved": "https://registry.npmjs.org/%s/-/%s-%s.tgz" % (name, name, ver),
			   "integrity": "sha512-" + w.b64(64), "license": r.choice(["MIT", "ISC", "Apache-2.0"])}
		if r.random() < 0.3:
			ent["dependencies"] = {w.ident(): "^%d.0.0" % r.randint(1, 9)}
		pk["node_modules/" + name] = ent
		size += 260
	return json.dumps({"name": w.ident(), "lockfileVersion": 3, "requires": True, "packages": pk},
					  indent=2) + "\n"


def g_min(w, target):
	r = w.r
	parts, size = ["/*! %s v%d.%d.%d | MIT */(function(){" % (w.ident(), r.randint(1, 5), r.randint(0, 9), r.randint(0, 9))], 0
	while size < target:
		a, b = w.ident()[:2], w.ident()[:3]
		p = r.choice(["var %s=function(t,e){return t.%s(e)||%s};" % (a, b, w.num()),
					  "%s.prototype.%s=function(){return this._%s};" % (a, b, w.ident()),
					  "function %s(t){for(var e=0;e<t.length;e++)t[e]=t[e]^%s;return t}" % (b, w.num()),
					  "var %s={k:\"%s\",n:%s};" % (a, w.hexs(12), w.num())])
		parts.append(p)
		size += len(p)
		if r.random() < 0.002:
			parts.append("\n")
	return "".join(parts) + "})();\n"


def g_testdata(w, target):
	r = w.r
	out, size = ["# fixtures: %s" % w.sentence()], 0
	while size < target:
		if r.random() < 0.5:
			s = "%s_%d = %s" % (w.snake(), r.randint(0, 999), w.b64(r.randint(24, 60)))
		else:
			s = "sha256:%s  %s/%s.bin" % (w.hexs(64), w.ident(), w.ident())
		out.append(s)
		size += len(s) + 1
	return "\n".join(out) + "\n"


KINDS = [  # (generator, extension, weight, typical size)
	(g_python, "py", 16, 9000), (g_go, "go", 12, 11000), (g_js, "js", 10, 7000),
	(g_js, "ts", 5, 6000), (g_java, "java", 8, 10000), (g_c, "c", 4, 14000),
	(g_yaml, "yaml", 8, 3000), (g_json, "json", 7, 16000), (g_md, "md", 10, 6000),
	(g_lock, "lock.json", 4, 90000), (g_min, "min.js", 3, 120000), (g_testdata, "fixture.txt", 8, 30000),
]
DIRS = ["src", "lib", "internal", "pkg", "cmd", "api", "config", "deploy", "docs", "test",
		"tests/fixtures", "vendor", "scripts", "web/static", "tools"]


def file_plan(seed, size_mb):
	"""List of (index, relpath, kind index, target bytes), deterministic."""
	r = random.Random(seed)
	weights = [k[2] for k in KINDS]
	plan, total, i = [], 0, 0
	limit = size_mb * 1024 * 1024
	while total < limit:
		k = r.choices(range(len(KINDS)), weights)[0]
		target = int(KINDS[k][3] * r.lognormvariate(0, 0.6)) + 200
		proj = "project-%02d" % (i % 24)
		d = r.choice(DIRS) + ("/" + r.choice(COMMON) if r.random() < 0.5 else "")
		plan.append((i, "%s/%s/%s_%05d.%s" % (proj, d, r.choice(COMMON), i, KINDS[k][1]), k, target))
		total += target
		i += 1
	return plan


def plants(seed, plan):
	"""A few block-tier credentials at deterministic files: {index: (family, value)}."""
	r = random.Random(seed ^ 0x5EC12E75)
	t = gfr.Tokens(r)
	kinds = [("github-classic", lambda: t.github("ghp_")), ("aws-akid", t.aws_akid),
			 ("slack-bot", t.slack_bot), ("stripe-live", lambda: t.stripe("sk_live_", 24)),
			 ("gitlab-pat", lambda: t.gitlab("glpat-")), ("npm", t.npm),
			 ("sendgrid", t.sendgrid), ("gcp-api-key", t.gcp_api_key), ("openai", t.openai),
			 ("anthropic", t.anthropic), ("digitalocean", t.digitalocean), ("shopify", t.shopify)]
	code = [p for p in plan if KINDS[p[2]][1] in ("py", "go", "js", "ts", "java", "yaml", "md")]
	out = {}
	for n, p in enumerate(r.sample(code, 24)):
		fam, mk = kinds[n % len(kinds)]
		out[p[0]] = (fam, mk())
	return out


def make_file(args):
	seed, idx, rel, k, target, plant, out = args
	r = random.Random(seed * 1000003 + idx)
	text = KINDS[k][0](W(r), target)
	line = None
	if plant:
		lines = text.split("\n")
		at = r.randint(1, max(1, len(lines) - 2))
		lines.insert(at, 'api_token = "%s"' % plant[1])
		line = at + 1
		text = "\n".join(lines)
	full = os.path.join(out, rel)
	os.makedirs(os.path.dirname(full), exist_ok=True)
	with open(full, "w") as f:
		f.write(text)
	return len(text), (rel, line) if plant else None


def generate(a):
	out = os.path.abspath(a.out)
	plan = file_plan(a.seed, a.size_mb)
	pl = plants(a.seed, plan)
	jobs = [(a.seed, i, rel, k, tg, pl.get(i), out) for i, rel, k, tg in plan]
	os.makedirs(out, exist_ok=True)
	with multiprocessing.Pool(a.jobs) as pool:
		res = pool.map(make_file, jobs, chunksize=64)
	total = sum(n for n, _ in res)
	found = {}
	for (n, p), (i, rel, k, tg) in zip(res, plan):
		if p:
			found[i] = p
	man = [{"path": found[i][0], "line": found[i][1], "family": pl[i][0], "secret": pl[i][1],
			"expect": "block"} for i in sorted(pl)]
	with open(out + ".manifest.json", "w") as f:
		json.dump({"files": len(plan), "bytes": total, "items": man}, f, indent=1)
	with open(out + ".stamp", "w") as f:
		f.write(stamp(a))
	print("gen_corpus: %d files, %.1f MiB, %d planted secrets -> %s" % (len(plan), total / 1048576, len(man), out))


def stamp(a):
	return "gen_corpus v%d seed=%d size_mb=%d\n" % (VERSION, a.seed, a.size_mb)


def mutate(a):
	"""Edit a deterministic subset of files, add and remove a few (one revision)."""
	root = os.path.abspath(a.dir)
	r = random.Random(a.seed * 7919 + a.rev)
	files = []
	for d, dirs, fs in os.walk(root):
		dirs[:] = sorted(x for x in dirs if x != ".git")
		files += [os.path.join(d, f) for f in sorted(fs)]
	w = W(r)
	edited = 0
	for path in r.sample(files, int(len(files) * a.fraction)):
		if path.endswith((".lock.json", ".min.js", ".json")):
			continue
		with open(path) as f:
			lines = f.read().split("\n")
		for _ in range(r.randint(1, 6)):
			at = r.randint(0, len(lines) - 1)
			op = r.random()
			if op < 0.4:
				lines.insert(at, "# " + w.sentence() if path.endswith((".py", ".yaml", ".txt", ".md"))
							 else "// " + w.sentence())
			elif op < 0.7 and len(lines) > 10:
				del lines[at:at + r.randint(1, 5)]
			else:
				lines[at] = lines[at].replace(r.choice(COMMON), r.choice(COMMON))
		if r.random() < 0.3:
			lines += g_python(w, 1500).split("\n") if path.endswith(".py") else ["", "// " + w.sentence()]
		with open(path, "w") as f:
			f.write("\n".join(lines))
		edited += 1
	for path in r.sample(files, max(1, len(files) // 400)):
		if os.path.exists(path):
			os.unlink(path)
	for n in range(max(1, len(files) // 200)):
		k = r.randrange(len(KINDS))
		rel = "project-%02d/src/rev%d_%04d.%s" % (r.randrange(24), a.rev, n, KINDS[k][1])
		full = os.path.join(root, rel)
		os.makedirs(os.path.dirname(full), exist_ok=True)
		with open(full, "w") as f:
			f.write(KINDS[k][0](w, KINDS[k][3]))
	print("gen_corpus mutate rev %d: %d files edited" % (a.rev, edited))


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	sub = ap.add_subparsers(dest="cmd", required=True)
	g = sub.add_parser("generate")
	g.add_argument("out")
	g.add_argument("--size-mb", type=int, default=256)
	g.add_argument("--seed", type=int, default=1)
	g.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
	m = sub.add_parser("mutate")
	m.add_argument("dir")
	m.add_argument("--rev", type=int, required=True)
	m.add_argument("--fraction", type=float, default=0.08)
	m.add_argument("--seed", type=int, default=1)
	a = ap.parse_args()
	if a.cmd == "generate":
		if os.path.exists(a.out) and os.listdir(a.out):
			sys.exit("gen_corpus: %s exists and is not empty" % a.out)
		generate(a)
	else:
		mutate(a)


if __name__ == "__main__":
	main()
