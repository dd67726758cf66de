# The queries of the CDS services (services.json): the findings of the
# rule packages each service runs, after the site's rule settings
# (params.rules: {"<rule id>": {"enabled": false, "indicator": "info"}}).
package labelguard.main

import data.labelguard.lib

order_packages := ["jak", "upadacitinib", "abrocitinib", "baricitinib", "ruxolitinib_cream", "data_quality"]

monitoring_packages := ["monitoring", "data_quality"]

order_findings := findings_of(order_packages)

monitoring_findings := findings_of(monitoring_packages)

# Without rule settings (the default) the findings go out as the rules
# made them, without looking up settings for each one.
findings_of(packages) := {f |
	some p in packages
	some f in data.labelguard.rules[p].findings
} if {
	count(rule_overrides) == 0
} else := {site_adjusted(f) |
	some p in packages
	some f in data.labelguard.rules[p].findings
	enabled(f.rule)
}

rule_overrides := object.get(lib.site_params, "rules", {})

rule_settings(id) := object.get(rule_overrides, id, {})

enabled(id) if object.get(rule_settings(id), "enabled", true) != false

site_adjusted(f) := object.union(f, {"indicator": rule_settings(f.rule).indicator}) if {
	rule_settings(f.rule).indicator
} else := f
