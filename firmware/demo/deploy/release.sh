#!/bin/sh
# Demo file for `make run`: the token below is synthetic (valid checksum,
# never issued), planted so the scanner has something to report.
set -e
export GITHUB_TOKEN=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
curl -H "Authorization: token $GITHUB_TOKEN" https://api.github.com/user
