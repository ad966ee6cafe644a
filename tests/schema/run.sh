#!/usr/bin/env bash
# API-schema tests: schemathesis against checkoutd's own /openapi.json, both
# dialects, authenticated, bounded in time (see run.py for what is checked).
#
#   tests/schema/run.sh            # needs target/debug/checkoutd and .venv
#
# The run happens in a private network namespace with only loopback when the
# machine allows one (root and unshare), so nothing the fuzzer makes up (a
# webhook URL, say) can reach past this machine; hooks.py points webhook
# URLs at a local sink in any case.
set -euo pipefail
cd "$(dirname "$0")/../.."

py=.venv/bin/python
if [[ ! -x $py ]]; then
  python3 -m venv .venv
fi
if ! $py -c 'import schemathesis, gr4vy' 2>/dev/null; then
  $py -m pip install --quiet --disable-pip-version-check -r tests/schema/requirements.txt
fi
export CHECKOUTD_BIN="${CHECKOUTD_BIN:-$PWD/target/debug/checkoutd}"

# (Not with PostgreSQL: the namespace's loopback has no server on it.)
if [[ "${CHECKOUTD_TEST_DATABASE_URL:-}" != postgres* ]] && [[ $(id -u) == 0 ]] \
   && command -v unshare >/dev/null && command -v ip >/dev/null \
   && unshare --net true 2>/dev/null; then
  exec unshare --net sh -c 'ip link set lo up && exec "$0" "$@"' "$py" tests/schema/run.py
fi
echo "(no private network namespace here: running on the host's loopback)"
exec "$py" tests/schema/run.py
