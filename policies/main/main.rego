# The queries of the CDS services (services.json): the findings of the
# rule packages each service runs, after the site's rule settings
# (params.rules: {"<rule id>": {"enabled": false, "indicator": "info"}}).
package labelguard.main

import data.labelguard.lib

order_packages := ["jak", "upadacitinib", "abrocitinib", "baricitinib", "ruxolitinib_cream", "data_quality"]

monitoring_packages := ["monitoring", "data_quality"]

order_findings := findings_of(order_packages)

monitoring_findings := findings_of(monitoring_packages)

findings_of(packages) := {site_adjusted(f) |
	some p in packages
	some f in data.labelguard.rules[p].findings
	enabled(f.rule)
}

rule_settings(id) := object.get(lib.site_params, ["rules", id], {})

enabled(id) if object.get(rule_settings(id), "enabled", true) != false

site_adjusted(f) := object.union(f, {"indicator": rule_settings(f.rule).indicator}) if {
	rule_settings(f.rule).indicator
} else := f
