# The labels the rules cite, for card details and links. Rule METADATA
# carries the same label, URL and revision (read by the engine for
# card.source); keep them in step when a label is revised.
package labelguard.lib

labels := {
	"upadacitinib": {
		"label": "Rinvoq (upadacitinib) US Prescribing Information",
		"url": "https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=2966aec7-2ef0-923c-d8ff-fe1a957bf095",
	},
	"abrocitinib": {
		"label": "Cibinqo (abrocitinib) US Prescribing Information",
		"url": "https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=3f6d6fcd-e9f9-42c8-bfa2-bb2cfc9ed258",
	},
	"baricitinib": {
		"label": "Olumiant (baricitinib) EU Summary of Product Characteristics",
		"url": "https://www.ema.europa.eu/en/medicines/human/EPAR/olumiant",
	},
	"baricitinib-us": {
		"label": "Olumiant (baricitinib) US Prescribing Information",
		"url": "https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=olumiant",
	},
	"ruxolitinib-cream": {
		"label": "Opzelura (ruxolitinib) cream US Prescribing Information",
		"url": "https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=opzelura",
	},
	"iec": {
		"label": "International Eczema Council: practical guide to oral JAK inhibitors for atopic dermatitis (Haag et al., Br J Dermatol 2024)",
		"url": "https://doi.org/10.1093/bjd/ljae342",
	},
}

# cite: "Source: [label](url), section." for the drug's label.
cite(drug, section) := source_line(labels[drug].label, section, labels[drug].url)

# label_links: the card link to the drug's label.
label_links(drug) := [{"label": labels[drug].label, "url": labels[drug].url}]
