#!/usr/bin/env bash
# Generates the Node.js code of the test Thrift services (test/fixtures/thrift/*.thrift) into
# test/fixtures/gen-thrift/, which is not committed. Called by the build; cheap when up to date.
#
# `js:node,es6` because Thrift 0.17's plain `js:node` output calls thrift.Q.defer(), which the npm
# `thrift` 0.24 library no longer has; es6 output uses native Promises.
set -euo pipefail
cd "$(dirname "$0")/.."

idl_dir=test/fixtures/thrift
out=test/fixtures/gen-thrift

if ! command -v thrift >/dev/null 2>&1; then
  echo "gen-thrift: the Thrift compiler is missing; run ./scripts/setup.sh (it installs the Debian package thrift-compiler)" >&2
  exit 1
fi

stamp="$out/.generated"
if [ -f "$stamp" ] && [ -z "$(find "$idl_dir" -name '*.thrift' -newer "$stamp" -print -quit)" ] \
  && [ "$0" -ot "$stamp" ]; then
  exit 0
fi

tmp="$(mktemp -d "${out}.tmp.XXXXXX")"
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
for idl in "$idl_dir"/*.thrift; do
  thrift --gen js:node,es6 -out "$tmp" "$idl"
done
# The repository's package.json says "type": "module"; the generated files are CommonJS.
printf '{ "type": "commonjs" }\n' >"$tmp/package.json"
touch "$tmp/.generated"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
