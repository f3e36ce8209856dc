#!/usr/bin/env bash
# IaC inline: a push adding a Terraform storage account at TLS 1.0 is
# accepted with a remote: annotation under the default policy (IaC warns);
# with IaC set to block for that severity it is refused and the upstream
# is unchanged.
. "$(dirname "$0")/lib.sh"

start_gate
new_upstream_repo infra
git init -q -b main "$WORK/w"
git_user "$WORK/w"
git -C "$WORK/w" remote add origin "$GATE/infra.git"
mkdir -p "$WORK/w/storage"
cat > "$WORK/w/storage/main.tf" <<'TF'
# Log storage for the web tier.
resource "azurerm_storage_account" "logs" {
  name                            = "acmelogs"
  resource_group_name             = "rg-logs"
  location                        = "westeurope"
  account_tier                    = "Standard"
  account_replication_type        = "GRS"
  min_tls_version                 = "TLS1_0"
  allow_nested_items_to_be_public = false
  public_network_access_enabled   = false
}
TF
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm "log storage"
git -C "$WORK/w" push origin main > "$WORK/warn.out" 2>&1 || fail "default policy must accept: $(cat "$WORK/warn.out")"
grep -q "remote: .*AZ-02" "$WORK/warn.out" || fail "no AZ-02 annotation: $(cat "$WORK/warn.out")"
grep -q "remote: .*storage/main.tf:8" "$WORK/warn.out" || fail "annotation without file:line: $(cat "$WORK/warn.out")"
grep -q 'remote: .*found min_tls_version = "TLS1_0"' "$WORK/warn.out" || fail "annotation without the value"
grep -q "remote: .*fix: " "$WORK/warn.out" || fail "annotation without the fix"
[ "$(git -C "$WORK/upstream/infra.git" rev-parse main)" = "$(git -C "$WORK/w" rev-parse main)" ] || fail "not applied"
ok "TLS 1.0 storage account accepted with a remote: annotation (file:line, check, value, fix)"

# Block medium IaC findings for this repository.
kill "$SL_PID"; wait "$SL_PID" 2>/dev/null || true
start_sluice --upstream "http://127.0.0.1:$UP_PORT/git" --set "repo.infra.git.iac_medium=block"
git -C "$WORK/w" remote set-url origin "$GATE/infra.git"
sed -i 's/"logs" {/"logs2" {/; s/acmelogs/acmelogs2/' "$WORK/w/storage/main.tf"
git -C "$WORK/w" commit -qam "second account"
before=$(upstream_state infra)
set +e
git -C "$WORK/w" push origin main > "$WORK/block.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "iac_medium=block must refuse"
grep -q "\[remote rejected\] main -> main (IaC AZ-02 in storage/main.tf:8)" "$WORK/block.out" ||
	fail "ng reason: $(cat "$WORK/block.out")"
[ "$(upstream_state infra)" = "$before" ] || fail "upstream changed after an IaC block"
ok "with iac_medium=block the same finding refuses the push; upstream unchanged"

# A suppression comment keeps the finding visible but out of the verdict.
sed -i 's|  min_tls_version                 = "TLS1_0"|  min_tls_version                 = "TLS1_0" # sluice:ignore=AZ-02 reason="legacy client, ticket OPS-9"|' "$WORK/w/storage/main.tf"
git -C "$WORK/w" commit -q --amend -am "second account, suppressed with a reason"
git -C "$WORK/w" push origin main > "$WORK/supp.out" 2>&1 || fail "suppressed finding must not block: $(cat "$WORK/supp.out")"
grep -q '"rule":"AZ-02".*"status":"suppressed"' "$DATA/audit.jsonl" || fail "suppression not audited"
ok "suppressed finding does not block and is audited as suppressed"

# The value comes from another file of the module: the push is evaluated a
# directory at a time, so variables.tf decides and the finding points at the use.
mkdir -p "$WORK/w/storage2"
cat > "$WORK/w/storage2/variables.tf" <<'TF'
variable "tls" {
  default = "TLS1_0"
}
TF
cat > "$WORK/w/storage2/main.tf" <<'TF'
resource "azurerm_storage_account" "data" {
  name                            = "acmedata"
  account_tier                    = "Standard"
  allow_nested_items_to_be_public = false
  public_network_access_enabled   = false
  min_tls_version                 = var.tls
}
TF
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm "data storage, tls from a variable"
set +e
git -C "$WORK/w" push origin main > "$WORK/var.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "a TLS1_0 default in variables.tf must block: $(cat "$WORK/var.out")"
grep -q "IaC AZ-02 in storage2/main.tf:6" "$WORK/var.out" || fail "variable from another file: $(cat "$WORK/var.out")"
ok "a variable default in another file of the module decides (and the finding is at its use)"
done_tests
