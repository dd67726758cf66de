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

# cite: "Source: [label](url), section." for the drug's default label.
cite(drug, section) := source_line(labels[drug].label, section, labels[drug].url)

# cite_topic: the source line of a drug's own label for a topic.
cite_topic(drug, topic) := source_line(s.label, s.section, s.url) if {
	s := topic_source(drug, topic)
}

# cite_document: the source line of a shared document (the IEC consensus).
cite_document(key, section) := source_line(documents[key].title, section, documents[key].url)

# label_links: the card link to the drug's default label.
label_links(drug) := [{"label": labels[drug].label, "url": labels[drug].url}]

# topic_links: the card link to the drug's document for a topic.
topic_links(drug, topic) := [{"label": s.label, "url": s.url}] if {
	s := topic_source(drug, topic)
}
