# The documents cards cite, read from the drug profiles
# (profiles/<drug>.json) and the shared documents (data/documents.json),
# where each is stated once. A rule shared by several drugs names a topic
# in its METADATA (custom.source.topic); each drug's profile says where its
# own label states that topic, so the card on an abrocitinib order cites
# Cibinqo and on an upadacitinib order Rinvoq. The engine sets the card's
# source from the same profile entry.
package labelguard.lib

profiles := data.labelguard.profiles

documents := data.labelguard.documents

# drug_display: how card text names a target drug.
drug_display[drug] := p.display if some drug, p in profiles

# labels: each drug's default document.
labels[drug] := {"label": d.title, "url": d.url} if {
	some drug, p in profiles
	d := p.documents[p.label]
}

# topic_source: the document and section of a drug's label for a topic
# ({label, url, section}), resolved from its profile by the engine at load
# (the section as card text writes it: "§2.1, 5.8").
topic_source(drug, topic) := data.labelguard.citations[drug][topic]

# A card cites its source once: the card's source (the rule's METADATA,
# for a topic the drug's own label) is not repeated in its detail. A card
# that also rests on another document says so in its detail:

# see_also: "See also: [document](url), section." for a shared document
# (the IEC consensus).
see_also(key, section) := sprintf("See also: [%s](%s), %s.", [documents[key].title, documents[key].url, section])

# see_also_topic: the same for another drug's label on a topic (a
# patient-view card about several drugs cites the first in its source).
see_also_topic(drug, topic) := sprintf("See also: [%s](%s), %s.", [s.label, s.url, s.section]) if {
	s := topic_source(drug, topic)
}

# label_links: the card link to the drug's default label.
label_links(drug) := [{"label": labels[drug].label, "url": labels[drug].url}]

# topic_links: the card link to the drug's document for a topic.
topic_links(drug, topic) := [{"label": s.label, "url": s.url}] if {
	s := topic_source(drug, topic)
}
