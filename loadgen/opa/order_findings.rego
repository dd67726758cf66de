# For the load generator's OPA side-by-side run only (loadgen/loadtest.sh
# loads it beside the policies into `opa run --server`): the findings of
# every rule package the order services run. It is not part of the policy
# set: labelguard finds the packages of a call from their package METADATA
# and evaluates only those its drugs reach, so this shim asks OPA for
# somewhat more than labelguard evaluates.
package labelguard.loadgen

order_findings := {f |
	some p in ["jak", "upadacitinib", "abrocitinib", "baricitinib", "ruxolitinib_cream", "data_quality"]
	some f in data.labelguard.rules[p].findings
}
