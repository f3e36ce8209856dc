#!/usr/bin/env bash
# `make run`: start the appliance on its embedded default.  No upstream:
# sluice serves the bare repositories in DATA/repos itself (git
# http-backend as a CGI) and creates DATA/repos/demo.git and a self-signed
# certificate on first start.  Configuration: firmware/sluice.conf, the
# same file the systemd unit uses.
set -euo pipefail
bin=${1:-build/sluice}
here=$(cd "$(dirname "$0")" && pwd)
conf="$here/sluice.conf"
data=$("$bin" serve --config "$conf" --print-config | sed -n 's/^data = //p')
listen=$("$bin" serve --config "$conf" --print-config | sed -n 's/^listen = //p')
port=${listen##*:}
if [ -e "$data/users" ]; then
	who="the admin password printed at the first start (lost it? $bin user passwd admin --generate --data $data)"
else
	who="the admin password printed just below (first start: it is shown only once)"
fi
cat <<MSG
sluice: starting on https://0.0.0.0:$port with data in $data (Ctrl-C stops it)
Try it from another terminal:
  export GIT_SSL_CAINFO=$data/tls/cert.pem
  git clone https://localhost:$port/demo.git
  cd demo && echo 'token = ghp_...' > leak.txt && git add leak.txt && git commit -m leak
  git push     # user admin and $who;
               # refused, with remote: lines.  Clones need no user.
MSG
exec "$bin" serve --config "$conf"
