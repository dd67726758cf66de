package labelguard.lib_test

import data.labelguard.lib

# Recorded text shown in card Markdown stays as recorded when rendered.
test_md_text_escapes_what_opens_markdown if {
	lib.md_text("*2/*3") == `\*2/\*3`
	lib.md_text("[x](y) <b>") == `\[x\](y) \<b\>`
	lib.md_text(`a_b \ ~c~ | d`) == `a\_b \\ \~c\~ \| d`
	lib.md_text("Poor metabolizer") == "Poor metabolizer"
}

test_lab_text_shows_a_coded_value_as_recorded if {
	lab := {"valueText": " poor metabolizer 2 2 ", "valueDisplay": "Poor metabolizer (*2/*2)", "time": "2026-05-01T00:00:00Z"}
	lib.lab_text(lab) == `Poor metabolizer (\*2/\*2) on 2026-05-01`
}

test_lab_text_without_display_uses_the_normalised_text if {
	lib.lab_text({"valueText": " never smoker ", "time": "2026-05-01T00:00:00Z"}) == "never smoker on 2026-05-01"
}
