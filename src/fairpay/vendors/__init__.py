"""Vendors and the company view: disclosures, vetting, contract annex, monitoring, close-out and the
company transparency report (issue 15). Heavy modules load on first use."""
