package labelguard.main

findings contains f if some f in data.labelguard.rules.upa.findings
