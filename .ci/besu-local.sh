#!/usr/bin/env bash
# The Besu-like chain in CI: deploy to it over JSON-RPC, show that a deploy killed halfway resumes to the
# same addresses, run the demo against it. Every chain started here is stopped, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

chain_pid=""
deploy_pgid=""
work=$(mktemp -d)
# The chain runs in a process group of its own (npx, ts-node, anvil): stopping it stops the whole group,
# so no anvil is left listening on 8545 (npx does not pass a signal on to its children).
stop_chain() {
  if [ -n "$chain_pid" ]; then
    kill -TERM -- "-$chain_pid" 2>/dev/null || true
    wait "$chain_pid" 2>/dev/null || true
    kill -KILL -- "-$chain_pid" 2>/dev/null || true
  fi
  chain_pid=""
}
cleanup() {
  [ -n "$deploy_pgid" ] && kill -9 -- "-$deploy_pgid" 2>/dev/null || true
  stop_chain
  rm -rf "$work"
}
trap cleanup EXIT

start_chain() {
  setsid npx ts-node scripts/chain.ts --fresh >"$work/chain.log" 2>&1 &
  chain_pid=$!
  for _ in $(seq 1 60); do
    if curl -sf -X POST -H 'content-type: application/json' \
      --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' http://127.0.0.1:8545 >/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  echo "the local chain did not answer on 127.0.0.1:8545"; cat "$work/chain.log"; return 1
}

addresses() { node -e 'console.log(JSON.stringify(require("./deployments/besuLocal.json").contracts))'; }

echo "--- 1. a deploy that runs to the end, on a fresh chain"
start_chain
timeout 300 npm run deploy --silent -- --network besuLocal
reference=$(addresses)
echo "--- re-running the finished deploy changes nothing"
timeout 120 npm run deploy --silent -- --network besuLocal
[ "$(addresses)" = "$reference" ] || { echo "a re-run moved the addresses"; exit 1; }
stop_chain

echo "--- 2. a deploy killed halfway on another fresh chain, then resumed"
start_chain
setsid npm run deploy --silent -- --network besuLocal >"$work/killed.log" 2>&1 &
deploy_pgid=$!
journal=""
for _ in $(seq 1 240); do
  journal=$(ls -td deploy/deployments/zoncoin-besuLocal-* 2>/dev/null | head -1)/journal.jsonl
  if [ -f "$journal" ] && [ "$(grep -c '"type":"TRANSACTION_CONFIRM"' "$journal" || true)" -ge 6 ]; then break; fi
  sleep 0.5
done
kill -9 -- "-$deploy_pgid" 2>/dev/null || true
deploy_pgid=""
echo "killed the deploy after $(grep -c '"type":"TRANSACTION_CONFIRM"' "$journal" || true) confirmed transactions (journal $journal)"
if grep -q "ZonCoin suite on" "$work/killed.log"; then echo "the deploy finished before it could be killed"; exit 1; fi
timeout 300 npm run deploy --silent -- --network besuLocal
resumed=$(addresses)
echo "reference: $reference"
echo "resumed:   $resumed"
[ "$resumed" = "$reference" ] || { echo "the resumed deploy reached other addresses"; exit 1; }
echo "the resumed deploy reached the same addresses"

echo "--- 3. the demo against the local chain, twice: a chain that already ran it gets new ids and epochs"
timeout 600 npm run demo --silent -- --network besuLocal
timeout 600 npm run demo --silent -- --network besuLocal
echo "--- 4. the README walkthrough's commands, as written, on the same chain"
work_dir=$(mktemp -d)
hh() { timeout 300 npx hardhat "$@" --network besuLocal; }
hh zon:status >/dev/null
hh rewards:policy --period 202701 --rates compute=500,storage=300 --budget 100000
hh rewards:sign --usage docs/examples/usage.csv --out "$work_dir/bundle.json" --deadline 1900000000
hh rewards:submit --bundle "$work_dir/bundle.json"
request=$(hh redeem:request --sku 1 --quantity 2 --max-price 20 --delivery-ref acme-prod --from 11 |
  sed -n 's/^request \([0-9]*\):.*/\1/p')
[ -n "$request" ] || { echo "redeem:request printed no request id"; exit 1; }
hh redeem:worker --ledger "$work_dir/ledger.jsonl" --skus 1 --confirmations 0 --once
hh redeem:show --id "$request" --ledger "$work_dir/ledger.jsonl" | grep -q "fulfilled" ||
  { echo "request $request is not fulfilled"; exit 1; }
if hh rewards:submit --bundle "$work_dir/bundle.json" 2>"$work_dir/err"; then
  echo "re-submitting a landed bundle should fail"; exit 1
fi
grep -q "nothing could be claimed" "$work_dir/err" || { echo "unexpected error: $(cat "$work_dir/err")"; exit 1; }
rm -rf "$work_dir"

stop_chain
if curl -sf -X POST -H 'content-type: application/json' \
  --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' http://127.0.0.1:8545 >/dev/null; then
  echo "a chain still answers on 127.0.0.1:8545 after being stopped"; exit 1
fi
echo "the local chain is stopped; nothing listens on 8545"
