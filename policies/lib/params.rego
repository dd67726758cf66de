# Site parameters (RULES.md §1), read from data.labelguard.params with the
# defaults of RULES.md when a parameter is absent.
package labelguard.lib

default_params := {
	"jurisdiction": "US",
	"labWindowDays": 90,
	"screeningWindowDays": 365,
	"pregnancyWindowDays": 30,
	"reproductiveAgeMin": 12,
	"reproductiveAgeMax": 50,
	"liveVaccineWindowDays": 28,
	"zosterVaccineAgeMin": 19,
	"weightWindowDays": 90,
	"bsaWindowDays": 90,
}

default site_params := {}

site_params := data.labelguard.params

# param returns the site value of a parameter, else its RULES.md default.
param(name) := object.get(site_params, name, default_params[name])

jurisdiction := upper(param("jurisdiction"))
