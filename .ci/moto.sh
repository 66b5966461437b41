# Sourced by .ci/run: installs moto (PyPI) into a venv, starts its server on
# a free loopback port with signature checking on, and exports
# R2_TEST_MOTO_ENDPOINT / _ACCESS_KEY_ID / _SECRET_ACCESS_KEY for the
# conformance tests. The server is stopped when the sourcing shell exits.
# Every package is pinned exactly in .ci/moto-requirements.txt; the venv is
# keyed by that file, so a changed pin installs afresh.
moto_pins=$(sha256sum .ci/moto-requirements.txt | cut -c1-12)
moto_venv=${R2_MOTO_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/r2-moto-venv-$moto_pins}
if [ ! -x "$moto_venv/bin/moto_server" ]; then
    python3 -m venv "$moto_venv"
    "$moto_venv/bin/pip" install --quiet --no-deps -r .ci/moto-requirements.txt
fi
moto_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_log=$(mktemp)
"$moto_venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$moto_log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$moto_port/moto-api/data.json')" 2>/dev/null; then
        break
    fi
    sleep 0.2
done
read -r moto_key moto_secret < <("$moto_venv/bin/python" .ci/moto_auth.py "http://127.0.0.1:$moto_port")
export R2_TEST_MOTO_ENDPOINT="http://127.0.0.1:$moto_port"
export R2_TEST_MOTO_ACCESS_KEY_ID="$moto_key"
export R2_TEST_MOTO_SECRET_ACCESS_KEY="$moto_secret"
echo "moto $("$moto_venv/bin/python" -c 'import moto; print(moto.__version__)') on $R2_TEST_MOTO_ENDPOINT (signature checking on), log $moto_log"
